#include "ksearch/workers/devices.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ksearch::workers {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) out.push_back(Trim(field));
  return out;
}

}  // namespace

std::vector<GpuInfo> ParseNvidiaSmi(const std::string& csv) {
  std::vector<GpuInfo> gpus;
  std::stringstream ss(csv);
  std::string line;
  while (std::getline(ss, line)) {
    auto f = SplitCsv(line);
    if (f.size() < 6 || f[0].empty() || f[0].find_first_not_of("0123456789") != std::string::npos)
      continue;
    GpuInfo g;
    g.index = f[0];
    g.uuid = f[1];
    g.name = f[2];
    g.memory_mib = std::atof(f[3].c_str());
    g.temperature_c = std::atof(f[4].c_str());
    g.driver = f[5];
    gpus.push_back(std::move(g));
  }
  return gpus;
}

GpuDiscovery SelectGpus(const std::vector<GpuInfo>& listed, const std::string& visible) {
  GpuDiscovery d;
  for (const GpuInfo& g : listed) d.listed += (d.listed.empty() ? "" : ", ") + g.index;
  if (d.listed.empty()) d.listed = "no GPU";
  if (visible.empty()) {
    d.found = listed;
    return d;
  }
  for (const std::string& want : SplitCsv(visible)) {
    if (want.empty()) continue;
    auto it = std::find_if(listed.begin(), listed.end(),
                           [&want](const GpuInfo& g) { return g.index == want || g.uuid == want; });
    if (it != listed.end()) {
      d.found.push_back(*it);
    } else {
      d.missing.push_back(want);
    }
  }
  return d;
}

GpuDiscovery DiscoverGpus(ProcessLauncher& launcher, const std::string& visible) {
  std::vector<GpuInfo> listed;
  std::string error;
  const bool found = !FindExecutable("nvidia-smi").empty();
  if (!found) {
    error = "nvidia-smi is not on PATH";
  } else {
    ProcessSpec spec;
    spec.argv = {"nvidia-smi", "--query-gpu=index,uuid,name,memory.total,temperature.gpu,driver_version",
                 "--format=csv,noheader,nounits"};
    spec.timeout = std::chrono::milliseconds(20000);
    ProcessResult r = launcher.Run(spec);
    if (r.Succeeded()) {
      listed = ParseNvidiaSmi(r.stdout_data);
    } else {
      std::string said = r.stdout_data + r.stderr_data;
      while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
      error = "nvidia-smi failed: " + r.Describe() + (said.empty() ? "" : ": " + said.substr(0, 300));
    }
  }
  GpuDiscovery d = SelectGpus(listed, visible);
  d.error = error;
  d.nvidia_smi_found = found;
  return d;
}

std::vector<SlotSpec> MakeSlots(const GpuDiscovery& gpus, int host_slots) {
  std::vector<SlotSpec> slots;
  for (const GpuInfo& g : gpus.found)
    slots.push_back({"gpu" + std::to_string(slots.size()), "gpu", g.index, g.name, ""});
  for (const std::string& id : gpus.missing)
    slots.push_back({"gpu" + std::to_string(slots.size()), "gpu", id, "not found",
                     "GPU " + id + " not found: nvidia-smi lists " + gpus.listed +
                         (gpus.error.empty() ? "" : " (" + gpus.error + ")")});
  for (int i = 0; i < host_slots; ++i)
    slots.push_back({"host" + std::to_string(i), "host", "", "host CPU", ""});
  return slots;
}

std::string CanaryMonitor::Observe(const std::string& slot, const RunResult& canary) {
  if (!IsPassingVerdict(canary.verdict.kind))
    return "canary failed: " + canary.verdict.ToString() + " " + canary.verdict.detail;
  if (!(canary.time_us > 0)) return "canary returned no time";
  auto it = first_time_us_.find(slot);
  if (it == first_time_us_.end()) {
    first_time_us_[slot] = canary.time_us;
    return "";
  }
  double drift = std::fabs(canary.time_us - it->second) / it->second;
  if (drift > policy_.max_drift) {
    std::ostringstream os;
    os << "canary drifted " << static_cast<int>(drift * 100) << "% (" << it->second << " us -> "
       << canary.time_us << " us)";
    return os.str();
  }
  return "";
}

}  // namespace ksearch::workers
