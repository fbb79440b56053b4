// Trusted CUDA reference for reduction (see contract.md): one block per row,
// f64 accumulation of the sum and an exact max, both through a plain
// shared-memory tree. Invariant: validates every argument, returns non-zero on
// any mismatch.
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kThreads = 256;  // power of two: the tree below relies on it

__global__ void ReduceRef(const float* x, float* sum, float* mx, int64_t N) {
  __shared__ double s_sum[kThreads];
  __shared__ float s_max[kThreads];
  const float* row = x + blockIdx.x * N;
  double s = 0.0;
  float hi = -INFINITY;
  for (int64_t n = threadIdx.x; n < N; n += kThreads) {
    s += row[n];
    hi = fmaxf(hi, row[n]);
  }
  s_sum[threadIdx.x] = s;
  s_max[threadIdx.x] = hi;
  __syncthreads();
  for (int k = kThreads / 2; k > 0; k /= 2) {
    if (threadIdx.x < k) {
      s_sum[threadIdx.x] += s_sum[threadIdx.x + k];
      s_max[threadIdx.x] = fmaxf(s_max[threadIdx.x], s_max[threadIdx.x + k]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    sum[blockIdx.x] = static_cast<float>(s_sum[0]);
    mx[blockIdx.x] = s_max[0];
  }
}

bool Dense1D(const ks_tensor& t, int64_t m) {
  return t.data && t.dtype == KS_F32 && t.ndim == 1 && t.shape[0] == m && (m == 1 || t.stride[0] == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 1 || a->n_outputs != 2) return 1;
  const ks_tensor& x = a->inputs[0];
  if (!x.data || x.dtype != KS_F32 || x.ndim != 2) return 2;
  const int64_t M = x.shape[0], N = x.shape[1];
  if (N < 1 || (N > 1 && x.stride[1] != 1) || (M > 1 && x.stride[0] != N)) return 3;
  if (!Dense1D(a->outputs[0], M) || !Dense1D(a->outputs[1], M)) return 4;
  if (M == 0) return 0;
  if (M > 0x7fffffff) return 5;
  ReduceRef<<<static_cast<unsigned>(M), kThreads, 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(x.data), static_cast<float*>(a->outputs[0].data),
      static_cast<float*>(a->outputs[1].data), N);
  return cudaGetLastError() == cudaSuccess ? 0 : 6;
}
