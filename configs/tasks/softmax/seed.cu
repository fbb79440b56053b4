// Seed: plain three-pass softmax, one block per row, shared-memory tree reductions.
#include <cuda_runtime.h>
#include <math.h>

#include "ksearch/kernel_abi.h"

#define BLOCK 256  // ksearch:tune {64,128,256,512,1024}

namespace {

__global__ void SoftmaxSeed(const float* x, float* y, long long N) {
  __shared__ float sh[BLOCK];
  const float* xr = x + blockIdx.x * N;
  float* yr = y + blockIdx.x * N;
  float mx = -INFINITY;
  for (long long n = threadIdx.x; n < N; n += BLOCK) mx = fmaxf(mx, xr[n]);
  sh[threadIdx.x] = mx;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] = fmaxf(sh[threadIdx.x], sh[threadIdx.x + s]);
    __syncthreads();
  }
  mx = sh[0];
  __syncthreads();
  float sum = 0.f;
  for (long long n = threadIdx.x; n < N; n += BLOCK) sum += expf(xr[n] - mx);
  sh[threadIdx.x] = sum;
  __syncthreads();
  for (int s = BLOCK / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  float inv = 1.f / sh[0];
  for (long long n = threadIdx.x; n < N; n += BLOCK) yr[n] = expf(xr[n] - mx) * inv;
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  long long M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  SoftmaxSeed<<<(unsigned)M, BLOCK, 0, (cudaStream_t)a->stream>>>((const float*)a->inputs[0].data,
                                                                  (float*)a->outputs[0].data, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 2;
}
