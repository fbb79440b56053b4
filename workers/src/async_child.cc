#include "async_child.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

namespace ksearch::workers {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct AsyncChildRunner::Child {
  Child(asio::io_context& io) : exit_wait(io), timer(io) {}
  int pid = -1;
  int out_fd = -1, err_fd = -1;
  asio::posix::stream_descriptor exit_wait;  // owns the pidfd once open
  asio::steady_timer timer;                  // the deadline, then the kill grace (or the tick without a pidfd)
  // exit_wait.is_open(): the exit is watched as a pidfd; otherwise wait4 on a tick.
  bool term_sent = false, kill_sent = false;
  bool reaped = false;  // its handlers still queued then do nothing (its pid may be reused)
  Clock::time_point start, deadline, kill_at;
  std::chrono::milliseconds kill_grace{0};
  size_t max_output_bytes = 0;
  ProcessResult result;
  std::function<void(ProcessResult)> done;
};

namespace {

int MemoryFile(const char* name) { return memfd_create(name, MFD_CLOEXEC); }

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return lseek(fd, 0, SEEK_SET) == 0;
}

// At most `cap` bytes of the memory file, from its start.
std::string ReadCapped(int fd, size_t cap, bool& truncated) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) return "";
  const size_t size = size_t(st.st_size);
  if (size > cap) truncated = true;
  std::string out(std::min(size, cap), '\0');
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = pread(fd, out.data() + off, out.size() - off, off_t(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += size_t(n);
  }
  out.resize(off);
  return out;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

AsyncChildRunner::~AsyncChildRunner() { CancelAll(); }

void AsyncChildRunner::Start(const ProcessSpec& spec, std::function<void(ProcessResult)> done) {
  auto c = std::make_shared<Child>(io_);
  c->done = std::move(done);
  c->kill_grace = spec.kill_grace;
  c->max_output_bytes = spec.max_output_bytes;
  c->start = Clock::now();
  c->deadline = c->start + spec.timeout;
  int in_fd = MemoryFile("ksearch-stdin");
  c->out_fd = MemoryFile("ksearch-stdout");
  c->err_fd = MemoryFile("ksearch-stderr");
  SpawnedChild child;
  if (in_fd < 0 || c->out_fd < 0 || c->err_fd < 0) {
    child.error = std::string("memfd_create: ") + strerror(errno);
  } else if (!WriteAll(in_fd, spec.stdin_data)) {
    child.error = std::string("writing the child's stdin: ") + strerror(errno);
  } else {
    child = SpawnChild(spec, in_fd, c->out_fd, c->err_fd, kFileSizeLimit);
  }
  CloseFd(in_fd);
  if (child.pid < 0) {
    c->result.error = child.error;
    c->result.program_missing = child.program_missing;
    CloseFd(c->out_fd);
    CloseFd(c->err_fd);
    asio::post(io_, [c] { c->done(std::move(c->result)); });
    return;
  }
  c->pid = child.pid;
  c->result.started = true;
  if (child.pid_fd >= 0) c->exit_wait.assign(child.pid_fd);
  children_[c->pid] = c;
  Arm(c);
  if (c->exit_wait.is_open()) ArmDeadline(c);
}

void AsyncChildRunner::ArmDeadline(const std::shared_ptr<Child>& c) {
  c->timer.expires_at(c->term_sent ? c->kill_at : c->deadline);
  c->timer.async_wait([this, c](const boost::system::error_code& ec) {
    if (ec || c->reaped) return;
    Deadline(c);
    if (!c->kill_sent) ArmDeadline(c);
  });
}

void AsyncChildRunner::Arm(const std::shared_ptr<Child>& c) {
  if (c->exit_wait.is_open()) {
    c->exit_wait.async_wait(asio::posix::stream_descriptor::wait_read,
                            [this, c](const boost::system::error_code& ec) {
                              if (ec || c->reaped) return;
                              ++c->result.wakeups;
                              if (!TryFinish(c, false)) Arm(c);
                            });
    return;
  }
  // No pidfd (kernels before 5.3): ask wait4 every 20 ms; the deadline is
  // checked on the same tick.
  c->timer.expires_after(std::chrono::milliseconds(20));
  c->timer.async_wait([this, c](const boost::system::error_code& ec) {
    if (ec || c->reaped) return;
    ++c->result.wakeups;
    ++c->result.idle_wakeups;
    if (TryFinish(c, false)) return;
    Deadline(c);
    Arm(c);
  });
}

void AsyncChildRunner::Deadline(const std::shared_ptr<Child>& c) {
  // SIGTERM to the group at the deadline, SIGKILL after the grace; the exit
  // that follows is reaped as any other.
  const auto now = Clock::now();
  if (!c->term_sent && now >= c->deadline) {
    c->result.timed_out = true;
    kill(-c->pid, SIGTERM);
    c->term_sent = true;
    c->kill_at = now + c->kill_grace;
  } else if (c->term_sent && !c->kill_sent && now >= c->kill_at) {
    kill(-c->pid, SIGKILL);
    c->kill_sent = true;
  }
}

bool AsyncChildRunner::TryFinish(const std::shared_ptr<Child>& c, bool wait) {
  int status = 0;
  struct rusage ru {};
  pid_t w;
  do {
    w = wait4(c->pid, &status, wait ? 0 : WNOHANG, &ru);
  } while (w < 0 && errno == EINTR);
  if (w != c->pid) return false;
  c->reaped = true;
  kill(-c->pid, SIGKILL);  // no orphans from the group outlive the run
  ForgetChild(c->pid);
  children_.erase(c->pid);
  boost::system::error_code ignored;
  c->timer.cancel();
  c->exit_wait.close(ignored);
  ProcessResult& r = c->result;
  RecordWaitStatus(r, status, &ru);
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - c->start).count();
  r.stdout_data = ReadCapped(c->out_fd, c->max_output_bytes, r.output_truncated);
  r.stderr_data = ReadCapped(c->err_fd, c->max_output_bytes, r.output_truncated);
  CloseFd(c->out_fd);
  CloseFd(c->err_fd);
  auto done = std::move(c->done);
  done(std::move(r));
  return true;
}

void AsyncChildRunner::CancelAll() {
  while (!children_.empty()) {
    std::shared_ptr<Child> c = children_.begin()->second;
    kill(-c->pid, SIGKILL);
    if (!TryFinish(c, true)) {  // not our child any more (cannot happen): drop it
      children_.erase(c->pid);
      ForgetChild(c->pid);
    }
  }
}

}  // namespace ksearch::workers
