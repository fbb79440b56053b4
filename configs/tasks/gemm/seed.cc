// Seed candidate for gemm, host backend: deliberately plain.
// C is zeroed, then accumulated over TILE-sized blocks of (m, k, n) in i-k-j
// order; each C element still sums its k terms in increasing k, in f32.
// Dense row-major A [M,K], B [K,N] bf16 and C [M,N] f32 (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

#define TILE 1  // ksearch:tune {1,16,32,64,128}

static inline float Bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], K = a->inputs[0].shape[1], N = a->inputs[1].shape[1];
  const uint16_t* A = static_cast<const uint16_t*>(a->inputs[0].data);
  const uint16_t* B = static_cast<const uint16_t*>(a->inputs[1].data);
  float* C = static_cast<float*>(a->outputs[0].data);
  for (int64_t i = 0; i < M * N; ++i) C[i] = 0.0f;
  for (int64_t m0 = 0; m0 < M; m0 += TILE)
    for (int64_t k0 = 0; k0 < K; k0 += TILE)
      for (int64_t n0 = 0; n0 < N; n0 += TILE)
        for (int64_t m = m0; m < m0 + TILE && m < M; ++m)
          for (int64_t k = k0; k < k0 + TILE && k < K; ++k) {
            const float av = Bf16ToF32(A[m * K + k]);
            for (int64_t n = n0; n < n0 + TILE && n < N; ++n) C[m * N + n] += av * Bf16ToF32(B[k * N + n]);
          }
  return 0;
}
