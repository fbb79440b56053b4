// HttpLlmClient against the loopback fake server: wire format, failure policy.
#include <catch.hpp>

#include <boost/asio/steady_timer.hpp>

#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

TEST_CASE("openai: one call sends the chat-completions request and accounts the reply", "[llm]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Completion("use float4 loads").WithUsage(120, 30));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.sampling.top_p = 0.9;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("make it faster"));

  REQUIRE(o.ok);
  CHECK(o.response.text == "use float4 loads");
  CHECK(o.response.finish_reason == "stop");
  CHECK(o.response.input_tokens == 120);
  CHECK(o.response.output_tokens == 30);
  CHECK(o.response.cost_usd == Approx(h.client->PriceUsd(120, 30)));
  CHECK(o.response.cost_usd == Approx((120 * 3.0 + 30 * 15.0) / 1e6));
  CHECK(o.response.endpoint == "fake-openai");
  CHECK(o.response.retries == 0);
  CHECK(o.response.latency_ms > 0);

  auto reqs = server.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/v1/chat/completions");
  CHECK(reqs[0].Header("authorization").empty());  // no key configured
  auto body = reqs[0].Json();
  CHECK(body["model"] == "fake-model-1");
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][0]["content"] == "You are a kernel engineer.");
  CHECK(body["messages"][1]["content"] == "make it faster");
  CHECK(body["max_tokens"] == 256);
  CHECK(body["top_p"] == Approx(0.9));
  CHECK(!body.contains("stream"));
  CHECK(o.response.request_body == reqs[0].body);
}

TEST_CASE("anthropic: one call sends the Messages request with version header", "[llm]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Completion("tile by 128").WithUsage(50, 7));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kAnthropic);
  setenv("KSEARCH_TEST_ANTHROPIC_KEY", "sk-ant-test-123", 1);
  cfg.api_key_env = "KSEARCH_TEST_ANTHROPIC_KEY";
  Harness h(cfg);
  CompletionRequest r = SimpleRequest("speed up");
  r.temperature = 0.2;
  CompletionOutcome o = h.Call(r);

  REQUIRE(o.ok);
  CHECK(o.response.text == "tile by 128");
  CHECK(o.response.finish_reason == "end_turn");
  CHECK(o.response.input_tokens == 50);
  CHECK(o.response.output_tokens == 7);
  auto reqs = server.Requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1/messages");
  CHECK(reqs[0].Header("x-api-key") == "sk-ant-test-123");
  CHECK(reqs[0].Header("anthropic-version") == "2023-06-01");
  auto body = reqs[0].Json();
  CHECK(body["system"] == "You are a kernel engineer.");
  CHECK(body["messages"].size() == 1);
  CHECK(body["temperature"] == Approx(0.2));
}

TEST_CASE("retryable statuses are retried until success", "[llm][fault]") {
  FakeLlmServer server;
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  auto status = GENERATE(429, 500, 502, 503, 529);
  server.Enqueue(FakeResponse::Error(status));
  server.Enqueue(FakeResponse::Error(status));
  server.Enqueue(FakeResponse::Completion("finally"));
  Harness h(FakeEndpoint(server, protocol));
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  INFO("status " << status);
  REQUIRE(o.ok);
  CHECK(o.response.text == "finally");
  CHECK(o.response.retries == 2);
  CHECK(server.RequestCount() == 3);
  CHECK(h.client->Stats().retries == 2);
  // Without Retry-After the delay is full jitter under the configured cap.
  CHECK(h.client->Stats().last_backoff_s >= 0);
  CHECK(h.client->Stats().last_backoff_s <= 0.002 + 1e-9);  // initial * 2^(2-1)
}

TEST_CASE("429 with Retry-After waits exactly that long", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Error(429, "1"));
  server.Enqueue(FakeResponse::Completion("after the wait"));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.backoff_max_s = 5;  // Retry-After is capped by backoff_max_s
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(o.ok);
  CHECK(h.client->Stats().last_backoff_s == Approx(1.0));
  CHECK(o.response.retries == 1);
}

TEST_CASE("non-retryable statuses fail at once with the API's message", "[llm][fault]") {
  FakeLlmServer server;
  auto status = GENERATE(400, 401, 403, 404);
  server.Enqueue(FakeResponse::Error(status));
  Harness h(FakeEndpoint(server, Protocol::kOpenAi));
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kHttpStatus);
  CHECK(o.error.http_status == status);
  CHECK(o.error.message.find("fake error " + std::to_string(status)) != std::string::npos);
  CHECK(o.error.message.find("fake-openai") != std::string::npos);
  CHECK(server.RequestCount() == 1);
}

TEST_CASE("retries exhausted report the last status and the attempt count", "[llm][fault]") {
  FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Error(503); });
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.max_retries = 2;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kHttpStatus);
  CHECK(o.error.http_status == 503);
  CHECK(o.error.message.find("gave up after 3 attempts") != std::string::npos);
  CHECK(server.RequestCount() == 3);
  CHECK(o.error.partial.retries == 2);
}

TEST_CASE("a hung endpoint times out per attempt and is retried", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Hang());
  server.Enqueue(FakeResponse::Completion("second try"));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.timeout_s = 0.2;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(o.ok);
  CHECK(o.response.text == "second try");
  CHECK(o.response.retries == 1);
}

TEST_CASE("a hung endpoint with no retries left is kTimeout", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Hang());
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kAnthropic);
  cfg.timeout_s = 0.1;
  cfg.max_retries = 0;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kTimeout);
}

TEST_CASE("the call deadline bounds all retries", "[llm][fault]") {
  FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Hang(); });
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.timeout_s = 10;
  cfg.deadline_s = 0.15;
  cfg.max_retries = 10;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kTimeout);
  CHECK(h.transport->InFlight() == 0);  // the hung request was cancelled
}

TEST_CASE("connection closed mid-body is kConnection and retried", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::CloseMidBody());
  server.Enqueue(FakeResponse::CloseMidBody());
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.max_retries = 1;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kConnection);
  CHECK(server.RequestCount() == 2);
}

TEST_CASE("connection refused is kConnection", "[llm][fault]") {
  std::string url;
  {
    FakeLlmServer server;
    url = server.BaseUrl();
  }  // stopped: nothing listens on that port now
  EndpointConfig c;
  c.name = "gone";
  c.base_url = url + "/v1";
  c.model = "m";
  c.max_retries = 1;
  c.backoff_initial_s = 0.001;
  c.backoff_max_s = 0.001;
  Harness h(c);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kConnection);
  CHECK(o.error.partial.retries == 1);
}

TEST_CASE("malformed, empty and max-tokens replies are typed errors, not retried", "[llm][fault]") {
  FakeLlmServer server;
  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  Harness h(FakeEndpoint(server, protocol));
  SECTION("malformed JSON") {
    server.Enqueue(FakeResponse::MalformedJson());
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kMalformed);
    CHECK(!o.error.partial.response_body.empty());
  }
  SECTION("empty completion") {
    server.Enqueue(FakeResponse::Empty().WithUsage(10, 0));
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kEmpty);
    CHECK(o.error.partial.input_tokens == 10);  // billed tokens still accounted
  }
  SECTION("stopped by the token limit") {
    server.Enqueue(FakeResponse::MaxTokens("half a kern").WithUsage(10, 256));
    CompletionOutcome o = h.Call(SimpleRequest("p"));
    REQUIRE(!o.ok);
    CHECK(o.error.kind == LlmErrorKind::kMaxTokens);
    CHECK(o.error.partial.text == "half a kern");
    CHECK(o.error.partial.output_tokens == 256);
    CHECK(o.error.partial.cost_usd == Approx(h.client->PriceUsd(10, 256)));
  }
  CHECK(server.RequestCount() == 1);
}

TEST_CASE("circuit breaker opens after consecutive failures and recovers via a probe", "[llm][fault]") {
  FakeLlmServer server;
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.max_retries = 0;
  cfg.breaker_failures = 3;
  cfg.breaker_cooldown_s = 0.05;
  Harness h(cfg);
  for (int i = 0; i < 3; ++i) server.Enqueue(FakeResponse::Error(500));
  for (int i = 0; i < 3; ++i) CHECK(h.Call(SimpleRequest("p")).error.kind == LlmErrorKind::kHttpStatus);
  CHECK(h.client->Stats().breaker == "open");

  CompletionOutcome fast = h.Call(SimpleRequest("p"));
  REQUIRE(!fast.ok);
  CHECK(fast.error.kind == LlmErrorKind::kCircuitOpen);
  CHECK(fast.error.message.find("HTTP 500") != std::string::npos);
  CHECK(server.RequestCount() == 3);  // the open breaker did not call

  // After the cool-down one probe goes through; its success closes the breaker.
  boost::asio::steady_timer t(h.io, std::chrono::milliseconds(60));
  t.wait();
  server.Enqueue(FakeResponse::Completion("healthy again"));
  CompletionOutcome probe = h.Call(SimpleRequest("p"));
  REQUIRE(probe.ok);
  CHECK(h.client->Stats().breaker == "closed");
  CHECK(server.RequestCount() == 4);
}

TEST_CASE("a failed half-open probe reopens the breaker", "[llm][fault]") {
  FakeLlmServer server;
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.max_retries = 0;
  cfg.breaker_failures = 1;
  cfg.breaker_cooldown_s = 0.03;
  Harness h(cfg);
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Error(502); });
  CHECK(h.Call(SimpleRequest("p")).error.kind == LlmErrorKind::kHttpStatus);
  boost::asio::steady_timer t(h.io, std::chrono::milliseconds(40));
  t.wait();
  CHECK(h.Call(SimpleRequest("p")).error.kind == LlmErrorKind::kHttpStatus);  // the probe
  CHECK(h.client->Stats().breaker == "open");
  CHECK(h.Call(SimpleRequest("p")).error.kind == LlmErrorKind::kCircuitOpen);
  CHECK(server.RequestCount() == 2);
}

TEST_CASE("max_concurrency caps requests in flight; the rest queue", "[llm]") {
  FakeLlmServer server;
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Hang(); });
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.max_concurrency = 2;
  Harness h(cfg);
  std::vector<CompletionOutcome> out;
  for (int i = 0; i < 5; ++i) h.Start(SimpleRequest("p" + std::to_string(i)), &out);
  while (server.RequestCount() < 2) h.io.run_one_for(std::chrono::milliseconds(10));
  h.io.run_for(std::chrono::milliseconds(50));
  CHECK(server.RequestCount() == 2);
  CHECK(h.client->Stats().in_flight == 2);
  CHECK(h.client->Stats().queued == 3);

  h.client->CancelAll();
  h.io.restart();
  h.io.run();
  REQUIRE(out.size() == 5);
  for (const auto& o : out) CHECK(o.error.kind == LlmErrorKind::kCancelled);
  CHECK(h.transport->InFlight() == 0);
  CHECK(server.RequestCount() == 2);
}

TEST_CASE("requests_per_minute holds calls back in the queue", "[llm]") {
  FakeLlmServer server;
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.requests_per_minute = 2;  // bucket of 2, refills one per 30 s
  Harness h(cfg);
  std::vector<CompletionOutcome> out;
  for (int i = 0; i < 4; ++i) h.Start(SimpleRequest("p"), &out);
  h.io.run_for(std::chrono::milliseconds(300));
  CHECK(out.size() == 2);
  CHECK(server.RequestCount() == 2);
  CHECK(h.client->Stats().queued == 2);
  h.client->CancelAll();
  h.io.restart();
  h.io.run();
  CHECK(out.size() == 4);
}

TEST_CASE("a call that does not fit the money budget is refused without a request", "[llm]") {
  FakeLlmServer server;
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  MoneyBudget budget(0.001);  // 256 output tokens at $15/M alone is $0.00384
  Harness h(cfg, &budget);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kBudget);
  CHECK(server.RequestCount() == 0);
  CHECK(budget.refused() == 1);
  CHECK(budget.spent() == 0);
}

TEST_CASE("a request's own budget is enforced with the client's, and both settle", "[llm]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Completion("one").WithUsage(100, 10));
  server.Enqueue(FakeResponse::Completion("two").WithUsage(100, 10));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  MoneyBudget deployment(-1);  // unlimited: accounts only
  Harness h(cfg, &deployment);
  const double billed = h.client->PriceUsd(100, 10);
  // One call reserves at most ~256 output tokens at $15/M plus a few hundred
  // input bytes at $3/M: about $0.0045. Room for one call, not two at once.
  MoneyBudget campaign(0.006);
  CompletionRequest r = SimpleRequest("p");
  r.budget = &campaign;
  std::vector<CompletionOutcome> out;
  h.Start(r, &out);
  h.Start(r, &out);  // does not fit while the first is reserved
  h.io.run();
  REQUIRE(out.size() == 2);
  int ok = 0, refused = 0;
  for (const auto& o : out) {
    ok += o.ok;
    if (!o.ok && o.error.kind == LlmErrorKind::kBudget) {
      ++refused;
      CHECK(o.error.message.find("request money budget") != std::string::npos);
    }
  }
  CHECK(ok == 1);
  CHECK(refused == 1);
  CHECK(server.RequestCount() == 1);
  CHECK(campaign.spent() == Approx(billed));
  CHECK(campaign.reserved() == Approx(0).margin(1e-12));
  CHECK(deployment.spent() == Approx(billed));
  CHECK(deployment.reserved() == Approx(0).margin(1e-12));

  // After settling, the campaign has room again for a call of the same size.
  CompletionOutcome again = h.Call(r);
  CHECK(again.ok);
  CHECK(campaign.spent() == Approx(2 * billed));
  CHECK(deployment.spent() == Approx(2 * billed));
}

TEST_CASE("destroying a client with calls in flight delivers kCancelled", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Hang());
  Harness h(FakeEndpoint(server, Protocol::kOpenAi));
  std::vector<CompletionOutcome> out;
  h.Start(SimpleRequest("p"), &out);
  while (server.RequestCount() < 1) h.io.run_one_for(std::chrono::milliseconds(10));
  h.client.reset();
  h.io.restart();
  h.io.run();
  REQUIRE(out.size() == 1);
  CHECK(out[0].error.kind == LlmErrorKind::kCancelled);
}

TEST_CASE("Retry-After as an HTTP-date in the past retries at once", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Error(503, "Wed, 21 Oct 2015 07:28:00 GMT"));
  server.Enqueue(FakeResponse::Completion("ok"));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kAnthropic);
  cfg.backoff_initial_s = 0.5;  // jitter would almost surely wait > 0
  cfg.backoff_max_s = 1;
  Harness h(cfg);
  REQUIRE(h.Call(SimpleRequest("p")).ok);
  CHECK(h.client->Stats().last_backoff_s == 0);
}

TEST_CASE("a Retry-After that passes the deadline fails now with the last error", "[llm][fault]") {
  FakeLlmServer server;
  server.Enqueue(FakeResponse::Error(429, "30"));
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.backoff_max_s = 60;
  cfg.deadline_s = 2;
  Harness h(cfg);
  CompletionOutcome o = h.Call(SimpleRequest("p"));
  REQUIRE(!o.ok);
  CHECK(o.error.kind == LlmErrorKind::kHttpStatus);
  CHECK(o.error.http_status == 429);
  CHECK(o.error.message.find("deadline comes first") != std::string::npos);
  CHECK(server.RequestCount() == 1);
}

TEST_CASE("tokens_per_minute admits calls by their token estimate", "[llm]") {
  FakeLlmServer server;
  // Bill more than the estimate so no refund frees the bucket during the test.
  server.SetResponder([](const fakes::RecordedRequest&) { return FakeResponse::Completion("x").WithUsage(400, 256); });
  EndpointConfig cfg = FakeEndpoint(server, Protocol::kOpenAi);
  cfg.tokens_per_minute = 1000;  // each call estimates ~ 256 + prompt/4 ~ 263 tokens
  Harness h(cfg);
  std::vector<CompletionOutcome> out;
  for (int i = 0; i < 5; ++i) h.Start(SimpleRequest("p"), &out);
  h.io.run_for(std::chrono::milliseconds(300));
  CHECK(server.RequestCount() == 3);
  CHECK(out.size() == 3);
  CHECK(h.client->Stats().queued == 2);
  h.client->CancelAll();
  h.io.restart();
  h.io.run();
  CHECK(out.size() == 5);
}
