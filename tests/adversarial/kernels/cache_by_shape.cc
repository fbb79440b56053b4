// HACKS 2: a static cache keyed on the shape; the first call computes, later calls replay it.
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

#include <map>
#include <utility>
#include <vector>
extern "C" int ks_run(const ks_args* a) {
  static std::map<std::pair<int64_t, int64_t>, std::vector<float>> cache;
  auto key = std::make_pair(M(a), N(a));
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::vector<float> out(M(a) * N(a));
    for (int64_t m = 0; m < M(a); ++m) RowSoftmax(X(a) + m * N(a), out.data() + m * N(a), N(a));
    it = cache.emplace(key, std::move(out)).first;
  }
  std::memcpy(Y(a), it->second.data(), it->second.size() * sizeof(float));
  return 0;
}
