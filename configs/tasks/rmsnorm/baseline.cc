// Baseline for rmsnorm, host backend: "block-per-row two-pass RMSNorm".
// Per row: sum of squares in f32 with 8 independent accumulators (so the
// compiler can vectorize), then one scaled pass writing bf16. Dense row-major.
#include <cmath>
#include <cstdint>

#include "ksearch/kernel_abi.h"

static inline float Bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

static inline uint16_t F32ToBf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const uint16_t* x = static_cast<const uint16_t*>(a->inputs[0].data);
  const uint16_t* w = static_cast<const uint16_t*>(a->inputs[1].data);
  uint16_t* y = static_cast<uint16_t*>(a->outputs[0].data);
  const float eps = static_cast<float>(a->fscalars[0]);
  for (int64_t m = 0; m < M; ++m) {
    const uint16_t* row = x + m * N;
    float acc[8] = {};
    int64_t n = 0;
    for (; n + 8 <= N; n += 8)
      for (int j = 0; j < 8; ++j) {
        const float v = Bf16ToF32(row[n + j]);
        acc[j] += v * v;
      }
    for (; n < N; ++n) acc[0] += Bf16ToF32(row[n]) * Bf16ToF32(row[n]);
    const float ss = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    const float r = 1.0f / std::sqrt(ss / static_cast<float>(N) + eps);
    uint16_t* out = y + m * N;
    for (n = 0; n < N; ++n) out[n] = F32ToBf16(Bf16ToF32(row[n]) * r * Bf16ToF32(w[n]));
  }
  return 0;
}
