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

// ---- The counter-based generator of the CUDA runner (counter_gen.h), run on the CPU.

namespace {
const DType kAllDTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI32,
                            DType::kI64, DType::kI8,  DType::kU8,   DType::kFp8E4M3, DType::kFp8E5M2};
const char* const kAllDists[] = {"normal(0,1)", "uniform(-20,20)", "lognormal(0,2)", "ints(-8,8)", "mixed"};

std::vector<uint8_t> Counter(DType t, const char* dist, uint64_t seed, int64_t begin, int64_t end) {
  std::vector<uint8_t> b(static_cast<size_t>(end - begin) * DTypeSize(t));
  GenerateCounterRange(b.data(), t, begin, end, *ParseDistribution(dist), seed);
  return b;
}
std::vector<double> CounterValues(DType t, const char* dist, uint64_t seed, int64_t n) {
  auto b = Counter(t, dist, seed, 0, n);
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = LoadElement(b.data(), t, i);
  return v;
}
struct Moments {
  double mean = 0, var = 0, lo = 1e300, hi = -1e300;
};
Moments Measure(const std::vector<double>& v) {
  Moments m;
  for (double x : v) { m.mean += x; m.lo = std::min(m.lo, x); m.hi = std::max(m.hi, x); }
  m.mean /= v.size();
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= v.size();
  return m;
}
}  // namespace

TEST_CASE("counter generator: deterministic in the seed, varies with seed and tensor", "[evaluator][inputs][counter]") {
  for (DType t : kAllDTypes)
    for (const char* d : kAllDists) {
      INFO(DTypeName(t) << " " << d);
      auto a = Counter(t, d, 42, 0, 4096);
      CHECK(a == Counter(t, d, 42, 0, 4096));
      CHECK(a != Counter(t, d, 43, 0, 4096));
      CHECK(a != Counter(t, d, TensorSeed(42, 1), 0, 4096));
    }
  // The key spreads nearby seeds: tensor 0 and 1 of a trial share no stretch of values.
  auto x = CounterValues(DType::kF64, "uniform(0,1)", TensorSeed(7, 0), 20000);
  auto y = CounterValues(DType::kF64, "uniform(0,1)", TensorSeed(7, 1), 20000);
  int equal = 0;
  for (int i = 0; i < 20000; ++i) equal += x[i] == y[i];
  CHECK(equal == 0);
}

TEST_CASE("counter generator: a range generated alone equals that slice of the whole tensor", "[evaluator][inputs][counter]") {
  const int64_t n = 70001;  // not a multiple of anything
  for (DType t : kAllDTypes)
    for (const char* d : kAllDists) {
      INFO(DTypeName(t) << " " << d);
      auto whole = Counter(t, d, 99, 0, n);
      const size_t es = DTypeSize(t);
      for (auto [a, b] : {std::pair<int64_t, int64_t>{0, 1}, {1, 2}, {12345, 12409}, {65535, 65537}, {n - 7, n}, {3, n}}) {
        auto part = Counter(t, d, 99, a, b);
        CHECK(std::equal(part.begin(), part.end(), whole.begin() + a * es));
      }
    }
}

TEST_CASE("counter generator: distributions have their moments and support", "[evaluator][inputs][counter]") {
  const int64_t n = 200000;
  SECTION("normal") {
    Moments m = Measure(CounterValues(DType::kF64, "normal(2,3)", 1, n));
    CHECK(m.mean == Approx(2).margin(0.03));
    CHECK(std::sqrt(m.var) == Approx(3).epsilon(0.01));
    auto s = CounterValues(DType::kF64, "normal(0,1)", 2, n);
    int64_t within1 = 0, beyond3 = 0;
    for (double v : s) { within1 += std::fabs(v) < 1; beyond3 += std::fabs(v) > 3; }
    CHECK(double(within1) / n == Approx(0.6827).margin(0.005));
    CHECK(double(beyond3) / n == Approx(0.0027).margin(0.0006));
  }
  SECTION("uniform") {
    Moments m = Measure(CounterValues(DType::kF32, "uniform(-20,20)", 3, n));
    CHECK(m.lo >= -20);
    CHECK(m.hi < 20);
    CHECK(m.hi - m.lo > 39.9);
    CHECK(m.mean == Approx(0).margin(0.1));
    CHECK(m.var == Approx(1600.0 / 12).epsilon(0.01));
  }
  SECTION("lognormal") {
    auto v = CounterValues(DType::kF64, "lognormal(0.5,0.25)", 4, n);
    std::vector<double> logs;
    for (double x : v) { REQUIRE(x > 0); logs.push_back(std::log(x)); }
    Moments m = Measure(logs);
    CHECK(m.mean == Approx(0.5).margin(0.005));
    CHECK(std::sqrt(m.var) == Approx(0.25).epsilon(0.01));
  }
  SECTION("ints") {
    std::vector<int64_t> count(17, 0);
    for (DType t : {DType::kF32, DType::kI32, DType::kI8, DType::kBF16}) {
      for (double v : CounterValues(t, "ints(-8,8)", 5, n)) {
        REQUIRE(v == std::floor(v));
        REQUIRE(v >= -8);
        REQUIRE(v <= 8);
        if (t == DType::kI32) ++count[static_cast<int>(v) + 8];
      }
    }
    for (int64_t c : count) CHECK(double(c) / n == Approx(1.0 / 17).margin(0.004));
  }
  SECTION("mixed spans decades with both signs, within every dtype's finite range") {
    auto v = CounterValues(DType::kF32, "mixed", 6, n);
    double big = 0, small = 1e300;
    int64_t neg = 0, unit = 0;
    for (double x : v) {
      double a = std::fabs(x);
      if (a > 0) { big = std::max(big, a); small = std::min(small, a); }
      neg += x < 0;
      unit += a <= 1;
    }
    CHECK(big > 1e5);
    CHECK(small < 1e-5);
    CHECK(double(neg) / n == Approx(0.5).margin(0.01));
    // normal (|x|<=1: 68%) 40%, uniform(-1,1) 20%, log-uniform (half below 1) 40%
    CHECK(double(unit) / n == Approx(0.4 * 0.6827 + 0.2 + 0.4 * 0.5).margin(0.01));
    for (DType t : kAllDTypes) {
      INFO(DTypeName(t));
      for (double x : CounterValues(t, "mixed", 7, 20000)) {
        REQUIRE(std::isfinite(x));
        if (t == DType::kF16) REQUIRE(std::fabs(x) <= 65504);
        if (t == DType::kFp8E4M3) REQUIRE(std::fabs(x) <= 448);
        if (t == DType::kFp8E5M2) REQUIRE(std::fabs(x) <= 57344);
        if (t == DType::kI8) REQUIRE(std::fabs(x) <= 127);
        if (t == DType::kU8) REQUIRE(x >= 0);
      }
    }
    // f16 spans its MixedDecades (4): 1e-4 .. 1e4.
    auto h = CounterValues(DType::kF16, "mixed", 8, n);
    double hb = 0;
    for (double x : h) hb = std::max(hb, std::fabs(x));
    CHECK(hb > 5e3);
    CHECK(hb <= 1.0001e4);
  }
  SECTION("clamped to the dtype's range") {
    for (double x : CounterValues(DType::kFp8E4M3, "normal(0,1000)", 9, 20000)) REQUIRE(std::fabs(x) <= 448);
    for (double x : CounterValues(DType::kU8, "normal(0,1000)", 9, 20000)) REQUIRE((x >= 0 && x <= 255));
    for (double x : CounterValues(DType::kI8, "normal(0,1000)", 9, 20000)) REQUIRE((x >= -127 && x <= 127));
    auto big = CounterValues(DType::kI64, "lognormal(40,5)", 9, 20000);  // e^40 > 2^57; tails past 2^63
    for (double x : big) REQUIRE((x > 0 && x <= 9.2e18));
    for (double x : CounterValues(DType::kF16, "lognormal(0,10)", 9, 20000)) REQUIRE(std::isfinite(x));
  }
}

TEST_CASE("counter generator: encodes round to nearest even like StoreElement", "[evaluator][inputs][counter]") {
  using namespace ksearch::evaluator::cgen;
  // Every finite code of the narrow formats round-trips, and the midpoint between
  // two neighbouring codes goes to the even one (what StoreElement does too).
  struct F { DType t; Mini f; uint32_t codes; };
  for (F f : {F{DType::kF16, MiniF16(), 1u << 16}, F{DType::kFp8E4M3, MiniE4M3(), 256}, F{DType::kFp8E5M2, MiniE5M2(), 256}}) {
    INFO(DTypeName(f.t));
    const size_t es = DTypeSize(f.t);
    auto code_of = [&](double v) {
      uint8_t b[2] = {0, 0};
      Encode(b, 0, static_cast<int32_t>(f.t), v);
      return es == 1 ? uint32_t(b[0]) : uint32_t(b[0] | (b[1] << 8));
    };
    auto decode = [&](uint32_t c) {
      uint8_t b[2] = {static_cast<uint8_t>(c), static_cast<uint8_t>(c >> 8)};
      return LoadElement(b, f.t, 0);
    };
    const uint32_t sign = f.codes >> 1;
    int checked = 0;
    for (uint32_t c = 0; c < sign; ++c) {
      double v = decode(c);
      if (!std::isfinite(v)) break;
      REQUIRE(code_of(v) == c);
      REQUIRE(code_of(-v) == (c | sign));
      double next = decode(c + 1);
      if (std::isfinite(next)) {
        double mid = 0.5 * (v + next);
        uint32_t even = (c % 2 == 0) ? c : c + 1;
        REQUIRE(code_of(mid) == even);
        REQUIRE(code_of(v + 0.25 * (next - v)) == c);
        REQUIRE(code_of(v + 0.75 * (next - v)) == c + 1);
      }
      ++checked;
    }
    CHECK(checked > 100);
    // Saturating at the largest finite value, like StoreElement.
    uint8_t a[2], b[2];
    for (double v : {1e6, -1e6, 1e30, f.f.max_finite, -f.f.max_finite}) {
      Encode(a, 0, static_cast<int32_t>(f.t), v);
      StoreElement(b, f.t, 0, v);
      CHECK(std::memcmp(a, b, es) == 0);
      CHECK(std::fabs(LoadElement(a, f.t, 0)) == f.f.max_finite);
    }
  }
  // Against StoreElement on the generator's own values, every dtype.
  for (DType t : kAllDTypes)
    for (const char* d : {"normal(0,3)", "mixed", "uniform(-300,300)"}) {
      INFO(DTypeName(t) << " " << d);
      cgen::Params p = CounterParams(t, *ParseDistribution(d), 11);
      std::vector<uint8_t> mine(DTypeSize(t)), theirs(DTypeSize(t));
      int diffs = 0;
      for (uint64_t i = 0; i < 5000; ++i) {
        double v = Value(p, i);
        Encode(mine.data(), 0, p.dtype, v);
        StoreElement(theirs.data(), t, 0, v);
        diffs += mine != theirs;
      }
      CHECK(diffs == 0);
    }
  // Clamp ranges per dtype (i64 within what converts to int64_t).
  cgen::Params p = CounterParams(DType::kI32, *ParseDistribution("uniform(-1,1)"), 1);
  CHECK(p.lo == -2147483647.0);
  CHECK(p.hi == 2147483647.0);
  CHECK(CounterParams(DType::kU8, *ParseDistribution("mixed"), 1).lo == 0);
  CHECK(CounterParams(DType::kI64, *ParseDistribution("mixed"), 1).hi == 9.2e18);
}
