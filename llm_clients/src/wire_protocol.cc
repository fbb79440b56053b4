#include "wire_protocol.h"

#include <nlohmann/json.hpp>

namespace ksearch::llm {

std::string WireProtocol::ErrorMessage(std::string_view body) const {
  // Both APIs use {"error": {"message": "...", "type": "..."}}; some gateways
  // use {"error": "..."} or {"message": "..."}.
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return "";
  if (j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_string()) return e.get<std::string>();
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      std::string m = e["message"].get<std::string>();
      if (e.contains("type") && e["type"].is_string()) m = e["type"].get<std::string>() + ": " + m;
      return m;
    }
  }
  if (j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
  return "";
}

std::unique_ptr<WireProtocol> NewProtocol(Protocol p) {
  return p == Protocol::kAnthropic ? NewAnthropicProtocol() : NewOpenAiProtocol();
}

int EffectiveMaxTokens(const EndpointConfig& c, const CompletionRequest& r) {
  return r.max_tokens > 0 ? r.max_tokens : c.sampling.max_tokens;
}

double EffectiveTemperature(const EndpointConfig& c, const CompletionRequest& r) {
  return r.temperature >= 0 ? r.temperature : c.sampling.temperature;
}

}  // namespace ksearch::llm
