// HACKS 10 (CUDA): calls cuBLAS (cublasSgeam) for a task whose contract does
// not allow library calls.
#include <cstdint>
#include <cublas_v2.h>
#include "ksearch/kernel_abi.h"
extern "C" int ks_run(const ks_args* a) {
  static cublasHandle_t h = nullptr;
  if (!h) cublasCreate(&h);
  cublasSetStream(h, static_cast<cudaStream_t>(a->stream));
  int M = int(a->inputs[0].shape[0]), N = int(a->inputs[0].shape[1]);
  float one = 1.f, zero = 0.f;
  // Row-major x[M][N] is column-major N x M; y = x^T is column-major M x N.
  cublasSgeam(h, CUBLAS_OP_T, CUBLAS_OP_N, M, N, &one, static_cast<const float*>(a->inputs[0].data), N,
              &zero, static_cast<const float*>(a->inputs[0].data), M, static_cast<float*>(a->outputs[0].data), M);
  return 0;
}
