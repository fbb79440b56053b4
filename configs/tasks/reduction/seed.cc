// Seed candidate for reduction, host backend: deliberately plain.
// One sequential pass per row, ACCS interleaved f32 partial sums and maxima.
// Assumes dense row-major x (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

#define ACCS 1  // ksearch:tune {1,2,4,8,16}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * N;
    float s[ACCS], hi[ACCS];
    for (int j = 0; j < ACCS; ++j) {
      s[j] = 0.0f;
      hi[j] = row[0];
    }
    int64_t n = 0;
    for (; n + ACCS <= N; n += ACCS)
      for (int j = 0; j < ACCS; ++j) {
        s[j] += row[n + j];
        if (row[n + j] > hi[j]) hi[j] = row[n + j];
      }
    for (; n < N; ++n) {
      s[0] += row[n];
      if (row[n] > hi[0]) hi[0] = row[n];
    }
    for (int j = 1; j < ACCS; ++j) {
      s[0] += s[j];
      if (hi[j] > hi[0]) hi[0] = hi[j];
    }
    sum[m] = s[0];
    mx[m] = hi[0];
  }
  return 0;
}
