// Best hand-checked reduction, host backend.
// Row at a time with 32 independent f32 lanes for the sum and for the max (four
// 8-wide vector registers each, enough to hide add latency), combined pairwise;
// rows shorter than 32 go straight to the scalar tail. Order depends only on N,
// so results are deterministic (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {
constexpr int kLanes = 32;
}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  for (int64_t m = 0; m < M; ++m) {
    const float* __restrict__ row = x + m * N;
    alignas(64) float s[kLanes] = {};
    alignas(64) float hi[kLanes];
    for (int j = 0; j < kLanes; ++j) hi[j] = row[0];
    int64_t n = 0;
    for (; n + kLanes <= N; n += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        s[j] += row[n + j];
        hi[j] = row[n + j] > hi[j] ? row[n + j] : hi[j];
      }
    for (; n < N; ++n) {
      s[0] += row[n];
      hi[0] = row[n] > hi[0] ? row[n] : hi[0];
    }
    for (int w = kLanes / 2; w > 0; w /= 2)
      for (int j = 0; j < w; ++j) {
        s[j] += s[j + w];
        hi[j] = hi[j + w] > hi[j] ? hi[j + w] : hi[j];
      }
    sum[m] = s[0];
    mx[m] = hi[0];
  }
  return 0;
}
