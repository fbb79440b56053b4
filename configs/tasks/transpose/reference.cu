// Trusted CUDA reference for transpose (see contract.md): one thread per element
// over a grid-stride loop, y[n*M + m] = x[m*N + n]. Slow (strided writes) and
// obviously correct. Invariant: validates every argument, non-zero on mismatch.
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

__global__ void TransposeRef(const float* x, float* y, int64_t M, int64_t N) {
  const int64_t total = M * N;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = i / N, n = i % N;
    y[n * M + m] = x[i];
  }
}

bool Dense2D(const ks_tensor& t, int64_t r, int64_t c) {
  return t.data && t.dtype == KS_F32 && t.ndim == 2 && t.shape[0] == r && t.shape[1] == c &&
         (t.stride[1] == 1 || c == 1) && (t.stride[0] == c || r == 1);
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (!a || a->n_inputs != 1 || a->n_outputs != 1) return 1;
  const ks_tensor& x = a->inputs[0];
  if (x.ndim != 2) return 2;
  const int64_t M = x.shape[0], N = x.shape[1];
  if (!Dense2D(x, M, N) || !Dense2D(a->outputs[0], N, M)) return 3;
  if (M == 0 || N == 0) return 0;
  const int64_t blocks = (M * N + 255) / 256;
  TransposeRef<<<static_cast<unsigned>(blocks < 65536 ? blocks : 65536), 256, 0,
                 static_cast<cudaStream_t>(a->stream)>>>(static_cast<const float*>(x.data),
                                                         static_cast<float*>(a->outputs[0].data), M, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 4;
}
