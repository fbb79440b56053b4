// Baseline: one-pass online softmax, one warp per row, float4 loads when aligned.
#include <cuda_runtime.h>
#include <math.h>

#include "ksearch/kernel_abi.h"

namespace {

__device__ __forceinline__ void Combine(float& m, float& s, float m2, float s2) {
  float nm = fmaxf(m, m2);
  s = (m == -INFINITY ? 0.f : s * __expf(m - nm)) + (m2 == -INFINITY ? 0.f : s2 * __expf(m2 - nm));
  m = nm;
}

__global__ void SoftmaxOnline(const float* x, float* y, long long M, long long N) {
  long long row = (long long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (row >= M) return;
  const float* xr = x + row * N;
  float* yr = y + row * N;
  float m = -INFINITY, s = 0.f;
  for (long long n = lane; n < N; n += 32) {
    float v = xr[n];
    if (v > m) { s = (m == -INFINITY ? 0.f : s * __expf(m - v)) + 1.f; m = v; }
    else s += __expf(v - m);
  }
  for (int o = 16; o > 0; o >>= 1) {
    float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
    Combine(m, s, m2, s2);
  }
  float inv = 1.f / s;
  for (long long n = lane; n < N; n += 32) yr[n] = expf(xr[n] - m) * inv;
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  long long M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  const int warps = 8;
  unsigned blocks = (unsigned)((M + warps - 1) / warps);
  SoftmaxOnline<<<blocks, warps * 32, 0, (cudaStream_t)a->stream>>>((const float*)a->inputs[0].data,
                                                                    (float*)a->outputs[0].data, M, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 2;
}
