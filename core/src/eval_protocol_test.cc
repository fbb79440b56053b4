#include "ksearch/core/eval_protocol.h"

#include <catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

ksearch::BuildRequest SomeBuild() {
  ksearch::BuildRequest r;
  r.task_dir = "/work/configs/tasks/softmax";
  // Every byte a JSON string must escape, a multi-byte character, and a line
  // long enough to need growth while it is written.
  r.source = "// \"quoted\" \\ back\tslash\n#include <cstdio>\x01\x1f é 日本\n" + std::string(5000, 'x');
  r.backend = ksearch::Backend::kCuda;
  r.arch = "sm_90a";
  r.work_dir = "/tmp/w";
  r.compile_timeout_s = 120;
  r.expected_paths = {"wgmma", "cp.async", ""};
  return r;
}

ksearch::RunRequest SomeRun() {
  ksearch::RunRequest r;
  r.task_dir = "/t";
  r.artifact_path = "/a/b.so";
  r.backend = ksearch::Backend::kHip;
  r.arch = "gfx942";
  r.device = "3";
  r.seed = std::numeric_limits<uint64_t>::max();
  r.profile = true;
  r.run_timeout_s = 60;
  r.noise_threshold = 0.0015;
  r.audit_speedup_factor = 1.0 / 3.0;
  r.parent = {"c-abc", 12.345678901234567, {1.0, 2.5e-7, 1e300}};
  r.work_dir = "/w";
  r.task_hash = std::string(64, 'f');
  return r;
}

}  // namespace

using ksearch::BuildRequest;

TEST_CASE("RequestText is the document to_json makes, member for member", "[eval_protocol]") {
  const BuildRequest b = SomeBuild();
  CHECK(json::parse(ksearch::RequestText(b)) == json(b));
  const ksearch::RunRequest r = SomeRun();
  CHECK(json::parse(ksearch::RequestText(r)) == json(r));
  // Defaults too: an empty parent and baseline, empty strings and lists.
  CHECK(json::parse(ksearch::RequestText(BuildRequest{})) == json(BuildRequest{}));
  CHECK(json::parse(ksearch::RequestText(ksearch::RunRequest{})) == json(ksearch::RunRequest{}));
}

TEST_CASE("RequestText reads back into the same request", "[eval_protocol]") {
  const auto back = json::parse(ksearch::RequestText(SomeRun())).get<ksearch::RunRequest>();
  const ksearch::RunRequest r = SomeRun();
  CHECK(back.seed == r.seed);
  CHECK(back.noise_threshold == r.noise_threshold);
  CHECK(back.audit_speedup_factor == r.audit_speedup_factor);
  CHECK(back.parent.time_us == r.parent.time_us);
  CHECK(back.parent.shape_median_us == r.parent.shape_median_us);
  CHECK(back.backend == ksearch::Backend::kHip);
  CHECK(back.profile);
  CHECK(back.task_hash == r.task_hash);
  const auto build = json::parse(ksearch::RequestText(SomeBuild())).get<BuildRequest>();
  CHECK(build.source == SomeBuild().source);
  CHECK(build.expected_paths == SomeBuild().expected_paths);
}

TEST_CASE("RequestText writes a source that is not UTF-8 rather than throwing", "[eval_protocol]") {
  BuildRequest b;
  b.source = std::string("ok \xff\xfe bytes");
  std::string text;
  REQUIRE_NOTHROW(text = ksearch::RequestText(b));
  CHECK(json::parse(text).at("source") == "ok \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}
