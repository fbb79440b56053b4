#include "ksearch/core/event.h"

namespace ksearch {

void to_json(nlohmann::json& j, const Event& e) {
  j = nlohmann::json{{"seq", e.seq},           {"time_ms", e.time_ms},
                     {"campaign_id", e.campaign_id}, {"attempt_id", e.attempt_id},
                     {"kind", e.kind},         {"payload", e.payload},
                     {"prev_hash", e.prev_hash}, {"hash", e.hash}};
}

void from_json(const nlohmann::json& j, Event& e) {
  e.seq = j.value("seq", int64_t{0});
  e.time_ms = j.value("time_ms", int64_t{0});
  e.campaign_id = j.value("campaign_id", std::string());
  e.attempt_id = j.value("attempt_id", std::string());
  e.kind = j.value("kind", std::string());
  e.payload = j.contains("payload") ? j.at("payload") : nlohmann::json::object();
  e.prev_hash = j.value("prev_hash", std::string());
  e.hash = j.value("hash", std::string());
}

}  // namespace ksearch
