// Seed candidate for rmsnorm, CUDA backend: deliberately plain.
// One block per row; scalar bf16 loads; sum of squares in f32 reduced through a
// shared-memory tree; second pass re-reads x and writes bf16(x * r * w).
// Assumes dense row-major tensors (contract.md).
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

#define BLOCK 256  // ksearch:tune {64,128,256,512,1024}

__global__ void RmsNormSeed(const __nv_bfloat16* x, const __nv_bfloat16* w, __nv_bfloat16* y,
                            int64_t N, float eps) {
  __shared__ float partial[BLOCK];
  const int64_t base = static_cast<int64_t>(blockIdx.x) * N;
  float ss = 0.0f;
  for (int64_t n = threadIdx.x; n < N; n += BLOCK) {
    const float v = __bfloat162float(x[base + n]);
    ss += v * v;
  }
  partial[threadIdx.x] = ss;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s /= 2) {  // BLOCK is a power of two
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const float r = rsqrtf(partial[0] / static_cast<float>(N) + eps);
  for (int64_t n = threadIdx.x; n < N; n += BLOCK)
    y[base + n] = __float2bfloat16_rn(__bfloat162float(x[base + n]) * r * __bfloat162float(w[n]));
}

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0 || N == 0) return 0;
  RmsNormSeed<<<static_cast<unsigned>(M), BLOCK, 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const __nv_bfloat16*>(a->inputs[0].data),
      static_cast<const __nv_bfloat16*>(a->inputs[1].data),
      static_cast<__nv_bfloat16*>(a->outputs[0].data), N, static_cast<float>(a->fscalars[0]));
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
