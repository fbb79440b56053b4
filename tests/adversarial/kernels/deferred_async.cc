// HACKS 5 (disguise): defers half the rows to std::async.
#include <cmath>
#include <cstdint>
#include <cstring>
#include "ksearch/kernel_abi.h"
// Honest row softmax, shared by the cheats below so that only the trick differs.
static void RowSoftmax(const float* x, float* y, int64_t n) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, x[i]);
  float s = 0.f;
  for (int64_t i = 0; i < n; ++i) { y[i] = std::exp(x[i] - mx); s += y[i]; }
  for (int64_t i = 0; i < n; ++i) y[i] /= s;
}
#define X(a) static_cast<const float*>((a)->inputs[0].data)
#define Y(a) static_cast<float*>((a)->outputs[0].data)
#define M(a) ((a)->inputs[0].shape[0])
#define N(a) ((a)->inputs[0].shape[1])

#include <future>
extern "C" int ks_run(const ks_args* a) {
  static std::future<void> pending;
  const float* x = X(a); float* y = Y(a); int64_t m = M(a), n = N(a);
  pending = std::async(std::launch::async, [=] { for (int64_t r = m / 2; r < m; ++r) RowSoftmax(x + r * n, y + r * n, n); });
  for (int64_t r = 0; r < m / 2; ++r) RowSoftmax(x + r * n, y + r * n, n);
  return 0;
}
