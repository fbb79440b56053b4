// Compile drivers: c++ (host), nvcc (CUDA), hipcc (HIP) with fixed trusted flags.
// Thread-safety: all functions may run concurrently; CompilerVersion caches
// under a mutex.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/process.h"
#include "ksearch/evaluator/evaluator.h"

namespace ksearch::evaluator {

struct CompileOutput {
  bool ok = false;
  bool timed_out = false;
  bool compiler_missing = false;
  std::vector<std::string> argv;
  std::string log;          // stdout + stderr of the compiler
  double seconds = 0;
  nlohmann::json resources = nlohmann::json::object();  // CUDA: per-kernel ptxas -v figures
};

// The compiler program for a backend (from `tools`).
std::string CompilerFor(const Tools& tools, Backend backend);
// First line of `<compiler> --version` (cached per program path); "" if it fails.
std::string CompilerVersion(const std::string& compiler, ProcessLauncher& launcher);
// The full fixed argument list (without argv[0]) that builds `source` into `output`.
// Libraries a task allows (task.yaml allowed_libraries, e.g. cublas) are linked
// with -l<name> after the source.
std::vector<std::string> CompileFlags(Backend backend, const std::string& arch);
// "kernel.cc" / "kernel.cu" / "kernel.hip.cpp"
std::string SourceFileName(Backend backend);

CompileOutput CompileLibrary(const Tools& tools, Backend backend, const std::string& arch,
                             const std::string& source_path, const std::string& output_path,
                             double timeout_s, ProcessLauncher& launcher,
                             const std::vector<std::string>& libraries = {});

// Parses `ptxas info` lines of nvcc -Xptxas -v into
// {"kernels": {name: {registers, smem_bytes, cmem_bytes, stack_bytes, spill_store_bytes,
//  spill_load_bytes, barriers}}, "max_registers", "total_spill_bytes", "max_stack_bytes"}.
nlohmann::json ParsePtxasInfo(const std::string& log);

}  // namespace ksearch::evaluator
