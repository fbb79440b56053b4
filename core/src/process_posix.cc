// PosixProcessLauncher: fork/exec with pipes, poll(2) for output and deadline,
// process-group kill on timeout. See process.h for the guarantees.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <sstream>
#include <mutex>
#include <set>
#include <thread>

#include "ksearch/core/process.h"

extern char** environ;

namespace ksearch {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// In the vfork child: makes `fd` the child's `target` descriptor, open across
// execve. dup2 onto another number clears close-on-exec on the copy; onto
// itself (a parent started with 0, 1 or 2 closed) it does not, so clear it.
void MoveTo(int fd, int target) {
  if (fd == target) {
    fcntl(fd, F_SETFD, 0);
  } else {
    dup2(fd, target);
  }
}
void SetNonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// What the vfork child needs, prepared by the parent before vfork: the child
// may not allocate, and reads only this (and what it points at).
struct ChildSetup {
  const sigset_t* saved_mask;  // the parent's mask, restored before execve
  pid_t parent_pid;
  int stdin_fd, stdout_fd, stderr_fd;
  // Where the child leaves errno when chdir or execve fails, before _exit.
  // The vfork child shares the parent's memory and the parent resumes only
  // once the child has executed or exited, so the parent reads them after
  // vfork returns: no pipe (pipe2, two closes and a read per child) is needed.
  // volatile: the stores happen on a path the compiler does not see return.
  volatile int* chdir_errno;
  volatile int* exec_errno;
  const char* cwd;  // nullptr: stay in the parent's directory
  const char* exe;
  char* const* argv;
  char* const* envp;
  uint64_t file_size_limit;  // RLIMIT_FSIZE for the child; 0: inherited
};

// The vfork child, in a frame of its own. The child runs on the parent's
// stack until execve; were this code inline in Run, the compiler could give
// its locals (the sigaction buffers, errno copies) the stack slots of Run's
// variables that are dead on the child's path but live on the parent's after
// vfork returns, and the child's writes would corrupt them (GCC warned
// -Wclobbered there in an -O1 sanitizer build). Called below Run's frame,
// this function writes only below the parent's stack pointer. Syscalls only;
// it never returns.
[[noreturn]] __attribute__((noinline)) void ExecChild(const ChildSetup& c) {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, nullptr, &sa) != 0) continue;
    if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
      sa.sa_handler = SIG_DFL;
      sa.sa_flags = 0;
      sigaction(sig, &sa, nullptr);
    }
  }
  pthread_sigmask(SIG_SETMASK, c.saved_mask, nullptr);
  setpgid(0, 0);
  // The child is in its own process group, so a parent killed with SIGKILL
  // would leave it running: tie its life to the launching thread instead.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != c.parent_pid) _exit(127);  // the parent died before prctl
  MoveTo(c.stdin_fd, 0);
  MoveTo(c.stdout_fd, 1);
  MoveTo(c.stderr_fd, 2);
  if (c.file_size_limit > 0) {
    const rlimit lim{c.file_size_limit, c.file_size_limit};
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  if (c.cwd != nullptr && chdir(c.cwd) != 0) {
    *c.chdir_errno = errno;
    _exit(127);
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  execve(c.exe, c.argv, c.envp);
  *c.exec_errno = errno;
  _exit(127);
}

// The child's environment: the parent's entries (unless clear_env) minus the
// keys of env_unset and env_set, then env_set's. `storage` owns the strings
// made here; the parent's entries are pointed at, not copied (the daemon does
// not change its environment while it launches children).
std::vector<char*> BuildEnv(const ProcessSpec& spec, std::vector<std::string>& storage) {
  auto dropped = [&spec](std::string_view key) {
    if (spec.env_set.count(std::string(key)) != 0) return true;
    return std::find(spec.env_unset.begin(), spec.env_unset.end(), key) != spec.env_unset.end();
  };
  std::vector<char*> out;
  if (!spec.clear_env) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      if (!dropped(kv.substr(0, eq))) out.push_back(*e);
    }
  }
  storage.reserve(spec.env_set.size());
  for (const auto& [k, v] : spec.env_set) storage.push_back(k + "=" + v);
  for (std::string& kv : storage) out.push_back(kv.data());
  out.push_back(nullptr);
  return out;
}

// Reads what is available on fd into out (up to cap); returns false at EOF.
bool Drain(int fd, std::string& out, size_t cap, bool& truncated) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      size_t room = out.size() < cap ? cap - out.size() : 0;
      if (size_t(n) > room) truncated = true;
      out.append(buf, std::min<size_t>(size_t(n), room));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// Process groups of running children, for KillAll().
std::mutex g_live_mu;
std::set<pid_t> g_live_groups;

}  // namespace

void PosixProcessLauncher::KillAll() {
  std::lock_guard<std::mutex> lock(g_live_mu);
  for (pid_t pgid : g_live_groups) kill(-pgid, SIGKILL);
}

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string full = dir + "/" + name;
    struct stat st;
    if (stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(full.c_str(), X_OK) == 0)
      return full;
  }
  return "";
}

std::string ProcessResult::Describe() const {
  std::ostringstream os;
  if (!started) {
    os << "failed to start: " << error;
  } else if (timed_out) {
    os.precision(3);
    os << "timeout after " << wall_seconds << " s";
  } else if (term_signal != 0) {
    os << "signal " << term_signal << " (" << strsignal(term_signal) << ")";
  } else {
    os << "exit " << exit_code;
  }
  return os.str();
}

SpawnedChild SpawnChild(const ProcessSpec& spec, int stdin_fd, int stdout_fd, int stderr_fd,
                        uint64_t file_size_limit) {
  SpawnedChild c;
  if (spec.argv.empty()) {
    c.error = "empty argv";
    return c;
  }
  // A path is left to execve, whose errno names what is wrong with it; only a
  // bare name is looked up in PATH here (a path walk per child otherwise).
  std::string exe = spec.argv[0].find('/') != std::string::npos ? spec.argv[0] : FindExecutable(spec.argv[0]);
  if (exe.empty()) {
    c.error = "executable not found: " + spec.argv[0];
    c.program_missing = true;
    return c;
  }
  std::vector<std::string> env_storage;
  std::vector<char*> env_c = BuildEnv(spec, env_storage);
  std::vector<char*> argv_c;
  for (const auto& a : spec.argv) argv_c.push_back(const_cast<char*>(a.c_str()));
  argv_c.push_back(nullptr);

  const pid_t parent_pid = getpid();
  // vfork, not fork: the child shares the daemon's memory until execve, so no
  // page tables are copied and the daemon's threads take no copy-on-write
  // faults meanwhile (fork cost the daemon ~1 ms of CPU per evaluation). The
  // child runs only ExecChild's syscalls. Signals stay blocked across vfork so no
  // handler of the parent's runs on the shared stack; the child resets caught
  // signals to their defaults before it restores the mask and executes.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  volatile int chdir_errno = 0, exec_errno = 0;
  const ChildSetup child{&saved,       parent_pid,  stdin_fd,     stdout_fd,     stderr_fd,
                         &chdir_errno, &exec_errno, spec.cwd.empty() ? nullptr : spec.cwd.c_str(),
                         exe.c_str(),  argv_c.data(), env_c.data(), file_size_limit};
  pid_t pid = vfork();
  if (pid < 0) {
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    c.error = std::string("fork: ") + strerror(e);
    return c;
  }
  if (pid == 0) ExecChild(child);
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  setpgid(pid, pid);  // also from the parent, to close the race with kill below
  {
    std::lock_guard<std::mutex> lock(g_live_mu);
    g_live_groups.insert(pid);
  }
  // vfork returned, so the child has executed (both errnos untouched) or
  // stored one and exited.
  if (const int ce = chdir_errno, ee = exec_errno; ce != 0 || ee != 0) {
    c.error = ce != 0 ? "chdir " + spec.cwd + ": " + strerror(ce) : "exec " + exe + ": " + strerror(ee);
    c.program_missing = ce == 0 && (ee == ENOENT || ee == EACCES || ee == ENOEXEC || ee == ENOTDIR ||
                                    ee == ELOOP || ee == ENAMETOOLONG);
    waitpid(pid, nullptr, 0);
    ForgetChild(pid);
    return c;
  }
  c.pid = pid;
  // A pidfd becomes readable when the child exits. Kernels before 5.3 have
  // none (-1): callers then ask wait4 on a tick.
  c.pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return c;
}

void ForgetChild(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_live_mu);
  g_live_groups.erase(pid);
}

ProcessResult PosixProcessLauncher::Run(const ProcessSpec& spec) {
  ProcessResult r;
  // Every end is close-on-exec; the child's dup2 onto 0, 1 and 2 clears the
  // flag on the copies it keeps. The parent's ends are non-blocking (the loop
  // below polls them); the child's stay blocking.
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(in_pipe, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + strerror(errno);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], in_pipe[0], in_pipe[1]})
      if (fd >= 0) close(fd);
    return r;
  }
  auto start = std::chrono::steady_clock::now();
  SpawnedChild child = SpawnChild(spec, in_pipe[0], out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  if (child.pid < 0) {
    r.error = child.error;
    r.program_missing = child.program_missing;
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(in_pipe[1]);
    return r;
  }
  const pid_t pid = child.pid;
  r.started = true;

  // Feed stdin (non-blocking, interleaved with reading output).
  SetNonblock(out_pipe[0]);
  SetNonblock(err_pipe[0]);
  SetNonblock(in_pipe[1]);
  size_t in_off = 0;
  int in_fd = in_pipe[1];
  if (spec.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }

  const SteadyTime deadline = start + spec.timeout;
  // With the pidfd the loop below sleeps in poll(2) until output, exit or the
  // next deadline instead of waking every 20 ms to ask wait4 (which cost the
  // daemon ~3 ms of CPU per second of each running child). Without one (kernels
  // before 5.3), the 20 ms tick.
  const int pid_fd = child.pid_fd;
  SteadyTime kill_at{};
  bool term_sent = false, kill_sent = false;
  bool out_open = true, err_open = true;
  int status = 0;
  bool reaped = false;

  while (!reaped || out_open || err_open) {
    auto now = std::chrono::steady_clock::now();
    if (!reaped && !term_sent && now >= deadline) {
      r.timed_out = true;
      kill(-pid, SIGTERM);
      term_sent = true;
      kill_at = now + spec.kill_grace;
    }
    if (term_sent && !kill_sent && now >= kill_at) {
      kill(-pid, SIGKILL);
      kill_sent = true;
    }
    // Once the main child is reaped its group has been killed; a process that
    // escaped the group and still holds a pipe open gets kill_grace, no more.
    if (reaped && kill_sent && now >= kill_at + spec.kill_grace) break;

    pollfd fds[4];
    int nfds = 0;
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_open) { out_idx = nfds; fds[nfds++] = {out_pipe[0], POLLIN, 0}; }
    if (err_open) { err_idx = nfds; fds[nfds++] = {err_pipe[0], POLLIN, 0}; }
    if (in_fd >= 0) { in_idx = nfds; fds[nfds++] = {in_fd, POLLOUT, 0}; }
    int wait_ms = 20;
    int pid_idx = -1;
    if (pid_fd >= 0) {
      if (!reaped) { pid_idx = nfds; fds[nfds++] = {pid_fd, POLLIN, 0}; }
      // Sleep until output, the child's exit (the pidfd) or the next thing this
      // loop must act on by time. There is no periodic wake-up: each one cost the
      // slot thread a context switch per second of every evaluation
      // (docs/bench-daemon.md). While the child runs the deadline is finite, and
      // once it is reaped kill_sent is set, so `next` is always a real time.
      SteadyTime next = SteadyTime::max();
      if (!reaped && !term_sent) next = std::min(next, deadline);
      if (term_sent && !kill_sent) next = std::min(next, kill_at);
      if (reaped && kill_sent) next = std::min(next, kill_at + spec.kill_grace);
      auto left = std::chrono::ceil<Ms>(next - now).count();
      wait_ms = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
    }
    ++r.wakeups;
    if (nfds > 0) {
      int pr = poll(fds, nfds, wait_ms);
      if (pr < 0 && errno != EINTR) break;
      if (pr == 0) ++r.idle_wakeups;
    } else {
      std::this_thread::sleep_for(Ms(wait_ms / 4 + 1));
      ++r.idle_wakeups;
    }
    if (out_idx >= 0 && fds[out_idx].revents)
      out_open = Drain(out_pipe[0], r.stdout_data, spec.max_output_bytes, r.output_truncated);
    if (err_idx >= 0 && fds[err_idx].revents)
      err_open = Drain(err_pipe[0], r.stderr_data, spec.max_output_bytes, r.output_truncated);
    if (in_idx >= 0 && fds[in_idx].revents) {
      if (fds[in_idx].revents & (POLLERR | POLLHUP)) {
        close(in_fd);
        in_fd = -1;
      } else {
        ssize_t w = write(in_fd, spec.stdin_data.data() + in_off, spec.stdin_data.size() - in_off);
        if (w > 0) in_off += size_t(w);
        if (in_off >= spec.stdin_data.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) {
          close(in_fd);
          in_fd = -1;
        }
      }
    }
    // With a pidfd, wait4 only once it reports the exit (not on every output wake-up).
    const bool may_have_exited = pid_fd < 0 || (pid_idx >= 0 && fds[pid_idx].revents != 0) || kill_sent || term_sent;
    if (!reaped && may_have_exited) {
      struct rusage ru;
      pid_t w = wait4(pid, &status, WNOHANG, &ru);
      if (w == pid) {
        reaped = true;
        RecordWaitStatus(r, status, &ru);
        kill(-pid, SIGKILL);  // no orphans from the group outlive the run
        kill_sent = true;
        kill_at = std::chrono::steady_clock::now();
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  if (pid_fd >= 0) close(pid_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (!reaped) {
    waitpid(pid, &status, 0);
    RecordWaitStatus(r, status, nullptr);
  }
  ForgetChild(pid);
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void RecordWaitStatus(ProcessResult& r, int wait_status, const struct rusage* usage) {
  if (WIFEXITED(wait_status)) {
    r.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    r.term_signal = WTERMSIG(wait_status);
  }
  if (usage != nullptr)
    r.cpu_seconds = usage->ru_utime.tv_sec + usage->ru_utime.tv_usec / 1e6 + usage->ru_stime.tv_sec +
                    usage->ru_stime.tv_usec / 1e6;
}

PosixProcessLauncher& PosixProcessLauncher::Instance() {
  static PosixProcessLauncher launcher;
  return launcher;
}

}  // namespace ksearch
