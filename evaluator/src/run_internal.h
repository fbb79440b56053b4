// Internals of Run(): shape resolution, runner launch, validation, profiling.
// Thread-safety: pure functions apart from the processes and files they touch
// (each evaluation uses its own folders).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/task.h"
#include "runner_spec.h"

namespace ksearch::evaluator {

inline constexpr int kScoredTrials = 3;    // verification trials per scored shape
inline constexpr int kHeldOutTrials = 2;   // per held-out shape
inline constexpr int kTimedSets = 3;       // timed buffer sets per scored shape, each checked once

// The Landlock ABI from which a confined candidate cannot change a file it
// has no rule for in any way: ABI 3 handles truncation, which earlier ABIs
// leave allowed on every file.
inline constexpr int kLandlockAbiNoTruncate = 3;

// Whether the candidate's code could not have changed the trusted files in
// an evaluation. It shares the runner's process, so what the runner reports
// of its confinement is forgeable: the kernel's Landlock ABI, asked by the
// evaluator (`landlock_abi`, 0 when there is none), says the confinement was
// enforceable, and a runner asked to confine itself either does or exits
// before loading the candidate (runner_main.cc, Confine). The report must
// agree too, and no Nsight Compute step may have run the candidate (the
// profile and the timing audit run it unconfined), as Run records them in
// `evidence`. Run() uses it to tell a trusted file the candidate changed from
// one changed under it.
bool CandidateConfinedThroughout(int landlock_abi, const nlohmann::json& evidence);

struct ResolvedShape {
  std::string name;
  ShapeBinding binding;
  bool held_out = false;
  double bytes = 0, flops = 0;  // cost model
  RunnerShape runner;           // concrete sizes, seeds
};

// Scored shapes first (in task order, timed), then held-out shapes (verified only).
Result<std::vector<ResolvedShape>> ResolveShapes(const Task& task, Backend backend, uint64_t seed);

struct RunnerOutcome {
  bool ok = false;
  Verdict failure;              // when !ok: crash{..}, timeout, infra_error{..}
  nlohmann::json result;        // result.json of the runner when ok
  std::string out_dir;
  std::string log;              // runner stderr tail + progress tail
};

// Writes spec.json into spec.out_dir and runs the runner of `backend` on it.
RunnerOutcome LaunchRunner(const Tools& tools, Backend backend, const RunnerSpec& spec,
                           const RunRequest& request, ProcessLauncher& launcher);
// The runner executable for a backend (runner_dir/ksearch-runner[-cuda]).
std::string RunnerPath(const Tools& tools, Backend backend);

struct Validation {
  bool ok = true;
  Verdict verdict;                               // incorrect{..} or infra_error{..} when !ok
  nlohmann::json evidence = nlohmann::json::array();  // per shape
};

// Compares the candidate's files against the reference's and the trusted
// runner's digests of the inputs it generated: all the incorrect{...} reasons.
Validation Validate(const Task& task, const std::vector<ResolvedShape>& shapes, const std::string& ref_dir,
                    const nlohmann::json& ref_result, const std::string& cand_dir, const nlohmann::json& cand_result);

// Nsight Compute on one runner invocation in profile mode, restricted to the
// NVTX range "ks_candidate". Returns {"metrics": {...}, "bottleneck": ..} or {"error": ..}.
nlohmann::json ProfileWithNcu(const Tools& tools, const RunnerSpec& spec, const RunRequest& request,
                              ProcessLauncher& launcher);
// Bottleneck class from ncu metrics (memory|compute|latency|launch).
std::string ClassifyProfile(const nlohmann::json& metrics);
// Bottleneck class without a profile, from time vs. the two roofline floors.
std::string ClassifyFromRoofline(double time_us, double bytes_floor_us, double flops_floor_us);

}  // namespace ksearch::evaluator
