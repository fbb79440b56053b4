// A fault injector for the canary (tests and drills, never on by default).
//
// CanaryDriftInjector wraps a backend and multiplies the time of the canary
// runs of one slot by `factor` from that slot's `from`-th canary on, as a GPU
// that drifts (thermal throttling, a degraded link) would look to the pool.
// Canary runs are recognised by their work_dir, "<work_dir>/canary/<slot>"
// (WorkerPool appends the slot). Everything else passes through untouched.
// ksearchd installs it only when KSEARCH_FAULT_CANARY_DRIFT names a slot.
// Thread-safety: as the wrapped backend; the canary counts are locked.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "ksearch/workers/eval_backend.h"

namespace ksearch::workers {

class CanaryDriftInjector final : public EvalBackend {
 public:
  // `inner` must outlive the injector.
  CanaryDriftInjector(EvalBackend& inner, std::string slot, double factor = 2.0, int from = 2)
      : inner_(inner), slot_(std::move(slot)), factor_(factor), from_(from) {}
  std::string name() const override { return inner_.name() + "+canary-drift"; }
  BuildResult Build(const BuildRequest& request) override { return inner_.Build(request); }
  RunResult Run(const RunRequest& request) override {
    RunResult r = inner_.Run(request);
    Drift(request, r);
    return r;
  }
  // Async when the wrapped backend is, with the same drift.
  bool async() const override { return inner_.async(); }
  void StartBuild(const BuildRequest& request, std::function<void(BuildResult)> done) override {
    inner_.StartBuild(request, std::move(done));
  }
  void StartRun(const RunRequest& request, std::function<void(RunResult)> done) override {
    inner_.StartRun(request, [this, request, done = std::move(done)](RunResult r) {
      Drift(request, r);
      done(std::move(r));
    });
  }
  void CancelAll() override { inner_.CancelAll(); }

 private:
  void Drift(const RunRequest& request, RunResult& r) {
    const std::string suffix = "/canary/" + slot_;
    const auto& dir = request.work_dir;
    if (dir.size() < suffix.size() || dir.compare(dir.size() - suffix.size(), suffix.size(), suffix) != 0) return;
    int n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      n = ++canaries_;
    }
    if (n >= from_) r.time_us *= factor_;
  }

  EvalBackend& inner_;
  const std::string slot_;
  const double factor_;
  const int from_;
  std::mutex mu_;
  int canaries_ = 0;
};

}  // namespace ksearch::workers
