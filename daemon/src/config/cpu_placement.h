// Where ksearchd's own threads and its children run: workers.daemon_cpus
// resolved against the CPUs the daemon may use. Pure, so tests check every rule.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::daemon {

struct CpuPlacement {
  std::vector<int> daemon;    // empty: not pinned (the kernel places the threads)
  std::vector<int> children;  // empty: children inherit the daemon's CPUs
};

// `setting` is workers.daemon_cpus ("", "auto" or a CPU list); `allowed` is the
// daemon's CPUs at start (AllowedCpus). "auto" pins to the highest allowed CPU
// when at least 4 are allowed. An explicit list must be within `allowed` and
// leave at least one allowed CPU for the children; errors name the setting.
Result<CpuPlacement> PlanCpuPlacement(const std::string& setting, const std::vector<int>& allowed);

}  // namespace ksearch::daemon
