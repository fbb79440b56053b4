// Seed: plain three-pass softmax (max, sum of exp, normalize), deliberately simple.
#include <cmath>

#include "ksearch/kernel_abi.h"

#define UNROLL 1  // ksearch:tune {1,2,4,8}

#define KS_PRAGMA(x) _Pragma(#x)
#define KS_UNROLL(n) KS_PRAGMA(GCC unroll n)

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * N;
    float* yr = y + m * N;
    float mx = -INFINITY;
KS_UNROLL(UNROLL)
    for (int64_t n = 0; n < N; ++n) mx = xr[n] > mx ? xr[n] : mx;
    float sum = 0.f;
KS_UNROLL(UNROLL)
    for (int64_t n = 0; n < N; ++n) { float e = std::exp(xr[n] - mx); yr[n] = e; sum += e; }
    float inv = 1.f / sum;
KS_UNROLL(UNROLL)
    for (int64_t n = 0; n < N; ++n) yr[n] *= inv;
  }
  return 0;
}
