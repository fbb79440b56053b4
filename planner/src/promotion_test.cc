#include <catch.hpp>

#include "ksearch/planner/promotion.h"

using namespace ksearch;
using namespace ksearch::planner;

TEST_CASE("a difference within noise is not an improvement", "[planner]") {
  // 1.5% faster with a 2% threshold: no_gain, no re-measurement.
  auto j = JudgeMeasurement(100, 0.005, 98.5, 0.005, 0.02);
  CHECK(j.kind == VerdictKind::kNoGain);
  CHECK_FALSE(j.needs_remeasure);
  // The measurement's own spread widens the margin beyond the threshold.
  auto k = JudgeMeasurement(100, 0.01, 94, 0.08, 0.02);
  CHECK(k.kind == VerdictKind::kNoGain);
  CHECK(k.margin == Approx(0.08));
}

TEST_CASE("an improvement beyond noise needs a re-measurement", "[planner]") {
  auto j = JudgeMeasurement(100, 0.01, 80, 0.01, 0.02);
  CHECK(j.kind == VerdictKind::kImproved);
  CHECK(j.needs_remeasure);
  CHECK(j.speedup_vs_parent == Approx(1.25));
  CHECK(JudgeMeasurement(100, 0.01, 110, 0.01, 0.02).kind == VerdictKind::kSlower);
}

TEST_CASE("re-measurement confirms or refutes, and gates the best", "[planner]") {
  auto first = JudgeRemeasurement(100, 0.01, 90, 0.01, 85, 0.01, 0.02);
  CHECK(first.agrees);
  CHECK(first.needs_another);  // a new best takes two agreeing re-measurements
  CHECK_FALSE(first.promote_best);
  auto ok = JudgeRemeasurement(100, 0.01, 90, 0.01, 85, 0.01, 0.02, 1);
  CHECK(ok.agrees);
  CHECK_FALSE(ok.needs_another);
  CHECK(ok.promote_best);
  auto not_best = JudgeRemeasurement(100, 0.01, 86, 0.01, 85, 0.01, 0.02);
  CHECK(not_best.agrees);
  CHECK_FALSE(not_best.needs_another);  // an elite, but within noise of the current best
  CHECK_FALSE(not_best.promote_best);
  auto refuted = JudgeRemeasurement(100, 0.01, 90, 0.01, 99, 0.01, 0.02);
  CHECK_FALSE(refuted.agrees);
  CHECK_FALSE(refuted.promote_best);
}
