// Legitimate: large manually unrolled code, 8 independent accumulators and a
// pairwise combine, template-instantiated per unroll factor (mangled exports).
#include <cmath>
#include <cstdint>
#include "ksearch/kernel_abi.h"
template <int U>
void RowSoftmaxUnrolled(const float* x, float* y, int64_t n) {
  float mx[U], s[U];
  for (int k = 0; k < U; ++k) { mx[k] = -INFINITY; s[k] = 0.f; }
  int64_t i = 0;
  for (; i + U <= n; i += U) {
#pragma GCC unroll 8
    for (int k = 0; k < U; ++k) mx[k] = std::fmax(mx[k], x[i + k]);
  }
  float m = -INFINITY;
  for (int k = 0; k < U; ++k) m = std::fmax(m, mx[k]);
  for (; i < n; ++i) m = std::fmax(m, x[i]);
  for (i = 0; i + U <= n; i += U) {
#pragma GCC unroll 8
    for (int k = 0; k < U; ++k) { float e = std::exp(x[i + k] - m); y[i + k] = e; s[k] += e; }
  }
  float tail = 0.f;
  for (; i < n; ++i) { float e = std::exp(x[i] - m); y[i] = e; tail += e; }
  for (int w = U / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) s[k] += s[k + w];
  float inv = 1.f / (s[0] + tail);
  for (i = 0; i < n; ++i) y[i] *= inv;
}
template void RowSoftmaxUnrolled<8>(const float*, float*, int64_t);
extern "C" int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) RowSoftmaxUnrolled<8>(x + m * N, y + m * N, N);
  return 0;
}
