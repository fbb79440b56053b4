#include <catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "inputs.h"

using namespace ksearch::evaluator;

namespace {
std::vector<uint8_t> Gen(DType t, const char* dist, uint64_t seed, int64_t n = 4096) {
  std::vector<uint8_t> b(n * DTypeSize(t));
  FillTensor(b.data(), t, n, *ParseDistribution(dist), seed);
  return b;
}
}  // namespace

TEST_CASE("input generation is deterministic in the seed and varies with it", "[evaluator][inputs]") {
  for (const char* d : {"normal(0,1)", "uniform(-20,20)", "mixed", "lognormal(0,1)", "ints(-3,3)"}) {
    CHECK(Gen(DType::kF32, d, 42) == Gen(DType::kF32, d, 42));
    CHECK(Gen(DType::kF32, d, 42) != Gen(DType::kF32, d, 43));
  }
  CHECK(TrialSeed(1, 0, 0) != TrialSeed(1, 0, 1));
  CHECK(TrialSeed(1, 0, 0) != TrialSeed(1, 1, 0));
  CHECK(TensorSeed(5, 0) != TensorSeed(5, 1));
}

TEST_CASE("distributions respect their ranges and mixed spans decades", "[evaluator][inputs]") {
  auto u = Gen(DType::kF32, "uniform(-20,20)", 7);
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < 4096; ++i) { double v = LoadElement(u.data(), DType::kF32, i); lo = std::min(lo, v); hi = std::max(hi, v); }
  CHECK(lo >= -20);
  CHECK(hi < 20);
  CHECK(hi - lo > 35);
  auto m = Gen(DType::kF32, "mixed", 7);
  double big = 0, small = 1e9;
  for (int i = 0; i < 4096; ++i) { double a = std::fabs(LoadElement(m.data(), DType::kF32, i)); if (a > 0) { big = std::max(big, a); small = std::min(small, a); } }
  CHECK(big / small > 1e8);
  auto h = Gen(DType::kF16, "mixed", 9);
  for (int i = 0; i < 4096; ++i) CHECK(std::isfinite(LoadElement(h.data(), DType::kF16, i)));
  auto q = Gen(DType::kFp8E4M3, "mixed", 9);
  for (int i = 0; i < 4096; ++i) CHECK(std::fabs(LoadElement(q.data(), DType::kFp8E4M3, i)) <= 448);
}

TEST_CASE("narrow float formats round-trip representable values", "[evaluator][inputs]") {
  uint8_t buf[8];
  for (double v : {0.0, 1.0, -2.5, 0.15625, 448.0, -0.001953125}) {
    StoreElement(buf, DType::kFp8E4M3, 0, v);
    CHECK(LoadElement(buf, DType::kFp8E4M3, 0) == v);
  }
  for (double v : {1.0, -3.75, 65504.0, 6.103515625e-05}) {
    StoreElement(buf, DType::kF16, 0, v);
    CHECK(LoadElement(buf, DType::kF16, 0) == v);
  }
  for (double v : {1.0, -3.75, 1.5e10}) {
    StoreElement(buf, DType::kBF16, 0, v);
    CHECK(LoadElement(buf, DType::kBF16, 0) == Approx(v).epsilon(1e-2));
  }
  StoreElement(buf, DType::kFp8E4M3, 0, 1e6);  // saturates
  CHECK(LoadElement(buf, DType::kFp8E4M3, 0) == 448.0);
  StoreElement(buf, DType::kF16, 0, 1.0 + 1.0 / 4096);  // rounds to nearest (even)
  CHECK(LoadElement(buf, DType::kF16, 0) == 1.0);
}

TEST_CASE("stamps are deterministic, differ per call and set, and stay in bounds", "[evaluator][inputs]") {
  auto dist = *ParseDistribution("normal(0,1)");
  const int64_t n = 100000;
  uint64_t set0 = TimedSetSeed(7, 0, 0), set1 = TimedSetSeed(7, 0, 1);
  CHECK(set0 != set1);
  CHECK(set0 != TrialSeed(7, 0, 0));
  TensorStamp a = MakeTensorStamp(DType::kF32, n, dist, StampSeed(set0, 3, 0));
  TensorStamp b = MakeTensorStamp(DType::kF32, n, dist, StampSeed(set0, 3, 0));
  TensorStamp c = MakeTensorStamp(DType::kF32, n, dist, StampSeed(set0, 4, 0));
  TensorStamp chk = MakeTensorStamp(DType::kF32, n, dist, StampSeed(set0, kCheckCall, 0));
  CHECK(a.values == b.values);
  CHECK(a.ranges.size() == 1 + kStampScatter);
  CHECK(a.ranges[0].count == kStampRun);
  CHECK(a.values != c.values);
  CHECK(a.values != chk.values);
  CHECK(a.ranges[0].first != chk.ranges[0].first);
  int64_t total = 0;
  for (auto& r : a.ranges) {
    CHECK(r.first >= 0);
    CHECK(r.first + r.count <= n);
    total += r.count;
  }
  CHECK(a.values.size() == size_t(total) * 4);
  // Applying a stamp changes the tensor; a short tensor is replaced whole.
  auto base = Gen(DType::kF32, "normal(0,1)", 1, n);
  auto stamped = base;
  ApplyStamp(stamped.data(), DType::kF32, a);
  CHECK(stamped != base);
  auto small = StampRanges(10, 99);
  REQUIRE(small.size() == 1);
  CHECK(small[0].first == 0);
  CHECK(small[0].count == 10);
}
