// Pure pieces of the failure policy: Retry-After parsing, backoff with full
// jitter, token buckets and the circuit breaker. Internal to llm_clients.
// Every function takes the current time as an argument, so tests drive time.
// Thread-safety: none of these objects is shared between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace ksearch::llm {

using SteadyTime = std::chrono::steady_clock::time_point;
using Seconds = std::chrono::duration<double>;

// Retry-After as delta-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015
// 07:28:00 GMT"; RFC 850 and asctime forms too), relative to `now_unix_s`.
// A date in the past yields 0. Unparsable: nullopt.
std::optional<Seconds> ParseRetryAfter(std::string_view value, double now_unix_s);

// Full jitter: uniform(0, min(max, initial * 2^(attempt-1))), attempt >= 1.
Seconds FullJitterBackoff(int attempt, double initial_s, double max_s, std::mt19937_64& rng);

// HTTP statuses worth retrying: 408, 429, 500, 502, 503, 504, 529.
bool IsRetryableStatus(int status);

// A token bucket: `capacity` tokens, refilled at capacity per minute.
// capacity <= 0: unlimited.
class TokenBucket {
 public:
  TokenBucket(double per_minute, SteadyTime now);
  bool unlimited() const { return capacity_ <= 0; }
  // Takes `n` tokens (n is clamped to the capacity) if available.
  bool TryTake(double n, SteadyTime now);
  // How long until `n` tokens are available (0 if now).
  Seconds WaitFor(double n, SteadyTime now);
  // Returns tokens (e.g. an over-estimate), capped at capacity.
  void Refund(double n, SteadyTime now);
  double available(SteadyTime now);

 private:
  void Refill(SteadyTime now);
  double capacity_;
  double tokens_;
  SteadyTime last_;
};

// Per-endpoint circuit breaker; see the diagram in http_llm_client.h.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  enum class Admit { kYes, kProbe, kNo };
  CircuitBreaker(int failures_to_open, Seconds cooldown);

  // kProbe: the caller is the single half-open probe and must report back.
  Admit Allow(SteadyTime now);
  void RecordSuccess();
  void RecordFailure(SteadyTime now);
  // A probe that ended without telling anything (cancelled): allow another.
  void ReleaseProbe();
  State state() const { return state_; }
  static std::string_view Name(State s);

 private:
  const int failures_to_open_;
  const Seconds cooldown_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  bool probe_out_ = false;
  SteadyTime opened_at_{};
};

}  // namespace ksearch::llm
