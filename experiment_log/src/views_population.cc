// BuildPopulation: the measured, verified candidates of one campaign.
#include <map>

#include "ksearch/core/verdict.h"
#include "ksearch/experiment_log/views.h"
#include "outcome_class.h"
#include "views_internal.h"

namespace ksearch::experiment_log {

std::vector<PopulationMember> BuildPopulation(std::span<const Event> events,
                                              const std::string& campaign_id) {
  std::vector<PopulationMember> members;
  std::map<std::string, size_t> index;  // candidate -> members[i]
  auto find = [&](const std::string& c) -> PopulationMember* {
    auto it = index.find(c);
    return it == index.end() ? nullptr : &members[it->second];
  };
  auto add = [&](PopulationMember m) {
    index.emplace(m.candidate, members.size());
    members.push_back(std::move(m));
  };
  for (const Event& e : events) {
    if (e.campaign_id != campaign_id) continue;
    const auto& p = e.payload;
    if (e.kind == event_kind::kCampaignStarted) {
      std::string seed = Str(p, "seed_candidate");
      if (!seed.empty() && !find(seed)) {
        PopulationMember m;
        m.candidate = seed;
        m.source_blob = Str(p, "seed_source_blob");
        add(std::move(m));
      }
    } else if (e.kind == event_kind::kAttemptFinished) {
      std::string verdict = Str(p, "verdict");
      auto kind = ParseVerdictKind(VerdictKindPart(verdict));
      std::string candidate = Str(p, "candidate");
      if (!kind || !IsPassingVerdict(*kind) || candidate.empty()) continue;
      double t = Num(p, "time_us");
      PopulationMember* m = find(candidate);
      if (!m) {
        PopulationMember n;
        n.candidate = candidate;
        n.parent = Str(p, "parent");
        n.axis = Str(p, "axis");
        n.island = static_cast<int>(Int(p, "island"));
        add(std::move(n));
        m = &members.back();
        m->time_us = 0;
      }
      if (m->source_blob.empty()) m->source_blob = Str(p, "source_blob");
      // A candidate measured again keeps its best verified measurement, unless a
      // re-measurement already confirmed one.
      if (t > 0 && !m->remeasured && (m->time_us == 0 || t < m->time_us)) {
        m->time_us = t;
        m->spread = Num(p, "spread");
        m->attempt_id = e.attempt_id;
      }
    } else if (e.kind == event_kind::kRemeasured && !Bool(p, "reference")) {
      // (A reference sample, of an unconfirmed parent, confirms nothing.)
      if (PopulationMember* m = find(Str(p, "candidate"))) {
        m->remeasured = Bool(p, "agrees");
        if (m->remeasured) {
          m->time_us = Num(p, "time_us");
          m->spread = Num(p, "spread");
        }
      }
    } else if (e.kind == event_kind::kBestPromoted) {
      std::string best = Str(p, "candidate");
      for (auto& m : members) m.best = m.candidate == best;
    } else if (e.kind == event_kind::kMigration) {
      if (PopulationMember* m = find(Str(p, "candidate"))) m->island = static_cast<int>(Int(p, "to_island"));
    }
  }
  return members;
}

}  // namespace ksearch::experiment_log
