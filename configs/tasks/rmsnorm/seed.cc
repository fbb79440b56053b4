// Seed candidate for rmsnorm, host backend: deliberately plain.
// Two passes per row: sum of squares in f32, then y = bf16(x * r * w).
// Assumes dense row-major tensors (contract.md).
#include <cmath>
#include <cstdint>

#include "ksearch/kernel_abi.h"

#define ACCS 1  // ksearch:tune {1,2,4,8,16}

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
    float acc[ACCS] = {};
    int64_t n = 0;
    for (; n + ACCS <= N; n += ACCS)
      for (int j = 0; j < ACCS; ++j) acc[j] += Bf16ToF32(row[n + j]) * Bf16ToF32(row[n + j]);
    for (; n < N; ++n) acc[0] += Bf16ToF32(row[n]) * Bf16ToF32(row[n]);
    float ss = 0.0f;
    for (int j = 0; j < ACCS; ++j) ss += acc[j];
    const float r = 1.0f / std::sqrt(ss / static_cast<float>(N) + eps);
    for (n = 0; n < N; ++n) y[m * N + n] = F32ToBf16(Bf16ToF32(row[n]) * r * Bf16ToF32(w[n]));
  }
  return 0;
}
