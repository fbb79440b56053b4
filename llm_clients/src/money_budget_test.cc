#include <atomic>
#include <thread>
#include <vector>

#include <catch.hpp>

#include "ksearch/llm_clients/money_budget.h"

using ksearch::llm::MoneyBudget;

TEST_CASE("money budget reserves worst case and settles actual", "[llm][budget]") {
  MoneyBudget b(1.0);
  CHECK(b.TryReserve(0.6));
  CHECK(!b.TryReserve(0.5));  // 0.6 reserved + 0.5 > 1.0
  CHECK(b.refused() == 1);
  b.Settle(0.6, 0.2);
  CHECK(b.spent() == Approx(0.2));
  CHECK(b.reserved() == Approx(0));
  CHECK(b.TryReserve(0.8));
  CHECK(!b.TryReserve(0.01));
  MoneyBudget unlimited(-1);
  CHECK(unlimited.TryReserve(1e9));
}

TEST_CASE("money budget is safe to share across threads", "[llm][budget]") {
  MoneyBudget b(10.0);
  std::vector<std::thread> ts;
  std::atomic<int> granted{0};
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (b.TryReserve(0.25)) {
          ++granted;
          b.Settle(0.25, 0.25);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  CHECK(granted == 40);  // exactly $10 worth of $0.25 calls fit
  CHECK(b.spent() <= 10.0 + 1e-9);
  CHECK(b.refused() == 360);
}
