// Views over a hand-built event sequence: history, population, frontier, memory.
#include <catch.hpp>

#include "ksearch/experiment_log/views.h"
#include "outcome_class.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::AttemptSpec;
using testing::CampaignStarted;

class Builder {
 public:
  explicit Builder(std::string campaign) : campaign_(std::move(campaign)) {}
  Builder& Start(const std::string& task, const std::string& arch, std::vector<std::string> axes) {
    return Add({CampaignStarted(campaign_, task, arch, axes, "s0")});
  }
  Builder& Attempt(AttemptSpec a) {
    if (a.time_ms == 0) a.time_ms = ++clock_;
    return Add(AttemptEvents(campaign_, a));
  }
  Builder& Raw(const std::string& kind, nlohmann::json payload, const std::string& attempt = "") {
    Event e;
    e.campaign_id = campaign_;
    e.attempt_id = attempt;
    e.kind = kind;
    e.time_ms = ++clock_;
    e.payload = std::move(payload);
    return Add({e});
  }
  std::vector<Event> events;

 private:
  Builder& Add(std::vector<Event> more) {
    for (auto& e : more) {
      e.seq = static_cast<int64_t>(events.size()) + 1;
      if (e.time_ms == 0) e.time_ms = ++clock_;
      events.push_back(std::move(e));
    }
    return *this;
  }
  std::string campaign_;
  int64_t clock_ = 1000;
};

// s0 --tiling--> k1 (improved) --vectorize--> k2 (no_gain)
// s0 x vectorize: compile_error three times -> exhausted
// s0 x unroll: incorrect{mismatch} -> failed; k1 x tiling: started only -> in_flight
std::vector<Event> Scenario() {
  Builder b("c1");
  b.Start("gemm", "sm_90", {"tiling", "vectorize", "unroll"})
      .Attempt({.attempt = "a1", .parent = "s0", .axis = "tiling", .verdict = "improved",
                .candidate = "k1", .time_us = 80, .speedup = 1.25, .detail = "tiled 128x128"})
      .Attempt({.attempt = "a2", .parent = "s0", .axis = "vectorize", .verdict = "compile_error{ptxas}",
                .detail = "ptxas error 1\nline b\nline c\nline d"})
      .Attempt({.attempt = "a3", .parent = "s0", .axis = "vectorize", .verdict = "compile_error{ptxas}"})
      .Attempt({.attempt = "a4", .parent = "s0", .axis = "vectorize", .verdict = "compile_error"})
      .Attempt({.attempt = "a5", .parent = "s0", .axis = "unroll", .verdict = "incorrect{mismatch}",
                .detail = "max abs error 3.5"})
      .Attempt({.attempt = "a6", .parent = "k1", .axis = "tiling"})
      .Attempt({.attempt = "a7", .parent = "k1", .axis = "vectorize", .verdict = "no_gain",
                .candidate = "k2", .time_us = 81, .speedup = 0.99})
      .Raw("llm_call", {{"cost_usd", 0.25}, {"model", "m"}}, "a6")
      .Raw("llm_call", {{"cost_usd", 0.5}, {"model", "m"}}, "a6")
      .Raw("remeasured", {{"candidate", "k1"}, {"time_us", 82.0}, {"spread", 0.02}, {"agrees", true}})
      .Raw("best_promoted", {{"candidate", "k1"}, {"time_us", 82.0}})
      .Raw("migration", {{"candidate", "k2"}, {"from_island", 0}, {"to_island", 2}});
  return b.events;
}

const FrontierEntry& Find(const std::vector<FrontierEntry>& f, const std::string& c, const std::string& a) {
  for (const auto& e : f)
    if (e.candidate == c && e.axis == a) return e;
  FAIL("no frontier entry " << c << " x " << a);
  return f.front();
}

TEST_CASE("frontier follows the state machine per (candidate, axis)", "[experiment_log][views]") {
  auto events = Scenario();
  auto f = BuildFrontier(events, "c1");
  CHECK(f.size() == 9);  // 3 members x 3 axes
  CHECK(Find(f, "s0", "tiling").state == FrontierState::kImproved);
  const auto& vec = Find(f, "s0", "vectorize");
  CHECK(vec.state == FrontierState::kExhausted);
  CHECK(vec.failures == 3);
  CHECK(vec.attempts == 3);
  CHECK(vec.failure_kind == "compile_error");
  const auto& unroll = Find(f, "s0", "unroll");
  CHECK(unroll.state == FrontierState::kFailed);
  CHECK(unroll.failure_kind == "incorrect{mismatch}");
  CHECK(Find(f, "k1", "tiling").state == FrontierState::kInFlight);
  CHECK(Find(f, "k1", "vectorize").state == FrontierState::kNoGain);
  CHECK(Find(f, "k1", "unroll").state == FrontierState::kUntried);
  CHECK(Find(f, "k2", "tiling").state == FrontierState::kUntried);
  CHECK(Find(f, "k2", "tiling").attempts == 0);
  CHECK(BuildFrontier(events, "other").empty());
}

TEST_CASE("failures of different kinds do not exhaust a pair", "[experiment_log][views]") {
  Builder b("c1");
  b.Start("gemm", "sm_90", {"unroll"});
  for (int i = 0; i < kExhaustAfter - 1; ++i)
    b.Attempt({.attempt = "c" + std::to_string(i), .parent = "s0", .axis = "unroll", .verdict = "compile_error"});
  b.Attempt({.attempt = "x", .parent = "s0", .axis = "unroll", .verdict = "crash"});
  auto f = BuildFrontier(b.events, "c1");
  REQUIRE(f.size() == 1);
  CHECK(f[0].state == FrontierState::kFailed);
  CHECK(f[0].failure_kind == "crash");
  CHECK(f[0].failures == kExhaustAfter);

  SECTION("one more of the same kind exhausts it") {
    b.Attempt({.attempt = "c9", .parent = "s0", .axis = "unroll", .verdict = "compile_error{nvcc}"});
    CHECK(BuildFrontier(b.events, "c1")[0].state == FrontierState::kExhausted);
  }
  SECTION("infra errors say nothing about the idea") {
    b.Attempt({.attempt = "i", .parent = "s0", .axis = "unroll", .verdict = "infra_error"});
    auto g = BuildFrontier(b.events, "c1");
    CHECK(g[0].state == FrontierState::kFailed);
    CHECK(g[0].attempts == kExhaustAfter + 1);
  }
}

TEST_CASE("population holds measured candidates with re-measurement and best", "[experiment_log][views]") {
  auto pop = BuildPopulation(Scenario(), "c1");
  REQUIRE(pop.size() == 3);
  CHECK(pop[0].candidate == "s0");
  CHECK(pop[1].candidate == "k1");
  CHECK(pop[1].parent == "s0");
  CHECK(pop[1].axis == "tiling");
  CHECK(pop[1].attempt_id == "a1");
  CHECK(pop[1].time_us == 82.0);  // the agreeing re-measurement replaces 80
  CHECK(pop[1].remeasured);
  CHECK(pop[1].best);
  CHECK_FALSE(pop[2].best);
  CHECK(pop[2].candidate == "k2");
  CHECK(pop[2].island == 2);
  CHECK(pop[2].time_us == 81.0);
}

TEST_CASE("population: a reference sample is no re-measurement outcome", "[experiment_log][views]") {
  // k2 (no_gain, 81 us) is measured again as a reference for a child's test;
  // k1's confirmed figure stays, whatever a reference event of it would say.
  Builder b("c1");
  b.events = Scenario();
  b.Raw("remeasured", {{"candidate", "k2"}, {"reference", true}, {"for", "k3"}, {"time_us", 79.0},
                       {"spread", 0.01}, {"estimate_us", 79.0}})
      .Raw("remeasured", {{"candidate", "k1"}, {"reference", true}, {"time_us", 90.0}, {"spread", 0.01}});
  auto pop = BuildPopulation(b.events, "c1");
  REQUIRE(pop.size() == 3);
  CHECK(pop[1].time_us == 82.0);
  CHECK(pop[1].remeasured);
  CHECK(pop[2].time_us == 81.0);
  CHECK_FALSE(pop[2].remeasured);
}

TEST_CASE("history has one row per attempt, pass or fail", "[experiment_log][views]") {
  auto rows = BuildHistory(Scenario());
  REQUIRE(rows.size() == 7);
  CHECK(rows[0].attempt_id == "a1");
  CHECK(rows[0].task == "gemm");
  CHECK(rows[0].arch == "sm_90");
  CHECK(rows[0].verdict == "improved");
  CHECK(rows[0].candidate == "k1");
  CHECK(rows[0].speedup_vs_parent == 1.25);
  CHECK(rows[0].finished());
  CHECK(rows[4].verdict == "incorrect{mismatch}");
  const HistoryRow& in_flight = rows[5];
  CHECK(in_flight.attempt_id == "a6");
  CHECK_FALSE(in_flight.finished());
  CHECK(in_flight.cost_usd == 0.75);  // its two LLM calls
}

TEST_CASE("memory counts facts and dead ends per task, arch, axis and class", "[experiment_log][views]") {
  Memory m = BuildMemory(Scenario());
  REQUIRE(m.facts.size() == 1);
  CHECK(m.facts[0].axis == "tiling");
  CHECK(m.facts[0].count == 1);
  CHECK(m.facts[0].best_speedup == 1.25);
  CHECK(m.facts[0].example_attempt == "a1");
  REQUIRE(m.dead_ends.size() == 4);
  const DeadEnd& top = m.dead_ends[0];  // most frequent first
  CHECK(top.failure_class == "compile_error{ptxas}");
  CHECK(top.count == 2);
  CHECK(top.task == "gemm");
  CHECK(top.arch == "sm_90");
  CHECK(top.example_attempt == "a2");
  CHECK(top.example_excerpt == "ptxas error 1\nline b\nline c");
  CHECK(top.first_seen_ms < top.last_seen_ms);

  CHECK(FilterDeadEnds(m.dead_ends, {.failure_class = "compile_error"}).size() == 2);
  CHECK(FilterDeadEnds(m.dead_ends, {.failure_class = "incorrect{mismatch}"}).size() == 1);
  CHECK(FilterDeadEnds(m.dead_ends, {.axis = "vectorize"}).size() == 3);  // incl. no_gain on k1
  CHECK(FilterDeadEnds(m.dead_ends, {.arch = "gfx942"}).empty());
  CHECK(FilterDeadEnds(m.dead_ends, {.since_ms = top.last_seen_ms + 1000}).empty());
  auto j = ToJson(m);
  CHECK(j["dead_ends"].size() == 4);
  CHECK(j["facts"][0]["axis"] == "tiling");
}

TEST_CASE("excerpts keep the first lines of a detail", "[experiment_log][views]") {
  CHECK(Excerpt("one") == "one");
  CHECK(Excerpt("one\ntwo\n") == "one\ntwo");
  CHECK(Excerpt("1\n2\n3\n4\n5") == "1\n2\n3");
  CHECK(Excerpt(std::string(1000, 'a')).size() == kExcerptChars + 3);
  CHECK(IsDeadEndVerdict("no_gain"));
  CHECK(IsDeadEndVerdict("hack_suspected{impossible_speed}"));
  CHECK_FALSE(IsDeadEndVerdict("duplicate{source}"));
  CHECK_FALSE(IsDeadEndVerdict("improved"));
}

}  // namespace
}  // namespace ksearch::experiment_log
