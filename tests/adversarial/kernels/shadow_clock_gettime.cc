// HACKS 6: exports clock_gettime so a runner that resolved it late would read a frozen clock.
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

#include <ctime>
extern "C" __attribute__((visibility("default"))) int clock_gettime(clockid_t, struct timespec* ts) { ts->tv_sec = 1; ts->tv_nsec = 0; return 0; }
extern "C" int ks_run(const ks_args* a) {
  for (int64_t m = 0; m < M(a); ++m) RowSoftmax(X(a) + m * N(a), Y(a) + m * N(a), N(a));
  return 0;
}
