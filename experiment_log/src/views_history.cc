// BuildHistory: one row per attempt, in the order attempts started.
#include <map>

#include "ksearch/experiment_log/views.h"
#include "views_internal.h"

namespace ksearch::experiment_log {

std::vector<HistoryRow> BuildHistory(std::span<const Event> events) {
  auto campaigns = CollectCampaigns(events);
  std::vector<HistoryRow> rows;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (campaign, attempt) -> row
  std::map<size_t, double> llm_cost;
  auto row_for = [&](const Event& e) -> HistoryRow& {
    auto key = std::make_pair(e.campaign_id, e.attempt_id);
    auto it = index.find(key);
    if (it != index.end()) return rows[it->second];
    HistoryRow r;
    r.campaign_id = e.campaign_id;
    r.attempt_id = e.attempt_id;
    if (auto c = campaigns.find(e.campaign_id); c != campaigns.end()) {
      r.task = c->second.task;
      r.arch = c->second.arch;
      r.backend = c->second.backend;
    }
    r.started_ms = e.time_ms;
    index.emplace(key, rows.size());
    rows.push_back(std::move(r));
    return rows.back();
  };
  for (const Event& e : events) {
    if (e.attempt_id.empty()) continue;
    const auto& p = e.payload;
    if (e.kind == event_kind::kAttemptStarted) {
      HistoryRow& r = row_for(e);
      r.started_ms = e.time_ms;
      r.parent = Str(p, "parent");
      r.axis = Str(p, "axis");
      r.proposer = Str(p, "proposer");
      r.repair_of = Str(p, "repair_of");
    } else if (e.kind == event_kind::kLlmCall) {
      row_for(e);
      llm_cost[index[{e.campaign_id, e.attempt_id}]] += Num(p, "cost_usd");
    } else if (e.kind == event_kind::kAttemptFinished) {
      HistoryRow& r = row_for(e);
      r.verdict = Str(p, "verdict");
      r.detail = Str(p, "detail");
      r.candidate = Str(p, "candidate");
      // The terminal event repeats the lineage; it wins when present.
      if (auto v = Str(p, "parent"); !v.empty()) r.parent = v;
      if (auto v = Str(p, "axis"); !v.empty()) r.axis = v;
      if (auto v = Str(p, "proposer"); !v.empty()) r.proposer = v;
      if (auto v = Str(p, "repair_of"); !v.empty()) r.repair_of = v;
      r.time_us = Num(p, "time_us");
      r.speedup_vs_parent = Num(p, "speedup_vs_parent");
      r.speedup_vs_seed = Num(p, "speedup_vs_seed");
      r.cost_usd = Num(p, "cost_usd");
      r.finished_ms = e.time_ms;
    }
  }
  // Attempts whose terminal event carries no cost are charged their LLM calls.
  for (auto& [i, cost] : llm_cost)
    if (rows[i].cost_usd == 0) rows[i].cost_usd = cost;
  return rows;
}

}  // namespace ksearch::experiment_log
