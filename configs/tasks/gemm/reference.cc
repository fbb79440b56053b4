// Trusted host reference for gemm (see contract.md): C[m,n] = sum_k A[m,k]*B[k,n]
// with the bf16 inputs widened exactly and the products summed in f64, then
// rounded to f32. Invariant: validates every argument, non-zero on mismatch.
#include <cstdint>

#include "ksearch/kernel_abi.h"

namespace {

double Bf16ToF64(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}

bool Dense2D(const ks_tensor& t, int dtype, int64_t r, int64_t c) {
  return t.data && t.dtype == dtype && t.ndim == 2 && t.shape[0] == r && t.shape[1] == c &&
         (t.stride[1] == 1 || c == 1) && (t.stride[0] == c || r == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 2 || a->n_outputs != 1) return 1;
  const ks_tensor& A = a->inputs[0];
  const ks_tensor& B = a->inputs[1];
  if (A.ndim != 2 || B.ndim != 2) return 2;
  const int64_t M = A.shape[0], K = A.shape[1], N = B.shape[1];
  if (!Dense2D(A, KS_BF16, M, K) || !Dense2D(B, KS_BF16, K, N) || !Dense2D(a->outputs[0], KS_F32, M, N))
    return 3;
  const uint16_t* ap = static_cast<const uint16_t*>(A.data);
  const uint16_t* bp = static_cast<const uint16_t*>(B.data);
  float* cp = static_cast<float*>(a->outputs[0].data);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0.0;
      for (int64_t k = 0; k < K; ++k) s += Bf16ToF64(ap[m * K + k]) * Bf16ToF64(bp[k * N + n]);
      cp[m * N + n] = static_cast<float>(s);
    }
  return 0;
}
