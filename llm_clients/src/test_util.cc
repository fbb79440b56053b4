#include "test_util.h"

#include <catch.hpp>
#include <spdlog/spdlog.h>

namespace ksearch::llm::testing {

EndpointConfig FakeEndpoint(const fakes::FakeLlmServer& server, Protocol p, bool stream) {
  EndpointConfig c;
  c.name = p == Protocol::kAnthropic ? "fake-anthropic" : "fake-openai";
  c.protocol = p;
  c.base_url = p == Protocol::kAnthropic ? server.BaseUrl() : server.BaseUrl() + "/v1";
  c.model = "fake-model-1";
  c.stream = stream;
  c.max_concurrency = 4;
  c.price_input_per_mtok = 3;
  c.price_output_per_mtok = 15;
  c.timeout_s = 5;
  c.max_retries = 3;
  c.backoff_initial_s = 0.001;
  c.backoff_max_s = 0.01;
  c.breaker_failures = 100;
  c.breaker_cooldown_s = 0.05;
  return c;
}

CompletionRequest SimpleRequest(const std::string& prompt, const std::string& attempt_id) {
  CompletionRequest r;
  r.system = "You are a kernel engineer.";
  r.messages.push_back({"user", prompt});
  r.max_tokens = 256;
  r.attempt_id = attempt_id;
  return r;
}

Harness::Harness(const EndpointConfig& c, MoneyBudget* budget) : transport(NewCurlTransport(io)) {
  auto made = HttpLlmClient::New(io, c, *transport, budget, /*rng_seed=*/7);
  REQUIRE(made.ok());
  client = std::move(made).value();
  // Fault tests produce many expected warnings; keep test output readable.
  // (secrets_test raises the level itself to capture everything.)
  spdlog::get("ksearch.llm")->set_level(spdlog::level::err);
}

CompletionOutcome Harness::Call(CompletionRequest r) {
  std::vector<CompletionOutcome> out;
  Start(std::move(r), &out);
  io.restart();
  io.run();
  REQUIRE(out.size() == 1);
  return out[0];
}

void Harness::Start(CompletionRequest r, std::vector<CompletionOutcome>* out) {
  client->Complete(std::move(r), [out](CompletionOutcome o) { out->push_back(std::move(o)); });
}

}  // namespace ksearch::llm::testing
