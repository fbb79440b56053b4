// EvalBackend: where one evaluation phase runs.
//
// The daemon never links CUDA or HIP and never runs candidate code: a backend
// turns a BuildRequest/RunRequest into a result by running the evaluator
// elsewhere — ProcessEvalBackend runs `ksearch-evaluate build|run` as a child
// process with a hard wall-clock limit on this machine; a cluster backend
// (e.g. Slurm: one job per evaluation on a GPU node) implements the same calls.
//
// Contract: Build() and Run() always return a result with a typed verdict,
// whatever the child does (hangs, crashes, prints garbage): a failure of the
// backend itself is `infra_error{...}`, a hang past the hard limit `timeout`.
// Thread-safety: both calls may run concurrently from several worker threads.
//
// The asynchronous form: a backend whose async() is true also implements
// StartBuild/StartRun, which start the work and call `done` exactly once with
// what Build/Run would have returned, on the thread of the io_context the
// backend waits on (or inside CancelAll). WorkerPool then keeps no thread per
// call in flight. A cluster backend (one job per evaluation) fits either form.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::workers {

struct SlotInfo;

class EvalBackend {
 public:
  EvalBackend() = default;
  EvalBackend(const EvalBackend&) = delete;
  EvalBackend& operator=(const EvalBackend&) = delete;
  virtual ~EvalBackend() = default;

  virtual std::string name() const = 0;
  virtual BuildResult Build(const BuildRequest& request) = 0;
  // REQUIRES: request.device names the slot's device ("" for host slots).
  virtual RunResult Run(const RunRequest& request) = 0;

  virtual bool async() const { return false; }
  // Defaults (for backends that are not async): the blocking call, then done.
  virtual void StartBuild(const BuildRequest& request, std::function<void(BuildResult)> done) {
    done(Build(request));
  }
  virtual void StartRun(const RunRequest& request, std::function<void(RunResult)> done) { done(Run(request)); }
  // Ends the asynchronous calls in flight now (their work is killed); their
  // `done` run before it returns. Nothing for a backend that is not async.
  virtual void CancelAll() {}
};

class AsyncChildRunner;

struct ProcessBackendOptions {
  std::string evaluate_binary;  // path to ksearch-evaluate
  // Hard limit on a build child: compile_timeout_s + this margin.
  std::chrono::milliseconds build_margin{30000};
  // Hard limit on a run child: run_timeout_s * run_timeout_factor + margin,
  // since one run phase launches several runner processes (reference, candidate,
  // baseline) each limited by run_timeout_s.
  double run_timeout_factor = 4.0;
  std::chrono::milliseconds run_margin{30000};
};

class ProcessEvalBackend final : public EvalBackend {
 public:
  // `launcher` (the blocking calls') must outlive the backend. With `io`, the
  // backend is async: StartBuild/StartRun run the child through an
  // AsyncChildRunner on `io` (workers/src/async_child.h), which must outlive it.
  ProcessEvalBackend(ProcessLauncher& launcher, ProcessBackendOptions options,
                     boost::asio::io_context* io = nullptr);
  ~ProcessEvalBackend() override;
  std::string name() const override { return "local"; }
  BuildResult Build(const BuildRequest& request) override;
  RunResult Run(const RunRequest& request) override;

  bool async() const override { return async_ != nullptr; }
  void StartBuild(const BuildRequest& request, std::function<void(BuildResult)> done) override;
  void StartRun(const RunRequest& request, std::function<void(RunResult)> done) override;
  void CancelAll() override;

 private:
  ProcessSpec BuildSpec(const BuildRequest& request) const;
  ProcessSpec RunSpec(const RunRequest& request) const;

  ProcessLauncher& launcher_;
  const ProcessBackendOptions options_;
  // The evaluator's tools (compilers, cuobjdump, ncu, the runners' folder),
  // found once here and set in every child's environment: a child would
  // otherwise search for them again each time (with pip's cuobjdump, a script
  // and a Python start, about 0.25 s on the CPU box) and read /proc/self/exe,
  // whose /proc entries the daemon's wait4 must then flush.
  const std::map<std::string, std::string> child_env_;
  std::unique_ptr<AsyncChildRunner> async_;
};

// Finds ksearch-evaluate: $KSEARCH_EVALUATE, then next to the running
// executable, then PATH. Empty when absent.
std::string FindEvaluateBinary();

}  // namespace ksearch::workers
