// Helpers shared by the view builders (private). Payload readers never throw:
// a missing or mistyped field reads as empty / zero (readers ignore what they
// do not understand, event.h).
#pragma once

#include <map>
#include <span>
#include <string>

#include "ksearch/core/event.h"

namespace ksearch::experiment_log {

inline std::string Str(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}
inline double Num(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_number() ? it->get<double>() : 0.0;
}
inline int64_t Int(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_number() ? it->get<int64_t>() : 0;
}
inline bool Bool(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_boolean() && it->get<bool>();
}

struct CampaignInfo {
  std::string task, arch, backend, seed_candidate, seed_source_blob;
  nlohmann::json config = nlohmann::json::object();
};

// campaign_id -> what its campaign_started event says (first one wins).
inline std::map<std::string, CampaignInfo> CollectCampaigns(std::span<const Event> events) {
  std::map<std::string, CampaignInfo> out;
  for (const Event& e : events) {
    if (e.kind != event_kind::kCampaignStarted || out.count(e.campaign_id)) continue;
    CampaignInfo& c = out[e.campaign_id];
    c.task = Str(e.payload, "task");
    c.arch = Str(e.payload, "arch");
    c.backend = Str(e.payload, "backend");
    c.seed_candidate = Str(e.payload, "seed_candidate");
    c.seed_source_blob = Str(e.payload, "seed_source_blob");
    if (auto it = e.payload.find("config"); it != e.payload.end() && it->is_object()) c.config = *it;
  }
  return out;
}

}  // namespace ksearch::experiment_log
