#include "service/cpu_ledger.h"

#include <catch.hpp>

#include <cstdint>

#include "ksearch/core/clock.h"

namespace ksearch::daemon {
namespace {

// Burns at least `ms` of this thread's CPU (a busy loop, not a sleep).
void Burn(int ms) {
  const int64_t start = ThreadCpuNanos();
  volatile uint64_t sink = 0;
  do {
    for (int i = 0; i < 1000; ++i) sink = sink + i;
  } while (ThreadCpuNanos() - start < int64_t{ms} * 1'000'000);
}

double Of(const CpuLedger::Snapshot& s, CpuActivity a) { return s.seconds[static_cast<size_t>(a)]; }

TEST_CASE("a nested scope's CPU is charged to it alone and the outer activity resumes after it") {
  CpuLedger ledger;
  {
    CpuScope outer(ledger, CpuActivity::kFinish);
    Burn(20);
    {
      CpuScope inner(ledger, CpuActivity::kLogAppend);
      Burn(40);
    }
    Burn(20);
  }
  Burn(10);  // outside every scope: charged to nothing
  const CpuLedger::Snapshot s = ledger.Take();
  // Each activity gets at least what was burnt in it; the inner 40 ms are not
  // also counted to the outer scope (which got 2 x 20 ms plus clock overhead).
  CHECK(Of(s, CpuActivity::kLogAppend) >= 0.040);
  CHECK(Of(s, CpuActivity::kFinish) >= 0.040);
  CHECK(Of(s, CpuActivity::kFinish) < 0.040 + 0.030);
  CHECK(Of(s, CpuActivity::kPlanner) == 0);
  double scoped = 0;
  for (double v : s.seconds) scoped += v;
  CHECK(scoped <= s.thread_seconds);
  CHECK(s.thread_seconds - scoped >= 0.010);  // the unscoped 10 ms
}

TEST_CASE("a snapshot taken inside an open scope includes that scope's time so far") {
  CpuLedger ledger;
  CpuScope open(ledger, CpuActivity::kHttp);
  Burn(15);
  CHECK(Of(ledger.Take(), CpuActivity::kHttp) >= 0.015);
}

TEST_CASE("every activity has its own metric label") {
  for (int i = 0; i < static_cast<int>(CpuActivity::kCount); ++i) {
    for (int j = 0; j < i; ++j)
      CHECK(CpuActivityName(static_cast<CpuActivity>(i)) != CpuActivityName(static_cast<CpuActivity>(j)));
    CHECK(CpuActivityName(static_cast<CpuActivity>(i)) != "unknown");
  }
}

}  // namespace
}  // namespace ksearch::daemon
