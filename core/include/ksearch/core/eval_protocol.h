// The evaluation contract between the daemon/workers and the evaluator.
//
// An evaluation has two phases so compiles run ahead of the GPUs (DESIGN.md
// principle 5): Build (CPU: compile, static and binary checks, machine-code
// inspection, fingerprint) and Run (one device slot: verify on fresh inputs,
// benchmark, optionally profile). Both are plain data so they can cross a
// process boundary as JSON. Every field has a default; readers ignore unknown
// fields.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/verdict.h"

namespace ksearch {

enum class Backend { kHost, kCuda, kHip };
std::string_view BackendName(Backend b);
Result<Backend> ParseBackend(std::string_view name);

struct BuildRequest {
  std::string task_dir;          // configs/tasks/<op>
  std::string source;            // candidate source text (the whole translation unit)
  Backend backend = Backend::kHost;
  std::string arch;              // "sm_90a", "gfx942"; empty for host
  std::string work_dir;          // where artifacts go (content-addressed inside)
  double compile_timeout_s = 120;
  // Instruction families the proposal claims to use (e.g. "wgmma", "cp.async");
  // checked against the machine code.
  std::vector<std::string> expected_paths;
};

struct BuildResult {
  // Set when the build failed: compile_error, compile_timeout, rejected_static, infra_error.
  bool ok = false;
  Verdict verdict;
  std::string artifact_path;       // the compiled shared library
  std::string source_hash;         // sha256 of the normalized source
  std::string machine_code_hash;   // fingerprint of the machine code (empty for host if none)
  // The compile, static and machine_code sections of the evidence packet,
  // and `environment` (the compiler version), merged into the packet's.
  nlohmann::json evidence = nlohmann::json::object();
  // Those sections as the text of one JSON object, exactly as the evaluator
  // process wrote it, when the result crossed a process boundary in the
  // framed form (evaluator/result_wire.h); `evidence` then keeps only the
  // build's environment. Its members never repeat those of `evidence`. Empty
  // for a result made in-process; not part of to_json/from_json.
  std::string evidence_text;
};

struct ParentTiming {
  std::string candidate_id;
  double time_us = 0;                 // geomean of per-shape medians
  std::vector<double> shape_median_us; // same order as the task's scored shapes
};

// One scored shape's timing as attempt_finished records it (the full
// per-shape record, with reps, spread, floors and speedups, is the
// evidence's performance section).
struct ShapeTiming {
  std::string name;   // the task's shape name, e.g. "M=256,N=1024"
  double median_us = 0;
  double p10_us = 0;
  double p90_us = 0;
};

struct RunRequest {
  std::string task_dir;
  std::string artifact_path;       // from BuildResult
  Backend backend = Backend::kHost;
  std::string arch;
  std::string device;              // device index for CUDA_VISIBLE_DEVICES; empty for host
  uint64_t seed = 0;               // chosen by the trusted side at evaluation time
  bool profile = false;
  double run_timeout_s = 60;       // hard wall-clock limit per runner process
  double noise_threshold = 0.01;   // relative; below it a difference is no_gain
  double audit_speedup_factor = 3.0;
  ParentTiming parent;             // empty candidate_id: no parent (seed)
  ParentTiming baseline;           // measured baseline, if known
  std::string work_dir;
  // The task's content hash (Task::content_hash) the caller's timings were
  // measured against; when set and the task folder now hashes differently,
  // the run ends infra_error{task_changed} before anything is measured (its
  // times would not compare with the parent's). Empty: not checked.
  std::string task_hash;
};

struct RunResult {
  Verdict verdict;                 // crash, timeout, incorrect{..}, hack_suspected{..},
                                   // slower, no_gain, improved, infra_error
  double time_us = 0;              // geomean of per-shape medians; 0 when not measured
  double spread = 0;               // max over shapes of the median's relative ~95% half-width
                                   // (about 2 standard errors; docs/evaluator.md, "Spread")
  std::vector<double> shape_median_us;
  std::vector<ShapeTiming> shapes; // same order; empty from an evaluator older than this field
  double roofline_fraction = 0;    // geomean over shapes
  std::string bottleneck;          // memory|compute|latency|launch|unknown
  // validation, performance, profile, environment sections of the packet.
  nlohmann::json evidence = nlohmann::json::object();
  // More sections of the evidence as the text of one JSON object, exactly as
  // the evaluator process wrote it, when the result crossed a process boundary
  // in the framed form (evaluator/result_wire.h): the daemon stores it without
  // parsing it. Its members never repeat those of `evidence`. Empty for a
  // result made in-process; not part of to_json/from_json.
  std::string evidence_text;
};

// Makes the request's paths (task_dir, work_dir; artifact_path of a run)
// absolute against the current folder. The evaluator runs its compiler and
// runners with their own folder as the current one, where a relative path
// names another file: a daemon started as `ksearchd --config daemon.yaml`
// had every evaluation end infra_error{reference_failed} on a spec.json it
// could not find.
void MakePathsAbsolute(BuildRequest& r);
void MakePathsAbsolute(RunRequest& r);
// `path` made absolute against the current folder and normalized; an empty
// or absolute path, or one when there is no current folder, unchanged.
std::string AbsolutePath(std::string path);

void to_json(nlohmann::json& j, const BuildRequest& r);
void from_json(const nlohmann::json& j, BuildRequest& r);
void to_json(nlohmann::json& j, const BuildResult& r);
void from_json(const nlohmann::json& j, BuildResult& r);
void to_json(nlohmann::json& j, const ParentTiming& r);
void from_json(const nlohmann::json& j, ParentTiming& r);
void to_json(nlohmann::json& j, const ShapeTiming& r);
void from_json(const nlohmann::json& j, ShapeTiming& r);
void to_json(nlohmann::json& j, const RunRequest& r);
void from_json(const nlohmann::json& j, RunRequest& r);
void to_json(nlohmann::json& j, const RunResult& r);
void from_json(const nlohmann::json& j, RunResult& r);

// A request as the JSON text a child reads: the document of to_json, with
// the members in another order and the numbers spelled as json_text.h writes
// them, written without a tree (the daemon writes one per evaluation child;
// a build's carries the candidate's whole source).
std::string RequestText(const BuildRequest& r);
std::string RequestText(const RunRequest& r);

// from_json for a BuildResult or RunResult document read once and dropped (a
// child process's stdout): its `evidence`, most of the document, is moved out
// of `j` rather than copied. `j` is left without it.
template <typename Result>
Result TakeResultFromJson(nlohmann::json& j) {
  nlohmann::json evidence;
  if (auto it = j.find("evidence"); it != j.end()) {
    evidence = std::move(*it);
    j.erase(it);
  }
  Result out = j.get<Result>();
  if (!evidence.is_null()) out.evidence = std::move(evidence);
  return out;
}

}  // namespace ksearch
