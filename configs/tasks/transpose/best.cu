// Best hand-checked transpose, CUDA backend.
// 64 x 64 tiles, 256 threads (16 x 16), shared tile padded to 65 columns.
// Interior tiles (when M % 4 == 0, N % 4 == 0 and both pointers are 16-byte
// aligned): each thread reads four float4 row segments of x with streaming loads
// and writes four float4 row segments of y, gathered from a tile column, so every
// global access is a full 16-byte vector and each warp touches 2 x 256 contiguous
// bytes. Shared-memory accesses are at most 2-way bank-conflicted (4*tx mod 32).
// Edge tiles and unaligned shapes use the same tile with bounds-checked scalar
// accesses laid out so a half-warp covers 16 consecutive floats.
// Pure data movement: output is bit-exact (contract.md).
#include <cuda_runtime.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kT = 64;

__global__ void __launch_bounds__(256)
    TransposeBest(const float* __restrict__ x, float* __restrict__ y, int64_t M, int64_t N, bool vec) {
  __shared__ float tile[kT][kT + 1];
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kT;  // first column of x in this tile
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * kT;  // first row of x in this tile
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const bool full = vec && r0 + kT <= M && c0 + kT <= N;  // uniform over the block
  if (full) {
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int r = ty + 16 * k;
      const float4 v = __ldcs(reinterpret_cast<const float4*>(x + (r0 + r) * N + c0) + tx);
      tile[r][4 * tx + 0] = v.x;
      tile[r][4 * tx + 1] = v.y;
      tile[r][4 * tx + 2] = v.z;
      tile[r][4 * tx + 3] = v.w;
    }
  } else {
#pragma unroll
    for (int k = 0; k < 4; ++k)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int r = ty + 16 * k, c = tx + 16 * j;
        if (r0 + r < M && c0 + c < N) tile[r][c] = x[(r0 + r) * N + c0 + c];
      }
  }
  __syncthreads();
  // y is [N, M]: y row (c0 + oc) holds x column (c0 + oc); its columns are x rows.
  if (full) {
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int oc = ty + 16 * k;
      const float4 v = make_float4(tile[4 * tx + 0][oc], tile[4 * tx + 1][oc], tile[4 * tx + 2][oc],
                                   tile[4 * tx + 3][oc]);
      __stcs(reinterpret_cast<float4*>(y + (c0 + oc) * M + r0) + tx, v);
    }
  } else {
#pragma unroll
    for (int k = 0; k < 4; ++k)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int oc = ty + 16 * k, orow = tx + 16 * j;  // orow indexes x rows
        if (c0 + oc < N && r0 + orow < M) y[(c0 + oc) * M + r0 + orow] = tile[orow][oc];
      }
  }
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  if (M == 0 || N == 0) return 0;
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const bool vec = M % 4 == 0 && N % 4 == 0 &&
                   ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) % 16) == 0;
  const dim3 grid(static_cast<unsigned>((N + kT - 1) / kT), static_cast<unsigned>((M + kT - 1) / kT));
  TransposeBest<<<grid, 256, 0, static_cast<cudaStream_t>(a->stream)>>>(x, y, M, N, vec);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
