#include <catch.hpp>

#include "ksearch/planner/promotion.h"

using namespace ksearch;
using namespace ksearch::planner;

TEST_CASE("a difference within noise is not an improvement", "[planner]") {
  // 0.5% faster with a 2% threshold (screen at half): no_gain, no re-measurement.
  auto j = JudgeMeasurement(100, 0.005, 99.5, 0.005, 0.02);
  CHECK(j.kind == VerdictKind::kNoGain);
  CHECK_FALSE(j.needs_remeasure);
  // The measurement's own spread widens the margin beyond the threshold.
  auto k = JudgeMeasurement(100, 0.01, 97, 0.08, 0.02);
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

TEST_CASE("re-measurements are a sequential test on their mean", "[planner][noise]") {
  const TimeEstimate parent{100, 1, 0.02};  // sigma 1%
  const TimeEstimate none{0, 0, 0};
  SECTION("a new best needs kMinBestRemeasures re-measurements") {
    for (int n = 1; n < kMinBestRemeasures; ++n) {
      auto early = JudgeRemeasurement(parent, none, {85, n, 0.02}, 0.02);
      CHECK_FALSE(early.agrees);
      CHECK(early.needs_another);
      CHECK_FALSE(early.promote_best);
    }
    auto enough = JudgeRemeasurement(parent, none, {85, kMinBestRemeasures, 0.02}, 0.02);
    CHECK(enough.agrees);
    CHECK_FALSE(enough.needs_another);
    CHECK(enough.promote_best);
  }
  SECTION("an elite needs kMinConfirmRemeasures (a median of three resists one outlier)") {
    auto two = JudgeRemeasurement(parent, {86, 2, 0.02}, {85, kMinConfirmRemeasures - 1, 0.02}, 0.02);
    CHECK_FALSE(two.agrees);
    CHECK(two.needs_another);
  }
  SECTION("faster than the parent but within noise of the best: an elite, not a best") {
    auto j = JudgeRemeasurement(parent, {86, 2, 0.02}, {85, kMinConfirmRemeasures, 0.02}, 0.02);
    CHECK(j.agrees);
    CHECK_FALSE(j.promote_best);
    CHECK(j.previous_best_us == 86);
  }
  SECTION("not faster: refuted at once") {
    auto j = JudgeRemeasurement(parent, none, {100.5, 1, 0.02}, 0.02);
    CHECK_FALSE(j.agrees);
    CHECK_FALSE(j.needs_another);
  }
  SECTION("ambiguous: re-measure again, up to the limit") {
    auto j = JudgeRemeasurement(parent, {90, 1, 0.02}, {97, 1, 0.02}, 0.02);
    CHECK_FALSE(j.agrees);
    CHECK(j.needs_another);
    auto last = JudgeRemeasurement(parent, {90, 1, 0.02}, {99, kMaxRemeasures, 0.02}, 0.02);
    CHECK_FALSE(last.agrees);
    CHECK_FALSE(last.needs_another);
  }
  SECTION("the noise threshold applies even with tight measurements") {
    auto j = JudgeRemeasurement({100, 4, 0.001}, {100, 4, 0.001}, {99, 4, 0.001}, 0.02);
    CHECK_FALSE(j.agrees);
  }
}

TEST_CASE("a re-measurement much faster than the first is an outlier suspect", "[planner][noise]") {
  CHECK(OutlierSuspect(80, 60, 0.02));
  CHECK_FALSE(OutlierSuspect(80, 79, 0.02));
  CHECK_FALSE(OutlierSuspect(80, 95, 0.02));  // slower than the selected first: expected
  const TimeEstimate parent{100, 1, 0.02}, best{50, 1, 0.02};
  auto one = JudgeRemeasurement(parent, best, {60, 1, 0.02}, 0.02, /*suspect=*/true);
  CHECK(one.needs_another);
  CHECK_FALSE(one.agrees);
  auto three = JudgeRemeasurement(parent, best, {84, kSuspectRemeasures, 0.02}, 0.02, true);
  CHECK(three.agrees);
  CHECK_FALSE(three.promote_best);
  CHECK(MedianOf({84, 60, 86}) == 84);
  CHECK(MedianOf({1, 3}) == 2);
}

TEST_CASE("precise measurements confirm and refute without extra samples", "[planner][noise]") {
  // spread 0.2% (sigma 0.1%) against a 2% threshold: precision is not the limit.
  const TimeEstimate parent{100, 1, 0.002};
  const TimeEstimate none{0, 0, 0};
  SECTION("one re-measurement that agrees with the first confirms, a best too") {
    auto j = JudgeRemeasurement(parent, none, {90, 1, 0.002, /*rel_range=*/0.001}, 0.02);
    CHECK(j.agrees);
    CHECK(j.promote_best);
    CHECK_FALSE(j.needs_another);
  }
  SECTION("disagreeing samples (an outlier) take the usual path") {
    auto j = JudgeRemeasurement(parent, none, {90, 1, 0.002, /*rel_range=*/0.15}, 0.02);
    CHECK_FALSE(j.agrees);
    CHECK(j.needs_another);
  }
  SECTION("a gain that cannot clear the threshold is refuted at once") {
    auto j = JudgeRemeasurement(parent, none, {99, 1, 0.002}, 0.02);
    CHECK_FALSE(j.agrees);
    CHECK_FALSE(j.needs_another);
  }
  SECTION("noisy measurements keep the minimum counts") {
    auto j = JudgeRemeasurement({100, 1, 0.02}, none, {90, 1, 0.02}, 0.02);
    CHECK(j.needs_another);
  }
}
