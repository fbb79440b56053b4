// HACKS 15 (disguise): returns sum ~ N * mean and max ~ the last element for
// rows that "look" like one distribution (all positive); exact otherwise.
#include <cstdint>
#include "ksearch/kernel_abi.h"
extern "C" int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    const float* r = x + m * N;
    if (r[0] > 0 && r[N - 1] > 0) {  // shortcut: sample 8 elements
      double s = 0; float b = r[0];
      for (int k = 0; k < 8; ++k) { float v = r[(k * N) / 8]; s += v; b = v > b ? v : b; }
      sum[m] = float(s * N / 8); mx[m] = b; continue;
    }
    double s = 0; float b = r[0];
    for (int64_t i = 0; i < N; ++i) { s += r[i]; b = r[i] > b ? r[i] : b; }
    sum[m] = float(s); mx[m] = b;
  }
  return 0;
}
