#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "inputs.h"

namespace ksearch::evaluator {

namespace {
// JSON has no NaN or infinity: those values are written as text.
nlohmann::json Number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}
}  // namespace

nlohmann::json CompareResult::ToJson() const {
  nlohmann::json j = {{"ok", ok}, {"reason", reason}, {"rel_norm", rel_norm}, {"max_abs_err", max_abs_err},
                      {"bad_elements", bad_elements}, {"unwritten", unwritten}, {"nonfinite", nonfinite},
                      {"first_bad", first_bad}};
  if (!worst.empty()) {
    nlohmann::json w = nlohmann::json::array();
    for (const Element& e : worst)
      w.push_back({{"what", e.what}, {"index", e.index},
                   {"got", e.unwritten ? nlohmann::json("unwritten") : Number(e.got)}, {"want", Number(e.want)}});
    j["worst"] = std::move(w);
  }
  return j;
}

namespace {

// Elements per chunk of the parallel comparison. The chunking is fixed, and
// partial sums are merged in chunk order, so the result does not depend on
// the number of threads.
constexpr int64_t kCompareChunk = int64_t(1) << 18;

struct Partial {
  double err2 = 0, ref2 = 0, max_abs = 0;
  int64_t unwritten = 0, nonfinite = 0, bad = 0;
  int64_t first_unwritten = -1, first_nonfinite = -1, first_bad = -1;
  int64_t max_abs_at = -1;  // first element with the chunk's largest absolute error
};

// Element loaders: the common dtypes decoded inline, the rest through LoadElement.
struct LoadF32 { static constexpr size_t kSize = 4; static double At(const uint8_t* p, int64_t i) { float f; std::memcpy(&f, p + 4 * i, 4); return f; } };
struct LoadF64 { static constexpr size_t kSize = 8; static double At(const uint8_t* p, int64_t i) { double f; std::memcpy(&f, p + 8 * i, 8); return f; } };
struct LoadBF16 {
  static constexpr size_t kSize = 2;
  static double At(const uint8_t* p, int64_t i) {
    uint16_t b; std::memcpy(&b, p + 2 * i, 2);
    uint32_t u = uint32_t(b) << 16; float f; std::memcpy(&f, &u, 4); return f;
  }
};

template <size_t ES, typename Load>
void CompareRange(const uint8_t* cb, const uint8_t* rb, int64_t begin, int64_t end, const Tolerance& tol,
                  const uint8_t* poison, size_t es, const Load& load, Partial& r) {
  const size_t esz = ES ? ES : es;
  for (int64_t i = begin; i < end; ++i) {
    if (std::memcmp(cb + i * esz, poison, esz) == 0 && std::memcmp(rb + i * esz, poison, esz) != 0) {
      if (r.unwritten++ == 0) r.first_unwritten = i;
      continue;
    }
    double c = load(cb, i), x = load(rb, i);
    if (!std::isfinite(x)) {
      // The reference itself is non-finite: the candidate must match it exactly in kind.
      bool same = (std::isnan(x) && std::isnan(c)) || c == x;
      if (!same && r.bad++ == 0) r.first_bad = i;
      continue;
    }
    if (!std::isfinite(c)) {
      if (r.nonfinite++ == 0) r.first_nonfinite = i;
      continue;
    }
    double d = std::fabs(c - x);
    r.err2 += d * d;
    r.ref2 += x * x;
    if (d > r.max_abs || r.max_abs_at < 0) {
      r.max_abs = d;
      r.max_abs_at = i;
    }
    if (d > tol.elem_atol + tol.elem_rtol * std::max(std::fabs(x), tol.floor)) {
      if (r.bad++ == 0) r.first_bad = i;
    }
  }
}

}  // namespace

CompareResult CompareOutput(const void* cand, const void* ref, DType dtype, int64_t n, const Tolerance& tol,
                            uint8_t poison_byte) {
  CompareResult r;
  const size_t es = DTypeSize(dtype);
  const auto* cb = static_cast<const uint8_t*>(cand);
  const auto* rb = static_cast<const uint8_t*>(ref);
  uint8_t poison[8];
  std::memset(poison, poison_byte, sizeof(poison));
  const int64_t chunks = std::max<int64_t>(1, (n + kCompareChunk - 1) / kCompareChunk);
  std::vector<Partial> parts(static_cast<size_t>(chunks));
  ParallelChunks(chunks, [&](int64_t c) {
    int64_t b = c * kCompareChunk, e = std::min(n, b + kCompareChunk);
    Partial& p = parts[static_cast<size_t>(c)];
    switch (dtype) {
      case DType::kF32: CompareRange<4>(cb, rb, b, e, tol, poison, es, LoadF32::At, p); break;
      case DType::kF64: CompareRange<8>(cb, rb, b, e, tol, poison, es, LoadF64::At, p); break;
      case DType::kBF16: CompareRange<2>(cb, rb, b, e, tol, poison, es, LoadBF16::At, p); break;
      default:
        CompareRange<0>(cb, rb, b, e, tol, poison, es,
                        [dtype](const uint8_t* p8, int64_t i) { return LoadElement(p8, dtype, i); }, p);
    }
  });
  double err2 = 0, ref2 = 0;
  int64_t first_unwritten = -1, first_nonfinite = -1, max_abs_at = -1;
  for (const Partial& p : parts) {  // chunk order: the first index of each kind is the first chunk's
    err2 += p.err2;
    ref2 += p.ref2;
    if (p.max_abs_at >= 0 && (max_abs_at < 0 || p.max_abs > r.max_abs_err)) {
      r.max_abs_err = p.max_abs;
      max_abs_at = p.max_abs_at;
    }
    if (p.unwritten && first_unwritten < 0) first_unwritten = p.first_unwritten;
    if (p.nonfinite && first_nonfinite < 0) first_nonfinite = p.first_nonfinite;
    if (p.bad && r.first_bad < 0) r.first_bad = p.first_bad;
    r.unwritten += p.unwritten;
    r.nonfinite += p.nonfinite;
    r.bad_elements += p.bad;
  }
  double denom = std::max(std::sqrt(ref2), tol.floor * std::sqrt(static_cast<double>(std::max<int64_t>(n, 1))));
  r.rel_norm = std::sqrt(err2) / denom;
  if (r.unwritten > 0) { r.ok = false; r.reason = "unwritten"; r.first_bad = first_unwritten; }
  else if (r.nonfinite > 0) { r.ok = false; r.reason = "nan"; r.first_bad = first_nonfinite; }
  else if (r.bad_elements > 0 || r.rel_norm > tol.rel_norm) { r.ok = false; r.reason = "mismatch"; }
  if (!r.ok) {
    auto element = [&](const char* what, int64_t i) {
      CompareResult::Element e{what, i, LoadElement(cb, dtype, i), LoadElement(rb, dtype, i), false};
      e.unwritten = r.reason == "unwritten" && i == first_unwritten;
      return e;
    };
    if (r.first_bad >= 0) r.worst.push_back(element("first failing", r.first_bad));
    if (max_abs_at >= 0 && max_abs_at != r.first_bad && r.max_abs_err > 0)
      r.worst.push_back(element("largest error", max_abs_at));
  }
  return r;
}

}  // namespace ksearch::evaluator
