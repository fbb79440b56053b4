// Planner: decides what to try next, as a pure function of the experiment log.
//
// The daemon feeds every event of the campaign, in log order, to Observe()
// (replaying the whole log at start-up, then each event as it is appended) and
// asks Next() for the next attempt. Next() is const: it derives its random
// stream from the campaign seed and the number of events observed, so a planner
// rebuilt from the log makes the same decisions as the live one did.
//
// Protocol (one attempt):
//   d = Next(now)            -> append attempt_started{parent, axis, proposer,
//                               island, repair_of} with d's fields, Observe it
//   ... proposer, dedupe (CheckDuplicate), evaluation ...
//   j = JudgeMeasurement(d.parent, time, spread) -> verdict of attempt_finished
//   while re-measurement is needed (j.needs_remeasure, then r.needs_another):
//       re-measure, r = JudgeRemeasurement(candidate, t, s), append
//       remeasured{candidate, time_us, spread, agrees: r.agrees,
//       final: !r.needs_another}; if r.promote_best append best_promoted;
//       if r.reference_sample_of names the candidate's unconfirmed parent,
//       measure that member first and append remeasured{candidate: it,
//       time_us, spread, reference: true, estimate_us: ReferenceEstimate(..)}.
// Call Observe() for attempt_started before calling Next() again, or the same
// decision comes back.
//
// Frontier per (candidate, axis) (DESIGN.md section 7):
//   untried ──start──► in_flight ──finish──► improved | no_gain | failed(kind)
//   failed(kind) kExhaustAfter times on one pair ──► exhausted (closed); a tuner
//   patch_failed (every neighbouring configuration tried) exhausts at once
//   an LLM pair closes at its first passing non-improving candidate or duplicate,
//   and after kMaxTriesPerPair finished tries (tuner axes: kMaxTunerTries);
//   when every pair is closed, pairs of the best members are retried up to
//   2 x kMaxTriesPerPair before the campaign is reported exhausted
//   a confirmed child inherits its parent's exhausted/no_gain marks (LLM axes
//   only; tuner pairs belong to one source), except the improving axis, its
//   catalogue neighbours and, when the child's bottleneck class moved, the axes
//   of its new class, which are reopened (untried). Exhausted marks pass on to
//   every later generation; no_gain closures and failed tries (a score
//   penalty) only to the child: a grandchild tries those axes afresh unless
//   the child closed them itself (docs/planner.md says why).
// The seed is evaluated kSeedSamples times (kEvaluateSeed again) before the
// first proposal; the campaign's best joins every island when promoted.
// Provisional parents: with precise measurements (sigma <= threshold / 3),
// exploitation also considers members measured faster than the island's best
// by less than the threshold (no_gain: neither elite nor best); they start
// from their parent's closed pairs, their children are re-measured when
// faster than the nearest confirmed ancestor by the screen, and are
// confirmed against both (promotion.h). With noisy measurements a single
// measurement of such a member is not evidence enough to build on.
//
// Thread-safety: not thread-safe; call from one thread (the daemon's io_context).
// Ownership: copies the spec and catalogue; holds no references.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"
#include "ksearch/core/verdict.h"
#include "ksearch/planner/axis_catalogue.h"
#include "ksearch/planner/campaign_spec.h"
#include "ksearch/planner/promotion.h"
#include "ksearch/planner/repair.h"

namespace ksearch::planner {

inline constexpr int kExhaustAfter = 3;    // same failure on one pair -> exhausted
inline constexpr int kMaxTriesPerPair = 3;  // finished LLM tries per (candidate, axis)
inline constexpr int kMaxTunerTries = 8;    // finished tuner tries per (candidate, axis)
// Exploit until stall: the explore and frontier shares of the selection mix
// are scaled by min(1, attempts finished since the last new best /
// kStallAttempts), so the attempts right after a new best go to it (when the
// mix has an exploit share).
inline constexpr int kStallAttempts = 20;
// An LLM endpoint whose proposals ended proposal_failed{llm_error}
// kEndpointErrorsToRest times in a row rests: no proposal goes to it for
// kEndpointRestMs, doubling with each further error in a row (at most
// kEndpointMaxRestMs), while another endpoint or the tuner has work. Its
// first proposal after the rest tries it again. Before, a down endpoint kept
// half the proposals of a two-endpoint campaign (llm_error does not count
// against its statistics), and three in a row paused the whole campaign
// while the other endpoint was fine.
inline constexpr int kEndpointErrorsToRest = 2;
inline constexpr int64_t kEndpointRestMs = 30'000;
inline constexpr int64_t kEndpointMaxRestMs = 1'800'000;

enum class DecisionKind { kEvaluateSeed, kProposal, kRepair };
std::string_view DecisionKindName(DecisionKind k);

struct Decision {
  DecisionKind kind = DecisionKind::kProposal;
  std::string parent;              // candidate id; "" for kEvaluateSeed
  std::string parent_source_blob;  // blob of the parent's source (seed blob for the seed)
  std::string axis;                // "" for kEvaluateSeed
  std::string proposer;            // "tuner", an endpoint name, or "seed"
  int island = 0;
  std::string repair_of;           // failed attempt id, for kRepair
  std::string repair_source_blob;  // the failed attempt's source ("" for patch_failed)
  std::string repair_evidence_blob;
  std::string repair_failure;      // verdict wire form of the failed attempt
  std::string repair_detail;       // its detail line
  std::string mode;                // seed | exploit | explore | frontier | repair
  std::string parent_bottleneck;
  nlohmann::json ToJson() const;
};

enum class StopReason {
  kNone, kNotStarted, kCampaignStopped, kBudgetAttempts, kBudgetMoney, kBudgetWall,
  kPlateau, kExhausted, kWaiting,  // kWaiting: nothing to do until an in-flight attempt ends
};
std::string_view StopReasonName(StopReason r);

struct NextStep {
  std::optional<Decision> decision;
  StopReason reason = StopReason::kNone;  // set when !decision
  std::string detail;
};

class PlannerState;  // planner_state.h (private)

class Planner {
 public:
  // REQUIRES: spec.Validate().ok(); `catalogue` already restricted for the campaign.
  static Result<std::unique_ptr<Planner>> Create(const CampaignSpec& spec,
                                                 const AxisCatalogue& catalogue);
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  // Folds one event. Events of other campaigns are ignored. Unknown kinds and
  // fields are ignored; malformed payload fields read as their defaults.
  void Observe(const Event& e);

  // The next attempt, or why there is none. `now_unix_ms` is used only for the
  // wall-time budget (the running time up to it) and endpoint rests.
  NextStep Next(int64_t now_unix_ms) const;
  // Whether a proposal could go elsewhere than `endpoint` at `now_unix_ms`:
  // another LLM endpoint of the campaign is not resting, or the tuner has an
  // open pair. The daemon does not count an endpoint's error towards pausing
  // the campaign while this holds: the planner routes around the endpoint.
  bool HasProposerBesides(const std::string& endpoint, int64_t now_unix_ms) const;

  // Promotion policy against the parent's (confirmed) measurement.
  // REQUIRES: `parent` is a measured member (the seed has parent "").
  Result<MeasurementJudgement> JudgeMeasurement(const std::string& parent, double time_us,
                                                double spread) const;
  Result<RemeasureJudgement> JudgeRemeasurement(const std::string& candidate, double time_us,
                                                double spread) const;
  // A member's time once a reference sample of it (a judgement's
  // reference_sample_of, measured at `time_us`, `spread`) is observed: the
  // `estimate_us` of its remeasured{reference: true} event. NotFound for an
  // unknown candidate, FailedPrecondition for a confirmed, pending or
  // unmeasured one (the planner ignores such a sample).
  Result<double> ReferenceEstimate(const std::string& candidate, double time_us, double spread) const;

  // A duplicate verdict ("duplicate{source|machine_code|semantic}") when any
  // non-empty key was seen before in this campaign; nullopt when novel.
  std::optional<Verdict> CheckDuplicate(const std::string& source_hash,
                                        const std::string& machine_code_hash,
                                        const std::string& semantic_key) const;
  // Normalized-source hashes of every source produced so far (tuner's tried set).
  const std::set<std::string>& KnownSourceHashes() const;

  // Context for prompts: dead ends for (task, arch, axis) as one-line
  // summaries, most frequent first; the lineage's last `n` steps, oldest first;
  // a summary of a member's evidence fields from its attempt_finished. When
  // the walk reaches a seed that came from an earlier campaign (start_from),
  // its first line says which member it was and how fast, on which arch.
  std::vector<std::string> DeadEndLines(const std::string& axis, size_t max_lines) const;
  std::vector<std::string> LineageLines(const std::string& candidate, size_t n) const;
  std::string EvidenceSummary(const std::string& candidate) const;

  // Repair success per (axis, failure class) so far (issue #9).
  std::vector<RepairRate> RepairRates() const;

  // Current best confirmed candidate ("" before the seed is measured).
  std::string BestCandidate() const;
  double BestTimeUs() const;
  // Confirmed elites of one island, best first.
  std::vector<std::string> Elites(int island) const;

  // The limits in force: the spec's budgets and plateau window, as the
  // budget_extended events so far replaced them.
  const Budgets& budgets() const;
  int plateau_window() const;
  // The payload of a budget_extended event granting `add` at `now_unix_ms`
  // (the new absolute limits; BudgetExtension says how they grow).
  // InvalidArgument for an empty or negative request; FailedPrecondition
  // when a budget would still stop the campaign at once (say a campaign out
  // of attempts given only money), naming that limit.
  Result<nlohmann::json> Extension(const BudgetExtension& add, int64_t now_unix_ms) const;

  // Full state as JSON with deterministic key order (rebuild-equals-live test).
  nlohmann::json Snapshot() const;

  const CampaignSpec& spec() const { return spec_; }
  const AxisCatalogue& catalogue() const { return catalogue_; }

 private:
  Planner(const CampaignSpec& spec, const AxisCatalogue& catalogue);

  // Constant after construction.
  const CampaignSpec spec_;
  const AxisCatalogue catalogue_;
  std::unique_ptr<PlannerState> state_;
};

}  // namespace ksearch::planner
