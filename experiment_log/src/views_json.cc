// JSON forms of the views (exports and --json output). Field names match the structs.
#include "ksearch/experiment_log/views.h"

namespace ksearch::experiment_log {

nlohmann::json ToJson(const HistoryRow& r) {
  return {{"campaign_id", r.campaign_id}, {"attempt_id", r.attempt_id}, {"task", r.task},
          {"arch", r.arch}, {"backend", r.backend}, {"parent", r.parent},
          {"candidate", r.candidate}, {"axis", r.axis}, {"proposer", r.proposer},
          {"repair_of", r.repair_of}, {"verdict", r.verdict}, {"detail", r.detail},
          {"time_us", r.time_us}, {"speedup_vs_parent", r.speedup_vs_parent},
          {"speedup_vs_seed", r.speedup_vs_seed}, {"cost_usd", r.cost_usd},
          {"started_ms", r.started_ms}, {"finished_ms", r.finished_ms}};
}

nlohmann::json ToJson(const FrontierEntry& f) {
  return {{"candidate", f.candidate}, {"axis", f.axis},
          {"state", std::string(FrontierStateName(f.state))}, {"failure_kind", f.failure_kind},
          {"attempts", f.attempts}, {"failures", f.failures}};
}

nlohmann::json ToJson(const DeadEnd& d) {
  return {{"task", d.task}, {"arch", d.arch}, {"axis", d.axis},
          {"failure_class", d.failure_class}, {"count", d.count},
          {"first_seen_ms", d.first_seen_ms}, {"last_seen_ms", d.last_seen_ms},
          {"example_attempt", d.example_attempt}, {"example_excerpt", d.example_excerpt}};
}

nlohmann::json ToJson(const Memory& m) {
  nlohmann::json facts = nlohmann::json::array();
  for (const Fact& f : m.facts)
    facts.push_back({{"task", f.task}, {"arch", f.arch}, {"axis", f.axis}, {"count", f.count},
                     {"best_speedup", f.best_speedup}, {"mean_speedup", f.mean_speedup},
                     {"example_attempt", f.example_attempt},
                     {"example_summary", f.example_summary}});
  nlohmann::json dead = nlohmann::json::array();
  for (const DeadEnd& d : m.dead_ends) dead.push_back(ToJson(d));
  return {{"facts", facts}, {"dead_ends", dead}};
}

}  // namespace ksearch::experiment_log
