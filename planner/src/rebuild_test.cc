// Rebuild-equals-live: a campaign driven live (Next -> events -> Observe)
// and a fresh planner fed the same events must agree field by field, at every
// prefix, and make the same next decision.
#include <catch.hpp>

#include <random>

#include "planner_state.h"
#include "test_campaign.h"

using namespace ksearch;
using namespace ksearch::planner;
using namespace ksearch::planner::testing;

namespace {

// Drives `steps` attempts with pseudo-random outcomes of every kind the daemon
// writes (failures, llm costs, improvements, refuted and confirmed re-measures,
// promotions, repairs), checking replays of prefixes along the way. Returns
// the events written.
std::vector<Event> DriveAndCheck(CampaignSpec spec, int steps, uint64_t outcome_seed) {
  auto live = MakePlanner(spec);
  Script s(live.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  std::mt19937_64 rng(outcome_seed);
  std::uniform_real_distribution<double> u(0, 1);
  int cand = 0, checked = 0;
  for (int step = 0; step < steps; ++step) {
    NextStep n = live->Next(0);
    if (!n.decision) break;
    const Decision& d = *n.decision;
    std::string a = s.Start(d);
    if (d.proposer != "tuner") s.LlmCall(a, d.proposer, 0.01 + 0.01 * u(rng));
    double r = u(rng);
    if (r < 0.25) {
      const char* fails[] = {"compile_error", "incorrect{mismatch}", "proposal_failed{patch_failed}",
                             "proposal_failed{llm_error}", "crash"};
      s.Finish(a, fails[static_cast<int>(u(rng) * 5)], "", 0);
    } else if (r < 0.3) {
      s.Finish(a, "duplicate{source}", "", 0);
    } else {
      std::string c = "c" + std::to_string(++cand);
      double parent_t = 100;
      // The snapshot outlives the loop: a range-for over a member of a
      // temporary would iterate a destroyed object (ASan found it).
      const nlohmann::json snapshot = live->Snapshot();
      for (const auto& [id, m] : snapshot["members"].items())
        if (id == d.parent) parent_t = m["time_us"];
      double t = parent_t * (0.8 + 0.3 * u(rng));
      auto j = live->JudgeMeasurement(d.parent, t, 0.01);
      REQUIRE(j.ok());
      s.Finish(a, VerdictKindName(j->kind).data(), c, t, u(rng) < 0.5 ? "memory" : "compute", 0.01);
      for (bool again = j->needs_remeasure; again;) {
        double t2 = t * (0.95 + 0.15 * u(rng));
        auto rj = live->JudgeRemeasurement(c, t2, 0.01);
        REQUIRE(rj.ok());
        again = rj->needs_another;
        s.Remeasure(c, t2, rj->agrees, !again);
        if (rj->promote_best) s.Promote(c, t2);
        // The parent's sample the test asked for (a quarter of them failed).
        if (!rj->reference_sample_of.empty())
          s.ReferenceSample(rj->reference_sample_of, u(rng) < 0.25 ? 0.0 : parent_t * (0.97 + 0.06 * u(rng)), 0.01);
      }
    }
    if (step % 17 == 0) {  // replay the prefix into a fresh planner
      auto fresh = MakePlanner(spec);
      for (const Event& e : s.events) fresh->Observe(e);
      REQUIRE(fresh->Snapshot() == live->Snapshot());
      // The live planner's remembered open axes (kept across events) and the
      // fresh one's (computed now) give the same decision.
      NextStep x = live->Next(0), y = fresh->Next(0);
      REQUIRE(x.reason == y.reason);
      REQUIRE(x.decision.has_value() == y.decision.has_value());
      if (x.decision) REQUIRE(x.decision->ToJson() == y.decision->ToJson());
      ++checked;
    }
  }
  auto fresh = MakePlanner(spec);
  for (const Event& e : s.events) fresh->Observe(e);
  nlohmann::json a = live->Snapshot(), b = fresh->Snapshot();
  for (auto it = a.begin(); it != a.end(); ++it) {
    INFO("field " << it.key());
    CHECK(b[it.key()] == it.value());
  }
  CHECK(a.size() == b.size());
  NextStep x = live->Next(0), y = fresh->Next(0);
  CHECK(x.reason == y.reason);
  CHECK(x.decision.has_value() == y.decision.has_value());
  if (x.decision && y.decision) CHECK(x.decision->ToJson() == y.decision->ToJson());
  CHECK(checked > 0);
  CHECK(a["attempts_finished"].get<int>() > 10);
  return s.events;
}

}  // namespace

TEST_CASE("planner rebuilt from the log equals the live planner", "[planner][rebuild]") {
  CampaignSpec spec = TestSpec();
  spec.proposers = {{"tuner", 1}, {"llm_a", 2}, {"llm_b", 1}};
  SECTION("default campaign") { DriveAndCheck(spec, 150, 1); }
  SECTION("other seeds and shape") {
    spec.islands = 3;
    spec.migration_interval = 5;
    spec.seed = 99;
    DriveAndCheck(spec, 120, 2);
  }
  SECTION("precise measurements: provisional parents and their reference samples") {
    spec.noise_threshold = 0.03;  // spread 1%: precise (IsPrecise), so no_gain members are parents
    // Outcome seed 13: 10 reference samples, 3 of them failed (a quarter of
    // them fail in DriveAndCheck), so the replay covers both kinds.
    const std::vector<Event> events = DriveAndCheck(spec, 150, 13);
    int reference = 0, failed = 0;
    for (const Event& e : events) {
      if (e.kind != "remeasured" || !e.payload.value("reference", false)) continue;
      ++reference;
      failed += e.payload.value("time_us", 0.0) == 0.0;
    }
    CHECK(reference > failed);
    CHECK(failed > 0);
  }
}

TEST_CASE("the remembered open axes answer as PairOpen does after every event", "[planner][rebuild]") {
  CampaignSpec spec = TestSpec();
  spec.proposers = {{"tuner", 1}, {"llm_a", 2}};
  const std::vector<Event> events = DriveAndCheck(spec, 150, 3);
  auto axes = TestAxes();
  REQUIRE(axes.ok());
  PlannerState state(spec, *axes);
  int compared = 0, closed = 0;
  for (const Event& e : events) {
    state.Fold(e);
    // Every member is asked after every event, so an answer kept past a change
    // to one of its pairs would be seen at the next event.
    for (const auto& [id, m] : state.members) {
      for (bool tuner : {false, true}) {
        std::vector<const Axis*> want;
        for (const Axis& a : axes->axes())
          if ((a.tuner_only ? tuner : true) && state.PairOpen(id, a)) want.push_back(&a);
        const std::vector<const Axis*>& got = state.OpenAxesOf(id, tuner, true);
        INFO("event " << e.seq << " (" << e.kind << "), member " << id);
        REQUIRE(got == want);
        ++compared;
        closed += want.size() < axes->axes().size() - (tuner ? 0 : 1);
      }
    }
  }
  CHECK(compared > 1000);
  CHECK(closed > 100);  // pairs did close along the way: the cache was invalidated, not just filled
}

TEST_CASE("events of other campaigns and unknown kinds do not change state", "[planner][rebuild]") {
  auto p = MakePlanner();
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);
  nlohmann::json before = p->Snapshot();
  Event e;
  e.campaign_id = "other";
  e.kind = "attempt_started";
  e.attempt_id = "zz";
  p->Observe(e);
  CHECK(p->Snapshot() == before);
  s.Emit("some_future_kind", "", {{"x", 1}});
  nlohmann::json after = p->Snapshot();
  after["events_seen"] = before["events_seen"];
  after["last_event_ms"] = before["last_event_ms"];
  CHECK(after == before);
}
