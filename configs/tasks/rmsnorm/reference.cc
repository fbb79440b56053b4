// Trusted host reference for rmsnorm (see contract.md).
// y[m,n] = bf16( x[m,n] * w[n] / sqrt(mean_n(x[m,n]^2) + eps) ), computed in f64;
// the f64 result goes to bf16 through f32 (double rounding matters only within
// 2^-24 of a bf16 rounding midpoint, far inside the one-ulp tolerance).
// Invariant: validates every argument and returns non-zero on any mismatch, so a
// mis-wired harness fails loudly instead of comparing garbage.
#include <cmath>
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

double Bf16ToF64(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

uint16_t F32ToBf16(float f) {  // round to nearest even; NaN stays NaN
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

bool Dense2D(const ks_tensor& t, int dtype, int64_t m, int64_t n) {
  return t.data && t.dtype == dtype && t.ndim == 2 && t.shape[0] == m && t.shape[1] == n &&
         (t.stride[1] == 1 || n == 1) && (t.stride[0] == n || m == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 2 || a->n_outputs != 1 || a->n_fscalars != 1) return 1;
  const ks_tensor& x = a->inputs[0];
  const ks_tensor& w = a->inputs[1];
  const ks_tensor& y = a->outputs[0];
  if (x.ndim != 2) return 2;
  const int64_t M = x.shape[0], N = x.shape[1];
  if (!Dense2D(x, KS_BF16, M, N) || !Dense2D(y, KS_BF16, M, N)) return 3;
  if (!w.data || w.dtype != KS_BF16 || w.ndim != 1 || w.shape[0] != N || (N > 1 && w.stride[0] != 1))
    return 4;
  const double eps = a->fscalars[0];
  const uint16_t* xp = static_cast<const uint16_t*>(x.data);
  const uint16_t* wp = static_cast<const uint16_t*>(w.data);
  uint16_t* yp = static_cast<uint16_t*>(y.data);
  for (int64_t m = 0; m < M; ++m) {
    const uint16_t* row = xp + m * N;
    double ss = 0.0;
    for (int64_t n = 0; n < N; ++n) ss += Bf16ToF64(row[n]) * Bf16ToF64(row[n]);
    const double r = 1.0 / std::sqrt(ss / static_cast<double>(N) + eps);
    for (int64_t n = 0; n < N; ++n)
      yp[m * N + n] = F32ToBf16(static_cast<float>(Bf16ToF64(row[n]) * r * Bf16ToF64(wp[n])));
  }
  return 0;
}
