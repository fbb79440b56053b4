// Legitimate (CUDA, reduction task): block per row; the max is combined with
// atomicMax on an order-preserving integer encoding in shared memory (exact and
// order-independent, so deterministic), the sum with a fixed-order tree.
#include <cstdint>
#include "ksearch/kernel_abi.h"
__device__ __forceinline__ int Ordered(float f) { int i = __float_as_int(f); return i >= 0 ? i : i ^ 0x7FFFFFFF; }
__device__ __forceinline__ float Unordered(int i) { return __int_as_float(i >= 0 ? i : i ^ 0x7FFFFFFF); }
__global__ void Reduce(const float* x, float* sum, float* mx, int64_t N) {
  __shared__ int smax;
  __shared__ double part[256];
  const float* r = x + blockIdx.x * N;
  if (threadIdx.x == 0) smax = Ordered(-INFINITY);
  __syncthreads();
  double s = 0; float m = -INFINITY;
  for (int64_t i = threadIdx.x; i < N; i += blockDim.x) { s += r[i]; m = fmaxf(m, r[i]); }
  atomicMax(&smax, Ordered(m));
  part[threadIdx.x] = s;
  __syncthreads();
  for (int w = 128; w; w >>= 1) { if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w]; __syncthreads(); }
  if (threadIdx.x == 0) { sum[blockIdx.x] = float(part[0]); mx[blockIdx.x] = Unordered(smax); }
}
extern "C" int ks_run(const ks_args* a) {
  Reduce<<<unsigned(a->inputs[0].shape[0]), 256, 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data),
      static_cast<float*>(a->outputs[1].data), a->inputs[0].shape[1]);
  return cudaGetLastError() != cudaSuccess;
}
