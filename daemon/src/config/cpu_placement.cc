#include "config/cpu_placement.h"

#include <algorithm>

#include "ksearch/core/cpu_affinity.h"

namespace ksearch::daemon {

Result<CpuPlacement> PlanCpuPlacement(const std::string& setting, const std::vector<int>& allowed) {
  CpuPlacement p;
  if (setting.empty()) return p;
  if (setting == "auto") {
    if (allowed.size() < 4) return p;  // too few CPUs to set one apart
    p.daemon = {allowed.back()};
  } else {
    auto cpus = ParseCpuList(setting);
    if (!cpus.ok()) return cpus.status().WithContext("workers.daemon_cpus");
    for (int c : *cpus)
      if (!std::binary_search(allowed.begin(), allowed.end(), c))
        return Status::InvalidArgument("workers.daemon_cpus: CPU " + std::to_string(c) +
                                       " is not one this daemon may use (" + FormatCpuList(allowed) + ")");
    p.daemon = std::move(*cpus);
  }
  std::set_difference(allowed.begin(), allowed.end(), p.daemon.begin(), p.daemon.end(),
                      std::back_inserter(p.children));
  if (p.children.empty())
    return Status::InvalidArgument("workers.daemon_cpus: " + setting + " leaves no CPU for compilers and evaluations (" +
                                   "the daemon may use " + FormatCpuList(allowed) + ")");
  return p;
}

}  // namespace ksearch::daemon
