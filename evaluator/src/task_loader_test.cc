#include <catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "ksearch/evaluator/task.h"

namespace fs = std::filesystem;
using namespace ksearch::evaluator;

namespace {

std::string SourceDir() { return KSEARCH_TEST_SOURCE_DIR; }

// A task folder in a fresh temp dir with the given task.yaml and stub files.
std::string MakeTask(const std::string& yaml) {
  static int n = 0;
  fs::path dir = fs::temp_directory_path() / ("ksearch-task-test-" + std::to_string(getpid()) + "-" + std::to_string(n++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"reference.cc", "baseline.cc", "seed.cc", "contract.md"}) std::ofstream(dir / f) << "x";
  std::ofstream(dir / "task.yaml") << yaml;
  return dir.string();
}

const char* kGood = R"(name: t
params: [M, N]
inputs:
  - {name: x, dtype: f32, shape: [M, N], dist: [normal(0,1), mixed]}
outputs:
  - {name: y, dtype: f32, shape: [M, N]}
fscalars: [{name: eps, value: 1e-6}]
shapes:
  host: [{M: 4, N: 8}]
held_out:
  host: [{M: 3, N: 5}]
tolerance:
  f32: {rel_norm: 1.0e-5, elem_rtol: 1.0e-4, elem_atol: 1.0e-6, floor: 1.0e-3}
cost: {bytes: "2*M*N*4", flops: "5*M*N"}
reference: {host: reference.cc}
baseline: {name: b, host: baseline.cc}
seed: {host: seed.cc}
contract: contract.md
backends: [host]
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("the bundled softmax task loads", "[evaluator][task]") {
  auto t = LoadTask(SourceDir() + "/configs/tasks/softmax");
  INFO(t.status().message());
  REQUIRE(t.ok());
  CHECK(t->name == "softmax");
  CHECK(t->params == std::vector<std::string>{"M", "N"});
  CHECK(t->inputs.size() == 1);
  CHECK(t->inputs[0].dists.size() == 3);
  CHECK(t->HasBackend("host"));
  CHECK(t->HasBackend("cuda"));
  CHECK(!t->shapes.at("cuda").empty());
  CHECK(fs::exists(t->files.at("cuda").reference));
  CHECK(t->content_hash.size() == 64);
}

TEST_CASE("a valid minimal task loads with its fields", "[evaluator][task]") {
  auto t = LoadTask(MakeTask(kGood));
  INFO(t.status().message());
  REQUIRE(t.ok());
  CHECK(t->inputs[0].dists.size() == 2);
  CHECK(t->inputs[0].dists[0].text == "normal(0,1)");
  CHECK(t->fscalars.at(0).value == "1e-6");
  CHECK(t->held_out.at("host").at(0).at("N") == 5);
  CHECK(t->ToleranceFor(DType::kF32).floor == 1e-3);
}

TEST_CASE("invalid task files name file, line and key", "[evaluator][task]") {
  struct Case { std::string from, to, expect; };
  std::vector<Case> cases = {
      {"dtype: f32, shape: [M, N], dist", "dtype: f33, shape: [M, N], dist", ":4:22: inputs[0].dtype: unknown dtype 'f33'"},
      {"host: [{M: 4, N: 8}]", "host: [{M: 4}]", ":9:10: shapes.host[0].N: param not bound"},
      {"host: [{M: 4, N: 8}]", "host: [{M: 4, N: 8, K: 2}]", "shapes.host[0].K: not a declared param"},
      {"bytes: \"2*M*N*4\"", "bytes: \"2*M*Q\"", "cost.bytes: expression \"2*M*Q\": unknown name 'Q'"},
      {"floor: 1.0e-3", "floor: 0", "tolerance.f32.floor: must be > 0"},
      {"seed: {host: seed.cc}", "seed: {host: missing.cc}", "seed.host: file 'missing.cc' does not exist"},
      {"contract: contract.md", "contract: contract.md\nbogus: 1", ":19:1: bogus: unknown key"},
      {"f32: {rel_norm", "f16: {rel_norm", "tolerance: no entry for output dtype f32"},
      {"seed: {host: seed.cc}\n", "", "seed: required key missing"},
  };
  for (auto& c : cases) {
    INFO(c.to);
    auto t = LoadTask(MakeTask(Replace(kGood, c.from, c.to)));
    REQUIRE_FALSE(t.ok());
    INFO(t.status().message());
    CHECK(t.status().message().find("task.yaml") != std::string::npos);
    CHECK(t.status().message().find(c.expect) != std::string::npos);
  }
}

TEST_CASE("a YAML syntax error names line and column", "[evaluator][task]") {
  auto t = LoadTask(MakeTask("name: [unclosed\nparams: x\n"));
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().message().find("task.yaml:") != std::string::npos);
}

TEST_CASE("all errors are reported together", "[evaluator][task]") {
  std::string y = Replace(Replace(kGood, "dtype: f32, shape: [M, N], dist", "dtype: f99, shape: [M, N], dist"),
                          "floor: 1.0e-3", "floor: -1");
  auto t = LoadTask(MakeTask(y));
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().message().find("f99") != std::string::npos);
  CHECK(t.status().message().find("floor") != std::string::npos);
}
