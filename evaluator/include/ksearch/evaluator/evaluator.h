// The evaluator: one candidate source in, a verdict and evidence out.
//
// Build (CPU only): compile with fixed trusted flags under a hard timeout,
// binary checks, machine-code inspection and fingerprint; artifacts are cached
// by content hash under work_dir/cache. Run (one device slot): reference and
// candidate each run in their own ksearch-runner process; the comparison and
// the verdict happen here, on the trusted side. See docs/evaluator.md.
//
// Thread-safety: Build and Run may be called concurrently from several threads
// (each call uses its own sub-folder of work_dir; the cache is written with an
// atomic rename). `launcher` must outlive the call.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"

namespace ksearch::evaluator {

// Where the evaluator finds its tools. Defaults come from the environment:
//   KSEARCH_CXX (default "c++"), KSEARCH_NVCC (default nvcc on PATH or
//   /usr/local/cuda/bin/nvcc), KSEARCH_HIPCC ("hipcc"), KSEARCH_RUNNER_DIR
//   (default: the folder of /proc/self/exe), KSEARCH_CUOBJDUMP, KSEARCH_NCU.
// KSEARCH_NVCC, KSEARCH_HIPCC, KSEARCH_CUOBJDUMP and KSEARCH_NCU set but empty
// mean "absent, do not search" (what AsEnvironment writes for a missing tool).
struct Tools {
  std::string cxx, nvcc, hipcc, runner_dir, cuobjdump, objdump, ncu;
  // Binary checks (binary_check.h) on every built library. Turned off only for
  // trusted task files (the reference inside Run(), and benchmarks of a task's
  // own seed/baseline/best); never for candidates.
  bool binary_checks = true;
  static Tools FromEnvironment();
  // The variables FromEnvironment reads, set to these tools, so that a child
  // process finds the same ones without searching (runner_dir only when set).
  std::map<std::string, std::string> AsEnvironment() const;
};

// Where the evaluator finds a CUDA tool (nvcc, cuobjdump, nvdisasm, ncu,
// compute-sanitizer): PATH, the CUDA toolkit and Nsight Compute folders, then
// the repository's scripts/find-cuda-tool (NVIDIA's pip wheels). Empty when
// absent. `ksearch doctor` reports with it, so it says what evaluations use.
std::string FindCudaTool(const std::string& tool);

BuildResult Build(const BuildRequest& request, ProcessLauncher& launcher);
BuildResult Build(const BuildRequest& request, ProcessLauncher& launcher, const Tools& tools);

RunResult Run(const RunRequest& request, ProcessLauncher& launcher);
RunResult Run(const RunRequest& request, ProcessLauncher& launcher, const Tools& tools);

// Ceilings (memory bandwidth GB/s, peak GFLOP/s) of the device `request`
// targets: read from work_dir/ceilings-<backend>-<device>.json, else measured
// by a runner in "ceilings" mode and cached there.
Result<nlohmann::json> DeviceCeilings(const RunRequest& request, ProcessLauncher& launcher, const Tools& tools);

// The evidence packet (DESIGN.md section 6) of one evaluation.
nlohmann::json MakeEvidencePacket(const BuildRequest& build_request, const BuildResult& build,
                                   const RunRequest& run_request, const RunResult* run);
// The same packet, with the run's evidence sections moved into it rather than
// copied (tens of kilobytes per evaluation): `run->evidence` and
// `run->evidence_text` are left empty and the rest of *run untouched.
nlohmann::json TakeEvidencePacket(const BuildRequest& build_request, const BuildResult& build,
                                  const RunRequest& run_request, RunResult* run);
// The same packet as JSON text, with `members` set on top (the daemon's
// candidate, verdict and replay), for callers that store it: the sections in
// run->evidence_text (result_wire.h) go into the text byte for byte, never
// parsed. Takes the evidence as TakeEvidencePacket does.
std::string EvidencePacketText(const BuildRequest& build_request, const BuildResult& build,
                               const RunRequest& run_request, RunResult* run,
                               const nlohmann::json& members);

// A short human summary of a packet: verdict, per-shape time, speedups,
// fraction of roofline, bottleneck (what `ksearch eval` prints).
std::string SummarizePacket(const nlohmann::json& packet);

}  // namespace ksearch::evaluator
