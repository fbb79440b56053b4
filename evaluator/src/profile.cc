// Profiling with Nsight Compute: one runner process in "profile" mode wraps a
// single candidate call in the NVTX push/pop range "ks_candidate"; ncu profiles
// only kernels inside it (--nvtx --nvtx-include ks_candidate/), so the runner's
// own memsets and copies are excluded. Sections are requested (not raw metric
// names) so a metric that a given ncu version renamed is simply absent.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "run_internal.h"

namespace ksearch::evaluator {
namespace {

std::vector<std::string> CsvRow(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (char c : line) {
    if (c == '"') q = !q;
    else if (c == ',' && !q) { out.push_back(cur); cur.clear(); }
    else cur += c;
  }
  out.push_back(cur);
  return out;
}

double Num(const std::string& s) {
  std::string t;
  for (char c : s) if (c != ',') t += c;
  try { return std::stod(t); } catch (...) { return 0; }
}

}  // namespace

std::string ClassifyProfile(const nlohmann::json& m) {
  double dur_us = m.value("duration_us", 0.0);
  double sm = m.value("sm_throughput_pct", 0.0), mem = m.value("memory_throughput_pct", 0.0);
  if (dur_us > 0 && dur_us < 5) return "launch";
  if (mem >= 60 && mem >= sm) return "memory";
  if (sm >= 60) return "compute";
  return "latency";
}

std::string ClassifyFromRoofline(double time_us, double bytes_floor_us, double flops_floor_us) {
  if (time_us <= 0) return "unknown";
  if (time_us < 5) return "launch";
  double frac_mem = bytes_floor_us / time_us, frac_cmp = flops_floor_us / time_us;
  if (frac_mem >= 0.5 && frac_mem >= frac_cmp) return "memory";
  if (frac_cmp >= 0.5) return "compute";
  return "latency";
}

nlohmann::json ProfileWithNcu(const Tools& tools, const RunnerSpec& spec_in, const RunRequest& request,
                              ProcessLauncher& launcher) {
  if (tools.ncu.empty()) return {{"error", "ncu not found"}};
  RunnerSpec spec = spec_in;
  spec.mode = "profile";
  std::error_code ec;
  std::filesystem::create_directories(spec.out_dir, ec);
  std::string spec_path = spec.out_dir + "/spec.json";
  { std::ofstream(spec_path) << nlohmann::json(spec).dump(1); }
  ProcessSpec ps;
  ps.argv = {tools.ncu, "--nvtx", "--nvtx-include", "ks_candidate/", "--clock-control", "none",
             "--section", "SpeedOfLight", "--section", "Occupancy", "--section", "LaunchStats",
             "--section", "MemoryWorkloadAnalysis", "--section", "WarpStateStats",
             "--section", "ComputeWorkloadAnalysis", "--page", "raw", "--csv", "--print-units", "base",
             RunnerPath(tools, Backend::kCuda), spec_path};
  ps.cwd = spec.out_dir;
  if (!request.device.empty()) ps.env_set["CUDA_VISIBLE_DEVICES"] = request.device;
  ps.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::max(120.0, request.run_timeout_s * 4) * 1000));
  ps.max_output_bytes = 16 << 20;
  ProcessResult r = launcher.Run(ps);
  if (!r.Succeeded()) return {{"error", "ncu " + r.Describe() + ": " + r.stderr_data.substr(0, 600)}};
  // CSV: header line (starts with "ID"), a units line, then one row per profiled kernel.
  std::istringstream in(r.stdout_data);
  std::string line;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    if (line.rfind("\"ID\"", 0) == 0) { header = CsvRow(line); std::getline(in, line); continue; }
    if (!header.empty() && !line.empty() && line[0] == '"') rows.push_back(CsvRow(line));
  }
  if (header.empty() || rows.empty()) return {{"error", "ncu profiled no kernel in range ks_candidate"}, {"stdout_tail", r.stdout_data.substr(r.stdout_data.size() > 800 ? r.stdout_data.size() - 800 : 0)}};
  auto col = [&](const std::string& name) -> int {
    for (size_t i = 0; i < header.size(); ++i) if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  nlohmann::json kernels = nlohmann::json::array();
  double total_dur_ns = 0;
  nlohmann::json agg;  // metrics of the longest kernel
  double longest = -1;
  for (auto& row : rows) {
    nlohmann::json k;
    auto get = [&](const char* metric, const char* key, double scale = 1.0) {
      int c = col(metric);
      if (c >= 0 && c < static_cast<int>(row.size()) && !row[c].empty()) k[key] = Num(row[c]) * scale;
    };
    if (int c = col("Kernel Name"); c >= 0 && c < static_cast<int>(row.size())) k["kernel"] = row[c];
    get("gpu__time_duration.sum", "duration_us", 1e-3);  // ns -> us (raw page unit)
    get("sm__throughput.avg.pct_of_peak_sustained_elapsed", "sm_throughput_pct");
    get("gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed", "memory_throughput_pct");
    get("dram__throughput.avg.pct_of_peak_sustained_elapsed", "dram_throughput_pct");
    get("sm__warps_active.avg.pct_of_peak_sustained_active", "achieved_occupancy_pct");
    get("launch__registers_per_thread", "registers_per_thread");
    get("launch__shared_mem_per_block_static", "smem_static_bytes");
    get("launch__shared_mem_per_block_dynamic", "smem_dynamic_bytes");
    get("l1tex__t_sector_hit_rate.pct", "l1_hit_rate_pct");
    get("lts__t_sector_hit_rate.pct", "l2_hit_rate_pct");
    // Tensor pipe: the largest tensor-pipe utilization column present.
    // Stall reasons: the three largest per-issue stall ratios.
    std::vector<std::pair<double, std::string>> stalls;
    for (size_t i = 0; i < header.size() && i < row.size(); ++i) {
      const std::string& h = header[i];
      if (h.find("pipe_tensor") != std::string::npos && h.find("pct_of_peak") != std::string::npos)
        k["tensor_pipe_pct"] = std::max(k.value("tensor_pipe_pct", 0.0), Num(row[i]));
      const std::string pre = "smsp__average_warp_latency_issue_stalled_", pre2 = "smsp__average_warps_issue_stalled_";
      for (const std::string& p : {pre, pre2})
        if (h.rfind(p, 0) == 0 && h.find("_per_issue_active.ratio") != std::string::npos)
          stalls.push_back({Num(row[i]), h.substr(p.size(), h.find("_per_issue_active") - p.size())});
    }
    std::sort(stalls.rbegin(), stalls.rend());
    nlohmann::json top = nlohmann::json::object();
    for (size_t i = 0; i < stalls.size() && i < 3; ++i) top[stalls[i].second] = stalls[i].first;
    k["top_stalls"] = top;
    double d = k.value("duration_us", 0.0);
    total_dur_ns += d * 1e3;
    if (d > longest) { longest = d; agg = k; }
    kernels.push_back(k);
  }
  agg["duration_us"] = total_dur_ns * 1e-3;  // all candidate kernels of the call
  return {{"metrics", agg}, {"kernels", kernels}, {"bottleneck", ClassifyProfile(agg)},
          {"profiled_shape", spec.shapes.at(spec.profile_shape).name}, {"tool", tools.ncu}};
}

}  // namespace ksearch::evaluator
