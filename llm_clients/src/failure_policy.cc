#include "failure_policy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <string>

namespace ksearch::llm {

namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Parses the three HTTP-date forms of RFC 9110 section 5.6.7 (all GMT).
std::optional<double> ParseHttpDate(const std::string& s) {
  static const char* kFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate
      "%A, %d-%b-%y %H:%M:%S GMT",  // RFC 850
      "%a %b %e %H:%M:%S %Y",       // asctime
  };
  for (const char* f : kFormats) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), f, &tm);
    if (end != nullptr && *end == '\0') return static_cast<double>(timegm(&tm));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Seconds> ParseRetryAfter(std::string_view value, double now_unix_s) {
  std::string v = Trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::nullopt;
    return Seconds(std::stod(v));
  }
  // Some gateways send fractional seconds ("0.5"); accept them.
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end != nullptr && *end == '\0' && d >= 0 && std::isfinite(d)) return Seconds(d);
  auto date = ParseHttpDate(v);
  if (!date) return std::nullopt;
  return Seconds(std::max(0.0, *date - now_unix_s));
}

Seconds FullJitterBackoff(int attempt, double initial_s, double max_s, std::mt19937_64& rng) {
  double exp = initial_s * std::pow(2.0, std::max(0, attempt - 1));
  double cap = std::min(max_s, exp);
  if (cap <= 0) return Seconds(0);
  std::uniform_real_distribution<double> dist(0.0, cap);
  return Seconds(dist(rng));
}

bool IsRetryableStatus(int status) {
  switch (status) {
    case 408: case 429: case 500: case 502: case 503: case 504: case 529:
      return true;
    default:
      return false;
  }
}

TokenBucket::TokenBucket(double per_minute, SteadyTime now)
    : capacity_(per_minute), tokens_(per_minute), last_(now) {}

void TokenBucket::Refill(SteadyTime now) {
  if (unlimited() || now <= last_) return;
  double dt = Seconds(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + dt * capacity_ / 60.0);
  last_ = now;
}

bool TokenBucket::TryTake(double n, SteadyTime now) {
  if (unlimited()) return true;
  Refill(now);
  n = std::min(n, capacity_);
  if (tokens_ + 1e-9 < n) return false;
  tokens_ -= n;
  return true;
}

Seconds TokenBucket::WaitFor(double n, SteadyTime now) {
  if (unlimited()) return Seconds(0);
  Refill(now);
  n = std::min(n, capacity_);
  if (tokens_ >= n) return Seconds(0);
  return Seconds((n - tokens_) * 60.0 / capacity_);
}

void TokenBucket::Refund(double n, SteadyTime now) {
  if (unlimited() || n <= 0) return;
  Refill(now);
  tokens_ = std::min(capacity_, tokens_ + n);
}

double TokenBucket::available(SteadyTime now) {
  Refill(now);
  return tokens_;
}

CircuitBreaker::CircuitBreaker(int failures_to_open, Seconds cooldown)
    : failures_to_open_(failures_to_open), cooldown_(cooldown) {}

CircuitBreaker::Admit CircuitBreaker::Allow(SteadyTime now) {
  if (failures_to_open_ <= 0) return Admit::kYes;  // breaker disabled
  switch (state_) {
    case State::kClosed:
      return Admit::kYes;
    case State::kOpen:
      if (now - opened_at_ < cooldown_) return Admit::kNo;
      state_ = State::kHalfOpen;
      probe_out_ = false;
      [[fallthrough]];
    case State::kHalfOpen:
      if (probe_out_) return Admit::kNo;
      probe_out_ = true;
      return Admit::kProbe;
  }
  return Admit::kNo;
}

void CircuitBreaker::RecordSuccess() {
  consecutive_failures_ = 0;
  state_ = State::kClosed;
  probe_out_ = false;
}

void CircuitBreaker::RecordFailure(SteadyTime now) {
  ++consecutive_failures_;
  if (failures_to_open_ <= 0) return;
  if (state_ == State::kHalfOpen || consecutive_failures_ >= failures_to_open_) {
    state_ = State::kOpen;
    opened_at_ = now;
    probe_out_ = false;
  }
}

void CircuitBreaker::ReleaseProbe() {
  if (state_ == State::kHalfOpen) probe_out_ = false;
}

std::string_view CircuitBreaker::Name(State s) {
  switch (s) {
    case State::kClosed: return "closed";
    case State::kOpen: return "open";
    case State::kHalfOpen: return "half_open";
  }
  return "unknown";
}

}  // namespace ksearch::llm
