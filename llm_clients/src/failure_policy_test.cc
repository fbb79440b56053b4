// Retry-After, backoff, token buckets and the breaker, on explicit time.
#include <catch.hpp>

#include "failure_policy.h"

using namespace ksearch::llm;
using namespace std::chrono_literals;

TEST_CASE("Retry-After parses seconds and HTTP-dates", "[llm][policy]") {
  const double now = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(ParseRetryAfter("120", now)->count() == Approx(120));
  CHECK(ParseRetryAfter(" 0 ", now)->count() == Approx(0));
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now)->count() == Approx(30));
  CHECK(ParseRetryAfter("Wednesday, 21-Oct-15 07:29:00 GMT", now)->count() == Approx(60));
  CHECK(ParseRetryAfter("Wed Oct 21 07:28:05 2015", now)->count() == Approx(5));
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now)->count() == Approx(0));  // past
  CHECK(!ParseRetryAfter("soon", now));
  CHECK(!ParseRetryAfter("", now));
  CHECK(!ParseRetryAfter("-5", now));
}

TEST_CASE("full-jitter backoff stays within its exponential cap", "[llm][policy]") {
  std::mt19937_64 rng(1);
  for (int attempt = 1; attempt <= 10; ++attempt) {
    double cap = std::min(8.0, 0.5 * std::pow(2.0, attempt - 1));
    double lo = 1e9, hi = 0;
    for (int i = 0; i < 200; ++i) {
      double d = FullJitterBackoff(attempt, 0.5, 8.0, rng).count();
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      REQUIRE(d >= 0);
      REQUIRE(d <= cap);
    }
    CHECK(hi > cap * 0.5);  // actually spread over the range
    CHECK(lo < cap * 0.5);
  }
}

TEST_CASE("retryable statuses", "[llm][policy]") {
  for (int s : {408, 429, 500, 502, 503, 504, 529}) CHECK(IsRetryableStatus(s));
  for (int s : {200, 400, 401, 403, 404, 413, 422, 501}) CHECK(!IsRetryableStatus(s));
}

TEST_CASE("token bucket refills at capacity per minute", "[llm][policy]") {
  SteadyTime t0{};
  TokenBucket b(60, t0);  // one per second
  for (int i = 0; i < 60; ++i) REQUIRE(b.TryTake(1, t0));
  CHECK(!b.TryTake(1, t0));
  CHECK(b.WaitFor(1, t0).count() == Approx(1.0));
  CHECK(b.WaitFor(3, t0).count() == Approx(3.0));
  CHECK(b.TryTake(1, t0 + 1s));
  CHECK(!b.TryTake(1, t0 + 1s));
  b.Refund(10, t0 + 1s);
  CHECK(b.available(t0 + 1s) == Approx(10));
  CHECK(b.available(t0 + 1000s) == Approx(60));  // capped
  CHECK(b.TryTake(500, t0 + 1000s));            // n clamped to capacity
  TokenBucket unlimited(0, t0);
  CHECK(unlimited.TryTake(1e12, t0));
  CHECK(unlimited.WaitFor(1e12, t0).count() == 0);
}

TEST_CASE("circuit breaker: closed, open, half-open probe", "[llm][policy]") {
  SteadyTime t0{};
  CircuitBreaker b(3, Seconds(10));
  using A = CircuitBreaker::Admit;
  CHECK(b.Allow(t0) == A::kYes);
  b.RecordFailure(t0);
  b.RecordFailure(t0);
  b.RecordSuccess();  // resets the count
  b.RecordFailure(t0);
  b.RecordFailure(t0);
  CHECK(b.state() == CircuitBreaker::State::kClosed);
  b.RecordFailure(t0);
  CHECK(b.state() == CircuitBreaker::State::kOpen);
  CHECK(b.Allow(t0 + 9s) == A::kNo);
  CHECK(b.Allow(t0 + 10s) == A::kProbe);
  CHECK(b.state() == CircuitBreaker::State::kHalfOpen);
  CHECK(b.Allow(t0 + 10s) == A::kNo);  // one probe at a time
  b.ReleaseProbe();
  CHECK(b.Allow(t0 + 10s) == A::kProbe);
  b.RecordFailure(t0 + 11s);  // probe failed: open again, cool-down restarts
  CHECK(b.state() == CircuitBreaker::State::kOpen);
  CHECK(b.Allow(t0 + 20s) == A::kNo);
  CHECK(b.Allow(t0 + 21s) == A::kProbe);
  b.RecordSuccess();
  CHECK(b.state() == CircuitBreaker::State::kClosed);
  CHECK(b.Allow(t0 + 21s) == A::kYes);
}
