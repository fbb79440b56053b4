// HACKS 9: computes in _Float16 while the contract says f32.
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

extern "C" int ks_run(const ks_args* a) {
  for (int64_t m = 0; m < M(a); ++m) {
    const float* x = X(a) + m * N(a); float* y = Y(a) + m * N(a);
    _Float16 mx = -65504;
    for (int64_t i = 0; i < N(a); ++i) mx = (_Float16)x[i] > mx ? (_Float16)x[i] : mx;
    _Float16 s = 0;
    for (int64_t i = 0; i < N(a); ++i) { _Float16 e = (_Float16)std::exp((float)((_Float16)x[i] - mx)); y[i] = (float)e; s += e; }
    for (int64_t i = 0; i < N(a); ++i) y[i] = (float)((_Float16)y[i] / s);
  }
  return 0;
}
