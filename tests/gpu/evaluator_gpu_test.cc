// Evaluator on a real GPU: verification, timing discipline, faults, profiling.
// Label "gpu"; needs CUDA, a GPU and (for the profile case) ncu.
#include <catch.hpp>

#include <string>

#include "ksearch/evaluator/evaluator.h"
#include "test_support.h"

using namespace ksearch;
using namespace ksearch::evaluator;
using namespace ksearch::evaluator::testing;

namespace {

struct Gpu {
  std::string task = SourceDir() + "/configs/tasks/softmax";
  std::string work = TempDir("gpu-work");
  PosixProcessLauncher launcher;

  // Binary checks are off here: they are tested in tests/adversarial and by the
  // "[static]" case below; these cases test the runner and the verdicts.
  RunResult Evaluate(const std::string& source, double timeout_s = 120, bool profile = false, bool checks = false) {
    BuildRequest b;
    b.task_dir = task;
    b.source = source;
    b.backend = Backend::kCuda;
    b.arch = "sm_90a";
    b.work_dir = work;
    b.compile_timeout_s = 300;
    Tools tools = Tools::FromEnvironment();
    tools.binary_checks = checks;
    BuildResult built = Build(b, launcher, tools);
    INFO(built.verdict.ToString() << " " << built.verdict.detail);
    REQUIRE(built.ok);
    RunRequest r;
    r.task_dir = task;
    r.artifact_path = built.artifact_path;
    r.backend = Backend::kCuda;
    r.arch = "sm_90a";
    r.seed = 777;
    r.run_timeout_s = timeout_s;
    r.profile = profile;
    r.work_dir = work;
    return Run(r, launcher, tools);
  }
};

[[maybe_unused]] const char* kHead = "#include <cuda_runtime.h>\n#include \"ksearch/kernel_abi.h\"\n";

std::string Seed() { return ReadFile(SourceDir() + "/configs/tasks/softmax/seed.cu"); }

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("the CUDA seed is verified and timed with the full discipline", "[gpu]") {
  Gpu g;
  RunResult r = g.Evaluate(Seed());
  INFO(r.verdict.ToString() << " " << r.verdict.detail << "\n" << r.evidence.dump(1).substr(0, 4000));
  CHECK(r.verdict.kind == VerdictKind::kImproved);
  REQUIRE(r.shape_median_us.size() == 3);
  for (double t : r.shape_median_us) CHECK(t > 0);
  auto& env = r.evidence["environment"];
  CHECK(env["before"]["sm_count"].get<int>() > 0);
  CHECK(env["before"]["l2_bytes"].get<int64_t>() > 0);
  CHECK(env["ceilings"]["bandwidth_gbs"].get<double>() > 100);
  CHECK(r.roofline_fraction > 0);
  CHECK(r.roofline_fraction < 1.25);
  for (auto& s : r.evidence["performance"]["shapes"]) {
    CHECK(s["reps"].get<int>() >= 20);
    CHECK(s["host_median_us"].get<double>() >= s["median_us"].get<double>() * 0.9);
  }
  CHECK(r.evidence["validation"].size() == 5);  // 3 scored + 2 held-out
}

TEST_CASE("inputs are generated on the device: both runners see the same bytes, a wrong read fails", "[gpu]") {
  Gpu g;
  RunResult r = g.Evaluate(Seed());
  INFO(r.verdict.ToString() << " " << r.verdict.detail << "\n" << r.evidence["phases"].dump(1));
  // The trusted runner's digest of the inputs its fill kernel wrote equals the
  // candidate runner's digest of its own (after the call): same kernel, same bytes.
  REQUIRE(IsPassingVerdict(r.verdict.kind));
  for (auto& shape : r.evidence["validation"]) {
    for (auto& t : shape["trials"]) CHECK_FALSE(t["input_mutated"].get<bool>());
    if (shape.contains("timed_checks"))
      for (auto& k : shape["timed_checks"]) CHECK_FALSE(k["input_mutated"].get<bool>());
  }
  // Generation on the device is a small share of each runner's time (it was
  // 1.7-9.5 s per runner process on the H100 when done on the host).
  for (const char* runner : {"reference_runner", "candidate_runner"}) {
    INFO(runner);
    CHECK(r.evidence["phases"][runner]["inputs_s"].get<double>() < 1.0);
  }
  // A kernel that reads its row backwards computes a softmax of other inputs:
  // the comparison against the reference on the same device-made inputs fails.
  std::string reversed = Replace(Seed(), "yr[n] = expf(xr[n] - mx) * inv;", "yr[n] = expf(xr[N - 1 - n] - mx) * inv;");
  RunResult bad = g.Evaluate(reversed);
  INFO(bad.verdict.ToString() << " " << bad.verdict.detail);
  CHECK(bad.verdict.kind == VerdictKind::kIncorrect);
  CHECK(bad.verdict.reason == "mismatch");
}

TEST_CASE("the CUDA seed built on this machine passes the binary checks", "[gpu][static]") {
  Gpu g;
  BuildRequest b;
  b.task_dir = g.task;
  b.source = Seed();
  b.backend = Backend::kCuda;
  b.arch = "sm_90a";
  b.work_dir = g.work;
  BuildResult built = Build(b, g.launcher);
  INFO(built.verdict.ToString() << " " << built.verdict.detail);
  CHECK(built.ok);
}

TEST_CASE("an illegal address is a crash and the next evaluation works", "[gpu][fault]") {
  Gpu g;
  std::string bad = Replace(Seed(), "yr[n] = expf(xr[n] - mx) * inv;", "yr[n + (1ll << 40)] = expf(xr[n] - mx) * inv;");
  RunResult r = g.Evaluate(bad);
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kCrash);
  RunResult next = g.Evaluate(Seed());
  CHECK(IsPassingVerdict(next.verdict.kind));
}

TEST_CASE("a kernel that never finishes times out and the next evaluation works", "[gpu][fault]") {
  Gpu g;
  // Spins on an input element read through a volatile pointer: no input is 1e30,
  // so the loop never ends (a volatile local was optimized away on nvcc 13.0).
  std::string hang = Replace(Seed(), "float inv = 1.f / sh[0];",
                             "while (*(volatile const float*)xr != 1e30f) {}\n  float inv = 1.f / sh[0];");
  RunResult r = g.Evaluate(hang, 15);
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kTimeout);
  RunResult next = g.Evaluate(Seed());
  CHECK(IsPassingVerdict(next.verdict.kind));
}

TEST_CASE("work hidden from the events on the given stream is hack_suspected{timing_mismatch}", "[gpu][fault]") {
  Gpu g;
  // Same kernel, launched on the legacy default stream instead of args->stream:
  // the events on the runner's stream see nothing, the device-wide sync sees it all.
  std::string hidden = Replace(Seed(), "(cudaStream_t)a->stream", "(cudaStream_t)0");
  RunResult r = g.Evaluate(hidden);
  INFO(r.verdict.detail << "\n" << r.evidence["performance"].dump(1));
  CHECK(r.verdict.kind == VerdictKind::kHackSuspected);
  CHECK(r.verdict.reason == "timing_mismatch");
}

TEST_CASE("timed calls are gated: the events see queued kernels, a ks_run that waits on its stream is not stuck", "[gpu]") {
  Gpu g;
  RunResult plain = g.Evaluate(Seed());
  REQUIRE(IsPassingVerdict(plain.verdict.kind));
  for (auto& s : plain.evidence["performance"]["shapes"]) CHECK(s["gate_expired_calls"].get<int>() == 0);
  // Synchronizing its own stream inside ks_run waits on the runner's gate
  // until it expires; the call still completes and is timed, and the wait is
  // not charged to the candidate as hidden work.
  std::string waits = Replace(Seed(), "  return cudaGetLastError() == cudaSuccess ? 0 : 2;",
                              "  cudaStreamSynchronize((cudaStream_t)a->stream);\n"
                              "  return cudaGetLastError() == cudaSuccess ? 0 : 2;");
  RunResult r = g.Evaluate(waits);
  INFO(r.verdict.ToString() << " " << r.verdict.detail << "\n" << r.evidence["performance"].dump(1));
  CHECK(IsPassingVerdict(r.verdict.kind));
  for (auto& s : r.evidence["performance"]["shapes"]) CHECK(s["gate_expired_calls"].get<int>() > 0);
}

TEST_CASE("profiling with ncu covers only the candidate's kernels", "[gpu][profile]") {
  Gpu g;
  RunResult r = g.Evaluate(Seed(), 120, true);
  INFO(r.evidence["profile"].dump(1));
  REQUIRE(r.evidence["profile"].contains("metrics"));
  auto& k = r.evidence["profile"]["kernels"];
  REQUIRE(k.size() == 1);  // SoftmaxSeed only: no memset, no flush, no copy
  CHECK(k[0]["kernel"].get<std::string>().find("SoftmaxSeed") != std::string::npos);
  CHECK(r.evidence["profile"]["metrics"]["duration_us"].get<double>() > 0);
  std::string b = r.bottleneck;
  CHECK((b == "memory" || b == "compute" || b == "latency" || b == "launch"));
}
