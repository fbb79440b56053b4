// Baseline for transpose, host backend: 32 x 32 cache-blocked loops (the host
// counterpart of the CUDA SDK tiled transpose). Dense row-major (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  constexpr int64_t kT = 32;
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  for (int64_t m0 = 0; m0 < M; m0 += kT) {
    const int64_t m1 = m0 + kT < M ? m0 + kT : M;
    for (int64_t n0 = 0; n0 < N; n0 += kT) {
      const int64_t n1 = n0 + kT < N ? n0 + kT : N;
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t m = m0; m < m1; ++m) y[n * M + m] = x[m * N + n];
    }
  }
  return 0;
}
