// Confines the calling process with Landlock (Linux >= 5.13, unprivileged) so
// candidate code loaded afterwards cannot read or write trusted files: only the
// listed paths stay reachable, TCP bind/connect is denied (ABI >= 4), and
// signals / abstract unix sockets outside the process are denied (ABI >= 6).
// The restriction is irreversible and inherited by children.
//
// Call site: ksearch-runner, after it has read its request and opened what it
// needs, and BEFORE dlopen() of the candidate library (constructors and IFUNC
// resolvers in the candidate run inside dlopen).
// Thread-safety: must be called while the process is single-threaded (Landlock
// restricts only the calling thread and its future children).
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::evaluator::checks {

struct ConfineOptions {
  // Folders or files readable (read, list, map for execution by the loader).
  std::vector<std::string> read_only;
  // Folders or files readable and writable (e.g. /dev for GPU device nodes).
  std::vector<std::string> read_write;
  bool deny_tcp = true;        // ABI >= 4
  bool scope_signals = true;   // ABI >= 6: no signals to processes outside the domain
};

// The runner's default: system library folders, /etc (ld.so.cache), /proc,
// /sys read-only; /dev read-write (GPU device nodes); plus `artifact` (the
// candidate library file itself) read-only. Nothing else, in particular neither
// the task folder, the reference library, the work folder nor the source tree.
ConfineOptions DefaultRunnerConfinement(const std::string& artifact);

// The Landlock ABI version of the running kernel; Unavailable when the kernel
// lacks Landlock or it is disabled.
Result<int> LandlockAbiVersion();

// Applies the restriction to the calling thread and its future children.
// Unavailable when Landlock is missing (the caller decides whether that is
// fatal; the evidence packet should record it); InvalidArgument naming a path
// that cannot be opened.
Status ConfineFilesystem(const ConfineOptions& options);

}  // namespace ksearch::evaluator::checks
