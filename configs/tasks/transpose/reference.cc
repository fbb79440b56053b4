// Trusted host reference for transpose (see contract.md): y[n*M + m] = x[m*N + n].
// Invariant: validates every argument and returns non-zero on any mismatch.
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

bool Dense2D(const ks_tensor& t, int64_t r, int64_t c) {
  return t.data && t.dtype == KS_F32 && t.ndim == 2 && t.shape[0] == r && t.shape[1] == c &&
         (t.stride[1] == 1 || c == 1) && (t.stride[0] == c || r == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 1 || a->n_outputs != 1) return 1;
  const ks_tensor& x = a->inputs[0];
  if (x.ndim != 2) return 2;
  const int64_t M = x.shape[0], N = x.shape[1];
  if (!Dense2D(x, M, N) || !Dense2D(a->outputs[0], N, M)) return 3;
  const float* xp = static_cast<const float*>(x.data);
  float* yp = static_cast<float*>(a->outputs[0].data);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) yp[n * M + m] = xp[m * N + n];
  return 0;
}
