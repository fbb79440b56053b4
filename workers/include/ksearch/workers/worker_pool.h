// WorkerPool: a compile pool and one evaluation slot per device.
//
//   SubmitBuild ──► build queue ──► compile threads (N = CPU cores)
//   SubmitRun   ──► run queue   ──► slot threads: one per GPU, plus host slots
//
// Each slot runs one evaluation at a time (DESIGN.md principle 5: a GPU runs
// one timed evaluation at a time); requests for CUDA/HIP go to GPU slots and
// host requests to host slots. Every evaluation is a separate process with a
// hard wall-clock limit (EvalBackend), so a hung or crashed kernel never takes
// a slot down. A slot can be taken out of service (failed health check or
// drifting canary); its queued work goes to the other slots of its kind.
//
// Threading: Submit*, Stats, SetInService and Shutdown may be called from any
// thread. Completion callbacks are posted to `io` and run there, exactly once
// per submission — on Shutdown, queued work completes with `interrupted`.
// Ownership: `io` and `backend` must outlive the pool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/workers/eval_backend.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::workers {

struct SlotSpec {
  std::string name;     // "gpu0", "host0"
  std::string kind;     // "gpu" | "host"
  std::string device;   // CUDA_VISIBLE_DEVICES value for GPU slots; "" for host
  std::string label;    // human description, e.g. "NVIDIA H100 80GB HBM3"
};

struct PoolOptions {
  int compile_threads = 2;
  std::vector<SlotSpec> slots;
};

struct SlotStatus {
  SlotSpec spec;
  bool in_service = true;
  std::string out_of_service_reason;
  bool busy = false;
  int64_t evaluations = 0;
  double busy_seconds = 0;   // wall time spent inside backend Run(); in Stats()
                             // it includes the elapsed part of the run in progress
  std::chrono::steady_clock::time_point busy_since{};  // valid while busy
};

struct PoolStats {
  size_t build_queue = 0;
  size_t builds_running = 0;
  size_t run_queue_gpu = 0;
  size_t run_queue_host = 0;
  std::vector<SlotStatus> slots;
};

using BuildDone = std::function<void(BuildResult)>;
using RunDone = std::function<void(RunResult, const SlotStatus&)>;

class WorkerPool {
 public:
  WorkerPool(boost::asio::io_context& io, EvalBackend& backend, PoolOptions options);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // Shutdown() and join

  void SubmitBuild(BuildRequest request, BuildDone done);
  // request.device is filled in with the slot's device.
  void SubmitRun(RunRequest request, RunDone done);

  PoolStats Stats() const;
  bool HasSlotFor(Backend backend) const;
  void SetInService(const std::string& slot_name, bool in_service, const std::string& reason);
  // Stops accepting work; queued items complete with `interrupted`; running
  // evaluations finish (their children are bounded by hard limits). Idempotent.
  void Shutdown();

 private:
  struct RunItem {
    RunRequest request;
    RunDone done;
  };
  struct BuildItem {
    BuildRequest request;
    BuildDone done;
  };

  void CompileLoop();
  void SlotLoop(size_t slot_index);
  bool TakeRunFor(size_t slot_index, RunItem& item);  // REQUIRES: mu_ held

  boost::asio::io_context& io_;
  EvalBackend& backend_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                 // guarded by mu_
  std::deque<BuildItem> builds_;          // guarded by mu_
  size_t builds_running_ = 0;             // guarded by mu_
  std::deque<RunItem> runs_;              // guarded by mu_
  std::vector<SlotStatus> slots_;         // guarded by mu_

  std::vector<std::thread> threads_;      // constant after construction
};

std::string_view SlotKindFor(Backend backend);

}  // namespace ksearch::workers
