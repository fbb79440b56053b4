// Device: what ksearch-runner needs from a backend (host memory or CUDA).
// One Device per runner process; single-threaded.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/evaluator/task.h"

namespace ksearch::evaluator {

struct CallTiming {
  double device_us = 0;  // CUDA events around the call (host: same as host_us)
  double host_us = 0;    // wall clock from the call of ks_run to device-wide sync
  bool gate_expired = false;  // CUDA: ks_run blocked on its stream (see TimedCall)
};

// One small copy into a device buffer (stamping inputs between timed calls):
// from host memory, or from another device buffer when `device_src`.
struct PatchOp {
  void* dst = nullptr;
  const void* src = nullptr;
  size_t bytes = 0;
  bool device_src = false;
};

class Device {
 public:
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  virtual ~Device() = default;

  // Each returns "" on success or an error text; a CUDA fault after a call is
  // reported by the call that observes it (the runner then exits).
  virtual std::string Init() = 0;
  virtual void* Alloc(size_t bytes) = 0;  // nullptr on failure
  virtual void Free(void* p) = 0;
  // Host memory for staging downloads (CUDA: pinned, so copies run at full
  // speed); nullptr on failure.
  virtual void* AllocHost(size_t bytes) { return std::malloc(bytes ? bytes : 1); }
  virtual void FreeHost(void* p) { std::free(p); }
  virtual std::string Upload(void* dst, const void* src, size_t bytes) = 0;
  virtual std::string Download(void* dst, const void* src, size_t bytes) = 0;
  virtual std::string Fill(void* dst, uint8_t byte, size_t bytes) = 0;
  // Copies between two buffers from Alloc; returns when done.
  virtual std::string Copy(void* dst, const void* src, size_t bytes) = 0;
  // Writes the `n` input elements of `dtype` from distribution `d` and tensor
  // seed `seed` into `dst` (from Alloc); returns when done. Host: FillTensor
  // (inputs.h). CUDA: the counter-based generator (counter_gen.h) in a kernel,
  // so the inputs are made on the device and both CUDA runner processes (the
  // trusted one and the candidate's) get the same bytes. The two backends give
  // different values for the same seed; each is consistent with itself.
  virtual std::string Generate(void* dst, DType dtype, int64_t n, const Distribution& d, uint64_t seed) = 0;
  // Performs every copy, in order, and returns when all are done (sources may
  // be freed afterwards). Never inside a timed region.
  virtual std::string Patch(const std::vector<PatchOp>& ops) {
    for (const PatchOp& op : ops) {
      std::string e = op.device_src ? Copy(op.dst, op.src, op.bytes) : Upload(op.dst, op.src, op.bytes);
      if (!e.empty()) return e;
    }
    return "";
  }
  virtual void* Stream() = 0;  // passed as ks_args.stream
  // Runs `fn` once: device-wide sync, optional cache flush (not timed), then the
  // timed call and a device-wide sync. `*rc` gets fn's return code.
  virtual std::string TimedCall(const std::function<int()>& fn, bool flush, CallTiming* t, int* rc) = 0;
  virtual void RangePush(const char* name) {}
  virtual void RangePop() {}
  // GPU name, SM count, clocks, temperature, driver... (host: CPU and cache).
  virtual nlohmann::json Environment() = 0;
  // {"bandwidth_gbs": ..., "peak_gflops": ...} measured now.
  virtual nlohmann::json Ceilings() = 0;
};

std::unique_ptr<Device> MakeHostDevice();
std::unique_ptr<Device> MakeCudaDevice();  // only in ksearch-runner-cuda

}  // namespace ksearch::evaluator
