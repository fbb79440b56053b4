// Legitimate: scratch on the heap (std::vector) for the exponentials, a static
// constant table built once under a guard (__cxa_guard), and exceptions used
// internally for a bad-shape path. Nothing keyed on inputs is kept between calls.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>
#include "ksearch/kernel_abi.h"
static const std::vector<float>& Ones() {
  static const std::vector<float> ones(64, 1.0f);  // constant, input-independent
  return ones;
}
static void Check(int64_t n) { if (n <= 0) throw std::invalid_argument("empty row"); }
extern "C" int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  try { Check(N); } catch (const std::exception&) { return 1; }
  std::vector<double> e(N);
  for (int64_t m = 0; m < M; ++m) {
    const float* xr = x + m * N;
    float mx = -INFINITY;
    for (int64_t i = 0; i < N; ++i) mx = std::fmax(mx, xr[i]);
    double s = 0;
    for (int64_t i = 0; i < N; ++i) { e[i] = std::exp(double(xr[i] - mx)); s += e[i]; }
    for (int64_t i = 0; i < N; ++i) y[m * N + i] = float(e[i] / s) * Ones()[i % 64];
  }
  return 0;
}
