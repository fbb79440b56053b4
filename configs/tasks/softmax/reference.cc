// Trusted host reference for softmax: float64 accumulation, max-subtracted.
#include <cmath>
#include <vector>

#include "ksearch/kernel_abi.h"

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (a->n_inputs != 1 || a->n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * N;
    double mx = -INFINITY;
    for (int64_t n = 0; n < N; ++n) { double v = xr[n]; mx = v > mx ? v : mx; }
    double sum = 0;
    for (int64_t n = 0; n < N; ++n) sum += std::exp(static_cast<double>(xr[n]) - mx);
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = static_cast<float>(std::exp(static_cast<double>(xr[n]) - mx) / sum);
  }
  return 0;
}
