// MoneyBudget: the campaign's spending limit in USD, shared by all clients.
//
// A call reserves its worst-case cost (input estimate + max_tokens of output)
// before it is sent, and settles to the billed cost when it ends, so the sum
// of settled costs never exceeds the limit as long as endpoints bill at most
// what was reserved. A call whose reservation does not fit is refused (kBudget).
// Thread-safety: all methods are safe from any thread (guarded by mu_).
#pragma once

#include <mutex>

namespace ksearch::llm {

class MoneyBudget {
 public:
  // limit_usd < 0: unlimited (still accounts).
  explicit MoneyBudget(double limit_usd);
  MoneyBudget(const MoneyBudget&) = delete;
  MoneyBudget& operator=(const MoneyBudget&) = delete;

  // Reserves `usd` if spent + reserved + usd <= limit; false otherwise.
  bool TryReserve(double usd);
  // Releases `reserved` and adds `actual` to the spent total.
  void Settle(double reserved, double actual);

  // A new limit (a campaign's budget was extended); < 0: unlimited. What is
  // spent and reserved stays; a call is judged against the limit in force
  // when it reserves.
  void SetLimit(double limit_usd);

  double limit() const;
  double spent() const;
  double reserved() const;
  int refused() const;  // TryReserve calls that returned false

 private:
  mutable std::mutex mu_;
  double limit_;         // guarded by mu_
  double spent_ = 0;     // guarded by mu_
  double reserved_ = 0;  // guarded by mu_
  int refused_ = 0;      // guarded by mu_
};

}  // namespace ksearch::llm
