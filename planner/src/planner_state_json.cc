// PlannerState::ToJson: the whole folded state, for the rebuild-equals-live
// test and for debugging (`ksearch` may print it). Maps iterate in key order,
// so equal states serialize identically.
#include "planner_state.h"

namespace ksearch::planner {

namespace {
const char* OutcomeName(PairOutcome o) {
  switch (o) {
    case PairOutcome::kUntried: return "untried";
    case PairOutcome::kImproved: return "improved";
    case PairOutcome::kNoGain: return "no_gain";
    case PairOutcome::kFailed: return "failed";
    case PairOutcome::kExhausted: return "exhausted";
  }
  return "?";
}
nlohmann::json StatsJson(const CountStats& s) {
  return {{"trials", s.trials}, {"successes", s.successes}, {"passes", s.passes},
          {"gain_sum", s.gain_sum}, {"cost_usd", s.cost_usd}, {"calls", s.calls}};
}
}  // namespace

nlohmann::json PlannerState::ToJson() const {
  nlohmann::json j;
  j["events_seen"] = events_seen;
  j["started"] = started;
  j["campaign_state"] = campaign_state;
  j["task"] = task;
  j["arch"] = arch;
  j["backend"] = backend;
  j["seed_candidate"] = seed_candidate;
  j["seed_attempt"] = seed_attempt;
  j["seed_failure"] = seed_failure;
  j["seed_origin"] = seed_origin;
  j["last_event_ms"] = last_event_ms;
  j["running_time"] = running_time.ToJson();
  j["attempts_started"] = attempts_started;
  j["attempts_interrupted"] = attempts_interrupted;
  j["attempts_infra_error"] = attempts_infra_error;
  j["attempts_llm_error"] = attempts_llm_error;
  j["attempts_finished"] = attempts_finished;
  j["money_spent"] = money_spent;
  j["best_candidate"] = best_candidate;
  j["best_time_us"] = best_time_us;
  j["finished_at_last_best"] = finished_at_last_best;
  j["budgets"] = budgets.ToJson();
  j["plateau_window"] = plateau_window;
  j["plateau_from"] = plateau_from;
  j["money_refused"] = money_refused;
  j["migrations"] = migrations;
  j["noise"] = {{"spread", noise.spread}, {"lower_bound", noise.lower_bound}, {"dof", noise.dof}};
  nlohmann::json mem = nlohmann::json::object();
  for (const auto& [id, m] : members)
    mem[id] = {{"parent", m.parent}, {"axis", m.axis}, {"attempt", m.attempt_id},
               {"source_blob", m.source_blob}, {"source_hash", m.source_hash},
               {"verdict", m.verdict}, {"bottleneck", m.bottleneck}, {"islands", m.islands},
               {"time_us", m.time_us}, {"first_time_us", m.first_time_us}, {"spread", m.spread},
               {"first_spread", m.first_spread},
               {"measured", m.measured}, {"confirmed", m.confirmed},
               {"pending_remeasure", m.pending_remeasure}, {"failed_remeasure", m.failed_remeasure},
               {"remeasures", m.remeasures},
               {"remeasure_sum", m.remeasure_sum}, {"remeasure_spread_sq", m.remeasure_spread_sq},
               {"samples", m.samples}, {"depth", m.depth},
               {"tuner_untried", m.tuner_untried}};
  j["members"] = mem;
  nlohmann::json fr = nlohmann::json::array();
  for (const auto& [key, p] : pairs)
    fr.push_back({{"candidate", key.first}, {"axis", key.second}, {"outcome", OutcomeName(p.outcome)},
                  {"in_flight", p.in_flight}, {"finished", p.finished}, {"failures", p.failures},
                  {"inherited_penalty", p.inherited_penalty}, {"no_gains", p.no_gains},
                  {"failure_counts", p.failure_counts},
                  {"last_failure", p.last_failure}});
  j["frontier"] = fr;
  nlohmann::json at = nlohmann::json::object();
  for (const auto& [id, a] : attempts)
    at[id] = {{"parent", a.parent}, {"axis", a.axis}, {"proposer", a.proposer},
              {"repair_of", a.repair_of}, {"verdict", a.verdict}, {"candidate", a.candidate},
              {"island", a.island}, {"repair_depth", a.repair_depth}, {"finished", a.finished}};
  j["attempts"] = at;
  j["failed_attempts"] = failed_attempts;
  j["repaired"] = repaired;
  j["source_hashes"] = source_hashes;
  j["machine_code_hashes"] = machine_code_hashes;
  j["semantic_keys"] = semantic_keys;
  nlohmann::json ax = nlohmann::json::object(), pr = nlohmann::json::object();
  for (const auto& [k, s] : axis_stats) ax[k] = StatsJson(s);
  for (const auto& [k, s] : proposer_stats) pr[k] = StatsJson(s);
  j["axis_stats"] = ax;
  j["proposer_stats"] = pr;
  nlohmann::json eh = nlohmann::json::object();
  for (const auto& [k, h] : endpoint_health)
    eh[k] = {{"errors_in_row", h.errors_in_row}, {"last_error_ms", h.last_error_ms}};
  j["endpoint_health"] = eh;
  nlohmann::json rs = nlohmann::json::array(), de = nlohmann::json::array();
  for (const auto& [k, s] : repair_stats)
    rs.push_back({{"axis", k.first}, {"class", k.second}, {"stats", StatsJson(s)}});
  for (const auto& [k, d] : dead_ends)
    de.push_back({{"axis", k.first}, {"class", k.second}, {"count", d.count},
                  {"example_attempt", d.example_attempt}, {"example_detail", d.example_detail}});
  j["repair_stats"] = rs;
  j["dead_ends"] = de;
  return j;
}

}  // namespace ksearch::planner
