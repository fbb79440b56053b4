#include <catch.hpp>

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ksearch/evaluator/result_wire.h"
#include "ksearch/workers/eval_backend.h"

using namespace ksearch;
using namespace ksearch::workers;
using namespace std::chrono_literals;

namespace {

// Writes an executable fake `ksearch-evaluate` with the given shell body.
std::string FakeEvaluate(const std::string& body) {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() / ("ks_fake_eval_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / ("evaluate" + std::to_string(n++));
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path.string();
}

ProcessBackendOptions Options(const std::string& binary) {
  ProcessBackendOptions o;
  o.evaluate_binary = binary;
  o.run_timeout_factor = 1.0;
  o.run_margin = 200ms;
  o.build_margin = 200ms;
  return o;
}

// The backend called one of two ways, the same results expected: blocking
// (Build/Run), or async on an io_context as ksearchd calls it (StartBuild/
// StartRun, the child waited for by an AsyncChildRunner).
class EitherWay {
 public:
  EitherWay(const std::string& binary, bool async)
      : backend_(PosixProcessLauncher::Instance(), Options(binary), async ? &io_ : nullptr) {
    CHECK(backend_.async() == async);
  }
  RunResult Run(const RunRequest& r) {
    if (!backend_.async()) return backend_.Run(r);
    return Await<RunResult>([&](auto done) { backend_.StartRun(r, std::move(done)); });
  }
  BuildResult Build(const BuildRequest& b) {
    if (!backend_.async()) return backend_.Build(b);
    return Await<BuildResult>([&](auto done) { backend_.StartBuild(b, std::move(done)); });
  }

 private:
  // Starts the call with a callback that keeps its result, then runs io until it came.
  template <typename Result, typename Start>
  Result Await(Start start) {
    std::optional<Result> out;
    start(std::function<void(Result)>([&](Result x) { out = std::move(x); }));
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!out && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(10ms);
      io_.restart();
    }
    return out.value();
  }
  boost::asio::io_context io_;  // first: outlives the backend
  ProcessEvalBackend backend_;
};

RunRequest ShortRun() {
  RunRequest r;
  r.run_timeout_s = 0.3;
  r.device = "3";
  return r;
}

}  // namespace

TEST_CASE("the backend passes the request on stdin and parses the result", "[workers]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  // Echo back the device pinning and a field of the request to prove both arrive.
  auto bin = FakeEvaluate(
      "req=$(cat); seed=$(echo \"$req\" | sed 's/.*\"seed\":\\([0-9]*\\).*/\\1/');"
      "echo \"{\\\"verdict\\\":\\\"improved\\\",\\\"time_us\\\":$seed,"
      "\\\"bottleneck\\\":\\\"dev$CUDA_VISIBLE_DEVICES\\\"}\"");
  EitherWay backend(bin, async);
  RunRequest r = ShortRun();
  r.seed = 4242;
  RunResult out = backend.Run(r);
  CHECK(out.verdict.kind == VerdictKind::kImproved);
  CHECK(out.time_us == 4242);
  CHECK(out.bottleneck == "dev3");
}

TEST_CASE("both children get the evaluator's tools, found once, in their environment", "[workers]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  // The fake reports what it was given: its runners' folder (the folder it
  // is in, not this test's) and whether each tool variable is set.
  auto bin = FakeEvaluate(
      "cat > /dev/null; tools=\"\"; for v in KSEARCH_CXX KSEARCH_NVCC KSEARCH_HIPCC KSEARCH_CUOBJDUMP KSEARCH_NCU; do"
      "  eval \"set=\\${$v+x}\"; [ -n \"$set\" ] && tools=\"$tools$v \"; done;"
      "seen=\"$KSEARCH_RUNNER_DIR|$tools\";"
      "echo \"{\\\"verdict\\\":\\\"improved\\\",\\\"time_us\\\":1,\\\"ok\\\":true,"
      "\\\"bottleneck\\\":\\\"$seen\\\",\\\"artifact_path\\\":\\\"$seen\\\"}\"");
  EitherWay backend(bin, async);
  const std::string expected = std::filesystem::path(bin).parent_path().string() +
                               "|KSEARCH_CXX KSEARCH_NVCC KSEARCH_HIPCC KSEARCH_CUOBJDUMP KSEARCH_NCU ";
  CHECK(backend.Run(ShortRun()).bottleneck == expected);
  CHECK(backend.Build(BuildRequest{}).artifact_path == expected);
}

TEST_CASE("the backend keeps the result's evidence whole and without it an empty object", "[workers]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  EitherWay with(FakeEvaluate(
      "cat >/dev/null; echo '{\"verdict\":\"no_gain\",\"time_us\":3,"
      "\"evidence\":{\"validation\":[{\"shape\":\"M=1\",\"ok\":true}],\"phases\":{\"total_s\":0.5}}}'"), async);
  RunResult out = with.Run(ShortRun());
  CHECK(out.verdict.kind == VerdictKind::kNoGain);
  CHECK(out.time_us == 3);
  CHECK(out.evidence == nlohmann::json::parse(R"({"validation":[{"shape":"M=1","ok":true}],"phases":{"total_s":0.5}})"));

  EitherWay without(FakeEvaluate("cat >/dev/null; echo '{\"ok\":true,\"artifact_path\":\"/a.so\"}'"), async);
  BuildResult built = without.Build(BuildRequest{});
  CHECK(built.ok);
  CHECK(built.artifact_path == "/a.so");
  CHECK(built.evidence == nlohmann::json::object());
}

TEST_CASE("the backend keeps a framed result's evidence text as the child's bytes", "[workers]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  // What ksearch-evaluate run writes (evaluator/result_wire.h): the sections the
  // daemon does not read stay text, byte for byte as the child wrote them.
  RunResult child;
  child.verdict = {VerdictKind::kNoGain, "", ""};
  child.time_us = 3;
  child.evidence = nlohmann::json::parse(
      R"({"validation":[{"shape":"M=1","ok":true,"max_rel_err":1.5e-7}],"phases":{"total_s":0.5},)"
      R"("performance":{"shapes":[{"name":"M=1","median_us":3}]},"environment":{"host":"h"}})");
  const std::string wire = evaluator::RunResultWireText(child);
  auto dir = std::filesystem::temp_directory_path() / ("ks_fake_eval_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "framed.out", std::ios::binary) << wire;
  EitherWay backend(FakeEvaluate("cat >/dev/null; cat '" + (dir / "framed.out").string() + "'"), async);
  RunResult out = backend.Run(ShortRun());
  CHECK(out.verdict.kind == VerdictKind::kNoGain);
  CHECK(out.time_us == 3);
  // Read: what the daemon uses. Not read: the rest, kept as the child's text.
  CHECK(out.evidence == nlohmann::json::parse(R"({"environment":{"host":"h"}})"));
  const std::string text = R"({"performance":{"shapes":[{"median_us":3,"name":"M=1"}]},)"
                           R"("phases":{"total_s":0.5},"profile":{},)"
                           R"("validation":[{"max_rel_err":1.5e-07,"ok":true,"shape":"M=1"}]})";
  CHECK(out.evidence_text == text);
  CHECK(wire.find(text) != std::string::npos);
}

TEST_CASE("the backend keeps a framed build result's sections as the child's bytes", "[workers]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  // What ksearch-evaluate build writes (evaluator/result_wire.h): compile,
  // static and machine_code go into the packet as text, never parsed.
  BuildResult child;
  child.ok = true;
  child.artifact_path = "/a.so";
  child.machine_code_hash = "mc1";
  child.evidence = nlohmann::json::parse(
      R"({"compile":{"compiler_version":"nvcc 13.0","log":"ptxas info: 32 registers"},)"
      R"("static":{"violations":[]},"machine_code":{"instructions":120},)"
      R"("environment":{"compiler_version":"nvcc 13.0"}})");
  const std::string wire = evaluator::BuildResultWireText(child);
  auto dir = std::filesystem::temp_directory_path() / ("ks_fake_build_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "framed.out", std::ios::binary) << wire;
  EitherWay backend(FakeEvaluate("cat >/dev/null; cat '" + (dir / "framed.out").string() + "'"), async);
  BuildResult out = backend.Build(BuildRequest{});
  CHECK(out.ok);
  CHECK(out.artifact_path == "/a.so");
  CHECK(out.machine_code_hash == "mc1");
  CHECK(out.evidence == nlohmann::json::parse(R"({"environment":{"compiler_version":"nvcc 13.0"}})"));
  const std::string text = R"({"compile":{"compiler_version":"nvcc 13.0","log":"ptxas info: 32 registers"},)"
                           R"("machine_code":{"instructions":120},"static":{"violations":[]}})";
  CHECK(out.evidence_text == text);
  CHECK(wire.find(text) != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a hung evaluator is killed and reported as timeout", "[workers][fault]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  EitherWay backend(FakeEvaluate("sleep 30"), async);
  RunResult out = backend.Run(ShortRun());
  CHECK(out.verdict.kind == VerdictKind::kTimeout);
  CHECK(out.verdict.reason == "hard_limit");

  BuildRequest b;
  b.compile_timeout_s = 0.2;
  BuildResult built = backend.Build(b);
  CHECK_FALSE(built.ok);
  CHECK(built.verdict.kind == VerdictKind::kCompileTimeout);
}

TEST_CASE("a crashing or lying evaluator yields a typed infra_error", "[workers][fault]") {
  const bool async = GENERATE(false, true);
  INFO((async ? "async" : "blocking"));
  EitherWay crash(FakeEvaluate("echo dying >&2; kill -SEGV $$"), async);
  RunResult c = crash.Run(ShortRun());
  CHECK(c.verdict.kind == VerdictKind::kInfraError);
  CHECK(c.verdict.detail.find("signal 11") != std::string::npos);

  EitherWay garbage(FakeEvaluate("echo 'this is not json'"), async);
  RunResult g = garbage.Run(ShortRun());
  CHECK(g.verdict.kind == VerdictKind::kInfraError);
  CHECK(g.verdict.detail.find("unparsable") != std::string::npos);

  EitherWay missing("/nonexistent/ksearch-evaluate", async);
  BuildResult m = missing.Build(BuildRequest{});
  CHECK(m.verdict.kind == VerdictKind::kInfraError);
  CHECK(m.verdict.reason == "evaluator_missing");
}
