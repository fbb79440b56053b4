// Best hand-checked transpose, host backend.
// 64 x 64 cache blocks; inside a block, full 8 x 8 micro-tiles are read as eight
// 8-float row segments into a local array and written as eight 8-float column
// segments (the compiler keeps them in vector registers and shuffles), so both
// sides touch whole cache lines. Edge micro-tiles use plain scalar loops.
// Pure data movement: output is bit-exact (contract.md).
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int64_t kBlock = 64;
constexpr int64_t kMicro = 8;

inline void Micro8(const float* __restrict__ x, float* __restrict__ y, int64_t N, int64_t M) {
  float t[kMicro][kMicro];
  for (int i = 0; i < kMicro; ++i)
    for (int j = 0; j < kMicro; ++j) t[j][i] = x[i * N + j];
  for (int j = 0; j < kMicro; ++j)
    for (int i = 0; i < kMicro; ++i) y[j * M + i] = t[j][i];
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  for (int64_t m0 = 0; m0 < M; m0 += kBlock) {
    const int64_t m1 = m0 + kBlock < M ? m0 + kBlock : M;
    for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
      const int64_t n1 = n0 + kBlock < N ? n0 + kBlock : N;
      for (int64_t m = m0; m < m1; m += kMicro)
        for (int64_t n = n0; n < n1; n += kMicro) {
          if (m + kMicro <= m1 && n + kMicro <= n1) {
            Micro8(x + m * N + n, y + n * M + m, N, M);
          } else {
            for (int64_t i = m; i < m + kMicro && i < m1; ++i)
              for (int64_t j = n; j < n + kMicro && j < n1; ++j) y[j * M + i] = x[i * N + j];
          }
        }
    }
  }
  return 0;
}
