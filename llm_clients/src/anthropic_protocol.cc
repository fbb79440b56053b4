// Anthropic Messages API. Streaming events: message_start (usage.input_tokens),
// content_block_start, content_block_delta (text_delta), content_block_stop,
// message_delta (stop_reason, usage.output_tokens), message_stop; ping and
// unknown events are ignored; `error` carries an in-band error.
#include <nlohmann/json.hpp>

#include "wire_protocol.h"

namespace ksearch::llm {
namespace {

using nlohmann::json;

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

int64_t IntOr0(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : 0;
}

void ReadStop(const json& j, Decoded* d) {
  if (j.contains("stop_reason") && j["stop_reason"].is_string()) {
    d->finish_reason = j["stop_reason"].get<std::string>();
    d->max_tokens = d->finish_reason == "max_tokens";
  }
}

class AnthropicStream final : public StreamDecoder {
 public:
  Status OnEvent(const SseParser::Event& e) override {
    json j = json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption("stream event " + e.event + " is not JSON: " + e.data.substr(0, 200));
    }
    std::string type = j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : e.event;
    if (type == "message_start") {
      if (!j.contains("message") || !j["message"].is_object()) {
        return Status::Corruption("message_start without message");
      }
      const json& m = j["message"];
      if (m.contains("model") && m["model"].is_string()) d_.model = m["model"].get<std::string>();
      if (m.contains("usage")) {
        d_.input_tokens = IntOr0(m["usage"], "input_tokens");
        d_.output_tokens = IntOr0(m["usage"], "output_tokens");
      }
    } else if (type == "content_block_delta") {
      if (!j.contains("delta") || !j["delta"].is_object()) {
        return Status::Corruption("content_block_delta without delta");
      }
      const json& delta = j["delta"];
      if (delta.contains("text") && delta["text"].is_string()) d_.text += delta["text"].get<std::string>();
    } else if (type == "message_delta") {
      if (j.contains("delta") && j["delta"].is_object()) ReadStop(j["delta"], &d_);
      if (j.contains("usage")) {
        int64_t out = IntOr0(j["usage"], "output_tokens");
        if (out > 0) d_.output_tokens = out;  // cumulative per the API
      }
    } else if (type == "message_stop") {
      done_ = true;
    } else if (type == "error") {
      const json& err = j.contains("error") ? j["error"] : json::object();
      d_.error_type = err.contains("type") && err["type"].is_string() ? err["type"].get<std::string>() : "error";
      d_.error_message = err.contains("message") && err["message"].is_string()
                             ? err["message"].get<std::string>() : "";
    }
    return Status::Ok();
  }
  bool finished() const override { return done_; }

 private:
  bool done_ = false;
};

class AnthropicProtocol final : public WireProtocol {
 public:
  std::string Url(const EndpointConfig& c) const override {
    return TrimSlash(c.base_url) + "/v1/messages";
  }
  std::vector<std::pair<std::string, std::string>> Headers(
      const EndpointConfig& c, const std::string& key) const override {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Content-Type", "application/json"},
        {"Accept", "application/json"},
        {"anthropic-version", c.anthropic_version}};
    if (!key.empty()) h.emplace_back("x-api-key", key);
    return h;
  }
  std::string Body(const EndpointConfig& c, const CompletionRequest& r) const override {
    json messages = json::array();
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    json body = {{"model", c.model},
                 {"messages", messages},
                 {"max_tokens", EffectiveMaxTokens(c, r)},
                 {"temperature", EffectiveTemperature(c, r)}};
    if (!r.system.empty()) body["system"] = r.system;
    if (c.sampling.top_p > 0) body["top_p"] = c.sampling.top_p;
    if (c.stream) body["stream"] = true;
    return body.dump();
  }
  Result<Decoded> Decode(std::string_view body) const override {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::Corruption("response is not a JSON object");
    if (!j.contains("content") || !j["content"].is_array()) {
      return Status::Corruption("response has no content array");
    }
    Decoded d;
    for (const json& block : j["content"]) {
      if (block.is_object() && block.value("type", "") == "text" && block.contains("text") &&
          block["text"].is_string()) {
        d.text += block["text"].get<std::string>();
      }
    }
    if (j.contains("model") && j["model"].is_string()) d.model = j["model"].get<std::string>();
    if (j.contains("usage")) {
      d.input_tokens = IntOr0(j["usage"], "input_tokens");
      d.output_tokens = IntOr0(j["usage"], "output_tokens");
    }
    ReadStop(j, &d);
    return d;
  }
  std::unique_ptr<StreamDecoder> NewStream() const override {
    return std::make_unique<AnthropicStream>();
  }
};

}  // namespace

std::unique_ptr<WireProtocol> NewAnthropicProtocol() {
  return std::make_unique<AnthropicProtocol>();
}

}  // namespace ksearch::llm
