// syscall_cost: what the system calls a daemon attempt makes cost this
// process, in wall time and in the process's own CPU time (getrusage, the
// figure /proc/PID/stat reports and throughput.py reads). Run it on two
// machines to see how much of a difference in the daemon's CPU per attempt
// the kernel (or a sandbox such as gVisor) accounts for.
//
//     syscall_cost [ITERATIONS]        (default 20000; process launches: /100)
//
// One line per operation: `op  wall_us  cpu_us` per call. The operations are
// the ones `strace -c` counts most on a running ksearchd (docs/bench-daemon.md):
// the WAL's pwrite and fcntl locks, pipes, poll, futex, epoll and the
// launcher's vfork + execve + wait4.
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

extern char** environ;

namespace {

// User+system CPU of RUSAGE_SELF or RUSAGE_CHILDREN, in microseconds.
double CpuUs(int who) {
  rusage u{};
  getrusage(who, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

void Measure(const char* name, long n, const std::function<void()>& op) {
  for (long i = 0; i < n / 10 + 1; ++i) op();  // warm caches and page tables
  const double cpu0 = CpuUs(RUSAGE_SELF), child0 = CpuUs(RUSAGE_CHILDREN);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) op();
  const double wall = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuUs(RUSAGE_SELF) - cpu0, child = CpuUs(RUSAGE_CHILDREN) - child0;
  std::printf("%-34s %9.2f %9.2f", name, wall / n, cpu / n);
  if (child > 0) std::printf("   children %8.2f", child / n);
  std::printf("\n");
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "syscall_cost: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 20000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: syscall_cost [ITERATIONS > 0]\n");
    return 2;
  }
  char dir[] = "/tmp/syscall-cost-XXXXXX";
  Check(mkdtemp(dir) != nullptr, "mkdtemp");
  const std::string file = std::string(dir) + "/wal";
  const int fd = open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  Check(fd >= 0, "open");
  std::array<char, 4096> page{};
  page.fill('w');

  std::printf("%-34s %9s %9s   (per call, microseconds)\n", "operation", "wall", "cpu");
  Measure("getppid", n, [] { (void)getppid(); });
  Measure("clock_gettime (vDSO)", n, [] {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
  });
  long off = 0;
  Measure("pwrite 4 KiB (a WAL frame)", n, [&] {
    Check(pwrite(fd, page.data(), page.size(), off) == static_cast<ssize_t>(page.size()), "pwrite");
    off = (off + 4096) % (4096L * 256);
  });
  Measure("pread 4 KiB", n, [&] {
    Check(pread(fd, page.data(), page.size(), 0) == static_cast<ssize_t>(page.size()), "pread");
  });
  Measure("fcntl F_SETLK lock + unlock (2)", n, [&] {
    struct flock l{};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 120;
    l.l_len = 1;
    Check(fcntl(fd, F_SETLK, &l) == 0, "fcntl lock");
    l.l_type = F_UNLCK;
    Check(fcntl(fd, F_SETLK, &l) == 0, "fcntl unlock");
  });
  Measure("pipe2 + 2 close (3)", n, [] {
    int p[2];
    Check(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    close(p[0]);
    close(p[1]);
  });
  int p[2];
  Check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
  Measure("poll 1 fd, timeout 0", n, [&] {
    pollfd f{p[0], POLLIN, 0};
    (void)poll(&f, 1, 0);
  });
  Measure("write + read 64 B through a pipe (2)", n, [&] {
    char b[64] = {};
    Check(write(p[1], b, sizeof b) == sizeof b, "write");
    Check(read(p[0], b, sizeof b) == sizeof b, "read");
  });
  int word = 0;
  Measure("futex wake, no waiter", n, [&] { syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0); });
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  Check(ep >= 0, "epoll_create1");
  Measure("epoll_wait, timeout 0", n, [&] {
    epoll_event e{};
    (void)epoll_wait(ep, &e, 1, 0);
  });
  const long launches = n / 100 > 0 ? n / 100 : 1;
  Measure("vfork + execve /bin/true + wait4", launches, [] {
    const pid_t pid = vfork();
    if (pid == 0) {
      char* args[] = {const_cast<char*>("/bin/true"), nullptr};
      execve("/bin/true", args, environ);
      _exit(127);
    }
    Check(pid > 0, "vfork");
    int status = 0;
    Check(waitpid(pid, &status, 0) == pid, "waitpid");
  });
  Measure("posix_spawn /bin/true + wait4", launches, [] {
    pid_t pid = 0;
    char* args[] = {const_cast<char*>("/bin/true"), nullptr};
    Check(posix_spawn(&pid, "/bin/true", nullptr, nullptr, args, environ) == 0, "posix_spawn");
    int status = 0;
    Check(waitpid(pid, &status, 0) == pid, "waitpid");
  });
  close(fd);
  unlink(file.c_str());
  rmdir(dir);
  return 0;
}
