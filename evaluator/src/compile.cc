// Compile drivers. Flag choice (documented in docs/evaluator.md):
//  host: -std=c++17 -O3 -march=native -fPIC -shared -fvisibility=hidden -Wl,-z,defs
//        (-march=native: candidates are timed on the machine that builds them;
//        hidden visibility so only KS_EXPORT symbols are exported).
//  cuda: -std=c++17 -O3 -gencode=arch=compute_XX,code=sm_XX -shared -cudart shared
//        -Xcompiler -fPIC,-fvisibility=hidden -Xptxas -v -lineinfo (shared cudart so
//        the runner and the kernel share one CUDA runtime and one stream namespace).
//  hip:  -std=c++17 -O3 --offload-arch=<arch> -fPIC -shared.
#include "compile.h"

#include <map>
#include <mutex>
#include <regex>
#include <sstream>

namespace ksearch::evaluator {

std::string CompilerFor(const Tools& tools, Backend backend) {
  switch (backend) {
    case Backend::kHost: return tools.cxx;
    case Backend::kCuda: return tools.nvcc;
    case Backend::kHip: return tools.hipcc;
  }
  return tools.cxx;
}

std::string SourceFileName(Backend backend) {
  switch (backend) {
    case Backend::kCuda: return "kernel.cu";
    case Backend::kHip: return "kernel.hip.cpp";
    default: return "kernel.cc";
  }
}

std::string CompilerVersion(const std::string& compiler, ProcessLauncher& launcher) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;  // guarded by mu
  {
    std::lock_guard<std::mutex> l(mu);
    if (auto it = cache.find(compiler); it != cache.end()) return it->second;
  }
  ProcessSpec spec;
  spec.argv = {compiler, "--version"};
  spec.timeout = std::chrono::milliseconds(20000);
  ProcessResult r = launcher.Run(spec);
  std::string v;
  if (r.Succeeded()) {
    std::string all = r.stdout_data + r.stderr_data;
    // nvcc prints its release on the 4th line; keep every non-copyright line.
    std::istringstream in(all);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line.find("Copyright") == std::string::npos) v += (v.empty() ? "" : " | ") + line;
    std::lock_guard<std::mutex> l(mu);
    cache[compiler] = v;
  }
  return v;
}

std::vector<std::string> CompileFlags(Backend backend, const std::string& arch) {
  std::string inc = "-I" KSEARCH_EVALUATOR_INCLUDE_DIR;
  switch (backend) {
    case Backend::kHost:
      return {"-std=c++17", "-O3", "-march=native", "-fPIC", "-shared", "-fvisibility=hidden",
              "-Wl,-z,defs", inc};
    case Backend::kCuda: {
      std::string sm = arch.empty() ? "sm_90" : arch;
      std::string compute = "compute_" + sm.substr(sm.find('_') + 1);
      return {"-std=c++17", "-O3", "-gencode=arch=" + compute + ",code=" + sm, "-shared",
              "-cudart", "shared", "-Xcompiler", "-fPIC,-fvisibility=hidden", "-Xptxas", "-v",
              "-lineinfo", inc};
    }
    case Backend::kHip:
      return {"-std=c++17", "-O3", "--offload-arch=" + (arch.empty() ? std::string("gfx942") : arch),
              "-fPIC", "-shared", inc};
  }
  return {};
}

CompileOutput CompileLibrary(const Tools& tools, Backend backend, const std::string& arch,
                             const std::string& source_path, const std::string& output_path,
                             double timeout_s, ProcessLauncher& launcher,
                             const std::vector<std::string>& libraries) {
  CompileOutput out;
  std::string compiler = CompilerFor(tools, backend);
  out.argv = {compiler};
  for (auto& f : CompileFlags(backend, arch)) out.argv.push_back(f);
  if (backend == Backend::kCuda && compiler.find('/') != std::string::npos) {
    // So the runner finds libcudart (and allowed libraries) of this toolkit.
    std::string bin = compiler.substr(0, compiler.rfind('/'));
    out.argv.push_back("-Xlinker=-rpath," + bin + "/../lib64");
  }
  out.argv.push_back("-o");
  out.argv.push_back(output_path);
  out.argv.push_back(source_path);
  for (auto& l : libraries) out.argv.push_back("-l" + l);
  ProcessSpec spec;
  spec.argv = out.argv;
  spec.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  spec.kill_grace = std::chrono::milliseconds(1000);
  spec.max_output_bytes = 1 << 20;
  ProcessResult r = launcher.Run(spec);
  out.seconds = r.wall_seconds;
  out.log = r.stdout_data + r.stderr_data;
  out.timed_out = r.timed_out;
  out.compiler_missing = !r.started;
  if (!r.started) out.log = "cannot start compiler '" + compiler + "': " + r.error;
  out.ok = r.Succeeded();
  if (backend == Backend::kCuda) out.resources = ParsePtxasInfo(out.log);
  return out;
}

nlohmann::json ParsePtxasInfo(const std::string& log) {
  static const std::regex kEntry(R"(Compiling entry function '([^']+)')");
  static const std::regex kProps(R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex kUsed(R"(Used (\d+) registers)");
  static const std::regex kBar(R"(used (\d+) barriers)");
  static const std::regex kSmem(R"((\d+) bytes smem)");
  static const std::regex kCmem(R"((\d+) bytes cmem\[0\])");
  nlohmann::json kernels = nlohmann::json::object();
  std::string current;
  std::istringstream in(log);
  std::string line;
  std::smatch m;
  int max_regs = 0;
  int64_t spills = 0, max_stack = 0;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kEntry)) { current = m[1]; kernels[current] = nlohmann::json::object(); continue; }
    if (current.empty()) continue;
    auto& k = kernels[current];
    if (std::regex_search(line, m, kProps)) {
      k["stack_bytes"] = std::stoll(m[1]);
      k["spill_store_bytes"] = std::stoll(m[2]);
      k["spill_load_bytes"] = std::stoll(m[3]);
      spills += std::stoll(m[2]) + std::stoll(m[3]);
      max_stack = std::max<int64_t>(max_stack, std::stoll(m[1]));
    }
    if (std::regex_search(line, m, kUsed)) {
      int regs = std::stoi(m[1]);
      k["registers"] = regs;
      max_regs = std::max(max_regs, regs);
      if (std::regex_search(line, m, kBar)) k["barriers"] = std::stoi(m[1]);
      if (std::regex_search(line, m, kSmem)) k["smem_bytes"] = std::stoll(m[1]);
      if (std::regex_search(line, m, kCmem)) k["cmem_bytes"] = std::stoll(m[1]);
    }
  }
  return {{"kernels", kernels}, {"max_registers", max_regs}, {"total_spill_bytes", spills},
          {"max_stack_bytes", max_stack}};
}

}  // namespace ksearch::evaluator
