// Child processes for the end-to-end fixtures (DaemonProcess, FakeLlmProcess):
// a binary started with its output appended to files, a port file to wait for,
// and a graceful stop. The caller owns the pid; each function that reaps the
// child sets it to -1.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ksearch::e2e {

// fork + exec of argv[0] with stdout and stderr appended to the named files.
pid_t SpawnWithLogs(const std::vector<std::string>& argv, const std::string& stdout_path,
                    const std::string& stderr_path);

// Polls `port_file` until it holds a port > 0 (returned), the child exits
// (0, pid reaped) or `timeout` passes (0).
int WaitForPortFile(pid_t& pid, const std::string& port_file, std::chrono::milliseconds timeout);

// SIGTERM, then reap: the exit status, or 128 + the signal that ended it; -1
// when there is no child.
int StopWithSigterm(pid_t& pid);

}  // namespace ksearch::e2e
