// Best hand-checked gemm, host backend.
// B is widened to f32 one (kKc x kNc) panel at a time into a stack buffer, then a
// 4 x (2 SIMD vectors) register micro-kernel (A values broadcast) sweeps
// the rows; partial results are kept in C between k panels. Every C element sums
// its k terms in increasing k in f32, so results are deterministic (contract.md).
// Edge rows/columns use the same panel with a scalar loop.
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int64_t kKc = 128;  // k per panel
constexpr int64_t kNc = 128;  // columns per panel: panel = 64 KiB of f32

inline float Bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

// One SIMD register of f32 (GCC/Clang vector extension): 8 lanes when AVX is
// enabled (the evaluator builds with -march=native), 4 (SSE) otherwise, so the
// type never falls back to piecewise scalar code. Written with explicit vectors
// because GCC 12 at -O3 turns the plain-array form of this micro-kernel into
// scalar shuffles (measured ~100x slower than at -O2).
#ifdef __AVX__
constexpr int kW = 8;
#else
constexpr int kW = 4;
#endif
typedef float Vec __attribute__((vector_size(kW * 4)));
constexpr int64_t kMr = 4, kNr = 2 * kW;  // micro-tile: 4 rows x 2 vectors

__attribute__((always_inline)) inline Vec LoadV(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((always_inline)) inline void StoreV(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof v); }

// acc(kMr x kNr) += A[m0.., k0..k0+kc) * panel[0..kc, j0..j0+kNr); acc lives in C.
__attribute__((always_inline)) inline void Micro(const uint16_t* A, int64_t K, int64_t m0, int64_t k0, int64_t kc,
                  const float (*panel)[kNc], int64_t j0, float* C, int64_t N, int64_t n0) {
  Vec acc[kMr][2];
  for (int r = 0; r < kMr; ++r) {
    acc[r][0] = LoadV(C + (m0 + r) * N + n0 + j0);
    acc[r][1] = LoadV(C + (m0 + r) * N + n0 + j0 + kW);
  }
  for (int64_t k = 0; k < kc; ++k) {
    const Vec b0 = LoadV(panel[k] + j0), b1 = LoadV(panel[k] + j0 + kW);
    for (int r = 0; r < kMr; ++r) {
      const float av = Bf16ToF32(A[(m0 + r) * K + k0 + k]);
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
  }
  for (int r = 0; r < kMr; ++r) {
    StoreV(C + (m0 + r) * N + n0 + j0, acc[r][0]);
    StoreV(C + (m0 + r) * N + n0 + j0 + kW, acc[r][1]);
  }
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], K = a->inputs[0].shape[1], N = a->inputs[1].shape[1];
  const uint16_t* A = static_cast<const uint16_t*>(a->inputs[0].data);
  const uint16_t* B = static_cast<const uint16_t*>(a->inputs[1].data);
  float* C = static_cast<float*>(a->outputs[0].data);
  alignas(64) float panel[kKc][kNc];
  for (int64_t i = 0; i < M * N; ++i) C[i] = 0.0f;
  for (int64_t n0 = 0; n0 < N; n0 += kNc) {
    const int64_t nc = N - n0 < kNc ? N - n0 : kNc;
    for (int64_t k0 = 0; k0 < K; k0 += kKc) {
      const int64_t kc = K - k0 < kKc ? K - k0 : kKc;
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t j = 0; j < nc; ++j) panel[k][j] = Bf16ToF32(B[(k0 + k) * N + n0 + j]);
      const int64_t nfull = nc / kNr * kNr;
      int64_t m = 0;
      for (; m + kMr <= M; m += kMr)
        for (int64_t j0 = 0; j0 < nfull; j0 += kNr) Micro(A, K, m, k0, kc, panel, j0, C, N, n0);
      // Scalar edges: leftover rows (all columns) and leftover columns (full-row blocks).
      for (int64_t mm = 0; mm < M; ++mm) {
        const int64_t jstart = mm < m ? nfull : 0;
        float* c = C + mm * N + n0;
        for (int64_t k = 0; k < kc; ++k) {
          const float av = Bf16ToF32(A[mm * K + k0 + k]);
          for (int64_t j = jstart; j < nc; ++j) c[j] += av * panel[k][j];
        }
      }
    }
  }
  return 0;
}
