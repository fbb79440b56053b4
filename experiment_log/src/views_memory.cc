// BuildMemory and FilterDeadEnds: facts (what helped) and dead ends (what failed).
// Groups are keyed by (task, arch, axis[, failure class]); task and arch come from
// the campaign_started event of each attempt's campaign ("" when absent); the axis
// is the attempt_finished payload's. Output order: count descending, then keys.
#include <algorithm>
#include <map>
#include <tuple>

#include "ksearch/experiment_log/views.h"
#include "outcome_class.h"
#include "views_internal.h"

namespace ksearch::experiment_log {

Memory BuildMemory(std::span<const Event> events) {
  auto campaigns = CollectCampaigns(events);
  using FactKey = std::tuple<std::string, std::string, std::string>;
  using DeadKey = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<FactKey, Fact> facts;
  std::map<FactKey, double> speedup_sum;
  std::map<DeadKey, DeadEnd> dead;
  for (const Event& e : events) {
    if (e.kind != event_kind::kAttemptFinished) continue;
    const auto& p = e.payload;
    std::string verdict = Str(p, "verdict");
    bool improvement = IsImprovementVerdict(verdict);
    if (!improvement && !IsDeadEndVerdict(verdict)) continue;
    std::string task, arch;
    if (auto c = campaigns.find(e.campaign_id); c != campaigns.end()) {
      task = c->second.task;
      arch = c->second.arch;
    }
    std::string axis = Str(p, "axis");
    if (improvement) {
      FactKey key{task, arch, axis};
      Fact& f = facts[key];
      std::tie(f.task, f.arch, f.axis) = key;
      double s = Num(p, "speedup_vs_parent");
      ++f.count;
      speedup_sum[key] += s;
      if (f.count == 1 || s > f.best_speedup) {
        f.best_speedup = s;
        f.example_attempt = e.attempt_id;
        f.example_summary = Str(p, "change_summary");
        if (f.example_summary.empty()) f.example_summary = Excerpt(Str(p, "detail"));
      }
    } else {
      DeadKey key{task, arch, axis, verdict};
      DeadEnd& d = dead[key];
      if (d.count == 0) {
        std::tie(d.task, d.arch, d.axis, d.failure_class) = key;
        d.first_seen_ms = e.time_ms;
        d.example_attempt = e.attempt_id;
        d.example_excerpt = Excerpt(Str(p, "detail"));
      }
      ++d.count;
      d.first_seen_ms = std::min(d.first_seen_ms, e.time_ms);
      d.last_seen_ms = std::max(d.last_seen_ms, e.time_ms);
    }
  }
  Memory m;
  for (auto& [key, f] : facts) {
    f.mean_speedup = speedup_sum[key] / f.count;
    m.facts.push_back(std::move(f));
  }
  for (auto& [key, d] : dead) m.dead_ends.push_back(std::move(d));
  std::stable_sort(m.facts.begin(), m.facts.end(),
                   [](const Fact& a, const Fact& b) { return a.count > b.count; });
  std::stable_sort(m.dead_ends.begin(), m.dead_ends.end(),
                   [](const DeadEnd& a, const DeadEnd& b) { return a.count > b.count; });
  return m;
}

std::vector<DeadEnd> FilterDeadEnds(const std::vector<DeadEnd>& all, const DeadEndFilter& f) {
  std::vector<DeadEnd> out;
  for (const DeadEnd& d : all) {
    if (!f.task.empty() && d.task != f.task) continue;
    if (!f.arch.empty() && d.arch != f.arch) continue;
    if (!f.axis.empty() && d.axis != f.axis) continue;
    if (!ClassMatches(f.failure_class, d.failure_class)) continue;
    if (d.last_seen_ms < f.since_ms) continue;
    out.push_back(d);
  }
  return out;
}

}  // namespace ksearch::experiment_log
