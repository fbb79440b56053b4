// BuildFrontier: the state of every (candidate, axis) pair of one campaign.
//
// Per pair, over the attempts whose parent is the candidate and whose axis is the axis:
//   improved  if any attempt ended improved or new_best (sticky: the axis helped here);
//   exhausted else if failures of one verdict kind reached kExhaustAfter;
//   in_flight else if an attempt has started and not finished;
//   otherwise the last finished outcome: no_gain (slower, no_gain, duplicate) or
//   failed(kind); untried when nothing finished. interrupted and infra_error
//   outcomes say nothing about the idea and leave the state unchanged.
#include <algorithm>
#include <map>

#include "ksearch/core/verdict.h"
#include "ksearch/experiment_log/views.h"
#include "outcome_class.h"
#include "views_internal.h"

namespace ksearch::experiment_log {
namespace {

struct PairState {
  int attempts = 0;
  int failures = 0;
  int in_flight = 0;
  bool improved = false;
  FrontierState last = FrontierState::kUntried;
  std::string last_failure;
  std::map<std::string, int> failures_by_kind;
};

std::vector<std::string> ConfiguredAxes(const nlohmann::json& config) {
  std::vector<std::string> axes;
  auto it = config.find("axes");
  if (it == config.end() || !it->is_array()) return axes;
  for (const auto& a : *it) {
    if (a.is_string()) axes.push_back(a.get<std::string>());
    else if (a.is_object() && a.contains("name") && a["name"].is_string()) axes.push_back(a["name"].get<std::string>());
  }
  return axes;
}

void Finish(PairState& s, const std::string& verdict) {
  auto kind = ParseVerdictKind(VerdictKindPart(verdict));
  if (!kind) return;
  if (*kind == VerdictKind::kImproved || *kind == VerdictKind::kNewBest) {
    s.improved = true;
    s.last = FrontierState::kImproved;
  } else if (*kind == VerdictKind::kSlower || *kind == VerdictKind::kNoGain ||
             *kind == VerdictKind::kDuplicate) {
    s.last = FrontierState::kNoGain;
  } else if (IsFailureVerdict(*kind)) {
    ++s.failures;
    ++s.failures_by_kind[std::string(VerdictKindPart(verdict))];
    s.last = FrontierState::kFailed;
    s.last_failure = verdict;
  }
}

FrontierState Resolve(const PairState& s) {
  if (s.improved) return FrontierState::kImproved;
  for (const auto& [kind, n] : s.failures_by_kind)
    if (n >= kExhaustAfter) return FrontierState::kExhausted;
  if (s.in_flight > 0) return FrontierState::kInFlight;
  return s.last;
}

}  // namespace

std::string_view FrontierStateName(FrontierState s) {
  switch (s) {
    case FrontierState::kUntried: return "untried";
    case FrontierState::kInFlight: return "in_flight";
    case FrontierState::kImproved: return "improved";
    case FrontierState::kNoGain: return "no_gain";
    case FrontierState::kFailed: return "failed";
    case FrontierState::kExhausted: return "exhausted";
  }
  return "untried";
}

std::vector<FrontierEntry> BuildFrontier(std::span<const Event> events, const std::string& campaign_id) {
  std::vector<std::string> axes;
  auto campaigns = CollectCampaigns(events);
  if (auto c = campaigns.find(campaign_id); c != campaigns.end()) axes = ConfiguredAxes(c->second.config);
  std::vector<std::string> candidates;
  for (const auto& m : BuildPopulation(events, campaign_id)) candidates.push_back(m.candidate);

  using Pair = std::pair<std::string, std::string>;
  std::map<Pair, PairState> pairs;
  std::map<std::string, Pair> attempt_pair;  // attempt id -> its (parent, axis)
  auto note = [](std::vector<std::string>& list, const std::string& v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
  };
  for (const Event& e : events) {
    if (e.campaign_id != campaign_id || e.attempt_id.empty()) continue;
    const auto& p = e.payload;
    if (e.kind == event_kind::kAttemptStarted) {
      Pair key{Str(p, "parent"), Str(p, "axis")};
      if (key.first.empty() || key.second.empty() || attempt_pair.count(e.attempt_id)) continue;
      attempt_pair[e.attempt_id] = key;
      PairState& s = pairs[key];
      ++s.attempts;
      ++s.in_flight;
    } else if (e.kind == event_kind::kAttemptFinished) {
      auto it = attempt_pair.find(e.attempt_id);
      Pair key;
      if (it != attempt_pair.end()) {
        key = it->second;
        --pairs[key].in_flight;
        attempt_pair.erase(it);
      } else {  // no attempt_started seen: count it from the terminal event alone
        key = {Str(p, "parent"), Str(p, "axis")};
        if (key.first.empty() || key.second.empty()) continue;
        ++pairs[key].attempts;
      }
      Finish(pairs[key], Str(p, "verdict"));
    }
  }
  // Axes and parents seen in attempts but not configured / not in the population.
  for (const auto& [key, s] : pairs) note(axes, key.second);
  for (const auto& [key, s] : pairs) note(candidates, key.first);

  std::vector<FrontierEntry> out;
  for (const auto& c : candidates) {
    for (const auto& a : axes) {
      FrontierEntry f;
      f.candidate = c;
      f.axis = a;
      if (auto it = pairs.find({c, a}); it != pairs.end()) {
        const PairState& s = it->second;
        f.state = Resolve(s);
        f.attempts = s.attempts;
        f.failures = s.failures;
        if (f.state == FrontierState::kFailed || f.state == FrontierState::kExhausted)
          f.failure_kind = s.last_failure;
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace ksearch::experiment_log
