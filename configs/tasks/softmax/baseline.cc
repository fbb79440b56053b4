// Baseline: one-pass online softmax (running max and rescaled sum), then one write pass.
#include <cmath>

#include "ksearch/kernel_abi.h"

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * N;
    float mx = -INFINITY, sum = 0.f;
    for (int64_t n = 0; n < N; ++n) {
      float v = xr[n];
      if (v > mx) { sum = sum * std::exp(mx - v) + 1.f; mx = v; }
      else sum += std::exp(v - mx);
    }
    float inv = 1.f / sum;
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = std::exp(xr[n] - mx) * inv;
  }
  return 0;
}
