#include <catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

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
  o.slots = {{"gpu0", "gpu", "0", ""}, {"gpu1", "gpu", "1", ""}, {"host0", "host", "", ""}};
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

TEST_CASE("an out-of-service slot takes no work", "[workers][fault]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  WorkerPool pool(io, backend, TwoGpusOneHost());
  pool.SetInService("gpu1", false, "canary drifted 40%");
  int done = 0;
  for (int i = 0; i < 12; ++i) {
    RunRequest r;
    r.backend = Backend::kCuda;
    pool.SubmitRun(r, [&](RunResult, const SlotStatus& s) {
      CHECK(s.spec.name == "gpu0");
      ++done;
    });
  }
  RunUntil(io, [&] { return done == 12; });
  CHECK(done == 12);
  auto stats = pool.Stats();
  CHECK(stats.slots[1].evaluations == 0);
  CHECK(stats.slots[1].out_of_service_reason == "canary drifted 40%");
  CHECK(pool.HasSlotFor(Backend::kCuda));
}

TEST_CASE("shutdown completes queued work as interrupted, never drops it",
          "[workers][fault]") {
  boost::asio::io_context io;
  RecordingBackend backend;
  PoolOptions o;
  o.slots = {{"host0", "host", "", ""}};
  auto pool = std::make_unique<WorkerPool>(io, backend, o);
  int finished = 0, interrupted = 0;
  for (int i = 0; i < 50; ++i) {
    RunRequest r;
    pool->SubmitRun(r, [&](RunResult res, const SlotStatus&) {
      (res.verdict.kind == VerdictKind::kInterrupted ? interrupted : finished)++;
    });
  }
  pool->Shutdown();
  RunRequest late;
  pool->SubmitRun(late, [&](RunResult res, const SlotStatus&) {
    CHECK(res.verdict.kind == VerdictKind::kInterrupted);
    ++interrupted;
  });
  pool.reset();  // joins the slot thread
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
  o.slots = {{"gpu0", "gpu", "0", ""}};
  WorkerPool pool(io, backend, o);
  CHECK(pool.Stats().slots[0].busy_seconds == 0);
  bool done = false;
  RunRequest r;
  r.backend = Backend::kCuda;
  pool.SubmitRun(r, [&](RunResult, const SlotStatus&) { done = true; });
  {
    std::unique_lock<std::mutex> lock(backend.mu);
    backend.cv.wait(lock, [&] { return backend.entered; });
  }
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
