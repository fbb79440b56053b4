// Binary checks on a compiled candidate library (HACKS.md; DESIGN.md section 5).
//
// Applied to the shared library the compile driver produced, never to source
// text: imported symbols must be within the reviewed allowlist for the backend
// (allowlists/<backend>.txt, widened per task by `allowed_libraries`), exported
// symbols must not shadow the CUDA/HIP runtime, libc or the runner, and host
// code must hold no raw system-call instructions.
// Thread-safety: pure apart from launching tools through `launcher`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"

namespace ksearch::evaluator {

struct BinaryCheckOptions {
  Backend backend = Backend::kHost;
  std::vector<std::string> allowed_libraries;  // from task.yaml, e.g. {"cublas"}
  std::string allowlist_dir;                   // evaluator/allowlists
  // Binaries whose defined dynamic symbols a candidate export must not shadow:
  // the runner executable and the libraries it loads. The defaults (libc, libm,
  // libstdc++, libgcc_s, plus libcudart / libamdhip64 for GPU backends, plus every
  // allowed DT_NEEDED of the candidate, resolved in the system library folders and
  // never through the candidate's own RUNPATH) are always added.
  std::vector<std::string> trusted_binaries;
};

struct BinaryCheckReport {
  bool ok = false;
  // When !ok: the verdict reason, e.g. "forbidden_import", "shadowing_export",
  // "raw_syscall", "unreadable_binary", "forbidden_library" (a DT_NEEDED outside
  // the allowlist), "missing_entry" (no exported ks_run). "allowlist_error" means
  // the trusted allowlist itself could not be loaded: an infra_error, not the
  // candidate's fault.
  std::string reason;
  std::vector<std::string> imports;     // undefined dynamic symbols
  std::vector<std::string> exports;     // defined dynamic symbols
  std::vector<std::string> violations;  // human-readable, one per offending symbol/site
  std::vector<std::string> needed;      // DT_NEEDED sonames
  std::vector<std::string> allowlists;  // allowlist files applied
  nlohmann::json ToJson() const;
};

// Never loads or executes the library: it is read with nm, readelf and objdump.
// All violations are collected; `reason` names the first class found in the
// order forbidden_import, forbidden_library, shadowing_export, raw_syscall,
// missing_entry.
BinaryCheckReport CheckBinary(const std::string& library_path, const BinaryCheckOptions& options,
                              ProcessLauncher& launcher);

}  // namespace ksearch::evaluator
