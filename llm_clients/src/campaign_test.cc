// A campaign-sized run: hundreds of calls through the fake server with
// injected faults. Every Complete gets exactly one callback, and money spent
// never exceeds the budget.
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include <catch.hpp>

#include "test_util.h"

using namespace ksearch;
using namespace ksearch::llm;
using namespace ksearch::llm::testing;
using fakes::FakeLlmServer;
using fakes::FakeResponse;

TEST_CASE("campaign: 400 calls with faults lose nothing and stay within budget", "[llm][fault][campaign]") {
  FakeLlmServer server;
  std::mt19937 rng(12345);
  std::mutex mu;
  server.SetResponder([&](const fakes::RecordedRequest&) {
    std::lock_guard<std::mutex> lock(mu);
    int roll = static_cast<int>(rng() % 100);
    if (roll < 55) return FakeResponse::Completion("proposal " + std::to_string(roll)).WithUsage(300, 300);
    if (roll < 63) return FakeResponse::Error(429, roll % 2 ? "0" : "");
    if (roll < 70) return FakeResponse::Error(503);
    if (roll < 73) return FakeResponse::Error(500);
    if (roll < 76) return FakeResponse::Hang();
    if (roll < 80) return FakeResponse::CloseMidBody();
    if (roll < 84) return FakeResponse::TruncatedStream("cut");
    if (roll < 87) return FakeResponse::MalformedJson();
    if (roll < 90) return FakeResponse::Empty().WithUsage(300, 0);
    if (roll < 93) return FakeResponse::MaxTokens("long").WithUsage(300, 512);
    if (roll < 95) return FakeResponse::Error(400);
    return FakeResponse::Completion("slow").WithDelay(std::chrono::milliseconds(5)).WithUsage(300, 300);
  });

  auto protocol = GENERATE(Protocol::kOpenAi, Protocol::kAnthropic);
  auto stream = GENERATE(false, true);
  EndpointConfig cfg = FakeEndpoint(server, protocol, stream);
  cfg.max_concurrency = 16;
  cfg.timeout_s = 0.25;
  cfg.max_retries = 2;
  cfg.breaker_failures = 1000;  // the breaker has its own tests
  // Reserved per call: (prompt bytes + 24) * 3 $/M + 512 * 15 $/M ~ $0.0114;
  // billed per success: 300 * 3 + 300 * 15 $/M = $0.0054. 400 calls would
  // cost more than the budget, so the budget ends the campaign.
  MoneyBudget budget(1.0);
  Harness h(cfg, &budget);

  // Like the planner: keep a window of calls outstanding, submit the next
  // as each one finishes.
  const int kCalls = 400;
  const int kWindow = 24;
  int submitted = 0;
  std::map<std::string, int> callbacks;
  std::map<LlmErrorKind, int> kinds;
  double sum_cost = 0;
  std::function<void()> submit = [&] {
    const int i = submitted++;
    CompletionRequest r = SimpleRequest(std::string(1200, 'k') + std::to_string(i), "att" + std::to_string(i));
    r.max_tokens = 512;
    h.client->Complete(r, [&, id = r.attempt_id](CompletionOutcome o) {
      ++callbacks[id];
      kinds[o.ok ? LlmErrorKind::kNone : o.error.kind]++;
      sum_cost += o.ok ? o.response.cost_usd : o.error.partial.cost_usd;
      CHECK(budget.spent() <= budget.limit());
      if (submitted < kCalls) submit();
    });
  };
  for (int i = 0; i < kWindow; ++i) submit();
  h.io.run();

  REQUIRE(callbacks.size() == static_cast<size_t>(kCalls));
  for (const auto& [id, n] : callbacks) CHECK(n == 1);
  CHECK(budget.spent() <= budget.limit());
  CHECK(budget.spent() == Approx(sum_cost));
  CHECK(budget.reserved() == Approx(0).margin(1e-9));
  CHECK(kinds[LlmErrorKind::kNone] > 50);
  CHECK(kinds[LlmErrorKind::kBudget] > 0);  // the budget, not the call count, ended it
  CHECK(h.transport->InFlight() == 0);
  ClientStats s = h.client->Stats();
  CHECK(s.calls == kCalls);
  CHECK(s.succeeded + s.failed == kCalls);
  CHECK(s.retries > 0);
  CHECK(s.in_flight == 0);
  CHECK(s.queued == 0);
}

TEST_CASE("money budget: a raised limit admits what the old one refused, and keeps what was spent", "[llm][budget]") {
  MoneyBudget budget(1.0);
  REQUIRE(budget.TryReserve(0.8));
  budget.Settle(0.8, 0.7);
  CHECK_FALSE(budget.TryReserve(0.5));  // 0.7 + 0.5 > 1.0
  budget.SetLimit(2.0);                 // ksearch campaign extend --money-usd 1
  CHECK(budget.limit() == 2.0);
  CHECK(budget.spent() == Approx(0.7));
  CHECK(budget.TryReserve(0.5));
  CHECK_FALSE(budget.TryReserve(1.0));  // 0.7 + 0.5 reserved + 1.0 > 2.0
  budget.SetLimit(-1);                  // unlimited
  CHECK(budget.TryReserve(100));
  CHECK(budget.refused() == 2);
}
