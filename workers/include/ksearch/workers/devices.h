// Device discovery, health and the canary drift monitor.
//
// GPUs are discovered once at start with nvidia-smi (one slot each, pinned by
// CUDA_VISIBLE_DEVICES); a machine without nvidia-smi or without GPUs has none.
// The canary is a fixed, known kernel the pool evaluates on every GPU slot at
// start and then every `canary_every` evaluations or canary interval (WorkerPool,
// CanaryOptions): a slot whose canary fails, or whose canary time drifts beyond
// `max_drift` from its first measurement, goes out of service.
// Thread-safety: DiscoverGpus is reentrant; CanaryMonitor is not (one owner).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"
#include "ksearch/workers/worker_pool.h"

namespace ksearch::workers {

struct GpuInfo {
  std::string index;     // nvidia-smi index (CUDA_VISIBLE_DEVICES value)
  std::string uuid;
  std::string name;
  double memory_mib = 0;
  double temperature_c = 0;
  std::string driver;
};

// Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total,temperature.gpu,
// driver_version --format=csv,noheader,nounits` output. Malformed lines are skipped.
std::vector<GpuInfo> ParseNvidiaSmi(const std::string& csv);

// The GPUs the daemon was asked for, as nvidia-smi saw them.
struct GpuDiscovery {
  std::vector<GpuInfo> found;        // every GPU listed ("" asked), else those asked for, in that order
  std::vector<std::string> missing;  // indexes or UUIDs asked for that nvidia-smi did not list
  std::string listed;                // the indexes it listed: "0, 1", or "no GPU"
  std::string error;                 // why nvidia-smi gave no list; "" when it answered
  bool nvidia_smi_found = false;     // on PATH (a machine without it has no NVIDIA GPU to find)
};

// `visible`: "" for every GPU, else comma-separated indexes or UUIDs ("0,2").
GpuDiscovery SelectGpus(const std::vector<GpuInfo>& listed, const std::string& visible);
// Runs nvidia-smi (when it is on PATH) and selects as SelectGpus.
GpuDiscovery DiscoverGpus(ProcessLauncher& launcher, const std::string& visible = "");

// Slots for the pool: one per GPU found ("gpu<i>"), then one per GPU asked
// for and not found, which starts out of service with the reason, then
// `host_slots` host slots.
std::vector<SlotSpec> MakeSlots(const GpuDiscovery& gpus, int host_slots);

// CanaryPolicy is in worker_pool.h (the pool runs the canaries).

class CanaryMonitor {
 public:
  explicit CanaryMonitor(CanaryPolicy policy) : policy_(policy) {}

  // Folds one canary result for `slot`; returns "" when the slot is healthy,
  // else the reason it must go out of service.
  std::string Observe(const std::string& slot, const RunResult& canary);
  bool CanaryDue(const std::string& slot, int64_t evaluations_since_last) const {
    return evaluations_since_last >= policy_.canary_every;
  }

 private:
  CanaryPolicy policy_;
  std::map<std::string, double> first_time_us_;
};

}  // namespace ksearch::workers
