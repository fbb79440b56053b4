// WireProtocol: request bodies, headers and response decoding for one API
// family (OpenAI chat completions or Anthropic Messages). Internal.
// Thread-safety: protocol objects are immutable; StreamDecoder is per call.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/llm_clients/endpoint_config.h"
#include "ksearch/llm_clients/llm_client.h"

namespace ksearch::llm {

// What a response (whole or streamed) said.
struct Decoded {
  std::string text;
  std::string finish_reason;   // as the API spells it
  bool max_tokens = false;     // finish_reason "length" / stop_reason "max_tokens"
  std::string model;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // An in-band error (Anthropic `event: error`, OpenAI {"error":...} chunk).
  std::string error_type;
  std::string error_message;
};

// Server-sent events (text/event-stream) split into (event, data) pairs.
// Lines end in \n or \r\n; multiple data: lines are joined with \n; a blank
// line dispatches; comments (":") are skipped.
class SseParser {
 public:
  struct Event {
    std::string event;
    std::string data;
  };
  // Appends bytes; returns the events completed by them.
  std::vector<Event> Feed(std::string_view bytes);
  // Bytes of an incomplete event still buffered.
  bool HasPartial() const { return !line_.empty() || !data_.empty() || !event_.empty(); }

 private:
  std::string line_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Consumes one SSE event. A malformed event is kCorruption.
  virtual Status OnEvent(const SseParser::Event& e) = 0;
  // True once the terminal event ([DONE] / message_stop) arrived.
  virtual bool finished() const = 0;
  const Decoded& decoded() const { return d_; }

 protected:
  Decoded d_;
};

class WireProtocol {
 public:
  virtual ~WireProtocol() = default;
  virtual std::string Url(const EndpointConfig& c) const = 0;
  // Headers, including auth when `key` is non-empty.
  virtual std::vector<std::pair<std::string, std::string>> Headers(
      const EndpointConfig& c, const std::string& key) const = 0;
  virtual std::string Body(const EndpointConfig& c, const CompletionRequest& r) const = 0;
  // Decodes a complete non-streamed 2xx body; kCorruption when malformed.
  virtual Result<Decoded> Decode(std::string_view body) const = 0;
  virtual std::unique_ptr<StreamDecoder> NewStream() const = 0;
  // The API's error message in an error body, if it has one (else empty).
  std::string ErrorMessage(std::string_view body) const;
};

std::unique_ptr<WireProtocol> NewOpenAiProtocol();
std::unique_ptr<WireProtocol> NewAnthropicProtocol();
std::unique_ptr<WireProtocol> NewProtocol(Protocol p);

// Effective sampling for a request given the endpoint's defaults.
int EffectiveMaxTokens(const EndpointConfig& c, const CompletionRequest& r);
double EffectiveTemperature(const EndpointConfig& c, const CompletionRequest& r);

}  // namespace ksearch::llm
