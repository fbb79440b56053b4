// Seed candidate for transpose, host backend: deliberately plain.
// Loops over TILE x TILE blocks (TILE = 1 is the naive double loop).
// Dense row-major x [M,N] and y [N,M] (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

#define TILE 1  // ksearch:tune {1,8,16,32,64}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  for (int64_t m0 = 0; m0 < M; m0 += TILE)
    for (int64_t n0 = 0; n0 < N; n0 += TILE)
      for (int64_t m = m0; m < m0 + TILE && m < M; ++m)
        for (int64_t n = n0; n < n0 + TILE && n < N; ++n) y[n * M + m] = x[m * N + n];
  return 0;
}
