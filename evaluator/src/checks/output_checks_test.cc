#include "checks/output_checks.h"

#include <catch.hpp>
#include <cmath>
#include <random>
#include <vector>

namespace ksearch::evaluator::checks {
namespace {

std::vector<double> Random(size_t n, unsigned seed, double scale) {
  std::mt19937 g(seed);
  std::normal_distribution<double> d(0, scale);
  std::vector<double> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

}  // namespace

TEST_CASE("constant outputs are rejected when the reference varies", "[evaluator][checks]") {
  auto ref = Random(1000, 1, 1e-4);  // small-valued: an all-zero output is close in abs terms
  std::vector<double> zeros(ref.size(), 0.0);
  auto v = CheckConstantOutput(zeros, ref, 1e-6);
  REQUIRE(v);
  CHECK(v->ToString() == "incorrect{constant_output}");
  CHECK_FALSE(CheckConstantOutput(ref, ref, 1e-6));
  // A genuinely constant answer (reference within the floor) is not flagged.
  std::vector<double> ones(100, 1.0);
  CHECK_FALSE(CheckConstantOutput(ones, ones, 1e-6));
  // NaN-filled outputs are left to the NaN check, not called constant.
  std::vector<double> nans(ref.size(), std::nan(""));
  CHECK_FALSE(CheckConstantOutput(nans, ref, 1e-6));
}

TEST_CASE("outputs must change when inputs change", "[evaluator][checks]") {
  auto ra = Random(256, 2, 1), rb = Random(256, 3, 1);
  auto cached = ra;  // the candidate replays its first answer
  auto v = CheckRespondsToInput(cached, cached, ra, rb);
  REQUIRE(v);
  CHECK(v->reason == "constant_output");
  CHECK_FALSE(CheckRespondsToInput(ra, rb, ra, rb));
  CHECK_FALSE(CheckRespondsToInput(ra, ra, ra, ra));  // same answer legitimately expected
}

TEST_CASE("two runs on the same input must agree", "[evaluator][checks]") {
  auto a = Random(512, 4, 1);
  auto b = a;
  CHECK_FALSE(CheckDeterminism(a, b, false, 0, 0));
  b[17] = std::nextafter(b[17], 1e9);  // one ulp: bitwise mismatch
  auto v = CheckDeterminism(a, b, false, 0, 0);
  REQUIRE(v);
  CHECK(v->ToString() == "incorrect{nondeterministic}");
  CHECK(v->detail.find("first at 17") != std::string::npos);
  CHECK_FALSE(CheckDeterminism(a, b, true, 1e-6, 1e-9));  // contract allows atomics order
  b[3] += 1.0;
  CHECK(CheckDeterminism(a, b, true, 1e-6, 1e-9));
  a[5] = b[5] = std::nan("");
  b[3] = a[3];
  CHECK(CheckDeterminism(a, b, true, 1e-6, 1e-9));  // NaN never agrees
}

TEST_CASE("host clock cross-check catches work that escaped the timed stream",
          "[evaluator][checks]") {
  TimingSample honest{100 * 40e-6, 100 * 95e-6, 100};  // 40 us work, 55 us overhead/call
  CHECK_FALSE(CheckTimingCrossCheck(honest));
  TimingSample side{100 * 2e-6, 100 * 400e-6, 100};  // events see 2 us, host 400 us
  auto v = CheckTimingCrossCheck(side);
  REQUIRE(v);
  CHECK(v->ToString() == "hack_suspected{timing_mismatch}");
  TimingSample forged{100 * 900e-6, 100 * 100e-6, 100};  // events longer than wall time
  CHECK(CheckTimingCrossCheck(forged));
  TimingSample tiny{100 * 3e-6, 100 * 20e-6, 100};  // launch-bound: all host time is overhead
  CHECK_FALSE(CheckTimingCrossCheck(tiny));
}

}  // namespace ksearch::evaluator::checks
