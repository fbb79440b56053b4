// PlannerState: everything the planner knows, folded from log events.
// Private to ksearch_planner. Every field is a function of the ordered events
// (the rebuild test compares ToJson() of a live and a replayed state).
// Thread-safety: none; owned by one Planner.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"
#include "ksearch/core/running_time.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/planner/campaign_spec.h"
#include "ksearch/planner/promotion.h"

namespace ksearch::planner {

enum class PairOutcome { kUntried, kImproved, kNoGain, kFailed, kExhausted };

struct PairState {
  PairOutcome outcome = PairOutcome::kUntried;
  int in_flight = 0;
  int finished = 0;       // finished tries, failures included
  int failures = 0;
  int inherited_penalty = 0;  // no_gain marks inherited from the parent
  int no_gains = 0;           // passing candidates that did not improve (refuted included)
  std::map<std::string, int> failure_counts;  // verdict wire form -> count
  std::string last_failure;
};

struct Member {
  std::string id, parent, axis, attempt_id, source_blob, evidence_blob, source_hash;
  std::string verdict, bottleneck, change_summary, proposer;
  std::set<int> islands;
  double time_us = 0, spread = 0, first_time_us = 0, first_spread = 0, roofline_fraction = 0;
  double speedup_vs_parent = 0;
  bool measured = false;
  bool confirmed = false;        // seed, or re-measurement agreed
  bool pending_remeasure = false;
  // A re-measurement of it failed (crash, wrong result, time 0): it passed
  // once and not again, so it is nobody's parent (its children would inherit
  // whatever made it flaky).
  bool failed_remeasure = false;
  int remeasures = 0;            // re-measurements so far
  double remeasure_sum = 0;      // their sum
  // The sum of the squared spreads its re-measurements reported (over the
  // `remeasures` that gave a time). The re-measurement test's sigma is the
  // root mean square of these and first_spread (Planner::JudgeRemeasurement).
  double remeasure_spread_sq = 0;
  std::vector<double> samples;   // re-measured times in order (time_us: RobustTimeOf them)
  int depth = 0;                 // generations from the seed
  // How many of its one-step tuner neighbours (attempt_finished's
  // `tuner_neighbours`, TunerNeighbourHashes) no source in the campaign has
  // yet: at 0 its tuner pair is closed. -1: the log did not say (an older
  // log, a campaign without the tuner); the tuner is then asked, and its
  // patch_failed closes the pair as before.
  int tuner_untried = -1;
};

struct AttemptInfo {
  std::string id, parent, axis, proposer, repair_of, verdict, candidate, detail;
  std::string source_blob, evidence_blob;
  int island = 0;
  int repair_depth = 0;          // 0: fresh; n: n-th repair in a chain
  bool finished = false;
  int64_t finish_index = 0;      // attempts_finished at its end
  int64_t started_ms = 0;        // its attempt_started event's time
};

struct CountStats {
  int64_t trials = 0, successes = 0, passes = 0;
  double gain_sum = 0;  // sum of log speedups of confirmed improvements
  double cost_usd = 0;
  int64_t calls = 0;
};

// Orders (candidate, axis) keys as std::pair<std::string, std::string> does,
// and finds them by a pair of views, so a lookup copies no string.
struct PairKeyLess {
  using is_transparent = void;
  using View = std::pair<std::string_view, std::string_view>;
  static View AsView(const std::pair<std::string, std::string>& k) { return {k.first, k.second}; }
  static View AsView(const View& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const { return AsView(a) < AsView(b); }
};

// An LLM endpoint's recent proposals (see kEndpointErrorsToRest).
struct EndpointHealth {
  int errors_in_row = 0;      // proposal_failed{llm_error}, reset by any answered proposal
  int64_t last_error_ms = 0;  // the time of the last of them (the event's time)
};

struct DeadEndStat {
  int count = 0;
  std::string example_attempt, example_detail;
};

class PlannerState {
 public:
  PlannerState(const CampaignSpec& spec, const AxisCatalogue& catalogue)
      : spec_(spec), catalogue_(catalogue), budgets(spec.budgets), plateau_window(spec.plateau.window) {}
  PlannerState(const PlannerState&) = delete;  // confirmed_members points into members
  PlannerState& operator=(const PlannerState&) = delete;

  void Fold(const Event& e);
  // Finished attempts that count towards the plateau rule.
  int64_t AttemptsSinceProgress() const { return attempts_finished - std::max(finished_at_last_best, plateau_from); }
  nlohmann::json ToJson() const;

  // Confirmed elites of island, best first (at most elites_per_island).
  std::vector<const Member*> Elites(int island) const;
  // Display state of a pair, with in-flight taken into account.
  const PairState* Pair(const std::string& cand, const std::string& axis) const;
  bool PairOpen(const std::string& cand, const Axis& axis) const;
  // Every one-step tuner neighbour of `cand` has been produced (tuner_untried == 0).
  bool TunerUsedUp(const std::string& cand) const;
  // Sets m.confirmed and lists m in confirmed_members (once).
  void MarkConfirmed(Member& m);
  // The pair (cand, axis), created if absent, for a change: every change to a
  // pair goes through here, so OpenAxesOf knows which candidates' answers are stale.
  PairState& PairForUpdate(const std::string& cand, const std::string& axis);
  // The catalogue's axes, in catalogue order, whose pair with `cand` is open
  // (PairOpen) among the usable ones (tuner axes when a tuner proposes, the
  // others when an LLM does). Remembered per candidate until one of its pairs
  // changes: late in a campaign most members have every pair closed, and
  // selection asks every confirmed member. The reference is valid until the
  // next call for the same candidate or the next change to the state.
  const std::vector<const Axis*>& OpenAxesOf(const std::string& cand, bool tuner_usable, bool llm_usable) const;
  // The spread the planner works with for a reported one (see `noise`).
  double Spread(double reported) const { return noise.lower_bound > reported ? noise.spread : reported; }
  // Whether a reference sample of `m` is folded (OnReferenceSample): only an
  // unconfirmed member that is measured and not awaiting re-measurement.
  static bool TakesReferenceSample(const Member& m) { return m.measured && !m.confirmed && !m.pending_remeasure; }
  // `m`'s time once a reference sample (t, spread) of it is folded: the
  // robust mean of its unselected samples with t (OnReferenceSample).
  double TimeWithReferenceSample(const Member& m, double t, double spread) const;

  // Constant after construction.
  const CampaignSpec& spec_;
  const AxisCatalogue& catalogue_;

  // Folded state.
  int64_t events_seen = 0;
  bool started = false;
  std::string campaign_state = "running";
  std::string task, arch, backend, seed_candidate, seed_source_blob;
  // campaign_started's `started_from` (the earlier campaign's member the seed
  // is, CampaignSpec::start_from); null when the seed is the task's.
  nlohmann::json seed_origin;
  int64_t last_event_ms = 0;
  // Time spent running (not paused, finished or with the daemon down): what
  // the wall-time budget counts.
  RunningTime running_time;
  int64_t attempts_started = 0, attempts_finished = 0;
  // Attempts that ended interrupted (shutdown, restart): retried, so they do
  // not count against the attempts budget.
  int64_t attempts_interrupted = 0;
  // Attempts that ended infra_error (a full disk, a broken evaluator, no slot
  // in service): the machine failed, not the candidate, so they do not count
  // against the attempts budget either. The daemon pauses a campaign after a
  // few in a row (DaemonConfig::infra_pause_after), so they cannot run on.
  int64_t attempts_infra_error = 0;
  // Attempts that ended proposal_failed{llm_error} (an endpoint down, the
  // circuit open): no candidate was tried, so they do not count either; the
  // daemon pauses a campaign after a few in a row, as for infra_error.
  int64_t attempts_llm_error = 0;
  double money_spent = 0;
  // A call was refused because it did not fit the money budget
  // (proposal_failed{budget}): the rest of the money cannot pay for one more.
  bool money_refused = false;
  std::string seed_attempt, seed_failure;
  std::string best_candidate;
  double best_time_us = 0;
  int64_t finished_at_last_best = 0;
  // The limits in force: the spec's until a budget_extended event replaces
  // them; the plateau counts from the later of the last best and the last
  // extension (plateau_from, an attempts_finished count).
  Budgets budgets;
  int plateau_window = 0;
  int64_t plateau_from = 0;
  int64_t migrations = 0;
  std::map<std::string, Member> members;
  // The members with confirmed set, in the order they were confirmed (it is
  // never cleared): selection reads these, not every member, so its cost
  // follows the elites rather than the campaign's length. Points into
  // `members`, whose nodes are never erased; PlannerState is not copied.
  std::vector<const Member*> confirmed_members;
  // The members whose re-measurements ended without confirming them (each
  // with kMinConfirmRemeasures samples or more), in that order: the noisy
  // provisional parents (Exploit) come from these, so that scan too follows
  // the re-measured members, not the campaign's length. Points into
  // `members` as above.
  std::vector<const Member*> remeasured_unconfirmed;
  // Bumped by PairForUpdate for the candidate; OpenAxesOf's cache key. Not
  // part of ToJson (derived, like the cache).
  std::unordered_map<std::string, uint64_t> pair_versions_;
  struct OpenAxesEntry {
    bool valid = false, tuner_usable = false, llm_usable = false;
    uint64_t version = 0;
    std::vector<const Axis*> axes;
  };
  mutable std::unordered_map<std::string, OpenAxesEntry> open_axes_;
  std::map<std::pair<std::string, std::string>, PairState, PairKeyLess> pairs;
  std::map<std::string, AttemptInfo> attempts;
  std::vector<std::string> failed_attempts;  // repairable failures, in finish order
  std::set<std::string> repaired;            // attempts that a repair was started for
  std::set<std::string> source_hashes, machine_code_hashes, semantic_keys;
  // A source hash not yet in source_hashes -> the members that list it as a
  // tuner neighbour (Member::tuner_untried counts it). Derived from the
  // events like the rest, but not part of ToJson (tuner_untried is).
  std::unordered_map<std::string, std::vector<std::string>> tuner_waiters_;
  std::map<std::string, CountStats> axis_stats;      // per axis
  std::map<std::string, CountStats> proposer_stats;  // per proposer
  std::map<std::string, EndpointHealth> endpoint_health;  // per LLM endpoint
  // Whether `endpoint` may be proposed to at `now_ms` (not resting).
  bool EndpointAvailable(const std::string& endpoint, int64_t now_ms) const;
  std::map<std::pair<std::string, std::string>, CountStats> repair_stats;  // (axis, class)
  std::map<std::pair<std::string, std::string>, DeadEndStat> dead_ends;    // (axis, class)
  // Between-evaluation noise, measured (PooledSpread): the scatter of
  // repeated evaluations of one source (the seed's samples, every member's
  // re-measurements; never a selected first measurement), pooled over
  // members. An evaluator's reported spread describes one process's
  // repetitions and can miss what changes between processes (a busy host,
  // clocks). When even the lower confidence bound of the measured noise is
  // above a reported spread, the planner works with the measured estimate
  // instead (Spread()); otherwise it trusts the report.
  PooledNoise noise;
  PooledNoiseAccumulator noise_samples;  // every unselected repeat so far; `noise` is its estimate

 private:
  void OnCampaignStarted(const Event& e);
  void OnAttemptStarted(const Event& e);
  void OnAttemptFinished(const Event& e);
  void OnRemeasured(const Event& e);
  void OnReferenceSample(Member& m, const Event& e);
  void OnBestPromoted(const Event& e);
  void OnMigration(const Event& e);
  void OnBudgetExtended(const Event& e);
  void OnLlmCall(const Event& e);
  void Inherit(const Member& parent, const Member& child);
  // Adds a produced source's hash; members waiting on it as a tuner
  // neighbour count one fewer untried (and their open axes are recomputed).
  void AddSourceHash(const std::string& hash);
  // m.tuner_untried from the payload's `tuner_neighbours`, when present.
  void NoteTunerNeighbours(Member& m, const nlohmann::json& payload);
  void MigrateIfDue();
  // Appends `t` to m.samples and updates the measured noise with it.
  void AddSample(Member& m, double t);
};

// True for failure classes a repair turn may fix (issue #9).
bool IsRepairableFailure(const std::string& verdict_wire);
// "incorrect{mismatch}" -> "incorrect".
std::string VerdictClass(const std::string& verdict_wire);

}  // namespace ksearch::planner
