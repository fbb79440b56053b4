#include <catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ksearch/workers/worker_pool.h"

using namespace ksearch;
using namespace ksearch::workers;

namespace {

// Records which device each run used and the peak concurrency per device.
class RecordingBackend final : public EvalBackend {
 public:
  std::string name() const override { return "recording"; }
  BuildResult Build(const BuildRequest& r) override {
    builds++;
    BuildResult out;
    out.ok = true;
    out.source_hash = r.source;
    return out;
  }
  RunResult Run(const RunRequest& r) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      int now = ++active[r.device];
      peak[r.device] = std::max(peak[r.device], now);
      devices_by_backend[std::string(BackendName(r.backend))].insert(r.device);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    {
      std::lock_guard<std::mutex> lock(mu);
      --active[r.device];
    }
    RunResult out;
    out.verdict = {VerdictKind::kImproved, "", ""};
    out.time_us = static_cast<double>(r.seed);
    return out;
  }
  std::atomic<int> builds{0};
  std::mutex mu;
  std::map<std::string, int> active, peak;
  std::map<std::string, std::set<std::string>> devices_by_backend;
};

PoolOptions TwoGpusOneHost() {
  PoolOptions o;
  o.compile_threads = 2;
  o.slots = {{"gpu0", "gpu", "0", "", ""}, {"gpu1", "gpu", "1", "", ""}, {"host0", "host", "", "", ""}};
  return o;
}

void RunUntil(boost::asio::io_context& io, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(10));
    io.restart();
  }
}

}  // namespace

TEST_CASE("every submission completes exactly once on a slot of the right kind",
          "[workers]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  WorkerPool pool(io, backend, TwoGpusOneHost());
  const int kRuns = 40;
  std::map<uint64_t, int> completions;
  for (int i = 0; i < kRuns; ++i) {
    RunRequest r;
    r.backend = (i % 4 == 0) ? Backend::kHost : Backend::kCuda;
    r.seed = static_cast<uint64_t>(i);
    pool.SubmitRun(r, [&completions](RunResult res, const SlotStatus&) {
      completions[static_cast<uint64_t>(res.time_us)]++;
    });
  }
  int builds_done = 0;
  for (int i = 0; i < 10; ++i)
    pool.SubmitBuild(BuildRequest{}, [&](BuildResult b) { builds_done += b.ok ? 1 : 0; });
  RunUntil(io, [&] { return completions.size() == kRuns && builds_done == 10; });

  REQUIRE(completions.size() == kRuns);
  for (const auto& [seed, n] : completions) CHECK(n == 1);
  CHECK(builds_done == 10);
  // One evaluation per device at a time.
  for (const auto& [device, peak] : backend.peak) CHECK(peak == 1);
  CHECK(backend.devices_by_backend["host"] == std::set<std::string>{""});
  CHECK(backend.devices_by_backend["cuda"] == std::set<std::string>{"0", "1"});
  auto stats = pool.Stats();
  int64_t evals = 0;
  for (const auto& s : stats.slots) evals += s.evaluations;
  CHECK(evals == kRuns);
}

namespace {

// Submits `n` cuda runs and runs the loop until all are done; the slot each ran on.
std::vector<std::string> RunCudaWork(boost::asio::io_context& io, WorkerPool& pool, int n) {
  std::vector<std::string> slots;
  for (int i = 0; i < n; ++i) {
    RunRequest r;
    r.backend = Backend::kCuda;
    pool.SubmitRun(r, [&](RunResult, const SlotStatus& s) { slots.push_back(s.spec.name); });
  }
  RunUntil(io, [&] { return slots.size() == static_cast<size_t>(n); });
  return slots;
}

}  // namespace

TEST_CASE("an out-of-service slot takes no work", "[workers][fault]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  WorkerPool pool(io, backend, TwoGpusOneHost());
  pool.SetInService("gpu1", false, "canary drifted 40%");
  CHECK(RunCudaWork(io, pool, 12) == std::vector<std::string>(12, "gpu0"));
  auto stats = pool.Stats();
  CHECK(stats.slots[1].evaluations == 0);
  CHECK(stats.slots[1].out_of_service_reason == "canary drifted 40%");
  CHECK(pool.HasSlotFor(Backend::kCuda));
}

TEST_CASE("a slot configured out of service starts so: listed with its reason, given no work", "[workers][fault]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  PoolOptions options = TwoGpusOneHost();
  options.slots[1].out_of_service = "GPU 1 not found: nvidia-smi lists 0";
  WorkerPool pool(io, backend, options);
  CHECK(RunCudaWork(io, pool, 6) == std::vector<std::string>(6, "gpu0"));
  auto stats = pool.Stats();
  CHECK_FALSE(stats.slots[1].in_service);
  CHECK(stats.slots[1].out_of_service_reason == "GPU 1 not found: nvidia-smi lists 0");
  CHECK(stats.slots[1].evaluations == 0);
  CHECK(stats.slots[0].in_service);

  // The only GPU slot missing: no cuda work is accepted at all.
  PoolOptions lone;
  lone.slots = {{"gpu0", "gpu", "3", "not found", "GPU 3 not found: nvidia-smi lists no GPU"}, {"host0", "host", "", "", ""}};
  WorkerPool none(io, backend, lone);
  CHECK_FALSE(none.HasSlotFor(Backend::kCuda));
  CHECK(none.HasSlotFor(Backend::kHost));
}

TEST_CASE("shutdown completes queued work as interrupted, never drops it",
          "[workers][fault]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  PoolOptions o;
  o.slots = {{"host0", "host", "", "", ""}};
  auto pool = std::make_unique<WorkerPool>(io, backend, o);
  int finished = 0, interrupted = 0;
  for (int i = 0; i < 50; ++i) {
    RunRequest r;
    pool->SubmitRun(r, [&](RunResult res, const SlotStatus&) {
      (res.verdict.kind == VerdictKind::kInterrupted ? interrupted : finished)++;
    });
  }
  RunUntil(io, [&] { return finished >= 1; });  // some ran before the shutdown
  CHECK(finished >= 1);
  pool->Shutdown();
  RunRequest late;
  pool->SubmitRun(late, [&](RunResult res, const SlotStatus&) {
    CHECK(res.verdict.kind == VerdictKind::kInterrupted);
    ++interrupted;
  });
  pool.reset();  // waits for the run in progress; its callback still goes to io
  RunUntil(io, [&] { return finished + interrupted == 51; });
  CHECK(finished + interrupted == 51);
  CHECK(interrupted >= 1);
}

namespace {
// Holds every Run() until released, so a test can look at a busy slot.
class GateBackend final : public EvalBackend {
 public:
  std::string name() const override { return "gate"; }
  BuildResult Build(const BuildRequest&) override { return {}; }
  RunResult Run(const RunRequest&) override {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
    RunResult out;
    out.verdict = {VerdictKind::kImproved, "", ""};
    return out;
  }
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, released = false;
};
}  // namespace

TEST_CASE("busy seconds include the run in progress and never go backwards", "[workers]") {
  boost::asio::io_context io;
  GateBackend backend;
  PoolOptions o;
  o.slots = {{"gpu0", "gpu", "0", "", ""}};
  WorkerPool pool(io, backend, o);
  CHECK(pool.Stats().slots[0].busy_seconds == 0);
  bool done = false;
  RunRequest r;
  r.backend = Backend::kCuda;
  pool.SubmitRun(r, [&](RunResult, const SlotStatus&) { done = true; });
  // The pool starts work from io's thread.
  RunUntil(io, [&] {
    std::lock_guard<std::mutex> lock(backend.mu);
    return backend.entered;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto during = pool.Stats().slots[0];
  CHECK(during.busy);
  CHECK(during.evaluations == 0);
  CHECK(during.busy_seconds > 0);  // the run in progress counts before it ends
  {
    std::lock_guard<std::mutex> lock(backend.mu);
    backend.released = true;
  }
  backend.cv.notify_all();
  RunUntil(io, [&] { return done; });
  REQUIRE(done);
  auto after = pool.Stats().slots[0];
  CHECK_FALSE(after.busy);
  CHECK(after.evaluations == 1);
  CHECK(after.busy_seconds >= during.busy_seconds);
}

namespace {

// A fault injector for canaries: runs whose work_dir marks them as canaries
// ("<dir>/canary/<slot>") get `canary_time_us(slot, n)` for the n-th canary on
// that slot; everything else is an ordinary 2 ms evaluation. Records what each
// device ran, in order, to check that canaries never overlap an evaluation.
class CanaryFaultBackend final : public EvalBackend {
 public:
  std::string name() const override { return "canary-fault"; }
  BuildResult Build(const BuildRequest& r) override {
    builds++;
    BuildResult out;
    out.ok = !fail_build;
    out.artifact_path = "/fake/" + r.source;
    if (fail_build) out.verdict = {VerdictKind::kCompileError, "", "injected"};
    return out;
  }
  RunResult Run(const RunRequest& r) override {
    const bool canary = r.work_dir.find("/canary/") != std::string::npos;
    const std::string slot = canary ? r.work_dir.substr(r.work_dir.rfind('/') + 1) : "";
    int n = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (++active[r.device] > 1) overlaps++;
      if (canary) {
        n = ++canaries[slot];
        if (r.artifact_path != "/fake/canary-seed") wrong_artifact++;
      } else {
        ++evaluations_by_device[r.device];
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    {
      std::lock_guard<std::mutex> lock(mu);
      --active[r.device];
    }
    RunResult out;
    out.verdict = {VerdictKind::kNoGain, "", ""};
    out.time_us = canary ? canary_time_us(slot, n) : 10.0;
    return out;
  }
  std::function<double(const std::string&, int)> canary_time_us = [](const std::string&, int) { return 100.0; };
  bool fail_build = false;
  std::atomic<int> builds{0};
  std::mutex mu;
  int overlaps = 0, wrong_artifact = 0;
  std::map<std::string, int> active, canaries, evaluations_by_device;
};

PoolOptions TwoHostSlotsWithCanary(int every) {
  PoolOptions o;
  o.compile_threads = 1;
  // Distinct devices so the backend can tell the two host slots apart.
  o.slots = {{"host0", "host", "d0", "", ""}, {"host1", "host", "d1", "", ""}};
  BuildRequest b;
  b.source = "canary-seed";
  b.backend = Backend::kHost;
  RunRequest r;
  r.backend = Backend::kHost;
  r.seed = 7;
  r.work_dir = "/tmp/work/canary";
  o.canary.build["host"] = b;
  o.canary.run["host"] = r;
  o.canary.policy.canary_every = every;
  o.canary.policy.max_drift = 0.10;
  return o;
}

}  // namespace

TEST_CASE("a drifting slot is taken out of service and the work goes on on the others",
          "[workers][fault][canary]") {
  boost::asio::io_context io;
  CanaryFaultBackend backend;
  // host1's canary slows down by 50% from its third run; host0 stays steady.
  backend.canary_time_us = [](const std::string& slot, int n) { return slot == "host1" && n >= 3 ? 150.0 : 100.0; };
  auto options = TwoHostSlotsWithCanary(/*every=*/5);
  std::vector<CanaryReport> reports;
  options.on_canary = [&](const CanaryReport& r) { reports.push_back(r); };
  WorkerPool pool(io, backend, options);
  const int kRuns = 60;
  int completed = 0, passed = 0;
  for (int i = 0; i < kRuns; ++i) {
    RunRequest r;
    r.backend = Backend::kHost;
    r.seed = static_cast<uint64_t>(i);
    pool.SubmitRun(r, [&](RunResult res, const SlotStatus&) {
      ++completed;
      passed += IsPassingVerdict(res.verdict.kind);
    });
  }
  RunUntil(io, [&] { return completed == kRuns; });
  // Every submission got exactly one verdict, and all ran: host0 stayed in service.
  CHECK(completed == kRuns);
  CHECK(passed == kRuns);
  auto stats = pool.Stats();
  REQUIRE(stats.slots.size() == 2);
  CHECK(stats.slots[0].in_service);
  CHECK_FALSE(stats.slots[1].in_service);
  CHECK(stats.slots[1].out_of_service_reason.find("canary drifted 50%") != std::string::npos);
  CHECK(stats.slots[0].canaries >= 2);
  CHECK(stats.slots[1].canaries == 3);  // none after it went out of service
  CHECK(stats.slots[0].evaluations + stats.slots[1].evaluations == kRuns);
  CHECK(stats.slots[0].evaluations > stats.slots[1].evaluations);
  CHECK(backend.builds == 1);           // the canary is built once per kind
  CHECK(backend.overlaps == 0);         // never concurrent with an evaluation on the slot
  CHECK(backend.wrong_artifact == 0);
  bool reported = false;
  for (const auto& r : reports) reported |= r.slot == "host1" && !r.out_of_service.empty();
  CHECK(reported);
  CHECK(pool.HasSlotFor(Backend::kHost));
}

TEST_CASE("the canary runs at start, before a slot's first evaluation", "[workers][canary]") {
  boost::asio::io_context io;
  CanaryFaultBackend backend;
  // host1's first canary crashes: it never runs an evaluation.
  backend.canary_time_us = [](const std::string& slot, int) { return slot == "host1" ? 0.0 : 100.0; };
  WorkerPool pool(io, backend, TwoHostSlotsWithCanary(/*every=*/1000));
  int completed = 0;
  for (int i = 0; i < 10; ++i) {
    RunRequest r;
    r.backend = Backend::kHost;
    pool.SubmitRun(r, [&](RunResult, const SlotStatus&) { ++completed; });
  }
  RunUntil(io, [&] { return completed == 10; });
  CHECK(completed == 10);
  auto stats = pool.Stats();
  CHECK_FALSE(stats.slots[1].in_service);
  CHECK(stats.slots[1].out_of_service_reason == "canary returned no time");
  CHECK(stats.slots[1].evaluations == 0);
  CHECK(stats.slots[0].evaluations == 10);
  CHECK(stats.slots[0].canaries == 1);
  CHECK(stats.slots[0].canary_seconds > 0);
}

TEST_CASE("when the last slot of a kind goes out of service, its queued work ends infra_error{no_slot}",
          "[workers][fault][canary]") {
  boost::asio::io_context io;
  CanaryFaultBackend backend;
  backend.canary_time_us = [](const std::string&, int n) { return n >= 2 ? 200.0 : 100.0; };
  auto options = TwoHostSlotsWithCanary(/*every=*/3);
  options.slots.pop_back();  // host0 only
  WorkerPool pool(io, backend, options);
  const int kRuns = 12;
  int completed = 0, no_slot = 0;
  for (int i = 0; i < kRuns; ++i) {
    RunRequest r;
    r.backend = Backend::kHost;
    pool.SubmitRun(r, [&](RunResult res, const SlotStatus&) {
      ++completed;
      no_slot += res.verdict.kind == VerdictKind::kInfraError && res.verdict.reason == "no_slot";
    });
  }
  RunUntil(io, [&] { return completed == kRuns; });
  CHECK(completed == kRuns);
  CHECK(no_slot == kRuns - 3);  // three ran before the second canary drifted
  CHECK_FALSE(pool.HasSlotFor(Backend::kHost));
  // A later submission is not queued forever either.
  bool late = false;
  RunRequest r;
  r.backend = Backend::kHost;
  pool.SubmitRun(r, [&](RunResult res, const SlotStatus&) { late = res.verdict.reason == "no_slot"; });
  RunUntil(io, [&] { return late; });
  CHECK(late);
}

TEST_CASE("a canary that cannot be built stops canaries and leaves the slots in service",
          "[workers][canary]") {
  boost::asio::io_context io;
  CanaryFaultBackend backend;
  backend.fail_build = true;
  auto options = TwoHostSlotsWithCanary(/*every=*/1);
  std::vector<CanaryReport> reports;
  options.on_canary = [&](const CanaryReport& r) { reports.push_back(r); };
  WorkerPool pool(io, backend, options);
  int completed = 0;
  for (int i = 0; i < 6; ++i) {
    RunRequest r;
    r.backend = Backend::kHost;
    pool.SubmitRun(r, [&](RunResult res, const SlotStatus&) { completed += IsPassingVerdict(res.verdict.kind); });
  }
  RunUntil(io, [&] { return completed == 6; });
  CHECK(completed == 6);
  CHECK(backend.builds == 1);
  auto stats = pool.Stats();
  CHECK(stats.slots[0].in_service);
  CHECK(stats.slots[1].in_service);
  REQUIRE_FALSE(reports.empty());
  CHECK_FALSE(reports[0].ran);
  CHECK(reports[0].error.find("canary build failed") == 0);
}

TEST_CASE("an idle slot runs its canary again when the interval has passed", "[workers][canary]") {
  // With no work queued, only the pool's timer can start the later canaries.
  boost::asio::io_context io;
  CanaryFaultBackend backend;
  auto options = TwoHostSlotsWithCanary(/*every=*/1000);
  options.canary.interval = std::chrono::milliseconds(100);
  WorkerPool pool(io, backend, options);
  auto canaries_on = [&](const std::string& slot) {
    std::lock_guard<std::mutex> lock(backend.mu);
    return backend.canaries[slot];
  };
  RunUntil(io, [&] { return canaries_on("host0") >= 3 && canaries_on("host1") >= 3; });
  CHECK(canaries_on("host0") >= 3);
  CHECK(canaries_on("host1") >= 3);
  CHECK(backend.builds == 1);  // one canary build for the kind
  CHECK(backend.overlaps == 0);
}
