// Baseline for gemm, host backend: the textbook cache-friendly i-k-j loop order
// with an f32 accumulator row per output row (k summed in increasing order).
// Dense row-major (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

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
  for (int64_t m = 0; m < M; ++m) {
    float* c = C + m * N;
    for (int64_t n = 0; n < N; ++n) c[n] = 0.0f;
    for (int64_t k = 0; k < K; ++k) {
      const float av = Bf16ToF32(A[m * K + k]);
      const uint16_t* b = B + k * N;
      for (int64_t n = 0; n < N; ++n) c[n] += av * Bf16ToF32(b[n]);
    }
  }
  return 0;
}
