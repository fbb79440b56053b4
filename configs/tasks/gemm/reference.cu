// Trusted CUDA reference for gemm (see contract.md): classic 16 x 16 shared-memory
// tiles, one thread per output element, products of the exactly widened bf16
// inputs summed in f64 in k order, result rounded to f32. No tensor cores.
// Invariant: validates every argument, non-zero on mismatch.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kT = 16;

__global__ void GemmRef(const __nv_bfloat16* A, const __nv_bfloat16* B, float* C, int64_t M, int64_t N,
                        int64_t K) {
  __shared__ double As[kT][kT];
  __shared__ double Bs[kT][kT];
  const int64_t m = static_cast<int64_t>(blockIdx.y) * kT + threadIdx.y;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kT + threadIdx.x;
  double s = 0.0;
  for (int64_t k0 = 0; k0 < K; k0 += kT) {
    const int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    As[threadIdx.y][threadIdx.x] = (m < M && ka < K) ? static_cast<double>(__bfloat162float(A[m * K + ka])) : 0.0;
    Bs[threadIdx.y][threadIdx.x] = (kb < K && n < N) ? static_cast<double>(__bfloat162float(B[kb * N + n])) : 0.0;
    __syncthreads();
    for (int k = 0; k < kT; ++k) s += As[threadIdx.y][k] * Bs[k][threadIdx.x];
    __syncthreads();
  }
  if (m < M && n < N) C[m * N + n] = static_cast<float>(s);
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
  if (M == 0 || N == 0) return 0;
  if ((M + kT - 1) / kT > 65535) return 4;
  const dim3 grid(static_cast<unsigned>((N + kT - 1) / kT), static_cast<unsigned>((M + kT - 1) / kT));
  GemmRef<<<grid, dim3(kT, kT), 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const __nv_bfloat16*>(A.data), static_cast<const __nv_bfloat16*>(B.data),
      static_cast<float*>(a->outputs[0].data), M, N, K);
  return cudaGetLastError() == cudaSuccess ? 0 : 5;
}
