#include "compare.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inputs.h"

namespace ksearch::evaluator {

nlohmann::json CompareResult::ToJson() const {
  return {{"ok", ok}, {"reason", reason}, {"rel_norm", rel_norm}, {"max_abs_err", max_abs_err},
          {"bad_elements", bad_elements}, {"unwritten", unwritten}, {"nonfinite", nonfinite},
          {"first_bad", first_bad}};
}

CompareResult CompareOutput(const void* cand, const void* ref, DType dtype, int64_t n, const Tolerance& tol,
                            uint8_t poison_byte) {
  CompareResult r;
  const size_t es = DTypeSize(dtype);
  const auto* cb = static_cast<const uint8_t*>(cand);
  const auto* rb = static_cast<const uint8_t*>(ref);
  uint8_t poison[8];
  std::memset(poison, poison_byte, sizeof(poison));
  double err2 = 0, ref2 = 0;
  int64_t first_unwritten = -1, first_nonfinite = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (std::memcmp(cb + i * es, poison, es) == 0 && std::memcmp(rb + i * es, poison, es) != 0) {
      if (r.unwritten++ == 0) first_unwritten = i;
      continue;
    }
    double c = LoadElement(cand, dtype, i), x = LoadElement(ref, dtype, i);
    if (!std::isfinite(x)) {
      // The reference itself is non-finite: the candidate must match it exactly in kind.
      bool same = (std::isnan(x) && std::isnan(c)) || c == x;
      if (!same && r.bad_elements++ == 0) r.first_bad = i;
      continue;
    }
    if (!std::isfinite(c)) {
      if (r.nonfinite++ == 0) first_nonfinite = i;
      continue;
    }
    double d = std::fabs(c - x);
    err2 += d * d;
    ref2 += x * x;
    r.max_abs_err = std::max(r.max_abs_err, d);
    if (d > tol.elem_atol + tol.elem_rtol * std::max(std::fabs(x), tol.floor)) {
      if (r.bad_elements++ == 0) r.first_bad = i;
    }
  }
  double denom = std::max(std::sqrt(ref2), tol.floor * std::sqrt(static_cast<double>(std::max<int64_t>(n, 1))));
  r.rel_norm = std::sqrt(err2) / denom;
  if (r.unwritten > 0) { r.ok = false; r.reason = "unwritten"; r.first_bad = first_unwritten; }
  else if (r.nonfinite > 0) { r.ok = false; r.reason = "nan"; r.first_bad = first_nonfinite; }
  else if (r.bad_elements > 0 || r.rel_norm > tol.rel_norm) { r.ok = false; r.reason = "mismatch"; }
  return r;
}

}  // namespace ksearch::evaluator
