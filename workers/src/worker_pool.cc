#include "ksearch/workers/worker_pool.h"

#include "ksearch/workers/devices.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <pthread.h>

#include <chrono>

namespace ksearch::workers {

namespace {
// Names show in /proc/PID/task/*/comm, so per-thread CPU can be attributed
// (bench/daemon/throughput.py reports it). Linux limits a name to 15 bytes.
void NameThread(std::thread& t, std::string name) {
  if (name.size() > 15) name.resize(15);
  pthread_setname_np(t.native_handle(), name.c_str());
}
}  // namespace

std::string_view SlotKindFor(Backend backend) { return backend == Backend::kHost ? "host" : "gpu"; }

WorkerPool::WorkerPool(boost::asio::io_context& io, EvalBackend& backend, PoolOptions options)
    : io_(io),
      backend_(backend),
      canary_(std::move(options.canary)),
      on_canary_(std::move(options.on_canary)),
      monitor_(std::make_unique<CanaryMonitor>(canary_.policy)) {
  for (auto& s : options.slots) {
    SlotStatus st;
    st.spec = std::move(s);
    slots_.push_back(std::move(st));
  }
  int compile_threads = std::max(1, options.compile_threads);
  for (int i = 0; i < compile_threads; ++i) {
    threads_.emplace_back([this] { CompileLoop(); });
    NameThread(threads_.back(), "ks-build" + std::to_string(i));
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    threads_.emplace_back([this, i] { SlotLoop(i); });
    NameThread(threads_.back(), "ks-" + slots_[i].spec.name);
  }
}

WorkerPool::~WorkerPool() {
  Shutdown();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void WorkerPool::SubmitBuild(BuildRequest request, BuildDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      builds_.push_back({std::move(request), std::move(done)});
      build_cv_.notify_one();
      return;
    }
  }
  BuildResult r;
  r.verdict = {VerdictKind::kInterrupted, "shutdown", "worker pool is shutting down"};
  boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

void WorkerPool::SubmitRun(RunRequest request, RunDone done) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopping_) {
      // The queue never holds work no in-service slot can take (SetInService
      // sweeps it), so only this request needs the check.
      if (HasSlotForLocked(request.backend)) {
        runs_.push_back({std::move(request), std::move(done)});
        slot_cv_.notify_all();
        return;
      }
      lock.unlock();
      std::deque<RunItem> orphan;
      orphan.push_back({std::move(request), std::move(done)});
      FailRuns(std::move(orphan));
      return;
    }
  }
  RunResult r;
  r.verdict = {VerdictKind::kInterrupted, "shutdown", "worker pool is shutting down"};
  boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable {
    done(std::move(r), SlotStatus{});
  });
}

PoolStats WorkerPool::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PoolStats s;
  s.build_queue = builds_.size();
  s.builds_running = builds_running_;
  for (const auto& item : runs_)
    (item.request.backend == Backend::kHost ? s.run_queue_host : s.run_queue_gpu)++;
  s.slots = slots_;
  const auto now = std::chrono::steady_clock::now();
  for (auto& slot : s.slots)
    if (slot.busy && !slot.canary_running) slot.busy_seconds += std::chrono::duration<double>(now - slot.busy_since).count();
  return s;
}

bool WorkerPool::HasSlotFor(Backend backend) const {
  std::lock_guard<std::mutex> lock(mu_);
  return HasSlotForLocked(backend);
}

bool WorkerPool::HasSlotForLocked(Backend backend) const {
  for (const auto& s : slots_)
    if (s.in_service && s.spec.kind == SlotKindFor(backend)) return true;
  return false;
}

void WorkerPool::SetInService(const std::string& slot_name, bool in_service,
                              const std::string& reason) {
  std::deque<RunItem> orphans;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : slots_) {
      if (s.spec.name != slot_name) continue;
      s.in_service = in_service;
      s.out_of_service_reason = in_service ? "" : reason;
    }
    orphans = TakeOrphanedRuns();
    slot_cv_.notify_all();
  }
  FailRuns(std::move(orphans));
}

std::deque<WorkerPool::RunItem> WorkerPool::TakeOrphanedRuns() {
  std::deque<RunItem> orphans;
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (HasSlotForLocked(it->request.backend)) {
      ++it;
      continue;
    }
    orphans.push_back(std::move(*it));
    it = runs_.erase(it);
  }
  return orphans;
}

void WorkerPool::FailRuns(std::deque<RunItem> items) {
  for (auto& item : items) {
    RunResult r;
    r.verdict = {VerdictKind::kInfraError, "no_slot",
                 "no " + std::string(SlotKindFor(item.request.backend)) +
                     " slot in service (failed health check or canary)"};
    boost::asio::post(io_, [done = std::move(item.done), r = std::move(r)]() mutable {
      done(std::move(r), SlotStatus{});
    });
  }
}

std::chrono::steady_clock::time_point WorkerPool::CanaryDueAt(size_t slot_index) const {
  using Clock = std::chrono::steady_clock;
  const SlotStatus& slot = slots_[slot_index];
  if (!slot.in_service || !canary_.run.count(slot.spec.kind) || canary_error_.count(slot.spec.kind))
    return Clock::time_point::max();
  if (!slot.canary_done || monitor_->CanaryDue(slot.spec.name, slot.evaluations_since_canary))
    return Clock::time_point::min();
  if (canary_.interval.count() > 0) return slot.last_canary + canary_.interval;
  return Clock::time_point::max();
}

void WorkerPool::RunCanary(size_t slot_index) {
  // A slot's spec never changes after construction: read without mu_.
  const std::string& kind = slots_[slot_index].spec.kind;
  const std::string& name = slots_[slot_index].spec.name;
  CanaryReport report;
  report.slot = name;
  std::string artifact;
  {
    // Built once per kind; a second slot waiting here gets the cached artifact.
    std::lock_guard<std::mutex> build_lock(canary_build_mu_);
    auto it = canary_artifact_.find(kind);
    std::string failed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto e = canary_error_.find(kind); e != canary_error_.end()) failed = e->second;
    }
    if (it != canary_artifact_.end()) {
      artifact = it->second;
    } else if (!failed.empty()) {
      report.error = failed;  // another slot's build of this kind failed while this one waited
    } else {
      BuildResult built = backend_.Build(canary_.build.at(kind));
      if (built.ok) {
        artifact = canary_artifact_[kind] = built.artifact_path;
      } else {
        // The compiler, not the device, failed: canaries stop for this kind and
        // the slots stay in service (a build never touches the device).
        report.error = "canary build failed: " + built.verdict.ToString() + " " + built.verdict.detail;
        std::lock_guard<std::mutex> lock(mu_);
        canary_error_[kind] = report.error;
      }
    }
  }
  if (!artifact.empty()) {
    RunRequest r = canary_.run.at(kind);
    r.artifact_path = artifact;
    r.device = slots_[slot_index].spec.device;
    r.work_dir += "/" + name;
    const auto start = std::chrono::steady_clock::now();
    report.result = backend_.Run(r);
    report.ran = true;
    const auto end = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      SlotStatus& s = slots_[slot_index];
      s.canaries++;
      s.canary_done = true;
      s.evaluations_since_canary = 0;
      s.last_canary = end;
      s.canary_seconds += std::chrono::duration<double>(end - start).count();
      if (report.result.time_us > 0) s.last_canary_time_us = report.result.time_us;
      report.out_of_service = monitor_->Observe(name, report.result);
    }
    // The slot is still busy with this canary, so nothing is taken from it meanwhile.
    if (!report.out_of_service.empty()) SetInService(name, false, report.out_of_service);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[slot_index].busy = false;
    slots_[slot_index].canary_running = false;
    slot_cv_.notify_all();
  }
  if (on_canary_)
    boost::asio::post(io_, [cb = on_canary_, report = std::move(report)] { cb(report); });
}

void WorkerPool::Shutdown() {
  std::deque<BuildItem> builds;
  std::deque<RunItem> runs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    builds.swap(builds_);
    runs.swap(runs_);
    build_cv_.notify_all();
    slot_cv_.notify_all();
  }
  for (auto& b : builds) {
    BuildResult r;
    r.verdict = {VerdictKind::kInterrupted, "shutdown", "queued build cancelled at shutdown"};
    boost::asio::post(io_, [done = std::move(b.done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
  for (auto& item : runs) {
    RunResult r;
    r.verdict = {VerdictKind::kInterrupted, "shutdown", "queued evaluation cancelled at shutdown"};
    boost::asio::post(io_, [done = std::move(item.done), r = std::move(r)]() mutable {
      done(std::move(r), SlotStatus{});
    });
  }
}

void WorkerPool::CompileLoop() {
  while (true) {
    BuildItem item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      build_cv_.wait(lock, [&] { return stopping_ || !builds_.empty(); });
      if (stopping_ && builds_.empty()) return;
      item = std::move(builds_.front());
      builds_.pop_front();
      ++builds_running_;
    }
    BuildResult result = backend_.Build(item.request);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --builds_running_;
    }
    boost::asio::post(io_, [done = std::move(item.done), r = std::move(result)]() mutable {
      done(std::move(r));
    });
  }
}

bool WorkerPool::TakeRunFor(size_t slot_index, RunItem& item) {
  const SlotStatus& slot = slots_[slot_index];
  if (!slot.in_service) return false;
  for (auto it = runs_.begin(); it != runs_.end(); ++it) {
    if (SlotKindFor(it->request.backend) != slot.spec.kind) continue;
    item = std::move(*it);
    runs_.erase(it);
    return true;
  }
  return false;
}

void WorkerPool::SlotLoop(size_t slot_index) {
  while (true) {
    RunItem item;
    bool canary = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (true) {
        if (stopping_) break;
        // A canary runs between evaluations, never during one; it goes first
        // when due, so a slot's first evaluation follows its first canary.
        auto due = CanaryDueAt(slot_index);
        if (due <= std::chrono::steady_clock::now()) {
          canary = true;
          break;
        }
        if (TakeRunFor(slot_index, item)) break;
        if (due == std::chrono::steady_clock::time_point::max()) slot_cv_.wait(lock);
        else slot_cv_.wait_until(lock, due);
      }
      SlotStatus& s = slots_[slot_index];
      if (canary) {
        s.busy = true;  // busy_seconds leaves canary time out
        s.canary_running = true;
      } else {
        if (!item.done) return;  // stopping and nothing taken
        s.busy = true;
        s.busy_since = std::chrono::steady_clock::now();
        item.request.device = s.spec.device;
      }
    }
    if (canary) {
      RunCanary(slot_index);
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    RunResult result = backend_.Run(item.request);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    SlotStatus snapshot;
    {
      std::lock_guard<std::mutex> lock(mu_);
      SlotStatus& s = slots_[slot_index];
      s.busy = false;
      s.evaluations++;
      s.evaluations_since_canary++;
      s.busy_seconds += seconds;
      snapshot = s;
    }
    boost::asio::post(io_, [done = std::move(item.done), r = std::move(result),
                            snapshot = std::move(snapshot)]() mutable { done(std::move(r), snapshot); });
  }
}

}  // namespace ksearch::workers
