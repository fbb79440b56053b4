// Trusted host reference for reduction (see contract.md).
// sum[m] = f32( sum_n x[m,n] accumulated in f64 ), max[m] = max_n x[m,n] (exact).
// Invariant: validates every argument and returns non-zero on any mismatch.
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

bool Dense1D(const ks_tensor& t, int64_t m) {
  return t.data && t.dtype == KS_F32 && t.ndim == 1 && t.shape[0] == m && (m == 1 || t.stride[0] == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 1 || a->n_outputs != 2) return 1;
  const ks_tensor& x = a->inputs[0];
  if (!x.data || x.dtype != KS_F32 || x.ndim != 2) return 2;
  const int64_t M = x.shape[0], N = x.shape[1];
  if (N < 1 || (N > 1 && x.stride[1] != 1) || (M > 1 && x.stride[0] != N)) return 3;
  if (!Dense1D(a->outputs[0], M) || !Dense1D(a->outputs[1], M)) return 4;
  const float* xp = static_cast<const float*>(x.data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  for (int64_t m = 0; m < M; ++m) {
    const float* row = xp + m * N;
    double s = 0.0;
    float hi = row[0];
    for (int64_t n = 0; n < N; ++n) {
      s += row[n];
      if (row[n] > hi) hi = row[n];
    }
    sum[m] = static_cast<float>(s);
    mx[m] = hi;
  }
  return 0;
}
