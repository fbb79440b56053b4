// ksearch doctor: what this machine can do, and what is missing.
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/cli.h"
#include "ksearch/core/process.h"
#include "ksearch/evaluator/evaluator.h"

namespace ksearch::cli {
namespace {

using nlohmann::json;

struct Probe {
  std::string what;
  std::vector<std::string> argv;  // version command; argv[0] is looked up
  std::string needed_for;
};

// First line of the tool's output that says something, for the version column.
std::string FirstLine(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line.substr(0, 100);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto nl = t.rfind('\n');
  return (nl == std::string::npos ? t : t.substr(nl + 1)).substr(0, 100);
}

int RunDoctor(const Args& args, Io io) {
  if (Status s = args.CheckKnown({"json"}); !s.ok()) {
    io.err << "ksearch: " << s.message() << "\n";
    return 2;
  }
  // The paths evaluations use: the evaluator's own tools (with their
  // KSEARCH_* overrides) and its CUDA tool search. The doctor used to run
  // ./scripts/find-cuda-tool from the current folder, and called the pip
  // wheels' cuobjdump missing anywhere but the repository's root.
  const evaluator::Tools tools = evaluator::Tools::FromEnvironment();
  const std::map<std::string, std::string> chosen = {
      {"c++", tools.cxx}, {"nvcc", tools.nvcc}, {"cuobjdump", tools.cuobjdump}, {"ncu", tools.ncu},
      {"hipcc", tools.hipcc}, {"objdump", tools.objdump}};
  auto located = [&](const std::string& tool) {
    if (auto it = chosen.find(tool); it != chosen.end()) return it->second == tool ? FindExecutable(tool) : it->second;
    std::string p = FindExecutable(tool);
    return p.empty() ? evaluator::FindCudaTool(tool) : p;
  };
  const std::vector<Probe> probes = {
      {"c++", {"c++", "--version"}, "host backend compiles"},
      {"nvcc", {"nvcc", "--version"}, "CUDA compiles"},
      {"cuobjdump", {"cuobjdump", "--version"}, "CUDA machine-code inspection"},
      {"nvdisasm", {"nvdisasm", "--version"}, "CUDA machine-code inspection"},
      {"nvidia-smi", {"nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"}, "GPU slots"},
      {"ncu", {"ncu", "--version"}, "profiling (Nsight Compute)"},
      {"compute-sanitizer", {"compute-sanitizer", "--version"}, "sanitizer tier"},
      {"hipcc", {"hipcc", "--version"}, "HIP compiles"},
      {"objdump", {"objdump", "--version"}, "binary checks (raw syscalls)"},
      {"readelf", {"readelf", "--version"}, "binary checks (imports/exports)"},
  };
  json report = json::array();
  std::vector<std::vector<std::string>> rows;
  int missing = 0;
  for (const auto& p : probes) {
    std::string path = located(p.argv[0]);
    std::string version;
    bool ok = !path.empty();
    if (ok) {
      ProcessSpec spec;
      spec.argv = p.argv;
      spec.argv[0] = path;
      spec.timeout = std::chrono::milliseconds(20000);
      auto r = PosixProcessLauncher::Instance().Run(spec);
      ok = r.Succeeded();
      std::string text = r.stdout_data.empty() ? r.stderr_data : r.stdout_data;
      version = p.what == "nvcc" || p.what == "cuobjdump" || p.what == "nvdisasm" || p.what == "ncu"
                    ? LastLine(text)
                    : FirstLine(text);
      if (!ok) version = "present but failed: " + r.Describe() + " " + FirstLine(r.stderr_data);
    }
    if (!ok) ++missing;
    report.push_back({{"tool", p.what}, {"found", ok}, {"path", path}, {"version", version},
                      {"needed_for", p.needed_for}});
    rows.push_back({p.what, ok ? "ok" : "MISSING", ok ? version : "", p.needed_for});
  }
  if (args.json()) {
    io.out << json{{"tools", report}, {"missing", missing}}.dump(2) << "\n";
  } else {
    PrintTable(io.out, {"TOOL", "STATUS", "VERSION", "NEEDED FOR"}, rows);
    io.out << (missing ? std::to_string(missing) + " missing: the features they serve are unavailable here\n"
                       : "everything present\n");
  }
  return 0;
}

}  // namespace

KSEARCH_CLI_COMMAND("doctor", "ksearch doctor [--json]",
                    "report compilers, GPUs, profilers and disassemblers this machine has", {"json"}, &RunDoctor);

}  // namespace ksearch::cli
