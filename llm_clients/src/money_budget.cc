#include "ksearch/llm_clients/money_budget.h"

#include <algorithm>

namespace ksearch::llm {

MoneyBudget::MoneyBudget(double limit_usd) : limit_(limit_usd) {}

bool MoneyBudget::TryReserve(double usd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ >= 0 && spent_ + reserved_ + usd > limit_ + 1e-12) {
    ++refused_;
    return false;
  }
  reserved_ += usd;
  return true;
}

void MoneyBudget::Settle(double reserved, double actual) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_ = std::max(0.0, reserved_ - reserved);
  spent_ += actual;
}

void MoneyBudget::SetLimit(double limit_usd) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = limit_usd;
}

double MoneyBudget::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

double MoneyBudget::spent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spent_;
}

double MoneyBudget::reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}

int MoneyBudget::refused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

}  // namespace ksearch::llm
