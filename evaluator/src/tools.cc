// Tool discovery (evaluator.h, Tools). Environment overrides first, then PATH,
// then the usual CUDA and pip locations (the same search as scripts/find-cuda-tool).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "ksearch/evaluator/evaluator.h"

namespace fs = std::filesystem;

namespace ksearch::evaluator {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The tool `name` names when set (empty: absent), else what `search` finds.
template <typename Search>
std::string EnvOrSearch(const char* name, Search search) {
  if (const char* v = std::getenv(name)) return v;
  return search();
}

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

}  // namespace

std::string FindCudaTool(const std::string& tool) {
  if (auto p = FindExecutable(tool); !p.empty()) return p;
  std::vector<std::string> dirs = {"/usr/local/cuda/bin"};
  std::error_code ec;
  for (const char* root : {"/usr/local", "/opt/nvidia/nsight-compute"}) {
    if (!fs::is_directory(root, ec)) continue;
    for (auto& e : fs::directory_iterator(root, ec)) {
      std::string n = e.path().filename().string();
      if (n.rfind("nsight-compute", 0) == 0 || std::string(root) == "/opt/nvidia/nsight-compute") dirs.push_back(e.path().string());
    }
  }
  for (auto& d : dirs)
    if (access((d + "/" + tool).c_str(), X_OK) == 0) return d + "/" + tool;
  // pip wheels and other places: the repository's scripts/find-cuda-tool, run
  // once per tool per process (results cached; guarded by mu).
  static std::mutex mu;
  static std::map<std::string, std::string> found;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = found.find(tool); it != found.end()) return it->second;
  std::string path;
  if (access(KSEARCH_FIND_CUDA_TOOL, X_OK) == 0) {
    ProcessSpec spec;
    spec.argv = {KSEARCH_FIND_CUDA_TOOL, tool};
    spec.timeout = std::chrono::milliseconds(20000);
    ProcessResult r = PosixProcessLauncher::Instance().Run(spec);
    if (r.Succeeded()) {
      path = r.stdout_data.substr(0, r.stdout_data.find('\n'));
      if (access(path.c_str(), X_OK) != 0) path.clear();
    }
  }
  found[tool] = path;
  return path;
}

Tools Tools::FromEnvironment() {
  Tools t;
  t.cxx = Env("KSEARCH_CXX");
  if (t.cxx.empty()) t.cxx = FindExecutable("c++");
  if (t.cxx.empty()) t.cxx = "c++";
  t.nvcc = EnvOrSearch("KSEARCH_NVCC", [] { return FindCudaTool("nvcc"); });
  t.hipcc = EnvOrSearch("KSEARCH_HIPCC", [] { return FindExecutable("hipcc"); });
  // Runners start in their run folder: a relative folder would name another.
  t.runner_dir = AbsolutePath(Env("KSEARCH_RUNNER_DIR"));
  if (t.runner_dir.empty()) t.runner_dir = SelfDir();
  t.cuobjdump = EnvOrSearch("KSEARCH_CUOBJDUMP", [] { return FindCudaTool("cuobjdump"); });
  t.objdump = FindExecutable("objdump");
  t.ncu = EnvOrSearch("KSEARCH_NCU", [] { return FindCudaTool("ncu"); });
  return t;
}

std::map<std::string, std::string> Tools::AsEnvironment() const {
  std::map<std::string, std::string> env{{"KSEARCH_CXX", cxx},         {"KSEARCH_NVCC", nvcc},
                                         {"KSEARCH_HIPCC", hipcc},     {"KSEARCH_CUOBJDUMP", cuobjdump},
                                         {"KSEARCH_NCU", ncu}};
  if (!runner_dir.empty()) env["KSEARCH_RUNNER_DIR"] = runner_dir;
  return env;
}

}  // namespace ksearch::evaluator
