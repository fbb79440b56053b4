#pragma once
// AsyncChildRunner: runs a child as PosixProcessLauncher::Run does (the same
// ProcessSpec in, the same ProcessResult out: hard wall-clock limit, SIGTERM
// then SIGKILL to its process group, output capped at max_output_bytes) with
// no thread waiting for it. The child's stdin is a memory file holding
// stdin_data, its stdout and stderr are memory files read once it has exited,
// and its exit is a pidfd watched on `io`. So a child costs the io thread one
// wake-up, at its exit. A thread per child woke for the job, for each burst of
// the child's output and for its exit, and then woke the io thread; on the
// lent GPU machines each wake-up after a sleep costs tens of microseconds of
// CPU and the work after it runs on cold caches (docs/bench-daemon.md).
//
// Output bound: a memory file is not drained while the child runs, so the
// child (and its descendants) get RLIMIT_FSIZE = kFileSizeLimit and die of
// SIGXFSZ if they write more to any one file. This is for trusted children
// (ksearch-evaluate), whose output is already bounded; candidate code runs
// under the evaluator's own blocking launcher.
//
// Threading: Start() and the callbacks run on io's thread; CancelAll() on
// io's thread or while io is not running. Ownership: `io` outlives the runner.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "ksearch/core/process.h"

namespace ksearch::workers {

class AsyncChildRunner {
 public:
  static constexpr uint64_t kFileSizeLimit = uint64_t(1) << 30;

  explicit AsyncChildRunner(boost::asio::io_context& io) : io_(io) {}
  AsyncChildRunner(const AsyncChildRunner&) = delete;
  AsyncChildRunner& operator=(const AsyncChildRunner&) = delete;
  ~AsyncChildRunner();  // CancelAll()

  // Starts the child; `done` runs exactly once, on io's thread (also when the
  // child could not start), or inside CancelAll().
  void Start(const ProcessSpec& spec, std::function<void(ProcessResult)> done);
  // SIGKILLs every running child's group, reaps it and runs its `done` now.
  void CancelAll();
  size_t running() const { return children_.size(); }

 private:
  struct Child;
  void Arm(const std::shared_ptr<Child>& c);   // waits for the exit again
  void ArmDeadline(const std::shared_ptr<Child>& c);  // the timer, to the next of deadline and kill
  void Deadline(const std::shared_ptr<Child>& c);     // SIGTERM or SIGKILL when due
  // Reaps with WNOHANG (blocking when `wait`); true once the child is reaped and done ran.
  bool TryFinish(const std::shared_ptr<Child>& c, bool wait);

  boost::asio::io_context& io_;
  std::map<int, std::shared_ptr<Child>> children_;  // by pid: unique until reaped
};

}  // namespace ksearch::workers
