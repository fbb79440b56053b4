// End-to-end evaluations on the host backend: real g++ compiles, real
// ksearch-runner processes, real faults.
#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "checks/fs_confine.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/result_wire.h"
#include "ksearch/evaluator/task.h"
#include "run_internal.h"
#include "test_support.h"

using namespace ksearch;
using namespace ksearch::evaluator;
using namespace ksearch::evaluator::testing;

namespace {

const char* kPrelude = "#include <cmath>\n#include \"ksearch/kernel_abi.h\"\n";

// A softmax body with a hook: `tail` runs after the correct result is written.
std::string Softmax(const std::string& tail, const std::string& before = "", const std::string& last = "N") {
  return std::string(kPrelude) + before + R"(
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  float* x = static_cast<float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    float mx = -INFINITY, s = 0;
    for (int64_t n = 0; n < N; ++n) mx = x[m * N + n] > mx ? x[m * N + n] : mx;
    for (int64_t n = 0; n < N; ++n) s += std::exp(x[m * N + n] - mx);
    for (int64_t n = 0; n < )" + last + R"(; ++n) y[m * N + n] = std::exp(x[m * N + n] - mx) / s;
  }
  )" + tail + R"(
  return 0;
}
)";
}

struct Fixture {
  std::string task = SmallSoftmaxTask();
  std::string work = TempDir("eval-work");
  PosixProcessLauncher launcher;

  BuildResult BuildSource(const std::string& source, const std::string& task_dir = "") {
    BuildRequest b;
    b.task_dir = task_dir.empty() ? task : task_dir;
    b.source = source;
    b.backend = Backend::kHost;
    b.work_dir = work;
    b.compile_timeout_s = 120;
    return Build(b, launcher);
  }
  // The request RunArtifact sends, for tests that change a field first.
  RunRequest RequestFor(const BuildResult& built, double timeout_s = 60, const std::string& task_dir = "") const {
    RunRequest r;
    r.task_dir = task_dir.empty() ? task : task_dir;
    r.artifact_path = built.artifact_path;
    r.backend = Backend::kHost;
    r.seed = 12345;
    r.run_timeout_s = timeout_s;
    r.work_dir = work;
    return r;
  }
  RunResult RunArtifact(const BuildResult& built, double timeout_s = 60, const std::string& task_dir = "") {
    return Run(RequestFor(built, timeout_s, task_dir), launcher);
  }
  RunResult Evaluate(const std::string& source, double timeout_s = 60, const std::string& task_dir = "") {
    BuildResult b = BuildSource(source, task_dir);
    INFO(b.verdict.ToString() << " " << b.verdict.detail);
    REQUIRE(b.ok);
    return RunArtifact(b, timeout_s, task_dir);
  }
};

}  // namespace

TEST_CASE("a correct seed passes verification and is measured", "[evaluator][host]") {
  Fixture f;
  std::string seed = ReadFile(SourceDir() + "/configs/tasks/softmax/seed.cc");
  BuildResult b = f.BuildSource(seed);
  INFO(b.verdict.detail);
  REQUIRE(b.ok);
  CHECK(std::filesystem::exists(b.artifact_path));
  CHECK(b.source_hash.size() == 64);
  CHECK(b.machine_code_hash.size() == 64);
  CHECK(b.evidence["machine_code"]["instructions"].get<int>() > 10);

  RunResult r = f.RunArtifact(b);
  INFO(r.verdict.ToString() << " " << r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kImproved);  // no parent
  REQUIRE(r.shape_median_us.size() == 1);
  CHECK(r.shape_median_us[0] > 0);
  CHECK(r.time_us > 0);
  auto& perf = r.evidence["performance"]["shapes"][0];
  CHECK(perf["reps"].get<int>() >= 10);
  CHECK(perf["p10_us"].get<double>() <= perf["median_us"].get<double>());
  CHECK(perf["median_us"].get<double>() <= perf["p90_us"].get<double>());
  // The spread is the median's interval (half the runner's ci_rel, about two
  // standard errors), not the repetitions' scatter (dispersion), which is
  // wider; the result's spread is the widest shape's.
  CHECK(perf["dispersion"].get<double>() ==
        Approx((perf["p90_us"].get<double>() - perf["p10_us"].get<double>()) / perf["median_us"].get<double>()));
  CHECK(perf["spread"].get<double>() == Approx(perf["ci_rel"].get<double>() / 2));
  CHECK(perf["spread"].get<double>() > 0);
  CHECK(r.spread == Approx(perf["spread"].get<double>()));
  CHECK(r.evidence["performance"]["spread"].get<double>() == Approx(r.spread));
  // The per-shape summary attempt_finished records, from the same timings.
  REQUIRE(r.shapes.size() == 1);
  CHECK(r.shapes[0].name == perf["shape"].get<std::string>());
  CHECK(r.shapes[0].name.find("M=") == 0);
  CHECK(r.shapes[0].median_us == r.shape_median_us[0]);
  CHECK(r.shapes[0].p10_us == perf["p10_us"].get<double>());
  CHECK(r.shapes[0].p90_us == perf["p90_us"].get<double>());
  // Held-out shape verified but not timed.
  REQUIRE(r.evidence["validation"].size() == 2);
  CHECK(r.evidence["validation"][1]["held_out"] == true);
  CHECK(r.evidence["validation"][0]["deterministic"] == true);
  // Per-phase wall times of the evaluation, and each runner's own breakdown.
  const auto& ph = r.evidence["phases"];
  for (const char* k : {"reference_s", "candidate_s", "validate_s", "ceilings_s", "trusted_verify_s", "total_s"}) {
    INFO(k);
    REQUIRE(ph.contains(k));
    CHECK(ph[k].get<double>() >= 0);
  }
  for (const char* runner : {"reference_runner", "candidate_runner"}) {
    INFO(runner);
    REQUIRE(ph.contains(runner));
    for (const char* k : {"inputs_s", "upload_s", "poison_s", "call_s", "dump_s", "digest_s", "total_s"}) {
      INFO(k);
      REQUIRE(ph[runner].contains(k));
      CHECK(ph[runner][k].get<double>() >= 0);
    }
  }
  CHECK(ph["candidate_runner"].contains("stamp_s"));  // only the candidate runner times (and stamps)
  CHECK(ph["total_s"].get<double>() >= ph["reference_s"].get<double>() + ph["candidate_s"].get<double>());
  const nlohmann::json made = MakeEvidencePacket(BuildRequest{}, b, RunRequest{}, &r);
  CHECK(made["phases"] == ph);  // the packet carries them
  CHECK(made["validation"] == r.evidence["validation"]);
  // Taking the evidence (the daemon's path) builds the same packet and leaves
  // the run without its evidence, its figures untouched.
  RunResult taken = r;
  CHECK(TakeEvidencePacket(BuildRequest{}, b, RunRequest{}, &taken) == made);
  CHECK(taken.evidence == nlohmann::json::object());
  CHECK(taken.time_us == r.time_us);
  CHECK(taken.shape_median_us == r.shape_median_us);
  {
    // The daemon's path: `ksearch-evaluate run` writes the framed result
    // (result_wire.h); the sections the daemon does not read stay the child's
    // text and go into the stored packet byte for byte. The packet is the same
    // document as the one built in-process, and reads the same.
    const std::string wire = RunResultWireText(r);
    CHECK(nlohmann::json::parse(wire).get<RunResult>().time_us == r.time_us);  // one JSON document
    RunResult got;
    std::string why;
    REQUIRE(ParseResultWire(wire, got, why));
    CHECK(got.time_us == r.time_us);
    CHECK(got.verdict.ToString() == r.verdict.ToString());
    CHECK(got.shapes.size() == r.shapes.size());
    CHECK(got.shapes[0].name == r.shapes[0].name);
    CHECK(got.evidence.contains("environment"));
    CHECK_FALSE(got.evidence.contains("performance"));  // not parsed
    CHECK_FALSE(got.evidence.contains("validation"));
    const std::string child_text = got.evidence_text;
    REQUIRE(child_text.size() > 2);
    CHECK(wire.find(child_text) != std::string::npos);
    const nlohmann::json members{{"replay", "ksearch replay a1"}};
    const std::string packet = EvidencePacketText(BuildRequest{}, b, RunRequest{}, &got, members);
    CHECK(got.evidence_text.empty());
    CHECK(packet.find(child_text.substr(1, child_text.size() - 2)) != std::string::npos);  // as written
    nlohmann::json expect = made;
    expect["replay"] = "ksearch replay a1";
    const nlohmann::json parsed = nlohmann::json::parse(packet);
    CHECK(parsed == expect);
    CHECK(parsed["validation"] == r.evidence["validation"]);
    CHECK(SummarizePacket(parsed) == SummarizePacket(made));
    // A plain RunResult document (an older evaluator) still reads whole.
    RunResult plain;
    REQUIRE(ParseResultWire(nlohmann::json(r).dump(), plain, why));
    CHECK(plain.evidence == r.evidence);
    CHECK(plain.evidence_text.empty());
  }
  {
    // `ksearch-evaluate build` frames its result the same way: compile,
    // static and machine_code stay the child's text, and the packet made from
    // both framed results is the in-process one.
    const std::string wire = BuildResultWireText(b);
    CHECK(nlohmann::json::parse(wire).get<BuildResult>().artifact_path == b.artifact_path);  // one JSON document
    BuildResult got_build;
    std::string why;
    REQUIRE(ParseResultWire(wire, got_build, why));
    CHECK(got_build.ok);
    CHECK(got_build.artifact_path == b.artifact_path);
    CHECK(got_build.machine_code_hash == b.machine_code_hash);
    CHECK(got_build.source_hash == b.source_hash);
    // Only the build's environment is parsed: the compiler version.
    REQUIRE(b.evidence["compile"].contains("compiler_version"));
    CHECK(got_build.evidence ==
          nlohmann::json{{"environment", {{"compiler_version", b.evidence["compile"]["compiler_version"]}}}});
    const nlohmann::json build_text = nlohmann::json::parse(got_build.evidence_text);
    CHECK(build_text == nlohmann::json{{"compile", b.evidence["compile"]},
                                       {"static", b.evidence["static"]},
                                       {"machine_code", b.evidence["machine_code"]}});
    CHECK(wire.find(got_build.evidence_text) != std::string::npos);

    RunResult got_run;
    REQUIRE(ParseResultWire(RunResultWireText(r), got_run, why));
    const nlohmann::json members{{"replay", "ksearch replay a1"}};
    const std::string packet = EvidencePacketText(BuildRequest{}, got_build, RunRequest{}, &got_run, members);
    CHECK(packet.find(got_build.evidence_text.substr(1, got_build.evidence_text.size() - 2)) != std::string::npos);
    nlohmann::json expect = made;
    expect["replay"] = "ksearch replay a1";
    CHECK(nlohmann::json::parse(packet) == expect);
    // The parsed packet (TakeEvidencePacket) from the same two results.
    REQUIRE(ParseResultWire(RunResultWireText(r), got_run, why));
    CHECK(TakeEvidencePacket(BuildRequest{}, got_build, RunRequest{}, &got_run) == made);
    // Without a run (the build failed or was a duplicate) the build's sections
    // still make the packet.
    CHECK(nlohmann::json::parse(EvidencePacketText(BuildRequest{}, got_build, RunRequest{}, nullptr, members)) ==
          [&] {
            nlohmann::json p = MakeEvidencePacket(BuildRequest{}, b, RunRequest{}, nullptr);
            p["replay"] = "ksearch replay a1";
            return p;
          }());
    // A plain BuildResult document (an older evaluator) still reads whole.
    BuildResult plain;
    REQUIRE(ParseResultWire(nlohmann::json(b).dump(), plain, why));
    CHECK(plain.evidence == b.evidence);
    CHECK(plain.evidence_text.empty());
    CHECK_FALSE(ParseResultWire("{\"evidence_text_bytes\":", plain, why));
    CHECK(why.find("unparsable result") != std::string::npos);
  }
  // The run folder (output dumps) is gone once the evidence is complete.
  REQUIRE(r.evidence.contains("run_dir"));
  CHECK(r.evidence.value("run_dir_removed", false));
  CHECK_FALSE(std::filesystem::exists(r.evidence["run_dir"].get<std::string>()));

  SECTION("a parent timing turns the verdict into a comparison") {
    BuildResult base = f.BuildSource(ReadFile(SourceDir() + "/configs/tasks/softmax/baseline.cc"));
    REQUIRE(base.ok);
    RunRequest rr;
    rr.task_dir = f.task;
    rr.artifact_path = base.artifact_path;
    rr.seed = 99;
    rr.work_dir = f.work;
    rr.parent = {"seed", r.time_us, r.shape_median_us};
    RunResult rb = Run(rr, f.launcher);
    INFO(rb.verdict.ToString() << " " << rb.verdict.detail);
    CHECK(IsPassingVerdict(rb.verdict.kind));
    CHECK(rb.verdict.detail.find("vs parent") != std::string::npos);
    CHECK(rb.evidence["performance"]["shapes"][0].contains("speedup_vs_parent"));
    nlohmann::json packet = MakeEvidencePacket(BuildRequest{}, base, rr, &rb);
    CHECK(packet["verdict"]["kind"] == rb.verdict.ToString());
    CHECK(packet["run_request"]["seed"] == 99);
  }
}

TEST_CASE("the artifact cache returns the same library for the same source", "[evaluator][host]") {
  Fixture f;
  std::string src = Softmax("");
  BuildResult a = f.BuildSource(src);
  BuildResult b = f.BuildSource(src);
  REQUIRE(a.ok);
  REQUIRE(b.ok);
  CHECK(a.artifact_path == b.artifact_path);
  CHECK(a.evidence["compile"]["cached"] == false);
  CHECK(b.evidence["compile"]["cached"] == true);
  // A cached build names its compiler in its environment as a fresh one does
  // (the packet's environment takes it from there).
  CHECK(a.evidence["environment"]["compiler_version"] == a.evidence["compile"]["compiler_version"]);
  CHECK(b.evidence["environment"] == a.evidence["environment"]);
  CHECK(a.machine_code_hash == b.machine_code_hash);
}

TEST_CASE("each kind of wrong output gets its own reason", "[evaluator][host][fault]") {
  Fixture f;
  struct Case { const char* name; std::string src; const char* reason; };
  std::vector<Case> cases = {
      {"mismatch", Softmax("y[M * N / 2] += 0.25f;"), "mismatch"},
      {"unwritten", Softmax("", "", "N - 1"), "unwritten"},
      {"nan", Softmax("y[7] = NAN;"), "nan"},
      {"input_mutated", Softmax("x[0] = 0.5f;"), "input_mutated"},
      {"nondeterministic", Softmax("y[1] += (calls++ == 1) * 1e-2f;  // only the repeated call of trial 0", "static int calls = 0;\n"), "nondeterministic"},
  };
  for (auto& c : cases) {
    INFO(c.name);
    RunResult r = f.Evaluate(c.src);
    INFO(r.verdict.detail);
    CHECK(r.verdict.kind == VerdictKind::kIncorrect);
    CHECK(r.verdict.reason == c.reason);
  }
}

TEST_CASE("a kernel that reads its output before writing it is poison_dependent", "[evaluator][host][fault]") {
  // garbage * 0: finite (-0) under the 0xA5 poison of the verification calls,
  // NaN under the 0xFF poison of the repeated call.
  Fixture f;
  std::string src = std::string(kPrelude) + R"(
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    float mx = -INFINITY, s = y[m * N] * 0.0f;
    for (int64_t n = 0; n < N; ++n) mx = x[m * N + n] > mx ? x[m * N + n] : mx;
    for (int64_t n = 0; n < N; ++n) s += std::exp(x[m * N + n] - mx);
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = std::exp(x[m * N + n] - mx) / s;
  }
  return 0;
})";
  RunResult r = f.Evaluate(src);
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kIncorrect);
  CHECK(r.verdict.reason == "poison_dependent");
  CHECK(r.verdict.detail.find("0xFF") != std::string::npos);
  // Trial 0 itself (0xA5 poison) was right: only the second pattern exposes it.
  CHECK(r.evidence["validation"][0]["trials"][0]["outputs"][0]["ok"] == true);
}

TEST_CASE("a cache keyed on buffer pointers is caught by the checked timed calls", "[evaluator][host][fault]") {
  // Fills its cache during the warm-up, replays it for every later call on the
  // same (input, output) pair: right only if the inputs at a pointer never change.
  Fixture f;
  std::string src = std::string(kPrelude) + R"(
#include <cstring>
#include <map>
#include <utility>
#include <vector>
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  static std::map<std::pair<const void*, void*>, std::vector<float>> cache;
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  auto& c = cache[{a->inputs[0].data, a->outputs[0].data}];
  if (c.size() == size_t(M * N)) { std::memcpy(y, c.data(), M * N * sizeof(float)); return 0; }
  for (int64_t m = 0; m < M; ++m) {
    float mx = -INFINITY, s = 0;
    for (int64_t n = 0; n < N; ++n) mx = x[m * N + n] > mx ? x[m * N + n] : mx;
    for (int64_t n = 0; n < N; ++n) s += std::exp(x[m * N + n] - mx);
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = std::exp(x[m * N + n] - mx) / s;
  }
  c.assign(y, y + M * N);
  return 0;
})";
  RunResult r = f.Evaluate(src);
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kIncorrect);
  CHECK(r.verdict.reason == "mismatch");
  CHECK(r.verdict.detail.find("checked timed call") != std::string::npos);
}

TEST_CASE("every timed buffer set has its own inputs and its checked call is compared", "[evaluator][host]") {
  Fixture f;
  RunResult r = f.Evaluate(Softmax(""));
  INFO(r.verdict.detail);
  REQUIRE(IsPassingVerdict(r.verdict.kind));
  const auto& v = r.evidence["validation"][0];
  REQUIRE(v["timed_checks"].size() == 3);
  std::set<uint64_t> seeds;
  for (auto& t : v["timed_checks"]) {
    seeds.insert(t["seed"].get<uint64_t>());
    CHECK(t["outputs"][0]["ok"] == true);
    CHECK(t["input_mutated"] == false);
  }
  CHECK(seeds.size() == 3);
  for (auto& tr : v["trials"]) CHECK(seeds.count(tr["seed"].get<uint64_t>()) == 0);
  CHECK(v["timed_outputs_ok"] == true);
  CHECK(v["repeat_outputs"][0]["ok"] == true);
}

TEST_CASE("the candidate runner is confined: trusted files are unreachable from ks_run", "[evaluator][host][confine]") {
  // Built without binary checks (which would reject fopen outright), so only the
  // runner's Landlock confinement stands between the kernel and the task folder.
  Fixture f;
  const std::string escape = f.work + "/escaped-" + std::to_string(getpid());
  std::string src = std::string(kPrelude) + "#include <cstdio>\n" + R"(
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  if (FILE* t = std::fopen(")" + f.task + R"(/task.yaml", "r")) { std::fclose(t); return 7; }
  if (FILE* w = std::fopen(")" + escape + R"(", "w")) { std::fclose(w); return 8; }
  const float* x = static_cast<const float*>(a->inputs[0].data);
  float* y = static_cast<float*>(a->outputs[0].data);
  const int64_t M = a->inputs[0].shape[0], N = a->inputs[0].shape[1];
  for (int64_t m = 0; m < M; ++m) {
    float mx = -INFINITY, s = 0;
    for (int64_t n = 0; n < N; ++n) mx = x[m * N + n] > mx ? x[m * N + n] : mx;
    for (int64_t n = 0; n < N; ++n) s += std::exp(x[m * N + n] - mx);
    for (int64_t n = 0; n < N; ++n) y[m * N + n] = std::exp(x[m * N + n] - mx) / s;
  }
  return 0;
})";
  Tools tools = Tools::FromEnvironment();
  tools.binary_checks = false;
  BuildRequest b;
  b.task_dir = f.task;
  b.source = src;
  b.work_dir = f.work;
  BuildResult built = Build(b, f.launcher, tools);
  REQUIRE(built.ok);
  RunRequest r;
  r.task_dir = f.task;
  r.artifact_path = built.artifact_path;
  r.seed = 3;
  r.work_dir = f.work;
  RunResult res = Run(r, f.launcher, tools);
  INFO(res.verdict.ToString() << " " << res.verdict.detail << " " << res.evidence.value("confinement", nlohmann::json()).dump());
  REQUIRE(res.evidence.contains("confinement"));
  CHECK(res.evidence["confinement"]["requested"] == true);
  if (res.evidence["confinement"]["applied"] != true) {
    // A kernel without Landlock: the run goes on, and the evidence must say why.
    WARN("Landlock unavailable here: " << res.evidence["confinement"].dump());
    CHECK(res.evidence["confinement"].contains("error"));
    return;
  }
  CHECK(IsPassingVerdict(res.verdict.kind));  // fopen failed both times
  CHECK_FALSE(std::filesystem::exists(escape));
}

TEST_CASE("outputs that ignore the inputs are constant_output even under loose tolerance", "[evaluator][host][fault]") {
  Fixture f;
  std::string loose = SmallSoftmaxTask("f32: {rel_norm: 1.0e-5, elem_rtol: 1.0e-4, elem_atol: 1.0e-6",
                                       "f32: {rel_norm: 10.0, elem_rtol: 10.0, elem_atol: 10.0");
  std::string zeros = std::string(kPrelude) + R"(
extern "C" KS_EXPORT int ks_run(const ks_args* a) {
  float* y = static_cast<float*>(a->outputs[0].data);
  int64_t n = a->outputs[0].shape[0] * a->outputs[0].shape[1];
  for (int64_t i = 0; i < n; ++i) y[i] = 0.f;
  return 0;
})";
  RunResult r = f.Evaluate(zeros, 60, loose);
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kIncorrect);
  CHECK(r.verdict.reason == "constant_output");
}

TEST_CASE("a kernel that never returns times out and the next evaluation works", "[evaluator][host][fault]") {
  Fixture f;
  RunResult hung = f.Evaluate(Softmax("for (;;) { asm volatile(\"\"); }"), 3);
  INFO(hung.verdict.detail);
  CHECK(hung.verdict.kind == VerdictKind::kTimeout);
  RunResult next = f.Evaluate(Softmax(""));
  INFO(next.verdict.detail);
  CHECK(IsPassingVerdict(next.verdict.kind));
}

TEST_CASE("crashing kernels give typed crash verdicts and do not affect later evaluations", "[evaluator][host][fault]") {
  Fixture f;
  RunResult segv = f.Evaluate(Softmax("*(volatile int*)nullptr = 1;"));
  CHECK(segv.verdict.kind == VerdictKind::kCrash);
  CHECK(segv.verdict.reason == "sigsegv");
  CHECK(segv.verdict.detail.find("verify shape=") != std::string::npos);  // located by progress

  RunResult trap = f.Evaluate(Softmax("__builtin_trap();"));
  CHECK(trap.verdict.kind == VerdictKind::kCrash);
  CHECK(trap.verdict.reason == "sigill");

  RunResult rc = f.Evaluate(Softmax("return 3;"));
  CHECK(rc.verdict.kind == VerdictKind::kCrash);
  CHECK(rc.verdict.reason == "kernel_error");

  RunResult next = f.Evaluate(Softmax(""));
  CHECK(IsPassingVerdict(next.verdict.kind));
}

namespace {
// Sets environment variables for its lifetime, then puts back what was there.
class ScopedEnv {
 public:
  void Set(const std::string& name, const std::string& value) {
    Save(name);
    setenv(name.c_str(), value.c_str(), 1);
  }
  void Unset(const std::string& name) {
    Save(name);
    unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    for (const auto& [name, old] : saved_) {
      if (old) setenv(name.c_str(), old->c_str(), 1);
      else unsetenv(name.c_str());
    }
  }

 private:
  void Save(const std::string& name) {
    if (saved_.count(name)) return;
    const char* old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

// Every tool a child is given, field by field.
void CheckSameTools(const Tools& got, const Tools& want) {
  CHECK(got.cxx == want.cxx);
  CHECK(got.nvcc == want.nvcc);
  CHECK(got.hipcc == want.hipcc);
  CHECK(got.cuobjdump == want.cuobjdump);
  CHECK(got.ncu == want.ncu);
  CHECK(got.runner_dir == want.runner_dir);
}
}  // namespace

TEST_CASE("tools found once read back the same from their environment; a set but empty one is absent",
          "[evaluator][tools]") {
  const Tools found = Tools::FromEnvironment();
  const auto env = found.AsEnvironment();
  CHECK(env.at("KSEARCH_CXX") == found.cxx);
  CHECK(env.count("KSEARCH_RUNNER_DIR") == 1);
  {
    // Each variable set as a child would get it.
    ScopedEnv scoped;
    for (const auto& [name, value] : env) scoped.Set(name, value);
    scoped.Set("KSEARCH_NCU", "");  // absent, whatever this machine has
    Tools want = found;
    want.ncu.clear();
    CheckSameTools(Tools::FromEnvironment(), want);
  }
  {
    // Tools no search would find: the child reads exactly these.
    Tools fake;
    fake.cxx = "/fake/c++";
    fake.nvcc = "/fake/nvcc";
    fake.hipcc = "/fake/hipcc";
    fake.cuobjdump = "/fake/cuobjdump";
    fake.ncu = "/fake/ncu";
    fake.runner_dir = "/fake/runners";
    ScopedEnv scoped;
    for (const auto& [name, value] : fake.AsEnvironment()) scoped.Set(name, value);
    CheckSameTools(Tools::FromEnvironment(), fake);
  }
  {
    // An nvcc on PATH is found, unless KSEARCH_NVCC is set and empty.
    const std::string bin = TempDir("fake-nvcc");
    std::ofstream(bin + "/nvcc") << "#!/bin/sh\n";
    std::filesystem::permissions(bin + "/nvcc", std::filesystem::perms::owner_all);
    ScopedEnv scoped;
    scoped.Unset("KSEARCH_NVCC");
    scoped.Set("PATH", bin + ":" + (std::getenv("PATH") ? std::getenv("PATH") : ""));
    CHECK(Tools::FromEnvironment().nvcc == bin + "/nvcc");
    scoped.Set("KSEARCH_NVCC", "");
    CHECK(Tools::FromEnvironment().nvcc.empty());
  }
}

TEST_CASE("a missing or broken runner is an infra error, not a hang", "[evaluator][host][fault]") {
  Fixture f;
  BuildResult b = f.BuildSource(Softmax(""));
  REQUIRE(b.ok);
  Tools tools = Tools::FromEnvironment();
  tools.runner_dir = TempDir("no-runner");
  RunRequest r;
  r.task_dir = f.task;
  r.artifact_path = b.artifact_path;
  r.work_dir = f.work;
  RunResult res = Run(r, f.launcher, tools);
  CHECK(res.verdict.kind == VerdictKind::kInfraError);

  // A runner that dies by signal before writing anything.
  std::ofstream(tools.runner_dir + "/ksearch-runner") << "#!/bin/sh\nkill -9 $$\n";
  std::filesystem::permissions(tools.runner_dir + "/ksearch-runner", std::filesystem::perms::owner_all);
  res = Run(r, f.launcher, tools);
  CHECK(res.verdict.kind == VerdictKind::kInfraError);  // the reference runner died: not the candidate's fault
  CHECK(res.verdict.reason == "reference_failed");
}

TEST_CASE("a built library removed before its run is an infra error, not the candidate's crash",
          "[evaluator][host][fault]") {
  // Someone cleaned the work folder between the build and the run: the
  // runner's dlopen would fail, which used to read crash{load_failed}.
  Fixture f;
  BuildResult b = f.BuildSource(Softmax("/* removed after build */"));
  REQUIRE(b.ok);
  const std::string moved = b.artifact_path + ".moved";
  std::filesystem::rename(b.artifact_path, moved);
  RunRequest r = f.RequestFor(b);
  RunResult res = Run(r, f.launcher);
  INFO(res.verdict.ToString() << " " << res.verdict.detail);
  CHECK(res.verdict.kind == VerdictKind::kInfraError);
  CHECK(res.verdict.reason == "artifact_missing");
  CHECK(res.verdict.detail.find(b.artifact_path) != std::string::npos);
  // Put back, the same request runs.
  std::filesystem::rename(moved, b.artifact_path);
  CHECK(IsPassingVerdict(Run(r, f.launcher).verdict.kind));
}

TEST_CASE("relative task and work folders evaluate as their absolute paths do", "[evaluator][host]") {
  // A daemon started as `ksearchd --config daemon.yaml` passed "work" and
  // "../tasks/softmax": the runner, started in its run folder, read another
  // spec.json and every run ended infra_error{reference_failed}.
  Fixture f;
  namespace fs = std::filesystem;
  const fs::path before = fs::current_path();
  struct Restore {
    fs::path dir;
    ~Restore() { fs::current_path(dir); }
  } restore{before};
  fs::current_path(fs::path(f.work).parent_path());
  BuildRequest b;
  b.task_dir = fs::relative(f.task).string();
  b.source = Softmax("/* relative */");
  b.backend = Backend::kHost;
  b.work_dir = fs::path(f.work).filename().string();
  REQUIRE(b.work_dir.front() != '/');
  BuildResult built = Build(b, f.launcher);
  INFO(built.verdict.ToString() << " " << built.verdict.detail);
  REQUIRE(built.ok);
  CHECK(built.artifact_path.front() == '/');  // usable from any folder
  RunRequest r;
  r.task_dir = b.task_dir;
  r.artifact_path = fs::relative(built.artifact_path).string();
  r.backend = Backend::kHost;
  r.work_dir = b.work_dir;
  RunResult res = Run(r, f.launcher);
  INFO(res.verdict.ToString() << " " << res.verdict.detail);
  CHECK(IsPassingVerdict(res.verdict.kind));
  CHECK(res.time_us > 0);
}

TEST_CASE("a run against a task that changed since its campaign started is an infra error", "[evaluator][host][fault]") {
  Fixture f;
  BuildResult b = f.BuildSource(Softmax("/* task hash */"));
  REQUIRE(b.ok);
  RunRequest r = f.RequestFor(b);
  r.task_hash = LoadTask(f.task).value().content_hash;
  CHECK(IsPassingVerdict(Run(r, f.launcher).verdict.kind));  // the same task: measured
  r.task_hash = std::string(64, '0');  // the campaign's task was another
  RunResult changed = Run(r, f.launcher);
  INFO(changed.verdict.ToString() << " " << changed.verdict.detail);
  CHECK(changed.verdict.kind == VerdictKind::kInfraError);
  CHECK(changed.verdict.reason == "task_changed");
  CHECK(changed.verdict.detail.find("changed since the campaign started") != std::string::npos);
  CHECK(changed.time_us == 0);
}

TEST_CASE("compile errors and hung compilers are typed", "[evaluator][host][fault]") {
  Fixture f;
  BuildResult bad = f.BuildSource("this is not C++;");
  CHECK_FALSE(bad.ok);
  CHECK(bad.verdict.kind == VerdictKind::kCompileError);
  CHECK(bad.evidence["compile"]["log"].get<std::string>().find("error") != std::string::npos);

  std::string dir = TempDir("fake-cc");
  std::string cc = dir + "/hung-c++";
  std::ofstream(cc) << "#!/bin/sh\nif [ \"$1\" = --version ]; then echo fake-c++ 1.0; exit 0; fi\nexec sleep 300\n";
  std::filesystem::permissions(cc, std::filesystem::perms::owner_all);
  Tools tools = Tools::FromEnvironment();
  tools.cxx = cc;
  BuildRequest b;
  b.task_dir = f.task;
  b.source = Softmax("");
  b.work_dir = f.work;
  b.compile_timeout_s = 1;
  BuildResult hung = Build(b, f.launcher, tools);
  CHECK_FALSE(hung.ok);
  CHECK(hung.verdict.kind == VerdictKind::kCompileTimeout);

  // The next build with the real compiler works.
  b.compile_timeout_s = 120;
  CHECK(Build(b, f.launcher).ok);
}

TEST_CASE("ksearch-evaluate runs each phase as its own process", "[evaluator][host]") {
  Fixture f;
  Tools tools = Tools::FromEnvironment();
  BuildRequest b;
  b.task_dir = f.task;
  b.source = Softmax("");
  b.work_dir = f.work;
  ProcessSpec ps;
  ps.argv = {tools.runner_dir + "/ksearch-evaluate", "build"};
  ps.stdin_data = nlohmann::json(b).dump();
  ProcessResult pr = f.launcher.Run(ps);
  REQUIRE(pr.Succeeded());
  BuildResult built = nlohmann::json::parse(pr.stdout_data).get<BuildResult>();
  REQUIRE(built.ok);
  CHECK(std::filesystem::exists(built.artifact_path));

  RunRequest r;
  r.task_dir = f.task;
  r.artifact_path = built.artifact_path;
  r.seed = 5;
  r.work_dir = f.work;
  ps.argv = {tools.runner_dir + "/ksearch-evaluate", "run"};
  ps.stdin_data = nlohmann::json(r).dump();
  pr = f.launcher.Run(ps);
  REQUIRE(pr.Succeeded());
  RunResult res = nlohmann::json::parse(pr.stdout_data).get<RunResult>();
  INFO(res.verdict.detail);
  CHECK(IsPassingVerdict(res.verdict.kind));
  CHECK(res.time_us > 0);

  ps.argv = {tools.runner_dir + "/ksearch-evaluate", "run"};
  ps.stdin_data = "not json";
  CHECK(f.launcher.Run(ps).exit_code == 2);
}

namespace {

// A runner folder whose ksearch-runner is a shell wrapper around the real one:
// `script` runs first with $1 = the spec file (the wrapper is trusted code, so
// this is how a test changes what happens around one runner invocation).
Tools WrappedRunner(const std::string& script) {
  Tools tools = Tools::FromEnvironment();
  std::string real = tools.runner_dir + "/ksearch-runner";
  tools.runner_dir = TempDir("wrapped-runner");
  std::string path = tools.runner_dir + "/ksearch-runner";
  std::ofstream(path) << "#!/bin/sh\n" << script << "\nexec '" << real << "' \"$1\"\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return tools;
}

}  // namespace

TEST_CASE("Run rejects a time below the physics floor", "[evaluator][host][physics]") {
  // Ceilings claiming 1 KB/s: every honest time is below the bytes floor, so the
  // verdict proves that Run applies CheckPhysicsFloor to what it measured.
  Fixture f;
  std::ofstream(f.work + "/ceilings-host-0.json") << R"({"bandwidth_gbs": 1e-6, "peak_gflops": 0, "device": "host"})";
  RunResult r = f.Evaluate(Softmax(""));
  INFO(r.verdict.detail);
  CHECK(r.verdict.kind == VerdictKind::kHackSuspected);
  CHECK(r.verdict.reason == "impossible_speed");
  CHECK(r.evidence["physics"]["floor_checks"][0]["impossible"] == true);
}

TEST_CASE("trusted files are checksummed and verified around every evaluation", "[evaluator][host][trusted]") {
  Fixture f;
  BuildResult b = f.BuildSource(Softmax(""));
  REQUIRE(b.ok);
  RunRequest r;
  r.task_dir = f.task;
  r.artifact_path = b.artifact_path;
  r.seed = 11;
  r.work_dir = f.work;

  RunResult clean = Run(r, f.launcher);
  INFO(clean.verdict.detail);
  CHECK(IsPassingVerdict(clean.verdict.kind));
  CHECK(clean.evidence["trusted_files"]["verified"] == true);
  CHECK(clean.evidence["trusted_files"]["files"].get<int>() >= 4);  // task folder, runner, reference
  CHECK(clean.evidence["reference"]["sha256"].get<std::string>().size() == 64);

  // Landlock enforced with truncation control and applied in the candidate's
  // runner: a trusted file changed meanwhile was changed by someone else.
  auto ran_confined = [](const RunResult& res) {
    const auto abi = checks::LandlockAbiVersion();
    return abi.ok() && *abi >= kLandlockAbiNoTruncate && res.evidence["confinement"].value("applied", false);
  };
  SECTION("a task file changed while the candidate runs voids the evaluation") {
    // The wrapper edits the task outside the runner's confinement, as a user
    // editing the task mid-run would: a confined candidate could not have
    // done it, so the run is void without accusing it (it was
    // hack_suspected{trusted_files_modified} before 2026-11-25). Without
    // Landlock nothing rules the candidate out, and the accusation stands.
    Tools tools = WrappedRunner("grep -q '\"mode\": \"candidate\"' \"$1\" && echo '# changed' >> '" + f.task + "/task.yaml'");
    RunResult res = Run(r, f.launcher, tools);
    INFO(res.verdict.ToString() << " " << res.verdict.detail << " " << res.evidence.value("confinement", nlohmann::json()).dump());
    CHECK(res.verdict.detail.find("task.yaml") != std::string::npos);
    CHECK(res.evidence["trusted_files"]["verified"] == false);
    if (ran_confined(res)) {
      CHECK(res.verdict.kind == VerdictKind::kInfraError);
      CHECK(res.verdict.reason == "task_changed");
      CHECK(res.evidence["trusted_files"]["changed_by"].get<std::string>().find("outside the candidate") == 0);
    } else {
      WARN("Landlock (ABI >= 3) unavailable here: the confined case is not exercised");
      CHECK(res.verdict.kind == VerdictKind::kHackSuspected);
      CHECK(res.verdict.reason == "trusted_files_modified");
    }
  }
  SECTION("the runner changed under a confined candidate is trusted_files_changed") {
    // A rebuild of ksearch-runner during a campaign: the (wrapped) runner file
    // changes while the candidate runs.
    Tools tools = WrappedRunner("grep -q '\"mode\": \"candidate\"' \"$1\" && echo '# rebuilt' >> \"$0\"");
    RunResult res = Run(r, f.launcher, tools);
    INFO(res.verdict.ToString() << " " << res.verdict.detail);
    CHECK(res.evidence["trusted_files"]["verified"] == false);
    if (ran_confined(res)) {
      CHECK(res.verdict.kind == VerdictKind::kInfraError);
      CHECK(res.verdict.reason == "trusted_files_changed");
      CHECK(res.verdict.detail.find("ksearch-runner") != std::string::npos);
    } else {
      CHECK(res.verdict.kind == VerdictKind::kHackSuspected);
    }
  }
  SECTION("a cached reference library that changed since it was built is refused") {
    std::string ref = clean.evidence["reference"]["artifact"];
    std::filesystem::permissions(ref, std::filesystem::perms::owner_all);
    std::ofstream(ref, std::ios::app) << "tampered";
    RunResult res = Run(r, f.launcher);
    INFO(res.verdict.detail);
    CHECK(res.verdict.kind == VerdictKind::kHackSuspected);
    CHECK(res.verdict.reason == "trusted_files_modified");
    CHECK(res.verdict.detail.find("reference library") != std::string::npos);
  }
}

TEST_CASE("a candidate counts as confined throughout only when the kernel enforced it and every run was confined",
          "[evaluator][trusted]") {
  using nlohmann::json;
  const json confined = {{"confinement", {{"requested", true}, {"applied", true}}},
                         {"physics", {{"audit", {{"required", false}}}}}};
  CHECK(CandidateConfinedThroughout(7, confined));
  CHECK(CandidateConfinedThroughout(kLandlockAbiNoTruncate, confined));
  // The runner's report shares the candidate's process: without a Landlock
  // the evaluator saw itself, "applied" proves nothing. ABI 1-2 leave
  // truncation allowed on every file.
  CHECK_FALSE(CandidateConfinedThroughout(0, confined));
  CHECK_FALSE(CandidateConfinedThroughout(kLandlockAbiNoTruncate - 1, confined));
  json no_landlock = confined;
  no_landlock["confinement"]["applied"] = false;
  CHECK_FALSE(CandidateConfinedThroughout(7, no_landlock));
  no_landlock["confinement"]["applied"] = "yes";  // not a boolean
  CHECK_FALSE(CandidateConfinedThroughout(7, no_landlock));
  CHECK_FALSE(CandidateConfinedThroughout(7, json::object()));  // ended before the runner said anything
  json profiled = confined;
  profiled["profile"] = {{"metrics", json::object()}};  // Nsight Compute ran it unconfined
  CHECK_FALSE(CandidateConfinedThroughout(7, profiled));
  json audited = confined;
  audited["physics"]["audit"]["ncu"] = {{"available", true}};
  CHECK_FALSE(CandidateConfinedThroughout(7, audited));
  audited["physics"]["audit"]["ncu"]["available"] = false;  // no ncu: the audit ran it confined
  CHECK(CandidateConfinedThroughout(7, audited));
}

TEST_CASE("a large speedup over the parent is audited before the verdict", "[evaluator][host][audit]") {
  Fixture f;
  BuildResult good = f.BuildSource(Softmax(""));
  REQUIRE(good.ok);
  RunResult first = f.RunArtifact(good);
  REQUIRE(IsPassingVerdict(first.verdict.kind));
  CHECK(first.evidence["physics"]["audit"]["required"] == false);  // no parent
  CHECK_FALSE(first.evidence["physics"]["audit"].contains("executed"));

  // A parent 50x slower than this kernel: the audit must run.
  RunRequest r;
  r.task_dir = f.task;
  r.artifact_path = good.artifact_path;
  r.seed = 77;
  r.work_dir = f.work;
  r.parent.candidate_id = "slow-parent";
  r.parent.time_us = first.time_us * 50;
  for (double m : first.shape_median_us) r.parent.shape_median_us.push_back(m * 50);

  SECTION("an honest kernel passes it, and the evidence says what ran") {
    RunResult res = Run(r, f.launcher);
    INFO(res.verdict.ToString() << " " << res.verdict.detail << " " << res.evidence["physics"]["audit"].dump());
    CHECK(res.verdict.kind == VerdictKind::kImproved);
    const auto& a = res.evidence["physics"]["audit"];
    CHECK(a["required"] == true);
    CHECK(a["executed"] == true);
    CHECK(a["passed"] == true);
    CHECK(a["seed"].get<uint64_t>() != r.seed);
    CHECK(a["independent_us"].size() == first.shape_median_us.size());
    CHECK(a["validation"].size() == 2);             // scored + held-out shape, fresh seed
    CHECK(a["validation"][1]["held_out"] == true);
    CHECK(a["ncu"]["available"] == false);          // host: never pretend
    CHECK(a["ncu"]["note"].get<std::string>().find("ncu unavailable") != std::string::npos);
  }
  SECTION("a kernel that is wrong in the audit's run fails it") {
    BuildResult bad = f.BuildSource(Softmax("y[M * N / 2] += 0.25f;"));
    REQUIRE(bad.ok);
    Tools tools = WrappedRunner("grep -q 'audit/candidate' \"$1\" && sed -i 's|" + good.artifact_path + "|" +
                                bad.artifact_path + "|' \"$1\"");
    RunResult res = Run(r, f.launcher, tools);
    INFO(res.verdict.detail);
    CHECK(res.verdict.kind == VerdictKind::kHackSuspected);
    CHECK(res.verdict.reason == "audit_failed");
    CHECK(res.verdict.detail.find("incorrect on fresh seeds") != std::string::npos);
    CHECK(res.evidence["physics"]["audit"]["passed"] == false);
  }
  SECTION("a kernel that is much slower in the independent timing fails it") {
    BuildResult slow = f.BuildSource(Softmax("for (int rep = 0; rep < 400; ++rep) { asm volatile(\"\" ::: \"memory\"); "
                                             "for (int64_t i = 0; i < M * N; ++i) y[i] = std::exp(std::log(y[i])); }"));
    REQUIRE(slow.ok);
    Tools tools = WrappedRunner("grep -q 'audit/candidate' \"$1\" && sed -i 's|" + good.artifact_path + "|" +
                                slow.artifact_path + "|' \"$1\"");
    RunResult res = Run(r, f.launcher, tools);
    INFO(res.verdict.detail << " " << res.evidence["physics"]["audit"].dump());
    CHECK(res.verdict.kind == VerdictKind::kHackSuspected);
    CHECK(res.verdict.reason == "audit_failed");
    CHECK(res.verdict.detail.find("independent timing") != std::string::npos);
  }
}
