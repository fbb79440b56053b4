// Best hand-checked gemm, CUDA backend: bf16 tensor cores through WMMA
// (mma.sync m16n16k16, f32 accumulators), sm_80 or newer (built for sm_90a).
//
// Tiling: a 256-thread block (8 warps as 2 x 4) computes a BM x 128 tile of C
// (BM = 128, or 64 when 128-row tiles would not fill the GPU, e.g. M = 128);
// each warp owns a (BM/2) x 32 sub-tile of 16 x 16 accumulator fragments. K is
// walked in steps of 32 with two shared-memory stages: while the tensor cores
// work on stage s, the next A (BM x 32) and B (32 x 128) tiles are copied into
// stage s^1. Rows of the shared tiles are padded by 8 bf16 (16 bytes) to spread
// banks; every fragment pointer stays 32-byte aligned, as WMMA requires.
//
// Loads: when K % 8 == 0, N % 8 == 0 and A, B are 16-byte aligned, 16-byte
// cp.async copies (zero-filled past the matrix edges; with those divisibilities a
// 16-byte chunk is wholly inside or wholly outside). Otherwise, bounds-checked
// scalar loads into the same tiles. Stores: fragments go straight to C when the
// whole 16 x 16 fragment is inside C and C rows are 32-byte aligned; otherwise
// through a per-warp 16 x 16 f32 scratch in shared memory with bounds checks.
//
// Every C element is one warp's chain of mma.sync over k in increasing order, so
// results are deterministic (contract.md). This is a hand-checked mma.sync
// design, not a Hopper wgmma/TMA kernel; cuBLAS (the baseline) is expected to be
// faster on the square shapes.
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>
#include <stdint.h>

#include "ksearch/kernel_abi.h"

namespace {

using namespace nvcuda;

constexpr int kBN = 128, kBK = 32, kPad = 8, kThreads = 256;
constexpr int kLdA = kBK + kPad;  // 40 bf16 = 80 B per A row in shared memory
constexpr int kLdB = kBN + kPad;  // 136 bf16 = 272 B per B row

template <int kBM>
struct Smem {
  __nv_bfloat16 a[2][kBM][kLdA];
  __nv_bfloat16 b[2][kBK][kLdB];
};

__device__ __forceinline__ void CpAsync16(void* smem, const void* gmem, bool in_bounds) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int bytes = in_bounds ? 16 : 0;  // 0 source bytes: the 16 bytes are zero-filled
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(bytes));
}
__device__ __forceinline__ void CpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void CpAsyncWaitOne() { asm volatile("cp.async.wait_group 1;\n" ::); }

// Copies the A tile (rows m0.., cols k0..) and B tile (rows k0.., cols n0..) into stage st.
template <int kBM, bool kVec>
__device__ __forceinline__ void LoadTiles(Smem<kBM>& sm, int st, const __nv_bfloat16* A,
                                          const __nv_bfloat16* B, int64_t M, int64_t N, int64_t K,
                                          int64_t m0, int64_t n0, int64_t k0) {
  if constexpr (kVec) {
    for (int c = threadIdx.x; c < kBM * (kBK / 8); c += kThreads) {  // 16-byte chunks of A
      const int r = c / (kBK / 8), col = (c % (kBK / 8)) * 8;
      const int64_t gm = m0 + r, gk = k0 + col;
      const bool ok = gm < M && gk < K;
      CpAsync16(&sm.a[st][r][col], ok ? A + gm * K + gk : A, ok);
    }
    for (int c = threadIdx.x; c < kBK * (kBN / 8); c += kThreads) {  // 16-byte chunks of B
      const int r = c / (kBN / 8), col = (c % (kBN / 8)) * 8;
      const int64_t gk = k0 + r, gn = n0 + col;
      const bool ok = gk < K && gn < N;
      CpAsync16(&sm.b[st][r][col], ok ? B + gk * N + gn : B, ok);
    }
  } else {
    const __nv_bfloat16 zero = __float2bfloat16(0.0f);
    for (int e = threadIdx.x; e < kBM * kBK; e += kThreads) {
      const int r = e / kBK, col = e % kBK;
      const int64_t gm = m0 + r, gk = k0 + col;
      sm.a[st][r][col] = (gm < M && gk < K) ? A[gm * K + gk] : zero;
    }
    for (int e = threadIdx.x; e < kBK * kBN; e += kThreads) {
      const int r = e / kBN, col = e % kBN;
      const int64_t gk = k0 + r, gn = n0 + col;
      sm.b[st][r][col] = (gk < K && gn < N) ? B[gk * N + gn] : zero;
    }
  }
}

template <int kBM, bool kVec>
__global__ void __launch_bounds__(kThreads)
    GemmWmma(const __nv_bfloat16* __restrict__ A, const __nv_bfloat16* __restrict__ B, float* __restrict__ C,
             int64_t M, int64_t N, int64_t K, bool c_direct) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // bf16 WMMA needs sm_80+; this file is built for sm_90a
#else
  constexpr int kFm = kBM / 2 / 16;  // fragments per warp along M (4 or 2)
  constexpr int kFn = kBN / 4 / 16;  // fragments per warp along N (2)
  __shared__ __align__(128) Smem<kBM> sm;
  const int warp = threadIdx.x >> 5, wm = warp >> 2, wn = warp & 3;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM, n0 = static_cast<int64_t>(blockIdx.x) * kBN;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[kFm][kFn];
#pragma unroll
  for (int i = 0; i < kFm; ++i)
#pragma unroll
    for (int j = 0; j < kFn; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  const int64_t ktiles = (K + kBK - 1) / kBK;
  LoadTiles<kBM, kVec>(sm, 0, A, B, M, N, K, m0, n0, 0);
  if constexpr (kVec) CpAsyncCommit();
  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int st = static_cast<int>(kt & 1);
    // Stage st^1 was last read in iteration kt-1, which ended with a barrier.
    if (kt + 1 < ktiles) LoadTiles<kBM, kVec>(sm, st ^ 1, A, B, M, N, K, m0, n0, (kt + 1) * kBK);
    if constexpr (kVec) {
      CpAsyncCommit();   // possibly empty group, keeps the count uniform
      CpAsyncWaitOne();  // all but the newest group done: stage st has landed
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa[kFm];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> fb[kFn];
#pragma unroll
      for (int i = 0; i < kFm; ++i) wmma::load_matrix_sync(fa[i], &sm.a[st][wm * (kBM / 2) + i * 16][kk], kLdA);
#pragma unroll
      for (int j = 0; j < kFn; ++j) wmma::load_matrix_sync(fb[j], &sm.b[st][kk][wn * 32 + j * 16], kLdB);
#pragma unroll
      for (int i = 0; i < kFm; ++i)
#pragma unroll
        for (int j = 0; j < kFn; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    __syncthreads();  // everyone is done with stage st before it is refilled
  }

  // Epilogue. Drain every copy (with K == 0 the prologue's zero-fill copies were
  // never waited on), then reuse the A stages as per-warp 16 x 16 f32 scratch
  // (8 warps x 1 KiB <= sizeof(sm.a)).
  if constexpr (kVec) asm volatile("cp.async.wait_all;\n" ::);
  __syncthreads();
  float* scratch = reinterpret_cast<float*>(&sm.a[0][0][0]) + warp * 256;
  static_assert(sizeof(Smem<kBM>::a) >= 8 * 256 * sizeof(float), "scratch does not fit");
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int i = 0; i < kFm; ++i)
#pragma unroll
    for (int j = 0; j < kFn; ++j) {
      const int64_t r = m0 + wm * (kBM / 2) + i * 16, c = n0 + wn * 32 + j * 16;
      if (r >= M || c >= N) continue;  // warp-uniform
      if (c_direct && r + 16 <= M && c + 16 <= N) {
        wmma::store_matrix_sync(C + r * N + c, acc[i][j], static_cast<unsigned>(N), wmma::mem_row_major);
      } else {
        wmma::store_matrix_sync(scratch, acc[i][j], 16, wmma::mem_row_major);
        __syncwarp();
        for (int e = lane; e < 256; e += 32) {
          const int64_t rr = r + e / 16, cc = c + e % 16;
          if (rr < M && cc < N) C[rr * N + cc] = scratch[e];
        }
        __syncwarp();  // scratch is rewritten by the next fragment
      }
    }
#endif
}

template <int kBM>
int Launch(const __nv_bfloat16* A, const __nv_bfloat16* B, float* C, int64_t M, int64_t N, int64_t K,
           bool vec, bool c_direct, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((N + kBN - 1) / kBN), static_cast<unsigned>((M + kBM - 1) / kBM));
  if (grid.y > 65535) return 2;
  if (vec)
    GemmWmma<kBM, true><<<grid, kThreads, 0, stream>>>(A, B, C, M, N, K, c_direct);
  else
    GemmWmma<kBM, false><<<grid, kThreads, 0, stream>>>(A, B, C, M, N, K, c_direct);
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}

}  // namespace

extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const int64_t M = a->inputs[0].shape[0], K = a->inputs[0].shape[1], N = a->inputs[1].shape[1];
  if (M == 0 || N == 0) return 0;
  const auto* A = static_cast<const __nv_bfloat16*>(a->inputs[0].data);
  const auto* B = static_cast<const __nv_bfloat16*>(a->inputs[1].data);
  float* C = static_cast<float*>(a->outputs[0].data);
  const bool vec = K % 8 == 0 && N % 8 == 0 &&
                   ((reinterpret_cast<uintptr_t>(A) | reinterpret_cast<uintptr_t>(B)) % 16) == 0;
  const bool c_direct = N % 8 == 0 && reinterpret_cast<uintptr_t>(C) % 32 == 0;
  cudaStream_t stream = static_cast<cudaStream_t>(a->stream);
  // 128-row tiles unless that leaves fewer than ~2 blocks per SM of an H100 (132 SMs).
  const int64_t tiles128 = ((M + 127) / 128) * ((N + kBN - 1) / kBN);
  if (tiles128 >= 264) return Launch<128>(A, B, C, M, N, K, vec, c_direct, stream);
  return Launch<64>(A, B, C, M, N, K, vec, c_direct, stream);
}
