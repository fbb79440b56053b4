// Derived views of the experiment log: pure functions of the ordered event
// stream (DESIGN.md section 7). They never read SQLite; ExperimentLog feeds them
// events, and the planner and the command line read them.
// Thread-safety: the functions are pure; the structs are values.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"

namespace ksearch::experiment_log {

// One row per attempt, pass or fail (history.jsonl).
struct HistoryRow {
  std::string campaign_id;
  std::string attempt_id;
  std::string task;
  std::string arch;
  std::string backend;
  std::string parent;      // candidate id of the parent ("" for the seed)
  std::string candidate;   // candidate id ("" when no candidate was produced)
  std::string axis;
  std::string proposer;
  std::string repair_of;   // attempt id, "" when not a repair
  std::string verdict;     // wire form, "" while in flight
  std::string detail;
  double time_us = 0;
  double speedup_vs_parent = 0;
  double speedup_vs_seed = 0;
  double cost_usd = 0;     // LLM cost attributed to the attempt
  int64_t started_ms = 0;
  int64_t finished_ms = 0; // 0 while in flight
  bool finished() const { return finished_ms != 0 || !verdict.empty(); }
};

// Frontier states (DESIGN.md section 7):
//   untried -> in_flight -> improved | no_gain | failed(kind)
//   failed(kind) repeated kExhaustAfter times on the same (candidate, axis) -> exhausted
enum class FrontierState { kUntried, kInFlight, kImproved, kNoGain, kFailed, kExhausted };
std::string_view FrontierStateName(FrontierState s);
inline constexpr int kExhaustAfter = 3;

struct FrontierEntry {
  std::string candidate;
  std::string axis;
  FrontierState state = FrontierState::kUntried;
  std::string failure_kind;  // verdict wire form of the last failure, for kFailed/kExhausted
  int attempts = 0;
  int failures = 0;
};

// A candidate that passed verification and was measured.
struct PopulationMember {
  std::string candidate;
  std::string parent;
  std::string axis;
  std::string attempt_id;
  std::string source_blob;
  int island = 0;
  double time_us = 0;   // best verified measurement (re-measured value when available)
  double spread = 0;
  bool remeasured = false;  // a re-measurement agreed
  bool best = false;        // currently the promoted campaign best
};

// What helped, by how much, where.
struct Fact {
  std::string task, arch, axis;
  int count = 0;                // improvements seen
  double best_speedup = 0;      // best speedup over parent
  double mean_speedup = 0;
  std::string example_attempt;
  std::string example_summary;
};

// What failed, how often, why, with an example (ksearch deadends).
struct DeadEnd {
  std::string task, arch, axis;
  std::string failure_class;    // verdict wire form, e.g. "incorrect{mismatch}" or "no_gain"
  int count = 0;
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  std::string example_attempt;
  std::string example_excerpt;  // first lines of the detail / compiler log
};

struct Memory {
  std::vector<Fact> facts;
  std::vector<DeadEnd> dead_ends;
};

struct DeadEndFilter {
  std::string task, arch, axis, failure_class;  // empty: any; class matches kind prefix too
  int64_t since_ms = 0;
};

// Which attempt verdicts are dead ends (failures, slower and no_gain), and
// the excerpt of a detail a dead end keeps: the rules of the log's
// dead_end_counts, for a reader that folds events itself (the daemon's
// prompts carry other campaigns' dead ends without a query).
bool IsDeadEndVerdict(std::string_view verdict_wire);
std::string Excerpt(std::string_view detail);

std::vector<HistoryRow> BuildHistory(std::span<const Event> events);
// Axes known to the campaign come from campaign_started.config.axes (list of names);
// every (member, axis) pair without an attempt is reported as untried.
std::vector<FrontierEntry> BuildFrontier(std::span<const Event> events,
                                         const std::string& campaign_id);
std::vector<PopulationMember> BuildPopulation(std::span<const Event> events,
                                              const std::string& campaign_id);
Memory BuildMemory(std::span<const Event> events);
std::vector<DeadEnd> FilterDeadEnds(const std::vector<DeadEnd>& all, const DeadEndFilter& f);

nlohmann::json ToJson(const HistoryRow& r);
nlohmann::json ToJson(const Memory& m);
nlohmann::json ToJson(const FrontierEntry& f);
nlohmann::json ToJson(const DeadEnd& d);

}  // namespace ksearch::experiment_log
