// SSE framing and the two wire protocols, without sockets.
#include <catch.hpp>
#include <nlohmann/json.hpp>

#include "classify.h"
#include "wire_protocol.h"

using namespace ksearch;
using namespace ksearch::llm;

TEST_CASE("SSE parser yields the same events whatever the chunking", "[llm][sse]") {
  const std::string stream =
      ": comment\r\n"
      "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
      "data: line1\ndata: line2\n\n"
      "id: 7\nevent: ping\ndata: {}\n\n"
      "data: [DONE]\n\n";
  for (size_t step = 1; step <= stream.size(); ++step) {
    SseParser p;
    std::vector<SseParser::Event> all;
    for (size_t i = 0; i < stream.size(); i += step) {
      for (auto& e : p.Feed(std::string_view(stream).substr(i, step))) all.push_back(e);
    }
    INFO("chunk size " << step);
    REQUIRE(all.size() == 4);
    CHECK(all[0].event == "message_start");
    CHECK(all[0].data == "{\"a\":1}");
    CHECK(all[1].data == "line1\nline2");
    CHECK(all[2].event == "ping");
    CHECK(all[3].data == "[DONE]");
    CHECK(!p.HasPartial());
  }
  SseParser p;
  CHECK(p.Feed("data: {\"x\":").empty());
  CHECK(p.HasPartial());
}

TEST_CASE("openai decode: text, finish, usage, and malformed shapes", "[llm][openai]") {
  auto proto = NewOpenAiProtocol();
  auto d = proto->Decode(R"({"model":"m","choices":[{"message":{"content":"hi"},"finish_reason":"length"}],
                             "usage":{"prompt_tokens":3,"completion_tokens":4}})");
  REQUIRE(d.ok());
  CHECK(d->text == "hi");
  CHECK(d->max_tokens);
  CHECK(d->input_tokens == 3);
  CHECK(d->output_tokens == 4);
  CHECK(!proto->Decode(R"({"choices":[]})").ok());
  CHECK(!proto->Decode(R"({"choices":[{"message":{"content":5}}]})").ok());
  CHECK(!proto->Decode("[1,2]").ok());
  auto null_content = proto->Decode(R"({"choices":[{"message":{"content":null},"finish_reason":"stop"}]})");
  REQUIRE(null_content.ok());
  CHECK(null_content->text.empty());
  CHECK(proto->ErrorMessage(R"({"error":{"message":"bad model","type":"invalid_request_error"}})") ==
        "invalid_request_error: bad model");
}

TEST_CASE("openai stream: deltas, usage chunk and [DONE]", "[llm][openai][sse]") {
  auto s = NewOpenAiProtocol()->NewStream();
  REQUIRE(s->OnEvent({"", R"({"choices":[{"delta":{"role":"assistant","content":""}}]})"}).ok());
  REQUIRE(s->OnEvent({"", R"({"choices":[{"delta":{"content":"Hel"}}]})"}).ok());
  REQUIRE(s->OnEvent({"", R"({"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]})"}).ok());
  CHECK(!s->finished());
  REQUIRE(s->OnEvent({"", R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2}})"}).ok());
  REQUIRE(s->OnEvent({"", "[DONE]"}).ok());
  CHECK(s->finished());
  CHECK(s->decoded().text == "Hello");
  CHECK(s->decoded().finish_reason == "stop");
  CHECK(s->decoded().input_tokens == 9);
  CHECK(!NewOpenAiProtocol()->NewStream()->OnEvent({"", "{oops"}).ok());
}

TEST_CASE("anthropic decode and stream", "[llm][anthropic]") {
  auto proto = NewAnthropicProtocol();
  auto d = proto->Decode(R"({"content":[{"type":"text","text":"a"},{"type":"tool_use"},{"type":"text","text":"b"}],
                             "stop_reason":"max_tokens","usage":{"input_tokens":5,"output_tokens":6}})");
  REQUIRE(d.ok());
  CHECK(d->text == "ab");
  CHECK(d->max_tokens);
  CHECK(!proto->Decode(R"({"type":"message"})").ok());

  auto s = proto->NewStream();
  REQUIRE(s->OnEvent({"message_start", R"({"type":"message_start","message":{"model":"c","usage":{"input_tokens":25,"output_tokens":1}}})"}).ok());
  REQUIRE(s->OnEvent({"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})"}).ok());
  REQUIRE(s->OnEvent({"ping", R"({"type":"ping"})"}).ok());
  REQUIRE(s->OnEvent({"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}})"}).ok());
  CHECK(!s->finished());
  REQUIRE(s->OnEvent({"message_stop", R"({"type":"message_stop"})"}).ok());
  CHECK(s->finished());
  CHECK(s->decoded().text == "Hi");
  CHECK(s->decoded().input_tokens == 25);
  CHECK(s->decoded().output_tokens == 15);
  CHECK(s->decoded().model == "c");
}

TEST_CASE("request bodies carry the endpoint's defaults and the request's overrides", "[llm]") {
  EndpointConfig c;
  c.model = "m";
  c.sampling.temperature = 0.5;
  c.sampling.max_tokens = 1000;
  CompletionRequest r;
  r.system = "sys";
  r.messages = {{"user", "u1"}, {"assistant", "a1"}, {"user", "u2"}};
  r.max_tokens = 0;  // endpoint default
  auto o = nlohmann::json::parse(NewOpenAiProtocol()->Body(c, r));
  CHECK(o["max_tokens"] == 1000);
  CHECK(o["temperature"] == Approx(0.5));
  CHECK(o["messages"].size() == 4);
  CHECK(!o.contains("top_p"));
  r.temperature = 0;
  auto a = nlohmann::json::parse(NewAnthropicProtocol()->Body(c, r));
  CHECK(a["system"] == "sys");
  CHECK(a["messages"].size() == 3);
  CHECK(a["temperature"] == Approx(0.0));
}

TEST_CASE("classification of HTTP outcomes", "[llm][policy]") {
  auto proto = NewOpenAiProtocol();
  HttpResult r;
  r.status = 429;
  r.headers = {{"retry-after", "3"}};
  AttemptResult a = ClassifyAttempt(r, *proto, nullptr, Status::Ok(), 0);
  CHECK(a.kind == LlmErrorKind::kHttpStatus);
  CHECK(a.retryable);
  CHECK(!a.endpoint_failure);  // busy, not broken
  CHECK(a.retry_after->count() == Approx(3));
  r.status = 401;
  r.headers.clear();
  a = ClassifyAttempt(r, *proto, nullptr, Status::Ok(), 0);
  CHECK(!a.retryable);
  r = HttpResult();
  r.error = TransportError::kTimeout;
  a = ClassifyAttempt(r, *proto, nullptr, Status::Ok(), 0);
  CHECK(a.kind == LlmErrorKind::kTimeout);
  CHECK(a.retryable);
  CHECK(a.endpoint_failure);
}
