// HACKS 2 (disguise): cache keyed on a cheap content fingerprint (shape + 16 sampled elements).
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

#include <unordered_map>
#include <vector>
extern "C" int ks_run(const ks_args* a) {
  static std::unordered_map<uint64_t, std::vector<float>> cache;
  size_t n = M(a) * N(a);
  uint64_t h = 1469598103934665603ull ^ n;
  for (size_t k = 0; k < 16; ++k) {
    uint32_t bits; std::memcpy(&bits, X(a) + (k * 7919) % n, 4);
    h = (h ^ bits) * 1099511628211ull;
  }
  auto it = cache.find(h);
  if (it != cache.end()) { std::memcpy(Y(a), it->second.data(), n * sizeof(float)); return 0; }
  for (int64_t m = 0; m < M(a); ++m) RowSoftmax(X(a) + m * N(a), Y(a) + m * N(a), N(a));
  cache[h].assign(Y(a), Y(a) + n);
  return 0;
}
