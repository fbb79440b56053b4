#include <catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "ksearch/planner/campaign_spec.h"

using ksearch::planner::ParseCampaignSpec;

namespace {
const char* kGood = R"(campaign_id: c1
task: softmax
backend: cuda
arch: sm_90
axes: [vectorized_access, parameter_tuning]
islands: 3
elites_per_island: 2
migration_interval: 10
selection: {exploit: 0.5, explore: 0.3, frontier: 0.2}
budgets: {wall_seconds: 3600, attempts: 200, money_usd: 5.5}
plateau: {window: 40}
noise_threshold: 0.03
proposers:
  - tuner
  - {name: gpt, weight: 3}
repair: {max_per_lineage: 1}
seed: 42
)";
}  // namespace

TEST_CASE("campaign spec parses every field", "[planner]") {
  auto r = ParseCampaignSpec(kGood, "c1.yaml");
  REQUIRE(r.ok());
  CHECK(r->campaign_id == "c1");
  CHECK(r->arch == "sm_90");
  CHECK(r->axes.size() == 2);
  CHECK(r->islands == 3);
  CHECK(r->selection.explore == Approx(0.3));
  CHECK(r->budgets.attempts == 200);
  CHECK(r->budgets.money_usd == Approx(5.5));
  CHECK(r->plateau.window == 40);
  REQUIRE(r->proposers.size() == 2);
  CHECK(r->proposers[0].is_tuner());
  CHECK(r->proposers[1].name == "gpt");
  CHECK(r->proposers[1].weight == Approx(3));
  CHECK(r->repair.max_per_lineage == 1);
  CHECK(r->seed == 42);
}

TEST_CASE("campaign spec errors name file, line and key", "[planner]") {
  SECTION("unknown key") {
    std::string y = std::string(kGood) + "islandz: 4\n";
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:18: islandz: unknown key") != std::string::npos);
  }
  SECTION("wrong type") {
    std::string y = kGood;
    y.replace(y.find("islands: 3"), 10, "islands: many");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:6: islands: expected an integer, got 'many'") !=
          std::string::npos);
  }
  SECTION("range violation points at the key's line") {
    std::string y = kGood;
    y.replace(y.find("noise_threshold: 0.03"), 21, "noise_threshold: 0.9");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:12: noise_threshold: must be in [0, 0.5)") !=
          std::string::npos);
  }
  SECTION("nested key") {
    std::string y = kGood;
    y.replace(y.find("attempts: 200"), 13, "atempts: 200");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("budgets.atempts: unknown key") != std::string::npos);
  }
  SECTION("missing required key") {
    std::string y = kGood;
    y.erase(0, y.find('\n') + 1);
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("campaign_id: required key is missing") != std::string::npos);
  }
  SECTION("duplicate proposer") {
    std::string y = std::string(kGood);
    y.replace(y.find("  - tuner\n"), 10, "  - gpt\n");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("proposers[1].name: duplicate 'gpt'") != std::string::npos);
  }
  SECTION("syntax error") {
    auto r = ParseCampaignSpec("a: [1, 2\n", "bad.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().rfind("bad.yaml:", 0) == 0);
  }
}

TEST_CASE("a campaign id is refused where it could not name an API path or a work folder", "[planner]") {
  // "p 4/x" was accepted before: the campaign ran, its work folder was
  // "p 4/x" and no API call could name it (not even to stop it).
  for (const char* id : {"p 4/x", "../escape", "..", ".hidden", "a/b", "tab\there", "caf\xc3\xa9"}) {
    std::string y = kGood;
    y.replace(0, y.find('\n'), std::string("campaign_id: \"") + id + "\"");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    INFO(id);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:1: campaign_id: '") != std::string::npos);
  }
  CHECK_FALSE(ksearch::planner::IsValidCampaignId(std::string(129, 'a')));
  for (const char* id : {"c1", "softmax-h100_v2.1", "A.b-c_d"}) CHECK(ksearch::planner::IsValidCampaignId(id));
}

TEST_CASE("a campaign's task names a folder of tasks_dir, not a path", "[planner]") {
  // "../../etc" was accepted before 2026-11-25: the daemon then looked for
  // tasks_dir/../../etc/task.yaml.
  for (const char* task : {"../../etc", "/etc", "a/b", "..", ".hidden", "soft max"}) {
    std::string y = kGood;
    y.replace(y.find("task: softmax"), 13, std::string("task: \"") + task + "\"");
    auto r = ParseCampaignSpec(y, "c1.yaml");
    INFO(task);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:2: task: '" + std::string(task) + "' must name a folder of tasks_dir") !=
          std::string::npos);
  }
  std::string y = kGood;
  y.replace(y.find("task: softmax"), 13, "task: layer_norm-v2.1");
  CHECK(ParseCampaignSpec(y, "c1.yaml").ok());
}

TEST_CASE("a campaign's arch must be one its backend builds for", "[planner]") {
  auto with = [](const std::string& backend, const std::string& arch) {
    std::string y = kGood;
    y.replace(y.find("backend: cuda"), 13, "backend: " + backend);
    y.replace(y.find("arch: sm_90"), 11, "arch: " + arch);
    return ParseCampaignSpec(y, "c1.yaml");
  };
  // A host campaign filed as sm_90a was accepted: its dead ends then read as
  // sm_90a facts in `ksearch deadends --arch sm_90a`.
  for (const auto& [backend, arch] : std::vector<std::pair<std::string, std::string>>{
           {"host", "sm_90a"}, {"host", "gfx942"}, {"host", "compute_90"}, {"host", "x86 64"}, {"cuda", "gfx942"},
           {"cuda", "x86_64"}, {"cuda", "sm_"}, {"cuda", "sm_90b"}, {"hip", "sm_90a"}, {"hip", "gfx"}, {"hip", "gfx94z"}}) {
    auto r = with(backend, arch);
    INFO(backend << " " << arch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("c1.yaml:4: arch: '" + arch + "'") != std::string::npos);
  }
  for (const auto& [backend, arch] : std::vector<std::pair<std::string, std::string>>{
           {"host", "x86_64"}, {"host", "aarch64"}, {"cuda", "sm_80"}, {"cuda", "sm_90a"}, {"cuda", "sm_100f"},
           {"cuda", "sm_120"}, {"hip", "gfx90a"}, {"hip", "gfx942"}, {"hip", "gfx1100"}}) {
    auto r = with(backend, arch);
    INFO(backend << " " << arch << ": " << r.status().ToString());
    CHECK(r.ok());
  }
}

TEST_CASE("a campaign file that cannot be read is named with the reason", "[planner]") {
  const std::string path = "/nonexistent-ksearch-dir/c1.yaml";
  auto r = ksearch::planner::LoadCampaignSpec(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsNotFound());
  CHECK(r.status().message() == path + ": cannot read the campaign file: No such file or directory");
}

TEST_CASE("start_from names an earlier campaign, and optionally one of its members", "[planner][start_from]") {
  const std::string base = kGood;
  SECTION("absent: the task's seed, and the spec's JSON has no such key") {
    auto r = ParseCampaignSpec(base, "c1.yaml");
    REQUIRE(r.ok());
    CHECK(r->start_from.empty());
    CHECK_FALSE(r->ToJson().contains("start_from"));
  }
  SECTION("a campaign id: that campaign's best") {
    auto r = ParseCampaignSpec(base + "start_from: overnight-sm80\n", "c1.yaml");
    REQUIRE(r.ok());
    CHECK(r->start_from.campaign == "overnight-sm80");
    CHECK(r->start_from.candidate.empty());
    CHECK(r->ToJson()["start_from"] == nlohmann::json{{"campaign", "overnight-sm80"}, {"candidate", ""}});
  }
  SECTION("a campaign and a member of it") {
    auto r = ParseCampaignSpec(base + "start_from: {campaign: a, candidate: c0123456789ab}\n", "c1.yaml");
    REQUIRE(r.ok());
    CHECK(r->start_from.campaign == "a");
    CHECK(r->start_from.candidate == "c0123456789ab");
  }
  // Each error names the file, the line of start_from and the key.
  const std::pair<std::string, std::string> bad[] = {
      {"start_from: [a, b]\n", "c1.yaml:18: start_from: expected a campaign id or {campaign: ID, candidate: cHEX}"},
      {"start_from: {candidate: c0123456789ab}\n", "c1.yaml:18: start_from.campaign: required key is missing"},
      {"start_from: {campaign: a, cand: c0123456789ab}\n", "start_from.cand: unknown key"},
      {"start_from: ../x\n", "c1.yaml:18: start_from.campaign: '../x' must be a campaign id"},
      {"start_from: c1\n", "c1.yaml:18: start_from.campaign: a campaign cannot start from itself"},
      {"start_from: {campaign: a, candidate: best}\n",
       "c1.yaml:18: start_from.candidate: 'best' is not a candidate id ('c' and 12 lowercase hex digits"},
      {"start_from: {campaign: a, candidate: c0123456789AB}\n", "start_from.candidate: 'c0123456789AB' is not"},
  };
  for (const auto& [line, want] : bad) {
    CAPTURE(line);
    auto r = ParseCampaignSpec(base + line, "c1.yaml");
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.status().message());
    CHECK(r.status().message().find(want) != std::string::npos);
  }
}
