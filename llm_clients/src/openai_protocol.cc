// OpenAI-compatible chat completions (also vLLM, SGLang, llama.cpp server,
// Ollama, OpenRouter). Streaming chunks are `data: {json}` lines ending with
// `data: [DONE]`; usage arrives in a last chunk with empty `choices` when
// stream_options.include_usage is set.
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
  return j.contains(k) && j[k].is_number_integer() ? j[k].get<int64_t>() : 0;
}

void ReadUsage(const json& j, Decoded* d) {
  if (!j.contains("usage") || !j["usage"].is_object()) return;
  d->input_tokens = IntOr0(j["usage"], "prompt_tokens");
  d->output_tokens = IntOr0(j["usage"], "completion_tokens");
}

void ReadFinish(const json& choice, Decoded* d) {
  if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
    d->finish_reason = choice["finish_reason"].get<std::string>();
    d->max_tokens = d->finish_reason == "length";
  }
}

class OpenAiStream final : public StreamDecoder {
 public:
  Status OnEvent(const SseParser::Event& e) override {
    if (e.data == "[DONE]") {
      done_ = true;
      return Status::Ok();
    }
    json j = json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Corruption("stream chunk is not JSON: " + e.data.substr(0, 200));
    }
    if (j.contains("error")) {
      const json& err = j["error"];
      d_.error_type = err.is_object() && err.contains("type") && err["type"].is_string()
                          ? err["type"].get<std::string>() : "error";
      d_.error_message = err.is_object() && err.contains("message") && err["message"].is_string()
                             ? err["message"].get<std::string>() : err.dump();
      return Status::Ok();
    }
    if (j.contains("model") && j["model"].is_string()) d_.model = j["model"].get<std::string>();
    ReadUsage(j, &d_);
    if (!j.contains("choices") || !j["choices"].is_array()) {
      return Status::Corruption("stream chunk without choices");
    }
    for (const json& c : j["choices"]) {
      if (c.contains("delta") && c["delta"].is_object()) {
        const json& delta = c["delta"];
        if (delta.contains("content") && delta["content"].is_string()) {
          d_.text += delta["content"].get<std::string>();
        }
      }
      ReadFinish(c, &d_);
    }
    return Status::Ok();
  }
  bool finished() const override { return done_; }

 private:
  bool done_ = false;
};

class OpenAiProtocol final : public WireProtocol {
 public:
  std::string Url(const EndpointConfig& c) const override {
    return TrimSlash(c.base_url) + "/chat/completions";
  }
  std::vector<std::pair<std::string, std::string>> Headers(
      const EndpointConfig&, const std::string& key) const override {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    return h;
  }
  std::string Body(const EndpointConfig& c, const CompletionRequest& r) const override {
    json messages = json::array();
    if (!r.system.empty()) messages.push_back({{"role", "system"}, {"content", r.system}});
    for (const auto& m : r.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    json body = {{"model", c.model},
                 {"messages", messages},
                 {"max_tokens", EffectiveMaxTokens(c, r)},
                 {"temperature", EffectiveTemperature(c, r)}};
    if (c.sampling.top_p > 0) body["top_p"] = c.sampling.top_p;
    if (c.stream) {
      body["stream"] = true;
      body["stream_options"] = {{"include_usage", true}};
    }
    return body.dump();
  }
  Result<Decoded> Decode(std::string_view body) const override {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Status::Corruption("response is not a JSON object");
    Decoded d;
    if (j.contains("model") && j["model"].is_string()) d.model = j["model"].get<std::string>();
    ReadUsage(j, &d);
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
      return Status::Corruption("response has no choices");
    }
    const json& c = j["choices"][0];
    if (!c.contains("message") || !c["message"].is_object()) {
      return Status::Corruption("choices[0] has no message");
    }
    const json& content = c["message"].contains("content") ? c["message"]["content"] : json();
    if (content.is_string()) {
      d.text = content.get<std::string>();
    } else if (!content.is_null()) {
      return Status::Corruption("choices[0].message.content is not a string");
    }
    ReadFinish(c, &d);
    return d;
  }
  std::unique_ptr<StreamDecoder> NewStream() const override {
    return std::make_unique<OpenAiStream>();
  }
};

}  // namespace

std::unique_ptr<WireProtocol> NewOpenAiProtocol() { return std::make_unique<OpenAiProtocol>(); }

}  // namespace ksearch::llm
