// Baseline for reduction, host backend: row at a time, 8 independent f32
// partial sums and maxima (lets the compiler vectorize), combined pairwise.
// Dense row-major x (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * N;
    float s[8] = {}, hi[8];
    for (int j = 0; j < 8; ++j) hi[j] = row[0];
    int64_t n = 0;
    for (; n + 8 <= N; n += 8)
      for (int j = 0; j < 8; ++j) {
        s[j] += row[n + j];
        hi[j] = row[n + j] > hi[j] ? row[n + j] : hi[j];
      }
    for (; n < N; ++n) {
      s[0] += row[n];
      hi[0] = row[n] > hi[0] ? row[n] : hi[0];
    }
    for (int w = 4; w > 0; w /= 2)
      for (int j = 0; j < w; ++j) {
        s[j] += s[j + w];
        hi[j] = hi[j + w] > hi[j] ? hi[j + w] : hi[j];
      }
    sum[m] = s[0];
    mx[m] = hi[0];
  }
  return 0;
}
