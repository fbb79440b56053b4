#include "service/log_fold.h"

#include <algorithm>

#include "ksearch/experiment_log/views.h"

namespace ksearch::daemon {

namespace {
const std::vector<std::string> kNoAttempts;
}

void LogFold::Observe(const Event& e) {
  const auto& p = e.payload;
  if (e.kind == event_kind::kCampaignStarted) {
    CampaignFacts c;
    c.id = e.campaign_id;
    c.started = p;
    c.started_ms = e.time_ms;
    c.last_event_ms = e.time_ms;
    c.running_time.Observe(e);
    if (auto cfg = p.find("config"); cfg != p.end() && cfg->is_object()) {
      c.budgets = cfg->value("budgets", nlohmann::json::object());
      if (auto pl = cfg->find("plateau"); pl != cfg->end() && pl->is_object()) c.plateau_window = pl->value("window", 0);
    }
    campaigns_[e.campaign_id] = std::move(c);
    return;
  }
  auto cit = campaigns_.find(e.campaign_id);
  if (cit == campaigns_.end()) return;  // events of an unknown campaign are ignored
  CampaignFacts& c = cit->second;
  c.last_event_ms = std::max(c.last_event_ms, e.time_ms);
  c.running_time.Observe(e);
  if (e.kind == event_kind::kCampaignState) {
    c.state = p.value("state", c.state);
    c.state_reason = p.value("reason", std::string());
    c.state_since_ms = e.time_ms;
  } else if (e.kind == event_kind::kBudgetExtended) {
    if (auto b = p.find("budgets"); b != p.end() && b->is_object()) c.budgets = *b;
    if (auto w = p.find("plateau_window"); w != p.end() && w->is_number_integer()) c.plateau_window = w->get<int64_t>();
    c.last_extension = p.value("added", nlohmann::json::object());
  } else if (e.kind == kBaselineMeasured) {
    c.baseline = p;
  } else if (e.kind == event_kind::kAttemptStarted) {
    AttemptFacts a;
    a.campaign_id = e.campaign_id;
    a.started = p;
    a.started_ms = e.time_ms;
    attempts_[e.attempt_id] = std::move(a);
    order_[e.campaign_id].push_back(e.attempt_id);
    c.attempts_started++;
    std::string retry_of = p.value("retry_of", std::string());
    if (!retry_of.empty()) retried_by_[retry_of] = e.attempt_id;
  } else if (e.kind == event_kind::kLlmCall) {
    c.cost_usd += p.value("cost_usd", 0.0);
  } else if (e.kind == event_kind::kAttemptFinished) {
    auto ait = attempts_.find(e.attempt_id);
    if (ait == attempts_.end() || !ait->second.finished.is_null()) return;
    ait->second.finished = p;
    c.attempts_finished++;
    const std::string wire = p.value("verdict", std::string());
    const std::string verdict = wire.empty() ? "infra_error" : wire;
    c.verdicts[verdict.substr(0, verdict.find('{'))]++;
    // The log's dead_end_counts reads a missing verdict as "", no dead end.
    if (experiment_log::IsDeadEndVerdict(wire)) {
      DeadEndTally& t = dead_ends_[{c.started.value("task", std::string()), c.started.value("arch", std::string()),
                                    p.value("axis", std::string())}][verdict][e.campaign_id];
      if (t.count++ == 0) {
        t.example_attempt = e.attempt_id;
        t.example_excerpt = experiment_log::Excerpt(p.value("detail", std::string()));
      }
    }
    std::string cand = p.value("candidate", std::string());
    double t = p.value("time_us", 0.0);
    if (!cand.empty() && t > 0) {
      CandidateFacts f;
      f.attempt_id = e.attempt_id;
      f.time_us = t;
      f.spread = p.value("spread", 0.0);
      for (const auto& s : p.value("shapes", nlohmann::json::array()))
        f.shape_median_us.push_back(s.value("median_us", 0.0));
      f.source_blob = p.value("source_blob", std::string());
      f.evidence_blob = p.value("evidence_blob", std::string());
      auto& slot = candidates_[e.campaign_id][cand];
      const bool seed = ait->second.started.value("proposer", std::string()) == "seed";
      // A further sample of the seed keeps the estimate best_promoted gave it.
      if (seed && slot.time_us > 0) f.time_us = slot.time_us;
      slot = std::move(f);
      if (seed) {
        c.seed_candidate = cand;
        c.seed_time_us = slot.time_us;
      }
      if (verdict.rfind("improved", 0) == 0)
        pending_remeasure_[e.campaign_id][cand] = {cand, e.attempt_id, p.value("source_blob", std::string())};
    }
  } else if (e.kind == event_kind::kRemeasured && p.value("reference", false)) {
    // A sample of an unconfirmed parent taken for its child's test: the
    // member's time follows the planner's estimate; no attempt's outcome
    // changes.
    auto& cands = candidates_[e.campaign_id];
    auto f = cands.find(p.value("candidate", std::string()));
    if (const double t = p.value("estimate_us", 0.0); f != cands.end() && t > 0) {
      f->second.time_us = t;
      f->second.spread = p.value("spread", f->second.spread);
    }
  } else if (e.kind == event_kind::kRemeasured) {
    std::string cand = p.value("candidate", std::string());
    auto& cands = candidates_[e.campaign_id];
    auto f = cands.find(cand);
    const bool final = p.value("final", true);
    // The final event's estimate_us: the planner's estimate from every
    // re-measurement. Logs written before it: the agreeing (final) sample.
    const double t = p.value("estimate_us", p.value("agrees", false) ? p.value("time_us", 0.0) : 0.0);
    if (f != cands.end() && final && t > 0) {
      f->second.time_us = t;
      f->second.spread = p.value("spread", f->second.spread);
    }
    if (final) {
      pending_remeasure_[e.campaign_id].erase(cand);
      auto a = attempts_.find(p.value("attempt", e.attempt_id));
      if (a != attempts_.end()) a->second.remeasured = p;
    }
  } else if (e.kind == event_kind::kBestPromoted) {
    c.best_candidate = p.value("candidate", std::string());
    c.best_time_us = p.value("time_us", 0.0);
    auto& cands = candidates_[e.campaign_id];
    if (auto f = cands.find(c.best_candidate); f != cands.end() && c.best_time_us > 0) {
      f->second.time_us = c.best_time_us;
      if (c.best_candidate == c.seed_candidate) c.seed_time_us = c.best_time_us;
    }
  }
}

std::vector<std::string> LogFold::OtherCampaignsDeadEnds(const std::string& campaign_id, const std::string& axis,
                                                         size_t max_lines) const {
  const CampaignFacts* c = campaign(campaign_id);
  if (!c || max_lines == 0) return {};
  auto key = dead_ends_.find({c->started.value("task", std::string()), c->started.value("arch", std::string()), axis});
  if (key == dead_ends_.end()) return {};
  struct Row {
    int count = 0, campaigns = 0;
    std::string line_tail;  // " (e.g. ...)": the first other campaign's example, by id
  };
  std::vector<std::pair<std::string, Row>> rows;  // verdict -> row
  for (const auto& [verdict, by_campaign] : key->second) {
    Row r;
    for (const auto& [other, t] : by_campaign) {
      if (other == campaign_id) continue;
      if (r.campaigns++ == 0) r.line_tail = " (e.g. " + t.example_attempt + ": " + t.example_excerpt + ")";
      r.count += t.count;
    }
    if (r.count > 0) rows.push_back({verdict, std::move(r)});
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size() && i < max_lines; ++i) {
    const Row& r = rows[i].second;
    out.push_back(rows[i].first + " x" + std::to_string(r.count) + " in " + std::to_string(r.campaigns) +
                  (r.campaigns == 1 ? " other campaign" : " other campaigns") + r.line_tail);
  }
  return out;
}

const CampaignFacts* LogFold::campaign(const std::string& id) const {
  auto it = campaigns_.find(id);
  return it == campaigns_.end() ? nullptr : &it->second;
}

const AttemptFacts* LogFold::attempt(const std::string& id) const {
  auto it = attempts_.find(id);
  return it == attempts_.end() ? nullptr : &it->second;
}

const CandidateFacts* LogFold::candidate(const std::string& campaign_id, const std::string& id) const {
  auto c = candidates_.find(campaign_id);
  if (c == candidates_.end()) return nullptr;
  auto it = c->second.find(id);
  return it == c->second.end() ? nullptr : &it->second;
}

const std::vector<std::string>& LogFold::attempt_order(const std::string& campaign_id) const {
  auto it = order_.find(campaign_id);
  return it == order_.end() ? kNoAttempts : it->second;
}

std::vector<std::string> LogFold::PendingRetries(const std::string& campaign_id) const {
  std::vector<std::string> out;
  for (const auto& id : attempt_order(campaign_id)) {
    const AttemptFacts& a = attempts_.at(id);
    if (a.finished.is_null()) continue;
    std::string v = a.finished.value("verdict", std::string());
    if (v.rfind("interrupted", 0) == 0 && !retried_by_.count(id)) out.push_back(id);
  }
  return out;
}

std::vector<LogFold::PendingRemeasure> LogFold::PendingRemeasures(const std::string& campaign_id) const {
  std::vector<PendingRemeasure> out;
  auto it = pending_remeasure_.find(campaign_id);
  if (it == pending_remeasure_.end()) return out;
  for (const auto& [cand, p] : it->second) out.push_back(p);
  return out;
}

}  // namespace ksearch::daemon
