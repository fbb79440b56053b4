// Legitimate (transpose task): cache-oblivious recursive transpose; recursion
// cut off at 16x16 tiles. Handles any M, N (including 1 x N and M x 1).
#include <cstdint>
#include "ksearch/kernel_abi.h"
namespace {
void Rec(const float* x, float* y, int64_t M, int64_t N, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  if (r1 - r0 <= 16 && c1 - c0 <= 16) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = c0; c < c1; ++c) y[c * M + r] = x[r * N + c];
  } else if (r1 - r0 >= c1 - c0) {
    int64_t h = (r0 + r1) / 2;
    Rec(x, y, M, N, r0, h, c0, c1); Rec(x, y, M, N, h, r1, c0, c1);
  } else {
    int64_t h = (c0 + c1) / 2;
    Rec(x, y, M, N, r0, r1, c0, h); Rec(x, y, M, N, r0, r1, h, c1);
  }
}
}  // namespace
extern "C" int ks_run(const ks_args* a) {
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  Rec(static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data), M, N, 0, M, 0, N);
  return 0;
}
