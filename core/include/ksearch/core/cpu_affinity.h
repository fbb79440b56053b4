// CPU affinity of the calling thread, as lists of CPU numbers (no <sched.h> in
// callers). ksearchd uses these to keep its own threads on CPUs apart from the
// compilers and evaluations it starts (docs/daemon.md, "CPU placement").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch {

// The CPUs the calling thread may run on, ascending.
Result<std::vector<int>> AllowedCpus();

// Restricts the calling thread (and the threads it creates afterwards, which
// inherit it) to `cpus`. Fails, naming the CPUs, when none of them is allowed.
Status PinCallingThread(const std::vector<int>& cpus);

// Parses a CPU list in the kernel's format ("3", "0-3,8", "14-15"); the error
// names the offending part.
Result<std::vector<int>> ParseCpuList(std::string_view text);

// "0-3,8": the inverse of ParseCpuList for a sorted list.
std::string FormatCpuList(const std::vector<int>& cpus);

}  // namespace ksearch
