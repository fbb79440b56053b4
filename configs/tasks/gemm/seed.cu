// Seed candidate for gemm, CUDA backend: deliberately plain.
// One thread per C element, k loop straight from global memory, f32 accumulation
// (no tensor cores, no shared memory). Dense row-major (contract.md).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

#define BLOCK_X 32  // ksearch:tune {16,32,64}
#define BLOCK_Y 8   // ksearch:tune {2,4,8,16}

__global__ void GemmSeed(const __nv_bfloat16* A, const __nv_bfloat16* B, float* C, int64_t M, int64_t N,
                         int64_t K) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * BLOCK_X + threadIdx.x;
  const int64_t m = static_cast<int64_t>(blockIdx.y) * BLOCK_Y + threadIdx.y;
  if (m >= M || n >= N) return;
  float s = 0.0f;
  for (int64_t k = 0; k < K; ++k) s += __bfloat162float(A[m * K + k]) * __bfloat162float(B[k * N + n]);
  C[m * N + n] = s;
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], K = a->inputs[0].shape[1], N = a->inputs[1].shape[1];
  if (M == 0 || N == 0) return 0;
  const dim3 grid(static_cast<unsigned>((N + BLOCK_X - 1) / BLOCK_X),
                  static_cast<unsigned>((M + BLOCK_Y - 1) / BLOCK_Y));
  GemmSeed<<<grid, dim3(BLOCK_X, BLOCK_Y), 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const __nv_bfloat16*>(a->inputs[0].data), static_cast<const __nv_bfloat16*>(a->inputs[1].data),
      static_cast<float*>(a->outputs[0].data), M, N, K);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
