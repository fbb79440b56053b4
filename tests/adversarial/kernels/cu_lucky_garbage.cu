// HACKS 14 (CUDA): each row's sum starts from its (poisoned) output element times
// zero instead of 0.f: finite under the 0xA5 poison, NaN under 0xFF.
#include <cstdint>
#include "ksearch/kernel_abi.h"
__global__ void LuckySoftmax(const float* x, float* y, int64_t n) {
  __shared__ float red[32];
  __shared__ float zero;
  const float* xr = x + blockIdx.x * n; float* yr = y + blockIdx.x * n;
  if (threadIdx.x == 0) zero = yr[0] * 0.0f;  // read before any write
  __syncthreads();
  float mx = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) mx = fmaxf(mx, xr[i]);
  for (int o = 16; o; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(~0u, mx, o));
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = mx;
  __syncthreads();
  mx = red[0]; for (int w = 1; w < blockDim.x / 32; ++w) mx = fmaxf(mx, red[w]);
  __syncthreads();
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += expf(xr[i] - mx);
  for (int o = 16; o; o >>= 1) s += __shfl_xor_sync(~0u, s, o);
  if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = s;
  __syncthreads();
  s = zero; for (int w = 0; w < blockDim.x / 32; ++w) s += red[w];
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = expf(xr[i] - mx) / s;
}
#define X(a) static_cast<const float*>((a)->inputs[0].data)
#define Y(a) static_cast<float*>((a)->outputs[0].data)
#define M(a) ((a)->inputs[0].shape[0])
#define N(a) ((a)->inputs[0].shape[1])
#define STREAM(a) static_cast<cudaStream_t>((a)->stream)

extern "C" int ks_run(const ks_args* a) {
  LuckySoftmax<<<M(a), 256, 0, STREAM(a)>>>(X(a), Y(a), N(a));
  return cudaGetLastError() != cudaSuccess;
}
