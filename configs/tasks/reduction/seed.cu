// Seed candidate for reduction, CUDA backend: deliberately plain.
// One block per row, scalar strided loads, f32 partials, shared-memory tree for
// both the sum and the max. Dense row-major x (contract.md).
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

#define BLOCK 256  // ksearch:tune {64,128,256,512,1024}

__global__ void ReduceSeed(const float* x, float* sum, float* mx, int64_t N) {
  __shared__ float s_sum[BLOCK];
  __shared__ float s_max[BLOCK];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * N;
  float s = 0.0f, hi = -INFINITY;
  for (int64_t n = threadIdx.x; n < N; n += BLOCK) {
    s += row[n];
    hi = fmaxf(hi, row[n]);
  }
  s_sum[threadIdx.x] = s;
  s_max[threadIdx.x] = hi;
  __syncthreads();
  for (int k = BLOCK / 2; k > 0; k /= 2) {  // BLOCK is a power of two
    if (threadIdx.x < k) {
      s_sum[threadIdx.x] += s_sum[threadIdx.x + k];
      s_max[threadIdx.x] = fmaxf(s_max[threadIdx.x], s_max[threadIdx.x + k]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    sum[blockIdx.x] = s_sum[0];
    mx[blockIdx.x] = s_max[0];
  }
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0) return 0;
  ReduceSeed<<<static_cast<unsigned>(M), BLOCK, 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data),
      static_cast<float*>(a->outputs[1].data), N);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
