// Streaming (SSE) through the fake server, both protocols.
#include <catch.hpp>

#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

TEST_CASE("streamed replies are assembled with usage from the final events", "[llm][stream]") {
  FakeLlmServer server;
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  const std::string text = "replace the loop with a grid-stride loop over float4";
  server.Enqueue(FakeResponse::Completion(text).WithUsage(321, 17));
  Harness h(FakeEndpoint(server, protocol, /*stream=*/true));
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(o.ok);
  CHECK(o.response.text == text);
  CHECK(o.response.input_tokens == 321);
  CHECK(o.response.output_tokens == 17);
  CHECK(o.response.finish_reason == (protocol == Protocol::kAnthropic ? "end_turn" : "stop"));
  CHECK(o.response.response_body.find("data: ") != std::string::npos);
  auto body = server.Requests().at(0).Json();
  CHECK(body["stream"] == true);
  if (protocol == Protocol::kOpenAi) CHECK(body["stream_options"]["include_usage"] == true);
}

TEST_CASE("a truncated stream is kConnection and is retried", "[llm][stream][fault]") {
  FakeLlmServer server;
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  Harness h(FakeEndpoint(server, protocol, true));
  SECTION("then a whole stream succeeds") {
    server.Enqueue(FakeResponse::TruncatedStream("cut short here"));
    server.Enqueue(FakeResponse::Completion("complete"));
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(o.ok);
    CHECK(o.response.text == "complete");
    CHECK(o.response.retries == 1);
  }
  SECTION("every attempt truncated") {
    server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::TruncatedStream("cut"); });
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kConnection);
    CHECK(o.error.message.find("stream truncated") != std::string::npos);
    CHECK(server.RequestCount() == 4);  // 1 + max_retries
  }
  SECTION("closed mid-body") {
    server.Enqueue(FakeResponse::CloseMidBody());
    server.Enqueue(FakeResponse::Completion("ok now"));
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(o.ok);
    CHECK(o.response.retries == 1);
  }
}

TEST_CASE("stream faults: malformed data, max tokens, empty", "[llm][stream][fault]") {
  FakeLlmServer server;
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  Harness h(FakeEndpoint(server, protocol, true));
  SECTION("malformed") {
    server.Enqueue(FakeResponse::MalformedJson());
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kMalformed);
  }
  SECTION("max tokens") {
    server.Enqueue(FakeResponse::MaxTokens("partial kernel"));
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kMaxTokens);
    CHECK(o.error.partial.text == "partial kernel");
  }
  SECTION("empty") {
    server.Enqueue(FakeResponse::Empty());
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kEmpty);
  }
}

TEST_CASE("anthropic in-band overloaded_error mid-stream is retried", "[llm][stream][fault]") {
  FakeLlmServer server;
  std::string body =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\","
      "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
  server.Enqueue(FakeResponse::Raw(200, body, "text/event-stream"));
  server.Enqueue(FakeResponse::Completion("after overload"));
  Harness h(FakeEndpoint(server, Protocol::kAnthropic, true));
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(o.ok);
  CHECK(o.response.text == "after overload");
  CHECK(o.response.retries == 1);
}

TEST_CASE("large replies arrive intact, many at once", "[llm][stream]") {
  // Quarter-megabyte bodies take many reads; this exercises the transport's
  // edge-triggered readiness handling (RecheckAll) under concurrency.
  FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest& r) {
    std::string tag = r.Json()["messages"].back()["content"];
    std::string text;
    while (text.size() < (1u << 18)) text += tag + ":" + std::to_string(text.size()) + "\n";
    return FakeResponse::Completion(text);
  });
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  auto stream = GENERATE(false, true);
  EndpointConfig cfg = FakeEndpoint(server, protocol, stream);
  cfg.max_concurrency = 8;
  Harness h(cfg);
  std::vector<CompletionOutcome> out;
  for (int i = 0; i < 10; ++i) h.Start(SimpleRequest("tag" + std::to_string(i)), &out);
  h.io.run();
  REQUIRE(out.size() == 10);
  for (const auto& o : out) {
    REQUIRE(o.ok);
    CHECK(o.response.text.size() >= (1u << 18));
    std::string tag = o.response.text.substr(0, o.response.text.find(':'));
    std::string expect;
    while (expect.size() < (1u << 18)) expect += tag + ":" + std::to_string(expect.size()) + "\n";
    CHECK(o.response.text == expect);
  }
}
