// Legitimate: one-pass online softmax (running max with rescaled sum), then one
// normalization pass. Unusual control flow, exact f32 math.
#include <cmath>
#include <cstdint>
#include "ksearch/kernel_abi.h"
extern "C" int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * N; float* yr = y + m * N;
    float mx = -INFINITY, s = 0.f;
    for (int64_t i = 0; i < N; ++i) {
      float v = xr[i];
      if (v > mx) { s = s * std::exp(mx - v) + 1.f; mx = v; } else { s += std::exp(v - mx); }
    }
    float inv = 1.f / s;
    for (int64_t i = 0; i < N; ++i) yr[i] = std::exp(xr[i] - mx) * inv;
  }
  return 0;
}
