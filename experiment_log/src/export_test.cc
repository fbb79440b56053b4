// Campaign export: history.jsonl, memory.json, frontier.csv.
#include <catch.hpp>
#include <fstream>
#include <sstream>

#include "ksearch/experiment_log/export.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::CampaignStarted;
using testing::TempDir;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

TEST_CASE("export writes one history row per attempt, memory and frontier", "[experiment_log][export]") {
  TempDir dir;
  auto log = ExperimentLog::Open(dir.File("k.db"));
  REQUIRE(log.ok());
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {"tiling", "a,b"}, "s0"),
                       CampaignStarted("c2", "softmax", "sm_90", {"x"}, "t0")};
  REQUIRE((*log)->Append(b).ok());
  auto add = [&](const std::string& c, testing::AttemptSpec a) {
    auto ev = AttemptEvents(c, a);
    REQUIRE((*log)->Append(ev).ok());
  };
  add("c1", {.attempt = "a1", .parent = "s0", .axis = "tiling", .verdict = "improved", .candidate = "k1",
             .time_us = 50, .speedup = 2.0});
  add("c1", {.attempt = "a2", .parent = "s0", .axis = "a,b", .verdict = "crash", .detail = "SIGSEGV"});
  add("c1", {.attempt = "a3", .parent = "k1", .axis = "tiling"});
  add("c2", {.attempt = "z1", .parent = "t0", .axis = "x", .verdict = "crash"});

  std::string out = dir.File("export/c1");
  auto summary = ExportCampaign(**log, "c1", out);
  REQUIRE(summary.ok());
  CHECK(summary->attempts == 3);
  CHECK(summary->files.size() == 3);

  auto history = Lines(out + "/history.jsonl");
  REQUIRE(history.size() == 3);
  auto first = nlohmann::json::parse(history[0]);
  CHECK(first["attempt_id"] == "a1");
  CHECK(first["verdict"] == "improved");
  CHECK(first["task"] == "gemm");
  CHECK(nlohmann::json::parse(history[1])["verdict"] == "crash");
  CHECK(nlohmann::json::parse(history[2])["verdict"] == "");  // in flight
  for (const auto& line : history) CHECK(nlohmann::json::parse(line)["campaign_id"] == "c1");

  std::ifstream mf(out + "/memory.json");
  auto memory = nlohmann::json::parse(mf);
  REQUIRE(memory["dead_ends"].size() == 1);
  CHECK(memory["dead_ends"][0]["failure_class"] == "crash");
  CHECK(memory["dead_ends"][0]["example_excerpt"] == "SIGSEGV");
  CHECK(memory["facts"][0]["best_speedup"] == 2.0);

  auto csv = Lines(out + "/frontier.csv");
  REQUIRE(csv.size() == 5);  // header + {s0, k1} x {tiling, "a,b"}
  CHECK(csv[0] == "candidate,axis,state,failure_kind,attempts,failures");
  CHECK(csv[1] == "s0,tiling,improved,,1,0");
  CHECK(csv[2] == "s0,\"a,b\",failed,crash,1,1");
  CHECK(csv[3] == "k1,tiling,in_flight,,1,0");
  CHECK(csv[4] == "k1,\"a,b\",untried,,0,0");

  CHECK(ExportCampaign(**log, "nope", dir.File("x")).status().IsNotFound());
}

}  // namespace
}  // namespace ksearch::experiment_log
