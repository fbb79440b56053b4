// Best hand-checked rmsnorm, host backend.
// Per row: sum of squares in f32 with 16 independent lanes (two AVX registers
// with -march=native; hides add latency), combined pairwise; then one scale
// pass y = bf16((x * r) * w) in f32 with one rounding (contract.md), reading the
// row again from cache. The combination order depends only on N (deterministic).
#include <cmath>
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kLanes = 16;

inline float Bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

inline uint16_t F32ToBf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const uint16_t* x = static_cast<const uint16_t*>(a->inputs[0].data);
  const uint16_t* w = static_cast<const uint16_t*>(a->inputs[1].data);
  uint16_t* y = static_cast<uint16_t*>(a->outputs[0].data);
  const float eps = static_cast<float>(a->fscalars[0]);
  for (int64_t m = 0; m < M; ++m) {
    const uint16_t* __restrict__ row = x + m * N;
    float acc[kLanes] = {};
    int64_t n = 0;
    for (; n + kLanes <= N; n += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const float v = Bf16ToF32(row[n + j]);
        acc[j] += v * v;
      }
    for (; n < N; ++n) acc[0] += Bf16ToF32(row[n]) * Bf16ToF32(row[n]);
    for (int s = kLanes / 2; s > 0; s /= 2)
      for (int j = 0; j < s; ++j) acc[j] += acc[j + s];
    const float r = 1.0f / std::sqrt(acc[0] / static_cast<float>(N) + eps);
    uint16_t* __restrict__ out = y + m * N;
    for (n = 0; n < N; ++n) out[n] = F32ToBf16(Bf16ToF32(row[n]) * r * Bf16ToF32(w[n]));
  }
  return 0;
}
