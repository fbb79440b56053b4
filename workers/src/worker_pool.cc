#include "ksearch/workers/worker_pool.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace ksearch::workers {

std::string_view SlotKindFor(Backend backend) { return backend == Backend::kHost ? "host" : "gpu"; }

WorkerPool::WorkerPool(boost::asio::io_context& io, EvalBackend& backend, PoolOptions options)
    : io_(io), backend_(backend) {
  for (auto& s : options.slots) {
    SlotStatus st;
    st.spec = std::move(s);
    slots_.push_back(std::move(st));
  }
  int compile_threads = std::max(1, options.compile_threads);
  for (int i = 0; i < compile_threads; ++i) threads_.emplace_back([this] { CompileLoop(); });
  for (size_t i = 0; i < slots_.size(); ++i) threads_.emplace_back([this, i] { SlotLoop(i); });
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
      cv_.notify_all();
      return;
    }
  }
  BuildResult r;
  r.verdict = {VerdictKind::kInterrupted, "shutdown", "worker pool is shutting down"};
  boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

void WorkerPool::SubmitRun(RunRequest request, RunDone done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      runs_.push_back({std::move(request), std::move(done)});
      cv_.notify_all();
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
    if (slot.busy) slot.busy_seconds += std::chrono::duration<double>(now - slot.busy_since).count();
  return s;
}

bool WorkerPool::HasSlotFor(Backend backend) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : slots_)
    if (s.in_service && s.spec.kind == SlotKindFor(backend)) return true;
  return false;
}

void WorkerPool::SetInService(const std::string& slot_name, bool in_service,
                              const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : slots_) {
    if (s.spec.name != slot_name) continue;
    s.in_service = in_service;
    s.out_of_service_reason = in_service ? "" : reason;
  }
  cv_.notify_all();
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
    cv_.notify_all();
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
      cv_.wait(lock, [&] { return stopping_ || !builds_.empty(); });
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
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || TakeRunFor(slot_index, item); });
      if (!item.done) return;  // stopping and nothing taken
      slots_[slot_index].busy = true;
      slots_[slot_index].busy_since = std::chrono::steady_clock::now();
      item.request.device = slots_[slot_index].spec.device;
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
      s.busy_seconds += seconds;
      snapshot = s;
      cv_.notify_all();
    }
    boost::asio::post(io_, [done = std::move(item.done), r = std::move(result),
                            snapshot = std::move(snapshot)]() mutable { done(std::move(r), snapshot); });
  }
}

}  // namespace ksearch::workers
