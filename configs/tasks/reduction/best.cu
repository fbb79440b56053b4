// Best hand-checked reduction, CUDA backend.
// Rows of up to 2048 elements: one warp per row (8 rows per 256-thread block), so
// short rows do not leave most of a block idle. Longer rows: one block per row
// (256 threads, 512 past 16K elements). Each thread streams its part of the row
// with 16-byte loads (when N % 4 == 0 and x is 16-byte aligned; scalar otherwise),
// keeping four loads in flight with four independent partial sums and maxima;
// partials combine by warp shuffles, then (block case) thread 0 folds the warp
// results in warp order. x moves through DRAM once (the cost-model minimum).
// Invariant: the combination order depends only on the shape, so results are
// bitwise deterministic (contract.md forbids order-varying atomics).
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

constexpr int kWarpRowMax = 2048;  // rows up to this length get one warp each

__device__ __forceinline__ void Acc4(const float4& v, float& s, float& hi) {
  s += (v.x + v.y) + (v.z + v.w);
  hi = fmaxf(hi, fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)));
}

// Partial sum and max of row[] over the elements owned by thread t of nt.
__device__ __forceinline__ void RowPartial(const float* __restrict__ row, int64_t N, int t, int nt,
                                           bool vec, float& s, float& hi) {
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  float h0 = -INFINITY, h1 = -INFINITY, h2 = -INFINITY, h3 = -INFINITY;
  if (vec) {
    const float4* r4 = reinterpret_cast<const float4*>(row);
    const int64_t nv = N / 4;
    int64_t i = t;
    for (; i + 3 * nt < nv; i += 4 * nt) {
      const float4 a = __ldcs(r4 + i), b = __ldcs(r4 + i + nt);
      const float4 c = __ldcs(r4 + i + 2 * nt), d = __ldcs(r4 + i + 3 * nt);
      Acc4(a, s0, h0);
      Acc4(b, s1, h1);
      Acc4(c, s2, h2);
      Acc4(d, s3, h3);
    }
    for (; i < nv; i += nt) Acc4(__ldcs(r4 + i), s0, h0);
  } else {
    int64_t i = t;
    for (; i + 3 * nt < N; i += 4 * nt) {
      const float a = row[i], b = row[i + nt], c = row[i + 2 * nt], d = row[i + 3 * nt];
      s0 += a; s1 += b; s2 += c; s3 += d;
      h0 = fmaxf(h0, a); h1 = fmaxf(h1, b); h2 = fmaxf(h2, c); h3 = fmaxf(h3, d);
    }
    for (; i < N; i += nt) {
      s0 += row[i];
      h0 = fmaxf(h0, row[i]);
    }
  }
  s = (s0 + s1) + (s2 + s3);
  hi = fmaxf(fmaxf(h0, h1), fmaxf(h2, h3));
}

__device__ __forceinline__ void WarpCombine(float& s, float& hi) {
  for (int o = 16; o > 0; o >>= 1) {
    s += __shfl_xor_sync(0xffffffffu, s, o);
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, o));
  }
}

__global__ void __launch_bounds__(256)
    ReduceWarpRows(const float* __restrict__ x, float* sum, float* mx, int64_t M, int64_t N, bool vec) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * 8 + (threadIdx.x >> 5);
  if (row >= M) return;  // whole warp leaves together; no block barrier below
  float s, hi;
  RowPartial(x + row * N, N, threadIdx.x & 31, 32, vec, s, hi);
  WarpCombine(s, hi);
  if ((threadIdx.x & 31) == 0) {
    sum[row] = s;
    mx[row] = hi;
  }
}

__global__ void __launch_bounds__(512)
    ReduceBlockRows(const float* __restrict__ x, float* sum, float* mx, int64_t N, bool vec) {
  __shared__ float w_sum[16], w_max[16];
  float s, hi;
  RowPartial(x + static_cast<int64_t>(blockIdx.x) * N, N, threadIdx.x, blockDim.x, vec, s, hi);
  WarpCombine(s, hi);
  if ((threadIdx.x & 31) == 0) {
    w_sum[threadIdx.x >> 5] = s;
    w_max[threadIdx.x >> 5] = hi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    const int warps = blockDim.x >> 5;
    for (int i = 1; i < warps; ++i) {
      s += w_sum[i];
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
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* sum = static_cast<float*>(a->outputs[0].data);
  float* mx = static_cast<float*>(a->outputs[1].data);
  const bool vec = N % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  cudaStream_t stream = static_cast<cudaStream_t>(a->stream);
  if (N <= kWarpRowMax) {
    ReduceWarpRows<<<static_cast<unsigned>((M + 7) / 8), 256, 0, stream>>>(x, sum, mx, M, N, vec);
  } else {
    const int threads = N > 16384 ? 512 : 256;
    ReduceBlockRows<<<static_cast<unsigned>(M), threads, 0, stream>>>(x, sum, mx, N, vec);
  }
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
