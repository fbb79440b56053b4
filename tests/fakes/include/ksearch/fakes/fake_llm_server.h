// FakeLlmServer: a real HTTP/1.1 server on loopback that speaks just enough of
// the OpenAI chat-completions and Anthropic Messages APIs to test clients
// against every failure a real endpoint produces.
//
// Each request consumes a scripted FakeResponse (Enqueue): the first entry
// whose `match` string occurs in the request body, else the first entry
// without `match` (so plain entries are served in order); when none is left
// for it, it asks the responder (SetResponder; default: a completion
// "ok"). The response shape follows the request: path .../messages means
// Anthropic, otherwise OpenAI; a body with "stream": true gets SSE. Every
// request is recorded (method, target, headers, body) for assertions.
//
// Threading: the server runs its own io_context on its own thread; the public
// methods are safe from any thread (guarded by a mutex). The responder runs on
// the server thread. Stop() (or the destructor) closes the listener and every
// connection, including hung ones, and joins the thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/status.h"

namespace ksearch::fakes {

struct RecordedRequest {
  std::string method;
  std::string target;                         // e.g. /v1/chat/completions
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const;
  bool IsAnthropic() const;   // target ends with /messages
  bool IsStreaming() const;   // body has "stream": true
  nlohmann::json Json() const;  // parsed body; null if not JSON
};

struct FakeResponse {
  enum class Kind {
    kCompletion,       // 200 with `text`, finish `finish` (stop | length)
    kStatus,           // `status` with the API's error JSON, optional Retry-After
    kHang,             // never answers (until Stop)
    kCloseMidBody,     // headers with Content-Length, half the body, close
    kTruncatedStream,  // SSE without the final events, then a clean close
    kMalformedJson,    // 200 whose body (or SSE data) is not valid JSON
    kRaw,              // `status`, `content_type`, `body` as given
  };
  Kind kind = Kind::kCompletion;
  std::string text = "ok";
  std::string finish = "stop";  // "stop" or "length" (Anthropic: end_turn / max_tokens)
  int status = 200;
  std::string retry_after;      // Retry-After header value; empty: none
  std::string body;
  std::string content_type = "application/json";
  int64_t input_tokens = -1;    // usage reported; -1: request bytes / 4
  int64_t output_tokens = -1;   // -1: text bytes / 4 (at least 1)
  std::chrono::milliseconds delay{0};  // wait before answering
  // Non-empty: served only to a request whose body contains this string (as
  // sent, i.e. JSON-escaped), and to such a request before any plain entry;
  // other requests skip past it. Routes e.g. a fix to the repair prompt.
  std::string match;

  static FakeResponse Completion(std::string text);
  static FakeResponse MaxTokens(std::string partial_text);
  static FakeResponse Empty();
  static FakeResponse Error(int status, std::string retry_after = "");
  static FakeResponse Hang();
  static FakeResponse CloseMidBody();
  static FakeResponse TruncatedStream(std::string text);
  static FakeResponse MalformedJson();
  static FakeResponse Raw(int status, std::string body, std::string content_type);
  FakeResponse WithDelay(std::chrono::milliseconds d) const;
  FakeResponse WithUsage(int64_t in, int64_t out) const;

  // From a script object: {"kind": "completion|max_tokens|empty|status|hang|
  // close_mid_body|truncated_stream|malformed_json|raw", "text", "status",
  // "retry_after", "body", "content_type", "delay_ms", "input_tokens",
  // "output_tokens", "match"}. Unknown keys are errors.
  static Result<FakeResponse> FromJson(const nlohmann::json& j);
};

using Responder = std::function<FakeResponse(const RecordedRequest&)>;

class FakeLlmServer {
 public:
  struct Options {
    uint16_t port = 0;  // 0: an ephemeral port
  };
  FakeLlmServer();
  explicit FakeLlmServer(Options options);  // listens on 127.0.0.1 at once
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;
  ~FakeLlmServer();

  uint16_t port() const;
  // "http://127.0.0.1:<port>"; OpenAI clients use BaseUrl() + "/v1".
  std::string BaseUrl() const;

  void Enqueue(FakeResponse r);
  void SetResponder(Responder r);
  std::vector<RecordedRequest> Requests() const;
  size_t RequestCount() const;
  size_t ScriptRemaining() const;
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Renders a response to the bytes sent on the wire; `close_after` tells the
// server to close the connection after writing, `hang` to write nothing.
// Exposed for the standalone server and tests.
struct WireBytes {
  std::string bytes;
  bool close_after = false;
  bool hang = false;
};
WireBytes RenderResponse(const FakeResponse& r, const RecordedRequest& req, uint64_t seq);

}  // namespace ksearch::fakes
