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
#pragma once

#include <chrono>
#include <string>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"

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
};

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
  // `launcher` must outlive the backend.
  ProcessEvalBackend(ProcessLauncher& launcher, ProcessBackendOptions options);
  std::string name() const override { return "local"; }
  BuildResult Build(const BuildRequest& request) override;
  RunResult Run(const RunRequest& request) override;

 private:
  ProcessLauncher& launcher_;
  const ProcessBackendOptions options_;
};

// Finds ksearch-evaluate: $KSEARCH_EVALUATE, then next to the running
// executable, then PATH. Empty when absent.
std::string FindEvaluateBinary();

}  // namespace ksearch::workers
