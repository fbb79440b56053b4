// eval_bench --tasks DIR --work DIR [--backend cuda|host] [--arch sm_90a]
//            [--repeats 10] [--profile] [--only task,task] [--kernels seed,baseline,best]
//            [--repeat-task TASK] [--json out.json] [--timeout S]
// For every task folder under --tasks with the backend: builds seed, baseline
// and best.<ext> (when present) in parallel, evaluates each (same seed), and
// records time, roofline fraction, verdict and wall time per evaluation. Then
// evaluates the seed of --repeat-task (default: the first task) --repeats times with fresh seeds (spread),
// and with --profile compares ksearch's median with ncu's gpu__time_duration
// for the profiled shape. Prints a Markdown summary on stderr; the JSON file is
// rewritten after every task so a killed run keeps what it measured.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <sstream>

#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/task.h"

using namespace ksearch;
namespace fs = std::filesystem;

namespace {

std::string ReadFile(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt = {{"tasks", "configs/tasks"}, {"work", "/tmp/ksearch-bench"},
                                            {"backend", "cuda"}, {"arch", "sm_90a"}, {"repeats", "10"},
                                            {"only", ""}, {"json", "bench.json"}, {"timeout", "300"},
                                            {"kernels", "seed,baseline,best"}, {"repeat-task", ""}};
  bool profile = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--profile") { profile = true; continue; }
    if (a.rfind("--", 0) == 0 && i + 1 < argc) opt[a.substr(2)] = argv[++i];
  }
  Backend backend = *ParseBackend(opt["backend"]);
  std::string ext = backend == Backend::kCuda ? ".cu" : ".cc";
  std::string bname(BackendName(backend));
  auto& launcher = PosixProcessLauncher::Instance();
  // The task's own files are trusted: binary checks are tested elsewhere.
  evaluator::Tools tools = evaluator::Tools::FromEnvironment();
  tools.binary_checks = false;
  double timeout_s = std::stod(opt["timeout"]);
  auto save = [&](const nlohmann::json& j) { std::ofstream(opt["json"]) << j.dump(1) << "\n"; };
  auto build_request = [&](const std::string& dir, const std::string& source_path) {
    BuildRequest b;
    b.task_dir = dir;
    b.source = ReadFile(source_path);
    b.backend = backend;
    b.arch = backend == Backend::kCuda ? opt["arch"] : "";
    b.work_dir = opt["work"];
    b.compile_timeout_s = 600;
    return b;
  };
  auto run_request = [&](const std::string& dir, const std::string& artifact, uint64_t seed) {
    RunRequest r;
    r.task_dir = dir;
    r.artifact_path = artifact;
    r.backend = backend;
    r.arch = opt["arch"];
    r.seed = seed;
    r.work_dir = opt["work"];
    r.run_timeout_s = timeout_s;
    return r;
  };
  nlohmann::json out = {{"backend", bname}, {"arch", opt["arch"]}, {"tasks", nlohmann::json::array()}};

  std::vector<std::string> task_dirs;
  for (auto& e : fs::directory_iterator(opt["tasks"]))
    if (fs::exists(e.path() / "task.yaml")) task_dirs.push_back(e.path().string());
  std::sort(task_dirs.begin(), task_dirs.end());

  std::cerr << "| task | kernel | verdict | geomean us | roofline | eval wall s |\n|---|---|---|---|---|---|\n";
  std::string first_seed_dir;
  for (auto& dir : task_dirs) {
    auto task = evaluator::LoadTask(dir);
    if (!task.ok()) { std::cerr << task.status().message() << "\n"; continue; }
    if (!task->HasBackend(bname)) continue;
    if (!opt["only"].empty() && opt["only"].find(task->name) == std::string::npos) continue;
    if (first_seed_dir.empty() || task->name == opt["repeat-task"]) first_seed_dir = dir;
    std::vector<std::pair<std::string, std::string>> all = {
        {"seed", task->files[bname].seed}, {"baseline", task->files[bname].baseline}};
    if (fs::exists(dir + "/best" + ext)) all.push_back({"best", dir + "/best" + ext});
    std::vector<std::pair<std::string, std::string>> kernels;
    for (auto& k : all)
      if (("," + opt["kernels"] + ",").find("," + k.first + ",") != std::string::npos) kernels.push_back(k);
    std::vector<std::future<BuildResult>> builds;
    for (auto& [name, path] : kernels) {
      BuildRequest b = build_request(dir, path);
      builds.push_back(std::async(std::launch::async, [b, &launcher, &tools] { return evaluator::Build(b, launcher, tools); }));
    }
    nlohmann::json tj = {{"task", task->name}, {"kernels", nlohmann::json::object()}};
    double eval_wall = 0;
    int evals = 0;
    for (size_t k = 0; k < kernels.size(); ++k) {
      BuildResult built = builds[k].get();
      nlohmann::json kj = {{"build_ok", built.ok}, {"compile_s", built.evidence["compile"].value("seconds", 0.0)}};
      if (!built.ok) {
        kj["verdict"] = built.verdict.ToString();
        kj["detail"] = built.verdict.detail.substr(0, 400);
      } else {
        RunRequest r = run_request(dir, built.artifact_path, 1000 + k);
        r.profile = profile;
        auto t0 = std::chrono::steady_clock::now();
        RunResult res = evaluator::Run(r, launcher, tools);
        double wall = Seconds(t0);
        kj["verdict"] = res.verdict.ToString();
        kj["detail"] = res.verdict.detail.substr(0, 400);
        kj["time_us"] = res.time_us;
        kj["shape_median_us"] = res.shape_median_us;
        kj["roofline_fraction"] = res.roofline_fraction;
        kj["bottleneck"] = res.bottleneck;
        kj["eval_wall_s"] = wall;
        kj["performance"] = res.evidence.value("performance", nlohmann::json::object());
        kj["phases"] = res.evidence.value("phases", nlohmann::json::object());
        kj["registers"] = built.evidence["compile"]["resources"].value("max_registers", 0);
        if (profile && res.evidence.contains("profile")) {
          kj["profile"] = res.evidence["profile"];
          double ncu = res.evidence["profile"].value("metrics", nlohmann::json::object()).value("duration_us", 0.0);
          double med = res.shape_median_us.empty() ? 0 : res.shape_median_us[0];
          if (ncu > 0 && med > 0) kj["ncu_vs_median"] = {{"ncu_us", ncu}, {"median_us", med}, {"ratio", med / ncu}};
        }
        if (!profile) { eval_wall += wall; ++evals; }
        out["environment"] = res.evidence.value("environment", nlohmann::json::object());
      }
      tj["kernels"][kernels[k].first] = kj;
      char line[256];
      std::snprintf(line, sizeof(line), "| %s | %s | %s | %.2f | %.1f%% | %.1f |\n", task->name.c_str(),
                    kernels[k].first.c_str(), kj.value("verdict", "?").c_str(), kj.value("time_us", 0.0),
                    100 * kj.value("roofline_fraction", 0.0), kj.value("eval_wall_s", 0.0));
      std::cerr << line;
    }
    if (evals > 0) tj["evals_per_minute"] = 60.0 * evals / eval_wall;
    out["tasks"].push_back(tj);
    save(out);
  }

  int repeats = std::stoi(opt["repeats"]);
  if (repeats > 1 && !first_seed_dir.empty()) {
    auto task = evaluator::LoadTask(first_seed_dir);
    BuildResult built = evaluator::Build(build_request(first_seed_dir, task->files[bname].seed), launcher, tools);
    std::vector<std::vector<double>> per_shape;
    std::vector<double> geo;
    for (int i = 0; i < repeats && built.ok; ++i) {
      RunResult res = evaluator::Run(run_request(first_seed_dir, built.artifact_path, 5000 + i), launcher, tools);
      if (!IsPassingVerdict(res.verdict.kind)) continue;
      geo.push_back(res.time_us);
      per_shape.resize(res.shape_median_us.size());
      for (size_t s = 0; s < res.shape_median_us.size(); ++s) per_shape[s].push_back(res.shape_median_us[s]);
    }
    auto cv = [](const std::vector<double>& v) {
      double m = 0, q = 0;
      for (double x : v) m += x;
      m /= std::max<size_t>(1, v.size());
      for (double x : v) q += (x - m) * (x - m);
      return v.size() > 1 ? std::sqrt(q / (v.size() - 1)) / m : 0.0;
    };
    nlohmann::json rj = {{"task", task->name}, {"kernel", "seed"}, {"runs", geo.size()}, {"geomean_us", geo},
                         {"cv_geomean", cv(geo)}, {"per_shape_cv", nlohmann::json::array()},
                         {"per_shape_mean_us", nlohmann::json::array()}};
    for (auto& v : per_shape) {
      double m = 0;
      for (double x : v) m += x;
      rj["per_shape_cv"].push_back(cv(v));
      rj["per_shape_mean_us"].push_back(m / std::max<size_t>(1, v.size()));
    }
    out["repeatability"] = rj;
    std::cerr << "repeatability (" << task->name << " seed, " << geo.size() << " runs): CV of geomean "
              << 100 * cv(geo) << "%\n";
  }
  save(out);
  return 0;
}
