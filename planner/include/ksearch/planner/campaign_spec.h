// CampaignSpec: the typed, validated form of configs/campaigns/<name>.yaml.
//
// Loaded once by the daemon when a campaign starts; the planner only reads it.
// Every loader error names the file, the line and the key (DESIGN.md section 9).
// Thread-safety: a value type; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/status.h"

namespace ksearch::planner {

// One proposer the campaign may use. `name` is "tuner" for the built-in tuner,
// otherwise the name of a configured LLM endpoint. `weight` is the bandit's
// prior share (> 0).
struct ProposerSpec {
  std::string name;
  double weight = 1.0;
  bool is_tuner() const { return name == "tuner"; }
};

// Parent-selection mix; the three shares are normalized to sum to 1.
struct SelectionMix {
  double exploit = 0.6;   // tournament among the island's confirmed elites
  double explore = 0.2;   // any measured member of the island, favouring open axes
  double frontier = 0.2;  // the (member, axis) pair with the highest bandit score
};

struct Budgets {
  // 0: unlimited. Counts the campaign's running time (ksearch/core/running_time.h):
  // time paused, finished or with the daemon down is not spent.
  double wall_seconds = 0;
  int64_t attempts = 0;     // 0: unlimited; counts attempt_started events
  double money_usd = 0;     // 0: unlimited; sums llm_call.cost_usd
  // {wall_seconds, attempts, money_usd}: as the spec's JSON, the planner's
  // snapshot and a budget_extended event write it.
  nlohmann::json ToJson() const;
};

// More budget for a campaign already under way (a budget_extended event; the
// planner turns it into new limits, Planner::Extension). Each field adds to
// its limit, counted from what is already used when the limit is spent (a
// campaign that ran out of wall time a night ago gets `wall_seconds` of
// running time from now); an increment of a limit that is 0 (unlimited) is
// refused, as it would change nothing.
struct BudgetExtension {
  double wall_seconds = 0;
  int64_t attempts = 0;
  double money_usd = 0;
  int plateau_window = -1;  // >= 0: the new window (0: off); -1: unchanged
  bool empty() const { return wall_seconds <= 0 && attempts <= 0 && money_usd <= 0 && plateau_window < 0; }
};

// Stop when `window` attempts have finished since the last confirmed best
// (or since the seed was measured) without a new best.
struct PlateauRule {
  int window = 0;  // 0: never stop on plateau
};

// Repair turns (issue #9): how many repairs one lineage may chain.
struct RepairSpec {
  int max_per_lineage = 2;
  // A repair is chosen over a fresh proposal while the observed success rate of
  // repairs for (axis, failure class) is at least this (prior: 1 of 2 succeed).
  double min_success_rate = 0.15;
};

// Where the campaign's seed comes from when it is not the task's seed: a
// kernel an earlier campaign in the same log measured (docs/start-from.md).
// YAML `start_from: ID` (that campaign's best when this one starts) or
// `start_from: {campaign: ID, candidate: cHEX}` (one member of it).
struct StartFrom {
  std::string campaign;   // "": the task's seed
  std::string candidate;  // "": the campaign's best
  bool empty() const { return campaign.empty(); }
};

struct CampaignSpec {
  std::string campaign_id;
  std::string task;
  std::string backend;  // host | cuda | hip
  std::string arch;     // e.g. sm_90, gfx942, x86_64
  std::vector<std::string> axes;          // empty: every catalogue axis for `arch`
  std::vector<std::string> exclude_axes;  // removed after `axes` is applied
  int islands = 2;
  int elites_per_island = 4;
  int migration_interval = 20;  // finished attempts between migrations; 0: never
  SelectionMix selection;
  Budgets budgets;
  PlateauRule plateau;
  double noise_threshold = 0.02;  // relative; smaller differences are not gains
  std::vector<ProposerSpec> proposers;
  RepairSpec repair;
  uint64_t seed = 1;
  StartFrom start_from;

  // Validates ranges and cross-field rules; errors name the key.
  Status Validate() const;
  nlohmann::json ToJson() const;
  // The built-in tuner is one of `proposers`.
  bool HasTuner() const {
    for (const ProposerSpec& p : proposers)
      if (p.is_tuner()) return true;
    return false;
  }
};

// A campaign id names the campaign's API paths (/campaigns/ID/...) and its
// folder under the daemon's work_dir, so it is 1-128 characters of
// [A-Za-z0-9._-] and does not start with '.' (no "..", no hidden folder).
// A campaign's task, a folder of tasks_dir by name, follows the same grammar.
bool IsValidCampaignId(std::string_view id);

// The arch a backend can build for: cuda takes sm_<digits>[a|f] (sm_90a),
// hip gfx<digits and a-f> (gfx942), host anything else of [A-Za-z0-9_-]
// (x86_64, aarch64) but not a GPU arch, so a host campaign's results are never
// filed under a GPU's arch in the dead ends. Empty when they fit; else why not.
std::string ArchMismatch(std::string_view backend, std::string_view arch);

// Parses YAML text; `source_name` (usually the file path) prefixes every error
// as "<source_name>:<line>: <key>: <problem>". Unknown keys are errors.
Result<CampaignSpec> ParseCampaignSpec(const std::string& yaml_text,
                                       const std::string& source_name);
// Reads and parses a file.
Result<CampaignSpec> LoadCampaignSpec(const std::string& path);

}  // namespace ksearch::planner
