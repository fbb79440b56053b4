// Clock: the one place production code reads time, so tests can control it.
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace ksearch {

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;

  // Monotonic time for durations and deadlines.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock Unix time in milliseconds, for records.
  virtual int64_t UnixMillis() const = 0;
};

// CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in ns: for
// accounting and benchmarks, never for deadlines.
int64_t ThreadCpuNanos();

// The real clocks. Stateless; one shared instance.
class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override;
  int64_t UnixMillis() const override;
  static SystemClock& Instance();
};

}  // namespace ksearch
