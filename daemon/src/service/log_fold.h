// LogFold: the daemon's own view of the log — campaigns, attempts, measured
// candidates — as a pure fold over events (DESIGN.md principle 3). The planner
// keeps its own, richer fold; this one holds what the pipeline and the API need.
// Threading: io thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/event.h"
#include "ksearch/core/running_time.h"

namespace ksearch::daemon {

struct CampaignFacts {
  std::string id;
  nlohmann::json started;         // campaign_started payload
  std::string state = "running";  // running | paused | stopped | finished
  std::string state_reason;
  int64_t started_ms = 0;
  int64_t state_since_ms = 0;  // the last campaign_state event's time (0: none yet)
  int64_t last_event_ms = 0;   // the campaign's latest event time, any kind
  // Time spent running, as the planner counts it for the wall-time budget.
  RunningTime running_time;
  int64_t attempts_started = 0;
  int64_t attempts_finished = 0;
  std::map<std::string, int64_t> verdicts;  // verdict kind -> count
  double cost_usd = 0;
  nlohmann::json baseline;        // baseline_measured payload (null until measured)
  std::string best_candidate;
  double best_time_us = 0;
  // The seed's time: the estimate its best_promoted events carry (the robust
  // mean of its samples, as the planner computes it), the first sample until then.
  double seed_time_us = 0;
  std::string seed_candidate;
  // The limits in force: the spec's budgets ({wall_seconds, attempts,
  // money_usd}, 0 = unlimited) and plateau window, as the last
  // budget_extended event set them (its `added` is the last request).
  nlohmann::json budgets = nlohmann::json::object();
  int64_t plateau_window = 0;
  nlohmann::json last_extension;  // null until the first extension
  bool terminal() const { return state == "stopped" || state == "finished"; }
};

struct AttemptFacts {
  std::string campaign_id;
  nlohmann::json started;   // attempt_started payload
  nlohmann::json finished;  // attempt_finished payload; null while in flight
  // The final `remeasured` payload of the candidate this attempt measured
  // (an `improved` one is measured again before it counts); null until then.
  nlohmann::json remeasured;
  int64_t started_ms = 0;
  bool in_flight() const { return finished.is_null(); }
};

struct CandidateFacts {
  std::string attempt_id;
  // The first (selected) measurement until the candidate's re-measurements
  // end: then their robust mean (`estimate_us` of the final remeasured event),
  // and for a best the time its best_promoted event carries. It is the parent
  // time every child is compared with, so it is the planner's estimate too.
  double time_us = 0;
  double spread = 0;
  std::vector<double> shape_median_us;
  std::string source_blob;
  std::string evidence_blob;
};

class LogFold {
 public:
  void Observe(const Event& e);

  const std::map<std::string, CampaignFacts>& campaigns() const { return campaigns_; }
  const CampaignFacts* campaign(const std::string& id) const;
  const std::map<std::string, AttemptFacts>& attempts() const { return attempts_; }
  const AttemptFacts* attempt(const std::string& id) const;
  const CandidateFacts* candidate(const std::string& campaign_id, const std::string& id) const;
  // Attempt ids of a campaign in start order.
  const std::vector<std::string>& attempt_order(const std::string& campaign_id) const;
  // Interrupted attempts of a campaign that no later attempt retries, in order.
  std::vector<std::string> PendingRetries(const std::string& campaign_id) const;
  // Tentative improvements (verdict `improved`) with no final `remeasured` yet.
  struct PendingRemeasure {
    std::string candidate, attempt_id, source_blob;
  };
  std::vector<PendingRemeasure> PendingRemeasures(const std::string& campaign_id) const;
  // Dead ends that campaigns other than `campaign_id`, on its task and arch,
  // met along `axis`, as prompt lines, most frequent first: "VERDICT xN in K
  // other campaign(s) (e.g. ATTEMPT: EXCERPT)". The same attempts and rule as
  // the log's dead_end_counts (`ksearch deadends --task --arch --axis`).
  std::vector<std::string> OtherCampaignsDeadEnds(const std::string& campaign_id, const std::string& axis,
                                                  size_t max_lines) const;

 private:
  std::map<std::string, CampaignFacts> campaigns_;
  std::map<std::string, AttemptFacts> attempts_;
  std::map<std::string, std::map<std::string, CandidateFacts>> candidates_;
  std::map<std::string, std::vector<std::string>> order_;
  std::map<std::string, std::string> retried_by_;  // interrupted attempt -> retry attempt
  std::map<std::string, std::map<std::string, PendingRemeasure>> pending_remeasure_;
  // (task, arch, axis) -> verdict -> campaign -> its dead ends of that kind.
  struct DeadEndTally {
    int count = 0;
    std::string example_attempt, example_excerpt;  // the campaign's first
  };
  using DeadEndKey = std::tuple<std::string, std::string, std::string>;
  std::map<DeadEndKey, std::map<std::string, std::map<std::string, DeadEndTally>>> dead_ends_;
};

// Event kind for the campaign's baseline measurement (campaign-level):
// {time_us, spread, shape_median_us, verdict, detail}
inline constexpr std::string_view kBaselineMeasured = "baseline_measured";

}  // namespace ksearch::daemon
