// Baseline for transpose, CUDA backend: the CUDA SDK / "An Efficient Matrix
// Transpose in CUDA C/C++" kernel transposeNoBankConflicts: 32 x 32 tile in
// shared memory padded to 33 columns, 32 x 8 threads, 4 elements per thread,
// coalesced reads and writes; bounds-checked for any M, N.
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kTile = 32, kRows = 8;

__global__ void TransposeBaseline(const float* __restrict__ x, float* __restrict__ y, int64_t M, int64_t N) {
  __shared__ float tile[kTile][kTile + 1];
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTile, m0 = static_cast<int64_t>(blockIdx.y) * kTile;
  for (int j = threadIdx.y; j < kTile; j += kRows) {
    const int64_t m = m0 + j, n = n0 + threadIdx.x;
    if (m < M && n < N) tile[j][threadIdx.x] = x[m * N + n];
  }
  __syncthreads();
  for (int j = threadIdx.y; j < kTile; j += kRows) {
    const int64_t n = n0 + j, m = m0 + threadIdx.x;  // y row n, column m
    if (m < M && n < N) y[n * M + m] = tile[threadIdx.x][j];
  }
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0 || N == 0) return 0;
  const dim3 grid(static_cast<unsigned>((N + kTile - 1) / kTile), static_cast<unsigned>((M + kTile - 1) / kTile));
  TransposeBaseline<<<grid, dim3(kTile, kRows), 0, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data), M, N);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
