/* The ksearch native kernel ABI (DESIGN.md section 4).
 *
 * Reference, baseline and candidate kernels are each compiled into a shared
 * library exporting one C symbol, ks_run. The runner owns every buffer: it
 * allocates inputs, outputs and the workspace, poisons outputs before each call,
 * and moves buffers between calls. A kernel must write every output element,
 * must not write its inputs, and must do all its work on `stream` (CUDA/HIP)
 * or before returning (host). ks_run returns 0 on success.
 *
 * This header is C, usable from C++, CUDA and HIP translation units. */
#ifndef KSEARCH_KERNEL_ABI_H_
#define KSEARCH_KERNEL_ABI_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ks_dtype {
  KS_F32, KS_F16, KS_BF16, KS_F64, KS_I32, KS_I64, KS_I8, KS_U8, KS_FP8_E4M3, KS_FP8_E5M2
};

typedef struct ks_tensor {
  void* data;
  int32_t dtype;       /* enum ks_dtype */
  int32_t ndim;        /* 0..8 */
  int64_t shape[8];
  int64_t stride[8];   /* in elements */
} ks_tensor;

typedef struct ks_args {
  const ks_tensor* inputs;  int32_t n_inputs;
  ks_tensor*       outputs; int32_t n_outputs;
  const int64_t*   iscalars; int32_t n_iscalars;
  const double*    fscalars; int32_t n_fscalars;
  void*            stream;            /* cudaStream_t / hipStream_t; NULL on the host backend */
  void*            workspace; int64_t workspace_bytes;   /* scratch owned by the runner */
} ks_args;

#if defined(_WIN32)
#define KS_EXPORT __declspec(dllexport)
#else
#define KS_EXPORT __attribute__((visibility("default")))
#endif

KS_EXPORT int ks_run(const ks_args* args);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* KSEARCH_KERNEL_ABI_H_ */
