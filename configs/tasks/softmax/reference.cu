// Trusted CUDA reference for softmax: one block per row, float64 accumulation.
#include <cuda_runtime.h>
#include <math.h>

#include "ksearch/kernel_abi.h"

namespace {

__device__ double BlockReduce(double v, bool is_max, double* sh) {
  for (int o = 16; o > 0; o >>= 1) {
    double w = __shfl_xor_sync(0xffffffffu, v, o);
    v = is_max ? fmax(v, w) : v + w;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    double r = sh[0];
    for (int i = 1; i < blockDim.x / 32; ++i) r = is_max ? fmax(r, sh[i]) : r + sh[i];
    sh[32] = r;
  }
  __syncthreads();
  double r = sh[32];
  __syncthreads();
  return r;
}

__global__ void SoftmaxRef(const float* x, float* y, long long N) {
  __shared__ double sh[33];
  const float* xr = x + blockIdx.x * N;
  float* yr = y + blockIdx.x * N;
  double mx = -INFINITY;
  for (long long n = threadIdx.x; n < N; n += blockDim.x) mx = fmax(mx, (double)xr[n]);
  mx = BlockReduce(mx, true, sh);
  double sum = 0;
  for (long long n = threadIdx.x; n < N; n += blockDim.x) sum += exp((double)xr[n] - mx);
  sum = BlockReduce(sum, false, sh);
  for (long long n = threadIdx.x; n < N; n += blockDim.x) yr[n] = (float)(exp((double)xr[n] - mx) / sum);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (a->n_inputs != 1 || a->n_outputs != 1) return 1;
  long long M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  SoftmaxRef<<<(unsigned)M, 256, 0, (cudaStream_t)a->stream>>>((const float*)a->inputs[0].data,
                                                              (float*)a->outputs[0].data, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 2;
}
