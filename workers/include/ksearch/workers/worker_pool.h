// WorkerPool: a compile pool and one evaluation slot per device.
//
//   SubmitBuild ──► build queue ──► at most N builds at once (N = CPU cores)
//   SubmitRun   ──► run queue   ──► slots: one per GPU, plus host slots
//
// The pool's decisions run on `io`'s thread. With an async backend
// (EvalBackend::async(), ProcessEvalBackend given the io_context) no thread
// waits for a child: the io thread starts it and is woken once, at its exit.
// A blocking backend's calls run on threads the pool starts per call.
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
// Ownership: `io` and `backend` must outlive the pool; destroy the pool on
// io's thread or while io is not running. The destructor kills an async
// backend's running work (CancelAll) and waits for a blocking one's.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <atomic>
#include <map>
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

class CanaryMonitor;

struct SlotSpec {
  std::string name;     // "gpu0", "host0"
  std::string kind;     // "gpu" | "host"
  std::string device;   // CUDA_VISIBLE_DEVICES value for GPU slots; "" for host
  std::string label;    // human description, e.g. "NVIDIA H100 80GB HBM3"
  // Non-empty: the slot starts out of service, and this is why (a GPU the
  // configuration names that nvidia-smi did not list). It stays listed, so
  // `ksearch slots` and /metrics show what is missing.
  std::string out_of_service;
};

// Canary policy: a slot whose canary fails, or whose canary time drifts more
// than `max_drift` from its first canary, goes out of service.
struct CanaryPolicy {
  double max_drift = 0.15;   // relative change of the canary median time
  int canary_every = 200;    // evaluations between canaries on a slot
  double max_temperature_c = 90;
};

// The canary: a fixed, known kernel (a task's seed) run on a slot at start and
// then whenever `policy.canary_every` evaluations or `interval` have passed
// since the last one on that slot, between evaluations, never concurrently with
// one. Per slot kind ("gpu", "host"): `build` is compiled once, on first need,
// through the backend; `run` is that kernel's run request (artifact_path is
// filled in; work_dir gets "/<slot>" appended; device is the slot's).
struct CanaryOptions {
  std::map<std::string, BuildRequest> build;  // kinds absent here run no canary
  std::map<std::string, RunRequest> run;
  CanaryPolicy policy;
  std::chrono::milliseconds interval{0};      // 0: only every `canary_every` evaluations
};

// What one canary did, posted to the pool's `on_canary` callback on `io`.
struct CanaryReport {
  std::string slot;
  bool ran = false;              // false: the canary could not be built (slot untouched)
  RunResult result;              // when ran
  std::string out_of_service;    // non-empty: the slot was taken out of service, and why
  std::string error;             // when !ran: why the canary could not run
};

struct PoolOptions {
  int compile_threads = 2;
  std::vector<SlotSpec> slots;
  CanaryOptions canary;
  std::function<void(const CanaryReport&)> on_canary;  // runs on io; may be empty
};

struct SlotStatus {
  SlotSpec spec;
  bool in_service = true;
  std::string out_of_service_reason;
  bool busy = false;
  bool canary_running = false;  // busy with a canary
  int64_t evaluations = 0;   // timed evaluations of submitted work (canaries not counted)
  int64_t canaries = 0;      // canary runs on this slot
  double last_canary_time_us = 0;
  double canary_seconds = 0; // wall time in canary runs (not in busy_seconds)
  double busy_seconds = 0;   // wall time spent inside backend Run(); in Stats()
                             // it includes the elapsed part of the run in progress
  std::chrono::steady_clock::time_point busy_since{};  // valid while busy
  int64_t evaluations_since_canary = 0;
  bool canary_done = false;                             // at least one canary ran
  std::chrono::steady_clock::time_point last_canary{};
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
  // Taking the last slot of a kind out of service completes the work queued for
  // that kind with infra_error{no_slot}; so does a later SubmitRun for it.
  void SetInService(const std::string& slot_name, bool in_service, const std::string& reason);
  // Stops accepting work; queued items complete with `interrupted`; running
  // evaluations finish (their children are bounded by hard limits). Idempotent.
  void Shutdown();

 private:
  using Clock = std::chrono::steady_clock;
  struct RunItem {
    RunRequest request;
    RunDone done;
  };
  struct BuildItem {
    BuildRequest request;
    BuildDone done;
  };
  // One call to the backend that came back: what it was for and its result.
  struct Finished {
    enum class What { kBuild, kRun, kCanaryBuild, kCanaryRun };
    explicit Finished(What w) : what(w) {}
    What what;
    size_t slot = 0;       // kRun, kCanaryRun
    std::string kind;      // kCanaryBuild: the slot kind
    Clock::time_point start;
    BuildResult build;     // kBuild, kCanaryBuild
    RunResult run;         // kRun, kCanaryRun
    BuildDone build_done;  // kBuild: the submission's callback
    RunDone run_done;      // kRun
  };
  // The canary kernel of one slot kind, built once on first need.
  struct CanaryBuild {
    bool building = false;
    std::string artifact;         // non-empty once built
    std::vector<size_t> waiting;  // slots whose canary waits for the build
  };

  // On io's thread: starts queued builds up to the limit, and on every idle
  // slot in service its due canary or a queued run of its kind.
  void Pump();
  void SchedulePump();  // posts Pump once while one is pending
  // The backend's calls: natively async, or the blocking call on a helper thread.
  void CallBuild(const BuildRequest& request, Finished f);
  void CallRun(const RunRequest& request, Finished f);
  // A blocking backend's call on a thread of its own; its result goes to finished_.
  void StartHelper(std::function<Finished()> call);
  void Handle(Finished f);  // on io's thread (or in the destructor)
  void HandleRun(Finished f);
  void HandleCanaryBuild(Finished f);
  void HandleCanaryRun(Finished f);
  void StartCanary(size_t slot_index);
  void RunCanaryOn(size_t slot_index, const std::string& artifact);
  void EndCanary(size_t slot_index, CanaryReport report);  // frees the slot, reports
  void ArmCanaryTimer(Clock::time_point due);  // Pump again at `due`
  void DrainFinished();  // on io: the helper threads' results

  bool TakeRunFor(size_t slot_index, RunItem& item);  // REQUIRES: mu_ held
  bool HasSlotForLocked(Backend backend) const;       // REQUIRES: mu_ held
  // When the slot's next canary is due (max() if it runs none). REQUIRES: mu_ held.
  Clock::time_point CanaryDueAt(size_t slot_index) const;
  // Removes queued runs no in-service slot can take. REQUIRES: mu_ held.
  std::deque<RunItem> TakeOrphanedRuns();
  void FailRuns(std::deque<RunItem> items);  // mu_ not held

  boost::asio::io_context& io_;
  EvalBackend& backend_;
  const size_t max_builds_;

  mutable std::mutex mu_;
  bool stopping_ = false;                 // guarded by mu_
  bool pump_posted_ = false;              // guarded by mu_
  std::deque<BuildItem> builds_;          // guarded by mu_
  size_t builds_running_ = 0;             // guarded by mu_
  std::deque<RunItem> runs_;              // guarded by mu_
  std::vector<SlotStatus> slots_;         // guarded by mu_
  const CanaryOptions canary_;
  std::function<void(const CanaryReport&)> on_canary_;
  std::unique_ptr<CanaryMonitor> monitor_;              // guarded by mu_
  std::map<std::string, CanaryBuild> canary_builds_;   // kind -> build; guarded by mu_
  std::map<std::string, std::string> canary_error_;    // kind -> why it cannot run; guarded by mu_
  struct CanaryTimer;                      // a steady_timer; io's thread only
  std::unique_ptr<CanaryTimer> canary_timer_;

  // Helper threads of a blocking backend and the results they left for io.
  struct Helper {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> ended;
  };
  std::vector<Helper> helpers_;       // guarded by mu_
  std::vector<Finished> finished_;    // guarded by mu_
  // Expires with the pool: handlers posted to io check it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

std::string_view SlotKindFor(Backend backend);

}  // namespace ksearch::workers
