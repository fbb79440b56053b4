#include <catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "compare.h"
#include "inputs.h"

using namespace ksearch::evaluator;

TEST_CASE("comparison distinguishes unwritten, nan and mismatch", "[evaluator][compare]") {
  Tolerance tol{1e-5, 1e-4, 1e-6, 1e-3};
  std::vector<float> ref(1000), cand(1000);
  for (int i = 0; i < 1000; ++i) ref[i] = cand[i] = std::sin(i * 0.1f);

  CompareResult ok = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
  CHECK(ok.ok);
  CHECK(ok.rel_norm == 0);

  SECTION("unwritten element keeps the poison") {
    std::memset(&cand[17], kPoisonByte, 4);
    CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "unwritten");
    CHECK(r.first_bad == 17);
  }
  SECTION("NaN and Inf never pass") {
    cand[3] = NAN;
    CHECK(CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol).reason == "nan");
    cand[3] = ref[3];
    cand[4] = INFINITY;
    CHECK(CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol).reason == "nan");
  }
  SECTION("one element off fails elementwise") {
    cand[500] += 0.01f;
    CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
    CHECK(r.reason == "mismatch");
    CHECK(r.bad_elements == 1);
    CHECK(r.first_bad == 500);
  }
  SECTION("rounding-level noise passes") {
    for (auto& c : cand) c = std::nextafter(c, 2.0f);
    CHECK(CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol).ok);
  }
  SECTION("all-zero output fails against a non-trivial reference") {
    std::fill(cand.begin(), cand.end(), 0.f);
    CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
    CHECK(r.reason == "mismatch");
    CHECK(r.rel_norm > 0.5);
  }
}

TEST_CASE("the second poison pattern is recognised as unwritten", "[evaluator][compare]") {
  Tolerance tol{1e-5, 1e-4, 1e-6, 1e-3};
  std::vector<float> ref(64, 0.5f), cand(64, 0.5f);
  std::memset(&cand[3], kPoisonByteRepeat, 4);
  CompareResult with_ff = CompareOutput(cand.data(), ref.data(), DType::kF32, 64, tol, kPoisonByteRepeat);
  CHECK(with_ff.reason == "unwritten");
  // Under the first pattern the same bytes are just a NaN.
  CompareResult with_a5 = CompareOutput(cand.data(), ref.data(), DType::kF32, 64, tol);
  CHECK(with_a5.reason == "nan");
}
