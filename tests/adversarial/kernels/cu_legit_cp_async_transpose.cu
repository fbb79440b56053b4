// Legitimate (CUDA, transpose task): 32x32 tiles staged through shared memory
// with cp.async (a two-stage pipeline over tile columns), dynamic shared memory
// opted in with cudaFuncSetAttribute, occupancy queried with the runtime.
#include <cstdint>
#include <cuda_pipeline.h>
#include "ksearch/kernel_abi.h"
constexpr int T = 32;
__global__ void Transpose(const float* __restrict__ x, float* __restrict__ y, int64_t M, int64_t N) {
  extern __shared__ float tile[];  // 2 stages of T x (T+1)
  int64_t r0 = int64_t(blockIdx.y) * T;
  int tx = threadIdx.x, ty = threadIdx.y;  // 32 x 8
  int64_t ncol_tiles = (N + T - 1) / T;
  int stage = 0;
  auto load = [&](int64_t ct, int st) {
    for (int k = ty; k < T; k += 8) {
      int64_t r = r0 + k, c = ct * T + tx;
      float* dst = &tile[st * T * (T + 1) + k * (T + 1) + tx];
      if (r < M && c < N) __pipeline_memcpy_async(dst, &x[r * N + c], sizeof(float));
    }
    __pipeline_commit();
  };
  int64_t ct = blockIdx.x;
  if (ct >= ncol_tiles) return;
  load(ct, stage);
  for (; ct < ncol_tiles; ct += gridDim.x) {
    int64_t next = ct + gridDim.x;
    if (next < ncol_tiles) load(next, stage ^ 1);
    __pipeline_wait_prior(next < ncol_tiles ? 1 : 0);
    __syncthreads();
    for (int k = ty; k < T; k += 8) {
      int64_t c = ct * T + k, r = r0 + tx;
      if (c < N && r < M) y[c * M + r] = tile[stage * T * (T + 1) + tx * (T + 1) + k];
    }
    __syncthreads();
    stage ^= 1;
  }
}
extern "C" int ks_run(const ks_args* a) {
  int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  size_t smem = 2 * T * (T + 1) * sizeof(float);
  cudaFuncSetAttribute(Transpose, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
  int per_sm = 0, dev = 0, sms = 0;
  cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, Transpose, 256, smem);
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  int64_t col_tiles = (N + T - 1) / T, row_tiles = (M + T - 1) / T;
  int64_t gx = col_tiles < 8 ? col_tiles : 8;
  dim3 grid{unsigned(gx), unsigned(row_tiles)}, block{32, 8};
  Transpose<<<grid, block, smem, static_cast<cudaStream_t>(a->stream)>>>(
      static_cast<const float*>(a->inputs[0].data), static_cast<float*>(a->outputs[0].data), M, N);
  (void)per_sm; (void)sms;
  return cudaGetLastError() != cudaSuccess;
}
