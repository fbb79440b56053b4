#include "ksearch/workers/worker_pool.h"

#include "ksearch/workers/devices.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace ksearch::workers {

struct WorkerPool::CanaryTimer {
  explicit CanaryTimer(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
};

namespace {
// A submission's callback, posted to io (never run inline: callers may hold state).
void PostDone(boost::asio::io_context& io, BuildDone done, BuildResult r) {
  boost::asio::post(io, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}
void PostDone(boost::asio::io_context& io, RunDone done, RunResult r, SlotStatus slot = {}) {
  boost::asio::post(io, [done = std::move(done), r = std::move(r), slot = std::move(slot)]() mutable {
    done(std::move(r), slot);
  });
}
// What work the pool will not run completes with.
template <typename Result>
Result Interrupted(const std::string& why) {
  Result r;
  r.verdict = {VerdictKind::kInterrupted, "shutdown", why};
  return r;
}
}  // namespace

std::string_view SlotKindFor(Backend backend) { return backend == Backend::kHost ? "host" : "gpu"; }

WorkerPool::WorkerPool(boost::asio::io_context& io, EvalBackend& backend, PoolOptions options)
    : io_(io),
      backend_(backend),
      max_builds_(static_cast<size_t>(std::max(1, options.compile_threads))),
      canary_(std::move(options.canary)),
      on_canary_(std::move(options.on_canary)),
      monitor_(std::make_unique<CanaryMonitor>(canary_.policy)),
      canary_timer_(std::make_unique<CanaryTimer>(io)) {
  for (auto& s : options.slots) {
    SlotStatus st;
    st.in_service = s.out_of_service.empty();
    st.out_of_service_reason = s.out_of_service;
    st.spec = std::move(s);
    slots_.push_back(std::move(st));
  }
  // The first canaries are due at once.
  SchedulePump();
}

WorkerPool::~WorkerPool() {
  Shutdown();
  backend_.CancelAll();  // async work: killed, and handled now
  std::vector<Helper> helpers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    helpers.swap(helpers_);
  }
  for (auto& h : helpers) h.thread.join();
  // What the helpers left for io would run after the pool is gone: only the
  // submissions' callbacks go there (every submission completes once).
  std::vector<Finished> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(finished_);
  }
  for (auto& f : left) {
    if (f.what == Finished::What::kBuild) PostDone(io_, std::move(f.build_done), std::move(f.build));
    if (f.what == Finished::What::kRun) PostDone(io_, std::move(f.run_done), std::move(f.run));
  }
  alive_.reset();
}

void WorkerPool::SchedulePump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pump_posted_) return;
    pump_posted_ = true;
  }
  boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) Pump();
  });
}

void WorkerPool::SubmitBuild(BuildRequest request, BuildDone done) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      builds_.push_back({std::move(request), std::move(done)});
      queued = true;
    }
  }
  if (queued) return SchedulePump();
  PostDone(io_, std::move(done), Interrupted<BuildResult>("worker pool is shutting down"));
}

void WorkerPool::SubmitRun(RunRequest request, RunDone done) {
  bool queued = false, orphan = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      // The queue never holds work no in-service slot can take (SetInService
      // sweeps it), so only this request needs the check.
      if (HasSlotForLocked(request.backend)) {
        runs_.push_back({std::move(request), std::move(done)});
        queued = true;
      } else {
        orphan = true;
      }
    }
  }
  if (queued) return SchedulePump();
  if (orphan) {
    std::deque<RunItem> items;
    items.push_back({std::move(request), std::move(done)});
    return FailRuns(std::move(items));
  }
  PostDone(io_, std::move(done), Interrupted<RunResult>("worker pool is shutting down"));
}

PoolStats WorkerPool::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PoolStats s;
  s.build_queue = builds_.size();
  s.builds_running = builds_running_;
  for (const auto& item : runs_)
    (item.request.backend == Backend::kHost ? s.run_queue_host : s.run_queue_gpu)++;
  s.slots = slots_;
  const auto now = Clock::now();
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
  }
  FailRuns(std::move(orphans));
  SchedulePump();  // a slot back in service may take work
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
    PostDone(io_, std::move(item.done), std::move(r));
  }
}

WorkerPool::Clock::time_point WorkerPool::CanaryDueAt(size_t slot_index) const {
  const SlotStatus& slot = slots_[slot_index];
  if (!slot.in_service || !canary_.run.count(slot.spec.kind) || canary_error_.count(slot.spec.kind))
    return Clock::time_point::max();
  if (!slot.canary_done || monitor_->CanaryDue(slot.spec.name, slot.evaluations_since_canary))
    return Clock::time_point::min();
  if (canary_.interval.count() > 0) return slot.last_canary + canary_.interval;
  return Clock::time_point::max();
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

void WorkerPool::Pump() {
  std::vector<BuildItem> builds;
  std::vector<std::pair<size_t, RunItem>> runs;
  std::vector<size_t> canaries;
  Clock::time_point next_canary = Clock::time_point::max();  // the earliest due of the idle slots
  {
    std::lock_guard<std::mutex> lock(mu_);
    pump_posted_ = false;
    if (stopping_) return;
    while (builds_running_ < max_builds_ && !builds_.empty()) {
      builds.push_back(std::move(builds_.front()));
      builds_.pop_front();
      ++builds_running_;
    }
    const auto now = Clock::now();
    for (size_t i = 0; i < slots_.size(); ++i) {
      SlotStatus& s = slots_[i];
      if (s.busy || !s.in_service) continue;
      // A canary runs between evaluations, never during one; it goes first
      // when due, so a slot's first evaluation follows its first canary.
      const auto due = CanaryDueAt(i);
      if (due <= now) {
        s.busy = true;  // busy_seconds leaves canary time out
        s.canary_running = true;
        canaries.push_back(i);
        continue;
      }
      RunItem item;
      if (TakeRunFor(i, item)) {
        s.busy = true;
        s.busy_since = now;
        item.request.device = s.spec.device;
        runs.emplace_back(i, std::move(item));
        continue;
      }
      next_canary = std::min(next_canary, due);
    }
  }
  if (next_canary != Clock::time_point::max()) ArmCanaryTimer(next_canary);
  for (auto& b : builds) {
    Finished f{Finished::What::kBuild};
    f.build_done = std::move(b.done);
    CallBuild(b.request, std::move(f));
  }
  for (size_t i : canaries) StartCanary(i);
  for (auto& [i, item] : runs) {
    Finished f{Finished::What::kRun};
    f.slot = i;
    f.start = Clock::now();
    f.run_done = std::move(item.done);
    CallRun(item.request, std::move(f));
  }
}

void WorkerPool::ArmCanaryTimer(Clock::time_point due) {
  auto& timer = canary_timer_->timer;
  if (timer.expiry() == due) return;  // already waiting for it
  timer.expires_at(due);
  timer.async_wait([this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) Pump();
  });
}

void WorkerPool::CallBuild(const BuildRequest& request, Finished f) {
  if (backend_.async()) {
    backend_.StartBuild(request, [this, f = std::move(f)](BuildResult r) mutable {
      f.build = std::move(r);
      Handle(std::move(f));
    });
    return;
  }
  StartHelper([this, request, f = std::move(f)]() mutable {
    f.build = backend_.Build(request);
    return std::move(f);
  });
}

void WorkerPool::CallRun(const RunRequest& request, Finished f) {
  if (backend_.async()) {
    backend_.StartRun(request, [this, f = std::move(f)](RunResult r) mutable {
      f.run = std::move(r);
      Handle(std::move(f));
    });
    return;
  }
  StartHelper([this, request, f = std::move(f)]() mutable {
    f.run = backend_.Run(request);
    return std::move(f);
  });
}

void WorkerPool::StartHelper(std::function<Finished()> call) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  std::thread t([this, call = std::move(call), ended] {
    Finished f = call();
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_.push_back(std::move(f));
    }
    boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) DrainFinished();
    });
    ended->store(true);
  });
  std::lock_guard<std::mutex> lock(mu_);
  // Join the helpers that have ended, so the list is as long as the calls in flight.
  for (auto it = helpers_.begin(); it != helpers_.end();) {
    if (it->ended->load()) {
      it->thread.join();
      it = helpers_.erase(it);
    } else {
      ++it;
    }
  }
  helpers_.push_back({std::move(t), std::move(ended)});
}

void WorkerPool::DrainFinished() {
  std::vector<Finished> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(finished_);
  }
  for (auto& f : batch) Handle(std::move(f));
}

void WorkerPool::Handle(Finished f) {
  switch (f.what) {
    case Finished::What::kBuild: {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --builds_running_;
      }
      Pump();
      return PostDone(io_, std::move(f.build_done), std::move(f.build));
    }
    case Finished::What::kRun: return HandleRun(std::move(f));
    case Finished::What::kCanaryBuild: return HandleCanaryBuild(std::move(f));
    case Finished::What::kCanaryRun: return HandleCanaryRun(std::move(f));
  }
}

void WorkerPool::HandleRun(Finished f) {
  const double seconds = std::chrono::duration<double>(Clock::now() - f.start).count();
  SlotStatus snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SlotStatus& s = slots_[f.slot];
    s.busy = false;
    s.evaluations++;
    s.evaluations_since_canary++;
    s.busy_seconds += seconds;
    snapshot = s;
  }
  // The slot's next evaluation starts before this one's result is handled.
  Pump();
  PostDone(io_, std::move(f.run_done), std::move(f.run), std::move(snapshot));
}

void WorkerPool::StartCanary(size_t slot_index) {
  // A slot's spec never changes after construction: read without mu_.
  const std::string& kind = slots_[slot_index].spec.kind;
  std::string artifact, failed;
  bool build = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CanaryBuild& cb = canary_builds_[kind];
    if (auto e = canary_error_.find(kind); e != canary_error_.end()) {
      failed = e->second;
    } else if (!cb.artifact.empty()) {
      artifact = cb.artifact;
    } else {
      // Built once per kind; the slots asking meanwhile wait for that build.
      cb.waiting.push_back(slot_index);
      build = !cb.building;
      cb.building = true;
    }
  }
  if (!artifact.empty()) return RunCanaryOn(slot_index, artifact);
  if (!failed.empty()) {
    CanaryReport report;
    report.slot = slots_[slot_index].spec.name;
    report.error = failed;  // another slot's build of this kind failed meanwhile
    return EndCanary(slot_index, std::move(report));
  }
  if (build) {
    Finished f{Finished::What::kCanaryBuild};
    f.kind = kind;
    CallBuild(canary_.build.at(kind), std::move(f));
  }
}

void WorkerPool::HandleCanaryBuild(Finished f) {
  std::vector<size_t> waiting;
  std::string error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CanaryBuild& cb = canary_builds_[f.kind];
    cb.building = false;
    waiting.swap(cb.waiting);
    if (f.build.ok) {
      cb.artifact = f.build.artifact_path;
    } else {
      // The compiler, not the device, failed: canaries stop for this kind and
      // the slots stay in service (a build never touches the device).
      error = canary_error_[f.kind] =
          "canary build failed: " + f.build.verdict.ToString() + " " + f.build.verdict.detail;
    }
  }
  for (size_t slot : waiting) {
    if (error.empty()) {
      RunCanaryOn(slot, f.build.artifact_path);
      continue;
    }
    CanaryReport report;
    report.slot = slots_[slot].spec.name;
    report.error = error;
    EndCanary(slot, std::move(report));
  }
}

void WorkerPool::RunCanaryOn(size_t slot_index, const std::string& artifact) {
  const SlotSpec& spec = slots_[slot_index].spec;
  RunRequest r = canary_.run.at(spec.kind);
  r.artifact_path = artifact;
  r.device = spec.device;
  r.work_dir += "/" + spec.name;
  Finished f{Finished::What::kCanaryRun};
  f.slot = slot_index;
  f.start = Clock::now();
  CallRun(r, std::move(f));
}

void WorkerPool::HandleCanaryRun(Finished f) {
  const std::string& name = slots_[f.slot].spec.name;
  CanaryReport report;
  report.slot = name;
  report.ran = true;
  report.result = std::move(f.run);
  const auto end = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    SlotStatus& s = slots_[f.slot];
    s.canaries++;
    s.canary_done = true;
    s.evaluations_since_canary = 0;
    s.last_canary = end;
    s.canary_seconds += std::chrono::duration<double>(end - f.start).count();
    if (report.result.time_us > 0) s.last_canary_time_us = report.result.time_us;
    report.out_of_service = monitor_->Observe(name, report.result);
  }
  // The slot is still busy with this canary, so nothing is taken from it meanwhile.
  if (!report.out_of_service.empty()) SetInService(name, false, report.out_of_service);
  EndCanary(f.slot, std::move(report));
}

void WorkerPool::EndCanary(size_t slot_index, CanaryReport report) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[slot_index].busy = false;
    slots_[slot_index].canary_running = false;
  }
  if (on_canary_)
    boost::asio::post(io_, [cb = on_canary_, report = std::move(report)] { cb(report); });
  Pump();
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
  }
  for (auto& b : builds) PostDone(io_, std::move(b.done), Interrupted<BuildResult>("queued build cancelled at shutdown"));
  for (auto& item : runs)
    PostDone(io_, std::move(item.done), Interrupted<RunResult>("queued evaluation cancelled at shutdown"));
}

}  // namespace ksearch::workers
