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

namespace ksearch::evaluator {

struct CallTiming {
  double device_us = 0;  // CUDA events around the call (host: same as host_us)
  double host_us = 0;    // wall clock from the call of ks_run to device-wide sync
  bool gate_expired = false;  // CUDA: ks_run blocked on its stream (see TimedCall)
};

// One small host-to-device copy (stamping inputs between timed calls).
struct PatchOp {
  void* dst = nullptr;
  const void* src = nullptr;
  size_t bytes = 0;
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
  // Performs every copy, in order, and returns when all are done (sources may
  // be freed afterwards). Never inside a timed region.
  virtual std::string Patch(const std::vector<PatchOp>& ops) {
    for (const PatchOp& op : ops)
      if (std::string e = Upload(op.dst, op.src, op.bytes); !e.empty()) return e;
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
