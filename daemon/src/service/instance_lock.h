// InstanceLock: at most one ksearchd per experiment log.
//
// Two daemons on one log would both rebuild its campaigns, mark each other's
// in-flight attempts interrupted, retry them, and number new attempts from
// their own counts (duplicate attempt ids). The lock is flock(2) on
// "<database>.lock", held for the daemon's life and released by the kernel
// however the process ends (SIGKILL included), so a crash never leaves a
// stale lock. Readers (`ksearch log verify`, `deadends`, `export`) do not take
// it. The file holds the holder's pid, for the refusal's message.
#pragma once

#include <string>

#include "ksearch/core/status.h"

namespace ksearch::daemon {

class InstanceLock {
 public:
  // FailedPrecondition naming the other holder's pid when the log is taken;
  // IoError when the lock file cannot be opened.
  static Result<InstanceLock> Acquire(const std::string& database);

  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  ~InstanceLock();

  const std::string& path() const { return path_; }

 private:
  InstanceLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;  // open, close-on-exec (evaluation children must not hold it)
  std::string path_;
};

}  // namespace ksearch::daemon
