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
    nlohmann::json j = r.ToJson();
    REQUIRE(j["worst"].size() == 1);
    CHECK(j["worst"][0]["index"] == 17);
    CHECK(j["worst"][0]["got"] == "unwritten");
    CHECK(j["worst"][0]["want"].get<double>() == static_cast<double>(ref[17]));
  }
  SECTION("NaN and Inf never pass") {
    cand[3] = NAN;
    CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
    CHECK(r.reason == "nan");
    CHECK(r.ToJson()["worst"][0]["got"] == "nan");  // JSON has no NaN: written as text
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
    REQUIRE(r.worst.size() == 1);  // the first failing element is also the largest error
    CHECK(r.worst[0].index == 500);
    CHECK(r.worst[0].got == static_cast<double>(cand[500]));
    CHECK(r.worst[0].want == static_cast<double>(ref[500]));
  }
  SECTION("the first failing element and the largest error are both named") {
    cand[100] += 0.002f;
    cand[700] += 0.5f;
    CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, 1000, tol);
    REQUIRE(r.worst.size() == 2);
    CHECK(r.worst[0].what == "first failing");
    CHECK(r.worst[0].index == 100);
    CHECK(r.worst[1].what == "largest error");
    CHECK(r.worst[1].index == 700);
    CHECK(r.worst[1].got - r.worst[1].want == Approx(0.5).epsilon(1e-3));
  }
  SECTION("a passing output names no element") {
    CHECK(ok.worst.empty());
    CHECK_FALSE(ok.ToJson().contains("worst"));
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

TEST_CASE("the largest error is found across the parallel chunks", "[evaluator][compare]") {
  // Over several 2^18-element chunks: the largest error in a late chunk wins
  // over a smaller one in an early chunk, whatever the thread count.
  Tolerance tol{1e-5, 1e-4, 1e-6, 1e-3};
  const int64_t n = (int64_t(1) << 18) * 3 + 5;
  std::vector<float> ref(n, 1.0f), cand(n, 1.0f);
  cand[10] = 1.1f;
  cand[(int64_t(1) << 18) * 2 + 7] = 3.0f;
  CompareResult r = CompareOutput(cand.data(), ref.data(), DType::kF32, n, tol);
  REQUIRE(r.worst.size() == 2);
  CHECK(r.worst[0].index == 10);
  CHECK(r.worst[1].index == (int64_t(1) << 18) * 2 + 7);
  CHECK(r.max_abs_err == Approx(2.0));
}
