// Helpers for the checks tests: a scratch folder and real compiles of small
// shared libraries with the system compilers. Test-only.
#pragma once

#include <stdlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "ksearch/core/process.h"

namespace ksearch::evaluator::checks::testing {

inline std::string MakeScratchDir() {
  char tmpl[] = "/tmp/ks_checks_XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "";
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline std::string SourceDir() {
  const char* s = getenv("KSEARCH_SOURCE_DIR");
  return s ? s : KSEARCH_TEST_SOURCE_DIR;
}

// Compiles `source` into <dir>/<name>.so with g++ (-O2 -shared -fPIC) or nvcc
// (-cudart shared) when `name` ends in ".cu". Returns the path; empty on failure
// with the compiler's stderr in *log.
inline std::string CompileShared(const std::string& dir, const std::string& name,
                                 const std::string& source, std::string* log,
                                 const std::vector<std::string>& extra_flags = {}) {
  bool cuda = name.size() > 3 && name.substr(name.size() - 3) == ".cu";
  std::string src = dir + "/" + name + (cuda ? "" : ".cc");
  std::string out = dir + "/" + name + ".so";
  WriteFile(src, source);
  ProcessSpec spec;
  std::string inc = "-I" + SourceDir() + "/evaluator/include";
  if (cuda) {
    spec.argv = {"/usr/local/cuda/bin/nvcc", "-shared", "-Xcompiler", "-fPIC", "-cudart",
                 "shared", "-arch=sm_90a", inc, src, "-o", out};
  } else {
    spec.argv = {"g++", "-std=c++17", "-O2", "-shared", "-fPIC", inc, src, "-o", out};
  }
  spec.argv.insert(spec.argv.end(), extra_flags.begin(), extra_flags.end());
  spec.timeout = std::chrono::milliseconds(180000);
  ProcessResult r = PosixProcessLauncher::Instance().Run(spec);
  if (!r.Succeeded()) {
    *log = r.Describe() + "\n" + r.stderr_data;
    return "";
  }
  return out;
}

}  // namespace ksearch::evaluator::checks::testing
