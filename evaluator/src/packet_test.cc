// The stored packet's text (EvidencePacketText, the daemon's path) against
// the packet built as a tree (MakeEvidencePacket), with requests that carry a
// real source: the requests are written as text, not through the tree.
#include <catch.hpp>
#include <nlohmann/json.hpp>

#include "ksearch/evaluator/evaluator.h"
#include "ksearch/evaluator/result_wire.h"

namespace {

using namespace ksearch;
using nlohmann::json;

BuildRequest SourceRequest() {
  BuildRequest r;
  r.task_dir = "/tasks/softmax";
  r.source = "#include \"ks_kernel.h\"\n// tab\there, quote \" backslash \\ and é\n" + std::string(3000, ';');
  r.backend = Backend::kCuda;
  r.arch = "sm_90a";
  r.work_dir = "/w";
  r.expected_paths = {"cp.async"};
  return r;
}

RunRequest ParentRequest() {
  RunRequest r;
  r.task_dir = "/tasks/softmax";
  r.artifact_path = "/w/a.so";
  r.backend = Backend::kCuda;
  r.arch = "sm_90a";
  r.device = "0";
  r.seed = 1234567890123ull;
  r.noise_threshold = 0.0015;
  r.parent = {"c-parent", 41.75, {40.5, 43.0}};
  r.baseline = {"baseline", 99.25, {98.0, 100.5}};
  return r;
}

BuildResult Built() {
  BuildResult b;
  b.ok = true;
  b.artifact_path = "/w/a.so";
  b.source_hash = "s1";
  b.machine_code_hash = "m1";
  b.evidence = {{"compile", {{"compiler_version", "nvcc 13.0"}, {"log", "warning: x\n"}}},
                {"static", {{"ok", true}}},
                {"machine_code", {{"instructions", 812}}}};
  return b;
}

RunResult Measured() {
  RunResult r;
  r.verdict = {VerdictKind::kImproved, "", ""};
  r.time_us = 40.125;
  r.spread = 0.004;
  r.shape_median_us = {39.0, 41.25};
  r.bottleneck = "memory";
  r.evidence = {{"validation", json::array({{{"shape", "a"}, {"ok", true}}})},
                {"performance", {{"geomean_us", 40.125}}},
                {"profile", json::object()},
                {"environment", {{"gpu", "H100"}}},
                {"runner_log", "ok\n"}};
  return r;
}

}  // namespace

TEST_CASE("the stored packet's text is the packet's tree, requests with a source included", "[evaluator][packet]") {
  const BuildRequest breq = SourceRequest();
  const RunRequest rreq = ParentRequest();
  const BuildResult b = Built();
  const RunResult r = Measured();
  json expect = evaluator::MakeEvidencePacket(breq, b, rreq, &r);
  REQUIRE(expect["build_request"]["source"] == breq.source);
  const json members{{"replay", "ksearch replay a1"}};
  expect["replay"] = "ksearch replay a1";

  // As the daemon gets them: both results framed by the children.
  BuildResult got_build;
  RunResult got_run;
  std::string why;
  REQUIRE(evaluator::ParseResultWire(evaluator::BuildResultWireText(b), got_build, why));
  REQUIRE(evaluator::ParseResultWire(evaluator::RunResultWireText(r), got_run, why));
  const std::string text = evaluator::EvidencePacketText(breq, got_build, rreq, &got_run, members);
  CHECK(json::parse(text) == expect);

  // And from results made in-process (no text sections).
  RunResult in_process = Measured();
  CHECK(json::parse(evaluator::EvidencePacketText(breq, b, rreq, &in_process, members)) == expect);

  // No run (a failed or duplicate build): the requests are still there.
  json no_run = evaluator::MakeEvidencePacket(breq, b, rreq, nullptr);
  no_run["replay"] = "ksearch replay a1";
  CHECK(json::parse(evaluator::EvidencePacketText(breq, b, rreq, nullptr, members)) == no_run);
}

TEST_CASE("a caller's member named like a request stands, once", "[evaluator][packet]") {
  const json members{{"build_request", "elsewhere"}};
  RunResult r = Measured();
  const std::string text = evaluator::EvidencePacketText(SourceRequest(), Built(), ParentRequest(), &r, members);
  const json p = json::parse(text);
  CHECK(p["build_request"] == "elsewhere");
  CHECK(p["run_request"]["seed"] == 1234567890123ull);
  CHECK(text.find("\"build_request\"") == text.rfind("\"build_request\""));  // one member of that name
}
