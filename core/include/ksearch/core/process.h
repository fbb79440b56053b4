// ProcessLauncher: runs one child process to completion with a hard wall-clock
// limit, capturing its output. Compilers, ksearch-runner, ncu and tools all go
// through it, so tests can substitute a fake that hangs, crashes or lies.
//
// Guarantees of PosixProcessLauncher:
//  - the child dies with the thread that launched it (PR_SET_PDEATHSIG), so a
//    daemon killed with SIGKILL leaves no evaluation running;
//  - the child runs in its own process group; on timeout or cancellation the
//    whole group gets SIGTERM, then SIGKILL after `kill_grace`, and is reaped;
//  - Run() returns within timeout + kill_grace + a few ms, whatever the child does;
//  - stdout/stderr are captured up to `max_output_bytes` each (the rest dropped,
//    `output_truncated` set), so a chatty child cannot exhaust memory.
// Thread-safety: Run() may be called concurrently from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

struct rusage;

namespace ksearch {

struct ProcessSpec {
  std::vector<std::string> argv;                // argv[0] is the program (PATH searched)
  std::map<std::string, std::string> env_set;   // added to / overriding the parent's env
  std::vector<std::string> env_unset;
  bool clear_env = false;                       // start from an empty environment
  std::string cwd;                              // empty: inherit
  std::string stdin_data;                       // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds kill_grace{2000};
  size_t max_output_bytes = 8 << 20;
};

struct ProcessResult {
  bool started = false;      // false: exec failed (see error)
  bool timed_out = false;    // killed because the wall-clock limit passed
  int exit_code = -1;        // valid when exited normally
  int term_signal = 0;       // non-zero when killed by a signal
  bool output_truncated = false;
  std::string stdout_data;
  std::string stderr_data;
  double wall_seconds = 0;
  double cpu_seconds = 0;    // user+sys of the child (and its reaped children)
  int wakeups = 0;           // times the launcher's wait loop woke (output, exit, deadlines, ticks)
  int idle_wakeups = 0;      // of those, the ones with nothing ready: deadlines and ticks only
  std::string error;         // launch error text
  // With started false: the program itself could not be run (not found, not
  // executable, not a program), rather than the launch's own resources failing
  // (descriptors, memory, processes).
  bool program_missing = false;

  bool Succeeded() const { return started && !timed_out && term_signal == 0 && exit_code == 0; }
  // "exit 1", "signal 11 (SIGSEGV)", "timeout after 3.0 s", "failed to start: ..."
  std::string Describe() const;
};

class ProcessLauncher {
 public:
  ProcessLauncher() = default;
  ProcessLauncher(const ProcessLauncher&) = delete;
  ProcessLauncher& operator=(const ProcessLauncher&) = delete;
  virtual ~ProcessLauncher() = default;

  virtual ProcessResult Run(const ProcessSpec& spec) = 0;
};

class PosixProcessLauncher final : public ProcessLauncher {
 public:
  ProcessResult Run(const ProcessSpec& spec) override;
  // SIGKILLs the process group of every child running now (shutdown); their
  // Run() calls return promptly with the signal recorded.
  void KillAll();
  static PosixProcessLauncher& Instance();
};

// The launch step of PosixProcessLauncher::Run, for callers that wait for the
// child themselves (workers' AsyncChildRunner): starts spec.argv with spec.env_*
// and spec.cwd (stdin_data, timeout and output limits are the caller's) with
// the given descriptors as its stdin, stdout and stderr, in its own process
// group, killed with the calling thread (PR_SET_PDEATHSIG) and killed by
// KillAll() until ForgetChild. It returns once the child has executed (or
// failed to: pid -1 and error). file_size_limit > 0 sets the child's
// RLIMIT_FSIZE (its descendants inherit it). The caller owns pid_fd (-1 on
// kernels before 5.3), must reap pid and then call ForgetChild(pid).
struct SpawnedChild {
  int pid = -1;
  int pid_fd = -1;
  std::string error;
  bool program_missing = false;  // as ProcessResult::program_missing
};
SpawnedChild SpawnChild(const ProcessSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd,
                        uint64_t file_size_limit = 0);
void ForgetChild(int pid);
// What wait4 reported for a reaped child, into `r`: exit_code or term_signal
// from the wait status, and cpu_seconds from `usage` when given.
void RecordWaitStatus(ProcessResult& r, int wait_status, const struct rusage* usage);

// Finds an executable: `name` with a '/' is returned as is if executable;
// otherwise PATH is searched. Empty when not found.
std::string FindExecutable(const std::string& name);

}  // namespace ksearch
