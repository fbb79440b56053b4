// Baseline for reduction, CUDA backend: the textbook block-per-row reduction
// (CUB BlockReduce shape): 256 threads per row, coalesced scalar loads, warp
// shuffles, then one shared-memory step across the 8 warp results.
// Dense row-major x (contract.md). Deterministic: fixed order per shape.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kThreads = 256;

__global__ void ReduceBaseline(const float* __restrict__ x, float* sum, float* mx, int64_t N) {
  __shared__ float w_sum[kThreads / 32], w_max[kThreads / 32];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * N;
  float s = 0.0f, hi = -INFINITY;
  for (int64_t n = threadIdx.x; n < N; n += kThreads) {
    const float v = row[n];
    s += v;
    hi = fmaxf(hi, v);
  }
  for (int o = 16; o > 0; o >>= 1) {
    s += __shfl_xor_sync(0xffffffffu, s, o);
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, o));
  }
  if ((threadIdx.x & 31) == 0) {
    w_sum[threadIdx.x >> 5] = s;
    w_max[threadIdx.x >> 5] = hi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int i = 1; i < kThreads / 32; ++i) {
      s += w_sum[i];  // thread 0 holds warp 0's result already
      hi = fmaxf(hi, w_max[i]);
    }
    sum[blockIdx.x] = s;
    mx[blockIdx.x] = hi;
  }
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0) return 0;
  ReduceBaseline<<<static_cast<unsigned>(M), kThreads, 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data),
      static_cast<float*>(a->outputs[1].data), N);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
