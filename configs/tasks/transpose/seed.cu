// Seed candidate for transpose, CUDA backend: deliberately plain.
// One thread per element on a 2-D grid: reads of x are coalesced, writes of y
// are strided by M. Dense row-major x [M,N] and y [N,M] (contract.md).
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

#define BLOCK_X 32  // ksearch:tune {16,32,64}
#define BLOCK_Y 8   // ksearch:tune {1,2,4,8,16}

__global__ void TransposeSeed(const float* x, float* y, int64_t M, int64_t N) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * BLOCK_X + threadIdx.x;
  const int64_t m = static_cast<int64_t>(blockIdx.y) * BLOCK_Y + threadIdx.y;
  if (m < M && n < N) y[n * M + m] = x[m * N + n];
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0 || N == 0) return 0;
  const dim3 grid(static_cast<unsigned>((N + BLOCK_X - 1) / BLOCK_X),
                  static_cast<unsigned>((M + BLOCK_Y - 1) / BLOCK_Y));
  TransposeSeed<<<grid, dim3(BLOCK_X, BLOCK_Y), 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data), M, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
