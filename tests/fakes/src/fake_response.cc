// FakeResponse factories, script parsing and wire rendering for both APIs.
#include <algorithm>

#include "ksearch/fakes/fake_llm_server.h"

namespace ksearch::fakes {

using nlohmann::json;

std::string RecordedRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

bool RecordedRequest::IsAnthropic() const {
  const std::string suffix = "/messages";
  return target.size() >= suffix.size() && target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0;
}

nlohmann::json RecordedRequest::Json() const {
  json j = json::parse(body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

bool RecordedRequest::IsStreaming() const {
  json j = Json();
  return j.is_object() && j.contains("stream") && j["stream"].is_boolean() && j["stream"].get<bool>();
}

FakeResponse FakeResponse::Completion(std::string text) {
  FakeResponse r;
  r.text = std::move(text);
  return r;
}
FakeResponse FakeResponse::MaxTokens(std::string partial_text) {
  FakeResponse r = Completion(std::move(partial_text));
  r.finish = "length";
  return r;
}
FakeResponse FakeResponse::Empty() { return Completion(""); }
FakeResponse FakeResponse::Error(int status, std::string retry_after) {
  FakeResponse r;
  r.kind = Kind::kStatus;
  r.status = status;
  r.retry_after = std::move(retry_after);
  return r;
}
FakeResponse FakeResponse::Hang() {
  FakeResponse r;
  r.kind = Kind::kHang;
  return r;
}
FakeResponse FakeResponse::CloseMidBody() {
  FakeResponse r;
  r.kind = Kind::kCloseMidBody;
  r.text = "this reply is cut in the middle of its body";
  return r;
}
FakeResponse FakeResponse::TruncatedStream(std::string text) {
  FakeResponse r = Completion(std::move(text));
  r.kind = Kind::kTruncatedStream;
  return r;
}
FakeResponse FakeResponse::MalformedJson() {
  FakeResponse r;
  r.kind = Kind::kMalformedJson;
  return r;
}
FakeResponse FakeResponse::Raw(int status, std::string body, std::string content_type) {
  FakeResponse r;
  r.kind = Kind::kRaw;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}
FakeResponse FakeResponse::WithDelay(std::chrono::milliseconds d) const {
  FakeResponse r = *this;
  r.delay = d;
  return r;
}
FakeResponse FakeResponse::WithUsage(int64_t in, int64_t out) const {
  FakeResponse r = *this;
  r.input_tokens = in;
  r.output_tokens = out;
  return r;
}

Result<FakeResponse> FakeResponse::FromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a script entry must be a JSON object");
  static const std::map<std::string, Kind> kKinds = {
      {"completion", Kind::kCompletion}, {"max_tokens", Kind::kCompletion}, {"empty", Kind::kCompletion},
      {"status", Kind::kStatus},         {"hang", Kind::kHang},             {"close_mid_body", Kind::kCloseMidBody},
      {"truncated_stream", Kind::kTruncatedStream}, {"malformed_json", Kind::kMalformedJson}, {"raw", Kind::kRaw}};
  FakeResponse r;
  try {
    std::string kind = j.value("kind", "completion");
    auto k = kKinds.find(kind);
    if (k == kKinds.end()) return Status::InvalidArgument("kind: unknown kind \"" + kind + "\"");
    r.kind = k->second;
    if (kind == "max_tokens") r.finish = "length";
    if (kind == "empty") r.text = "";
    for (const auto& [key, v] : j.items()) {
      if (key == "kind") continue;
      else if (key == "text") r.text = v.get<std::string>();
      else if (key == "status") r.status = v.get<int>();
      else if (key == "retry_after") r.retry_after = v.is_string() ? v.get<std::string>() : v.dump();
      else if (key == "body") r.body = v.get<std::string>();
      else if (key == "content_type") r.content_type = v.get<std::string>();
      else if (key == "delay_ms") r.delay = std::chrono::milliseconds(v.get<int64_t>());
      else if (key == "input_tokens") r.input_tokens = v.get<int64_t>();
      else if (key == "output_tokens") r.output_tokens = v.get<int64_t>();
      else if (key == "match") r.match = v.get<std::string>();
      else return Status::InvalidArgument(key + ": unknown key");
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("bad value type: ") + e.what());
  }
  if (r.kind == Kind::kStatus && r.status == 200) r.status = 500;
  return r;
}

namespace {

std::string Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Overloaded";
    default: return "Status";
  }
}

std::string Head(int status, const std::string& content_type, const std::string& extra, long length) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  h += "Content-Type: " + content_type + "\r\n" + extra;
  if (length >= 0) h += "Content-Length: " + std::to_string(length) + "\r\n";
  else h += "Connection: close\r\n";
  return h + "\r\n";
}

std::vector<std::string> Pieces(const std::string& text) {
  std::vector<std::string> out;
  const size_t n = std::max<size_t>(1, (text.size() + 2) / 3);
  for (size_t i = 0; i < text.size(); i += n) out.push_back(text.substr(i, n));
  return out;
}

std::string Sse(const std::string& event, const json& data) {
  return (event.empty() ? "" : "event: " + event + "\n") + "data: " + data.dump() + "\n\n";
}

// Whole SSE stream; `final_events` is the tail a truncated stream leaves out.
void StreamEvents(const FakeResponse& r, const RecordedRequest& req, const std::string& model, int64_t in,
                  int64_t out, uint64_t seq, std::string* body, std::string* final_events) {
  if (req.IsAnthropic()) {
    std::string id = "msg_fake_" + std::to_string(seq);
    *body += Sse("message_start", {{"type", "message_start"},
                                   {"message", {{"id", id}, {"type", "message"}, {"role", "assistant"},
                                                {"model", model}, {"content", json::array()},
                                                {"stop_reason", nullptr},
                                                {"usage", {{"input_tokens", in}, {"output_tokens", 1}}}}}});
    *body += Sse("content_block_start", {{"type", "content_block_start"}, {"index", 0},
                                         {"content_block", {{"type", "text"}, {"text", ""}}}});
    *body += Sse("ping", {{"type", "ping"}});
    for (const auto& p : Pieces(r.text)) {
      *body += Sse("content_block_delta", {{"type", "content_block_delta"}, {"index", 0},
                                           {"delta", {{"type", "text_delta"}, {"text", p}}}});
    }
    *body += Sse("content_block_stop", {{"type", "content_block_stop"}, {"index", 0}});
    *final_events += Sse("message_delta", {{"type", "message_delta"},
                                           {"delta", {{"stop_reason", r.finish == "length" ? "max_tokens" : "end_turn"},
                                                      {"stop_sequence", nullptr}}},
                                           {"usage", {{"output_tokens", out}}}});
    *final_events += Sse("message_stop", {{"type", "message_stop"}});
    return;
  }
  std::string id = "chatcmpl-fake-" + std::to_string(seq);
  auto chunk = [&](json delta, json finish) {
    return Sse("", {{"id", id}, {"object", "chat.completion.chunk"}, {"model", model},
                    {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}});
  };
  *body += chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
  for (const auto& p : Pieces(r.text)) *body += chunk({{"content", p}}, nullptr);
  *final_events += chunk(json::object(), r.finish);
  json j = req.Json();
  if (j.is_object() && j.contains("stream_options") && j["stream_options"].value("include_usage", false)) {
    *final_events += Sse("", {{"id", id}, {"object", "chat.completion.chunk"}, {"model", model},
                              {"choices", json::array()},
                              {"usage", {{"prompt_tokens", in}, {"completion_tokens", out},
                                         {"total_tokens", in + out}}}});
  }
  *final_events += "data: [DONE]\n\n";
}

std::string CompletionJson(const FakeResponse& r, const RecordedRequest& req, const std::string& model, int64_t in,
                           int64_t out, uint64_t seq) {
  if (req.IsAnthropic()) {
    json content = r.text.empty() ? json::array() : json::array({{{"type", "text"}, {"text", r.text}}});
    return json{{"id", "msg_fake_" + std::to_string(seq)}, {"type", "message"}, {"role", "assistant"},
                {"model", model}, {"content", content},
                {"stop_reason", r.finish == "length" ? "max_tokens" : "end_turn"}, {"stop_sequence", nullptr},
                {"usage", {{"input_tokens", in}, {"output_tokens", out}}}}
        .dump();
  }
  return json{{"id", "chatcmpl-fake-" + std::to_string(seq)}, {"object", "chat.completion"}, {"created", 0},
              {"model", model},
              {"choices", json::array({{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", r.text}}},
                                        {"finish_reason", r.finish}}})},
              {"usage", {{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}}}}
      .dump();
}

std::string ErrorJson(int status, const RecordedRequest& req) {
  std::string msg = "fake error " + std::to_string(status);
  if (req.IsAnthropic()) {
    std::string type = status == 429 ? "rate_limit_error" : status == 529 ? "overloaded_error"
                     : status == 401 ? "authentication_error" : status >= 500 ? "api_error" : "invalid_request_error";
    return json{{"type", "error"}, {"error", {{"type", type}, {"message", msg}}}}.dump();
  }
  std::string type = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  return json{{"error", {{"message", msg}, {"type", type}, {"code", nullptr}}}}.dump();
}

}  // namespace

WireBytes RenderResponse(const FakeResponse& r, const RecordedRequest& req, uint64_t seq) {
  WireBytes w;
  json j = req.Json();
  const std::string model = j.is_object() ? j.value("model", "fake-model") : "fake-model";
  const int64_t in = r.input_tokens >= 0 ? r.input_tokens : std::max<int64_t>(1, req.body.size() / 4);
  const int64_t out = r.output_tokens >= 0 ? r.output_tokens : std::max<int64_t>(1, r.text.size() / 4);
  const bool stream = req.IsStreaming();
  switch (r.kind) {
    case FakeResponse::Kind::kHang:
      w.hang = true;
      return w;
    case FakeResponse::Kind::kStatus: {
      std::string body = r.body.empty() ? ErrorJson(r.status, req) : r.body;
      std::string extra = r.retry_after.empty() ? "" : "Retry-After: " + r.retry_after + "\r\n";
      w.bytes = Head(r.status, "application/json", extra, body.size()) + body;
      return w;
    }
    case FakeResponse::Kind::kRaw:
      w.bytes = Head(r.status, r.content_type, "", r.body.size()) + r.body;
      return w;
    case FakeResponse::Kind::kMalformedJson: {
      std::string body = stream ? "data: {\"choices\": [{\"delta\": {\"content\": \"x\"\n\n"
                                : "{\"id\": \"broken\", \"choices\": [{\"message\": {\"content\": tru";
      w.bytes = Head(200, stream ? "text/event-stream" : "application/json", "", body.size()) + body;
      return w;
    }
    case FakeResponse::Kind::kCompletion:
    case FakeResponse::Kind::kCloseMidBody:
    case FakeResponse::Kind::kTruncatedStream:
      break;
  }
  std::string body;
  std::string final_events;
  if (stream) {
    StreamEvents(r, req, model, in, out, seq, &body, &final_events);
  } else {
    body = CompletionJson(r, req, model, in, out, seq);
  }
  const std::string type = stream ? "text/event-stream" : "application/json";
  if (r.kind == FakeResponse::Kind::kCompletion) {
    body += final_events;
    w.bytes = Head(200, type, "", body.size()) + body;
  } else if (r.kind == FakeResponse::Kind::kTruncatedStream && stream) {
    w.bytes = Head(200, type, "", -1) + body;  // read-until-close; clean close
    w.close_after = true;
  } else {  // close mid-body: promise the whole length, send half
    body += final_events;
    w.bytes = Head(200, type, "", body.size()) + body.substr(0, body.size() / 2);
    w.close_after = true;
  }
  return w;
}

}  // namespace ksearch::fakes
