#include <catch.hpp>

#include <map>
#include <set>

#include "test_campaign.h"

using namespace ksearch;
using namespace ksearch::planner;
using namespace ksearch::planner::testing;

namespace {
std::string PairOutcome(const Planner& p, const std::string& cand, const std::string& axis) {
  nlohmann::json snap = p.Snapshot();
  for (const auto& f : snap["frontier"])
    if (f["candidate"] == cand && f["axis"] == axis) return f["outcome"];
  return "untried";
}
CampaignSpec OneAxisSpec() {
  CampaignSpec s = TestSpec();
  s.proposers = {{"llm_a", 1}};
  s.repair.max_per_lineage = 0;
  return s;
}
std::unique_ptr<Planner> OneAxisPlanner(CampaignSpec s = OneAxisSpec()) {
  auto full = TestAxes();
  auto one = full->Restrict({"unroll"}, {}, "sm_90");
  return std::move(Planner::Create(s, *one)).value();
}
// A started one-axis campaign with `noise_threshold` whose seed measured `seed_us`.
struct OneAxisCampaign {
  explicit OneAxisCampaign(double noise_threshold, double seed_us = 100)
      : p(OneAxisPlanner([noise_threshold] {
          CampaignSpec spec = OneAxisSpec();
          spec.noise_threshold = noise_threshold;
          return spec;
        }())),
        s(p.get()) {
    s.StartCampaign();
    s.MeasureSeed(seed_us);
  }
  std::unique_ptr<Planner> p;
  Script s;
};
// A started campaign (TestSpec without repairs) whose seed measured 100 us.
struct SeededCampaign {
  SeededCampaign() {
    s.StartCampaign();
    s.MeasureSeed(100);
  }
  std::unique_ptr<Planner> p = MakePlanner([] {
    CampaignSpec spec = TestSpec();
    spec.repair.max_per_lineage = 0;
    return spec;
  }());
  Script s{p.get()};
};
}  // namespace

TEST_CASE("the seed is evaluated first, then proposals start from it", "[planner]") {
  auto p = MakePlanner();
  Script s(p.get());
  CHECK(p->Next(0).reason == StopReason::kNotStarted);
  s.StartCampaign();
  NextStep n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kEvaluateSeed);
  CHECK(n.decision->parent_source_blob == "blob_seed");
  std::string id = s.Start(*n.decision);
  CHECK(p->Next(0).reason == StopReason::kWaiting);
  s.Finish(id, "no_gain", "seed", 100);
  // The seed is every first child's reference: it is measured kSeedSamples
  // times (one at a time) before the first proposal; its time is their
  // robust mean.
  const double more[] = {100.2, 99.9, 100.1, 99.8};
  static_assert(kSeedSamples <= 5);
  double sum = 100;  // all within kClipSigmas of their median: the mean
  for (int i = 1; i < kSeedSamples; ++i) {
    n = p->Next(0);
    REQUIRE(n.decision);
    CHECK(n.decision->kind == DecisionKind::kEvaluateSeed);
    id = s.Start(*n.decision);
    CHECK(p->Next(0).reason == StopReason::kWaiting);
    s.Finish(id, "no_gain", "seed", more[i - 1]);
    sum += more[i - 1];
  }
  CHECK(p->Snapshot()["members"]["seed"]["samples"].size() == static_cast<size_t>(kSeedSamples));
  CHECK(p->BestTimeUs() == Approx(sum / kSeedSamples));
  n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kProposal);
  CHECK(n.decision->parent == "seed");
  CHECK(p->BestCandidate() == "seed");
  CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
  CHECK(p->Elites(1) == std::vector<std::string>{"seed"});
}

TEST_CASE("a failed seed stops the campaign as exhausted", "[planner]") {
  auto p = MakePlanner();
  Script s(p.get());
  s.StartCampaign();
  std::string id = s.Start(*p->Next(0).decision);
  s.Finish(id, "compile_error", "", 0);
  NextStep n = p->Next(0);
  CHECK_FALSE(n.decision);
  CHECK(n.reason == StopReason::kExhausted);
  CHECK(n.detail.find("compile_error") != std::string::npos);
}

TEST_CASE("frontier state machine: in_flight, failed, exhausted", "[planner]") {
  auto p = OneAxisPlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  for (int i = 0; i < kExhaustAfter; ++i) {
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    CHECK(n.decision->axis == "unroll");
    std::string id = s.Start(*n.decision);
    CHECK(PairOutcome(*p, "seed", "unroll") == (i == 0 ? "untried" : "failed"));
    CHECK(p->Snapshot()["frontier"][0]["in_flight"] == 1);
    // The only pair is in flight: nothing else to do.
    CHECK(p->Next(0).reason == StopReason::kWaiting);
    s.Finish(id, "compile_error", "", 0);
  }
  CHECK(PairOutcome(*p, "seed", "unroll") == "exhausted");
  NextStep n = p->Next(0);
  CHECK_FALSE(n.decision);
  CHECK(n.reason == StopReason::kExhausted);
}

TEST_CASE("llm errors do not count against an axis", "[planner]") {
  auto p = OneAxisPlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  for (int i = 0; i < 5; ++i) {
    std::string id = s.Start(*p->Next(0).decision);
    s.Finish(id, "proposal_failed{llm_error}", "", 0);
  }
  CHECK(PairOutcome(*p, "seed", "unroll") == "untried");
  CHECK(p->Next(0).decision.has_value());
}

TEST_CASE("no false elite: an improvement is an elite only after re-measurement agrees",
          "[planner][noise]") {
  auto p = OneAxisPlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  Decision first = *p->Next(0).decision;
  std::string a = s.Start(first);
  auto j = p->JudgeMeasurement("seed", 80, 0.005);
  REQUIRE(j.ok());
  CHECK(j->kind == VerdictKind::kImproved);
  CHECK(j->needs_remeasure);
  s.Finish(a, "improved", "c1", 80);
  CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
  // A best_promoted for an unconfirmed candidate is refused by the fold.
  s.Promote("c1", 80);
  CHECK(p->BestCandidate() == "seed");

  SECTION("a re-measurement that fails refutes and is not a sample of the time") {
    s.Remeasure("c1", 81, false, /*final=*/false);
    // The daemon's record of a failed re-measurement: time 0, final, not agreeing.
    s.Emit("remeasured", "", {{"candidate", "c1"}, {"time_us", 0.0}, {"spread", 0.0},
                              {"agrees", false}, {"final", true}});
    const auto c1 = p->Snapshot()["members"]["c1"];
    CHECK(c1["time_us"].get<double>() == Approx(81));  // not 0, not the mean of 81 and 0
    CHECK(c1["samples"] == nlohmann::json::array({81.0}));
    CHECK_FALSE(c1["confirmed"].get<bool>());
    CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
  }
  SECTION("refuted re-measurement") {
    auto r = p->JudgeRemeasurement("c1", 100.5, 0.005);
    REQUIRE(r.ok());
    CHECK_FALSE(r->agrees);
    CHECK_FALSE(r->needs_another);
    s.Remeasure("c1", 100.5, r->agrees);
    CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
    CHECK(PairOutcome(*p, "seed", "unroll") == "no_gain");
    CHECK(p->BestCandidate() == "seed");
  }
  SECTION("a new best needs kMinBestRemeasures agreeing re-measurements; time is their mean") {
    const double t[] = {84.9, 85.1, 85.0, 84.8, 85.2};
    static_assert(kMinBestRemeasures == 5);
    for (int i = 0; i + 1 < kMinBestRemeasures; ++i) {
      auto r = p->JudgeRemeasurement("c1", t[i], 0.005);
      REQUIRE(r.ok());
      CHECK_FALSE(r->agrees);  // not final yet
      CHECK(r->needs_another);
      CHECK_FALSE(r->promote_best);
      s.Remeasure("c1", t[i], r->agrees, /*final=*/!r->needs_another);
      CHECK(p->Elites(first.island) == std::vector<std::string>{"seed"});  // still pending
    }
    auto r2 = p->JudgeRemeasurement("c1", t[4], 0.005);
    REQUIRE(r2.ok());
    CHECK(r2->agrees);
    CHECK_FALSE(r2->needs_another);
    CHECK(r2->promote_best);
    // The judgement carries the estimate the log records (remeasured.estimate_us).
    CHECK(r2->estimate_us == Approx(85));
    s.Remeasure("c1", t[4], true);
    s.Promote("c1", 85);
    CHECK(p->BestCandidate() == "c1");
    CHECK(p->BestTimeUs() == Approx(85));  // mean of the re-measurements, not the first 80
    // The campaign's best joins every island at once.
    CHECK(p->Elites(1 - first.island) == std::vector<std::string>{"c1", "seed"});
    auto elites = p->Elites(first.island);
    REQUIRE(elites.size() == 2);
    CHECK(elites[0] == "c1");
  }
  SECTION("second re-measurement refutes") {
    s.Remeasure("c1", 84, false, false);
    auto r2 = p->JudgeRemeasurement("c1", 120, 0.005);  // mean 102: not faster
    CHECK_FALSE(r2->agrees);
    CHECK_FALSE(r2->needs_another);
    s.Remeasure("c1", 120, false);
    CHECK(p->Elites(first.island) == std::vector<std::string>{"seed"});
    CHECK(PairOutcome(*p, "seed", "unroll") == "no_gain");
  }
}

TEST_CASE_METHOD(SeededCampaign, "improvement reopens neighbouring axes on the child, others stay closed",
                 "[planner]") {
  // Exhaust 'vectorize' (neighbour of coalesce) and 'unroll' (not) on the seed.
  for (const char* axis : {"vectorize", "unroll"}) {
    for (int i = 0; i < kExhaustAfter; ++i) s.Finish(s.Start(Fresh("seed", axis)), "incorrect{mismatch}", "", 0);
    CHECK(PairOutcome(*p, "seed", axis) == "exhausted");
  }
  s.Finish(s.Start(Fresh("seed", "coalesce")), "improved", "child", 70);
  s.Remeasure("child", 71, true);
  CHECK(PairOutcome(*p, "child", "unroll") == "exhausted");
  CHECK(PairOutcome(*p, "child", "vectorize") == "untried");
  CHECK(PairOutcome(*p, "child", "coalesce") == "untried");
}

TEST_CASE("duplicates are recognized before evaluation", "[planner][novelty]") {
  auto p = MakePlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  std::string a = s.Start(*p->Next(0).decision);
  s.Emit("attempt_stage", a, {{"stage", "dedupe"}, {"ok", true}, {"semantic_key", "k1"}});
  s.Finish(a, "no_gain", "c1", 99);
  auto d = p->CheckDuplicate("h_c1", "", "");
  REQUIRE(d);
  CHECK(d->ToString() == "duplicate{source}");
  CHECK(p->CheckDuplicate("h_new", "m_c1", "")->ToString() == "duplicate{machine_code}");
  CHECK(p->CheckDuplicate("h_new", "m_new", "k1")->ToString() == "duplicate{semantic}");
  CHECK_FALSE(p->CheckDuplicate("h_new", "m_new", "k2"));
  CHECK(p->KnownSourceHashes().count("h_c1") == 1);
}

TEST_CASE("the semantic key an attempt_finished carries is known to a planner rebuilt from the log",
          "[planner][novelty]") {
  // ksearchd writes the key into attempt_finished (docs/log-schema.md), failed builds included.
  auto p = MakePlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  std::string a = s.Start(*p->Next(0).decision);
  s.Emit("attempt_finished", a, {{"verdict", "compile_error"}, {"detail", "x"}, {"source_hash", "h_c1"},
                                 {"semantic_key", "k_built"}});
  CHECK(p->CheckDuplicate("h_other", "", "k_built")->ToString() == "duplicate{semantic}");
  auto rebuilt = MakePlanner();
  for (const Event& e : s.events) rebuilt->Observe(e);
  CHECK(rebuilt->CheckDuplicate("h_other", "", "k_built")->ToString() == "duplicate{semantic}");
  CHECK_FALSE(rebuilt->CheckDuplicate("h_other", "", "k_other"));
}

TEST_CASE("a source whose attempt ended for the machine's sake is not a duplicate when proposed again",
          "[planner][novelty]") {
  // infra_error (a full disk, a changed task) and interrupted attempts never
  // judged their candidate: the same source proposed after the machine
  // recovers must be evaluated, not refused as seen. Before, the tuner's
  // neighbours produced into infra errors made the campaign end "exhausted".
  auto p = MakePlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  for (const char* verdict : {"infra_error{reference_build}", "interrupted{restart}"}) {
    const std::string c = std::string(verdict).rfind("infra", 0) == 0 ? "c_infra" : "c_int";
    s.Finish(s.Start(*p->Next(0).decision), verdict, c, 0);
    INFO(verdict);
    CHECK_FALSE(p->CheckDuplicate("h_" + c, "m_" + c, ""));
    CHECK(p->KnownSourceHashes().count("h_" + c) == 0);
  }
  // The same source judged (a candidate's own failure) is seen from then on.
  std::string judged = s.Start(*p->Next(0).decision);
  s.Finish(judged, "incorrect{mismatch}", "c_infra", 0);
  CHECK(p->CheckDuplicate("h_c_infra", "", "")->ToString() == "duplicate{source}");
}

// A campaign with a 1 USD money budget: one call spends 0.7, the next is
// refused by the budget (proposal_failed{budget}): the rest cannot pay for
// one worst-case call.
void SpendThenRefuse(Planner& p, Script& s) {
  std::string a = s.Start(*p.Next(0).decision);
  s.LlmCall(a, "llm_a", 0.7);
  s.Finish(a, "slower", "c1", 120);
  s.Finish(s.Start(*p.Next(0).decision), "proposal_failed{budget}", "", 0);
}

// `n` proposals, each finished slower (candidates c<first>, c<first+1>, ...).
void RunSlower(Planner& p, Script& s, int n, int first) {
  for (int i = 0; i < n; ++i) {
    NextStep next = p.Next(0);
    INFO(i << " " << StopReasonName(next.reason) << " " << next.detail);
    REQUIRE(next.decision);
    s.Finish(s.Start(*next.decision), "slower", "c" + std::to_string(first + i), 130);
  }
}

TEST_CASE("budgets and plateau stop the campaign", "[planner][budget]") {
  CampaignSpec spec = OneAxisSpec();
  SECTION("attempts") {
    spec.budgets.attempts = kSeedSamples + 2;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c1", 120);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c2", 120);
    CHECK(p->Next(0).reason == StopReason::kBudgetAttempts);
  }
  SECTION("an attempt a restart or shutdown interrupted does not use the attempts budget") {
    spec.budgets.attempts = kSeedSamples + 2;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "interrupted{restart}", "", 0);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c1", 120);
    auto next = p->Next(0);
    CHECK(next.reason != StopReason::kBudgetAttempts);  // one place left: the interrupted one
    REQUIRE(next.decision);
    s.Finish(s.Start(*next.decision), "slower", "c2", 120);
    CHECK(p->Next(0).reason == StopReason::kBudgetAttempts);
  }
  SECTION("an attempt that failed outside the candidate (the machine, an LLM endpoint) does not use the budget") {
    const std::pair<const char*, const char*> cases[] = {
        {"infra_error{evaluator_failed}", "1 ended by infra_error"},
        {"proposal_failed{llm_error}", "1 by an LLM endpoint's error"}};
    for (const auto& [verdict, counted] : cases) {
      INFO(verdict);
      spec.budgets.attempts = kSeedSamples + 2;
      auto p = OneAxisPlanner(spec);
      Script s(p.get());
      s.StartCampaign();
      s.MeasureSeed(100);
      s.Finish(s.Start(*p->Next(0).decision), verdict, "", 0);
      s.Finish(s.Start(*p->Next(0).decision), "slower", "c1", 120);
      auto next = p->Next(0);
      CHECK(next.reason != StopReason::kBudgetAttempts);
      REQUIRE(next.decision);
      s.Finish(s.Start(*next.decision), "slower", "c2", 120);
      auto stop = p->Next(0);
      CHECK(stop.reason == StopReason::kBudgetAttempts);
      CHECK(stop.detail.find(counted) != std::string::npos);
    }
  }
  SECTION("money") {
    spec.budgets.money_usd = 1.0;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    std::string a = s.Start(*p->Next(0).decision);
    s.LlmCall(a, "llm_a", 0.6);
    CHECK(p->Next(0).decision.has_value() == false);  // pair in flight
    s.Finish(a, "slower", "c1", 120);
    CHECK(p->Next(0).decision.has_value());
    s.LlmCall(a, "llm_a", 0.5);
    CHECK(p->Next(0).reason == StopReason::kBudgetMoney);
  }
  SECTION("money: a call refused by the budget stops proposing before it is all spent") {
    spec.budgets.money_usd = 1.0;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    SpendThenRefuse(*p, s);
    auto next = p->Next(0);
    CHECK(next.reason == StopReason::kBudgetMoney);
    CHECK(next.detail.find("refused") != std::string::npos);
  }
  SECTION("wall time: the campaign's running time") {
    spec.budgets.wall_seconds = 60;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    const int64_t t0 = s.events.front().time_ms;
    SECTION("from campaign_started") {
      CHECK(p->Next(t0 + 59000).decision.has_value());
      CHECK(p->Next(t0 + 60000).reason == StopReason::kBudgetWall);
    }
    SECTION("time paused is not spent") {
      s.time_ms = t0 + 20'000;
      s.Emit("campaign_state", "", {{"state", "paused"}, {"reason", "requested"}});
      s.time_ms = t0 + 8 * 3600'000;  // resumed the next morning: 40 s left
      s.Emit("campaign_state", "", {{"state", "running"}, {"reason", "resumed"}});
      CHECK(p->Next(s.time_ms + 39'000).decision.has_value());
      const NextStep stop = p->Next(s.time_ms + 40'000);
      CHECK(stop.reason == StopReason::kBudgetWall);
      CHECK(stop.detail.find("60 s running") != std::string::npos);
    }
    SECTION("the time the daemon was down is not spent") {
      const int64_t last = s.events.back().time_ms;  // then the daemon stopped
      s.time_ms = last + 3600'000;
      s.Emit("campaign_state", "", {{"state", "running"}, {"reason", "daemon started"}, {"down_since_ms", last}});
      const int64_t left_ms = 60'000 - (last - t0);
      CHECK(p->Next(s.time_ms + left_ms - 1).decision.has_value());
      CHECK(p->Next(s.time_ms + left_ms).reason == StopReason::kBudgetWall);
    }
  }
  SECTION("plateau") {
    spec.plateau.window = 2;
    auto p = OneAxisPlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "no_gain", "c1", 99);
    NextStep n = p->Next(0);
    INFO(StopReasonName(n.reason) << " " << n.detail);
    REQUIRE(n.decision.has_value());
    s.Finish(s.Start(*n.decision), "slower", "c2", 130);
    CHECK(p->Next(0).reason == StopReason::kPlateau);
  }
}

// What the daemon appends for `ksearch campaign extend` (CampaignService::ExtendCampaign).
void Extend(Script& s, const nlohmann::json& payload) {
  s.Emit("budget_extended", "", payload);
  s.Emit("campaign_state", "", {{"state", "running"}, {"reason", "budget extended"}});
}

TEST_CASE("an extension gives a campaign more budget, from the log", "[planner][budget]") {
  CampaignSpec spec = OneAxisSpec();
  spec.proposers = {{"tuner", 1}, {"llm_a", 1}};
  SECTION("attempts: a spent limit grows from what was used, and the campaign stops again at the new one") {
    spec.budgets.attempts = kSeedSamples + 1;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartWithSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c1", 120);
    REQUIRE(p->Next(0).reason == StopReason::kBudgetAttempts);
    s.Emit("campaign_state", "", {{"state", "finished"}, {"reason", "budget_attempts"}});
    BudgetExtension add;
    add.attempts = 2;
    auto payload = p->Extension(add, 0);
    REQUIRE(payload.ok());
    CHECK((*payload)["budgets"]["attempts"] == kSeedSamples + 3);
    CHECK((*payload)["added"] == nlohmann::json{{"attempts", 2}});
    Extend(s, *payload);
    CHECK(p->budgets().attempts == kSeedSamples + 3);
    RunSlower(*p, s, 2, 2);
    CHECK(p->Next(0).reason == StopReason::kBudgetAttempts);
    // A planner rebuilt from the same events has the extended limits.
    auto rebuilt = MakePlanner(spec);
    for (const auto& e : s.events) rebuilt->Observe(e);
    CHECK(rebuilt->Snapshot() == p->Snapshot());
    CHECK(rebuilt->Next(0).reason == StopReason::kBudgetAttempts);
  }
  SECTION("a request that would leave the campaign stopped, or adds nothing, is refused") {
    spec.budgets.attempts = kSeedSamples + 1;
    spec.budgets.money_usd = 5;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartWithSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c1", 120);
    BudgetExtension money;
    money.money_usd = 10;
    auto r = p->Extension(money, 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kFailedPrecondition);
    CHECK(r.status().message().find("budget_attempts") != std::string::npos);
    CHECK(p->Extension(BudgetExtension{}, 0).status().code() == Status::Code::kInvalidArgument);
    BudgetExtension negative;
    negative.attempts = -1;
    negative.money_usd = 1;
    CHECK(p->Extension(negative, 0).status().code() == Status::Code::kInvalidArgument);
  }
  SECTION("a limit not yet spent grows from itself; an unlimited one cannot be added to") {
    spec.budgets.attempts = 50;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartWithSeed(100);
    BudgetExtension add;
    add.attempts = 10;
    auto payload = p->Extension(add, 0);
    REQUIRE(payload.ok());
    CHECK((*payload)["budgets"]["attempts"] == 60);
    CHECK((*payload)["budgets"]["money_usd"] == 0);
    CHECK((*payload)["budgets"]["wall_seconds"] == 0);
    add.money_usd = 3;  // the spec has no money limit
    auto moot = p->Extension(add, 0);
    REQUIRE_FALSE(moot.ok());
    CHECK(moot.status().code() == Status::Code::kInvalidArgument);
    CHECK(moot.status().message().find("money_usd") != std::string::npos);
  }
  SECTION("wall time: a spent limit gets the increment of running time from now") {
    spec.budgets.wall_seconds = 60;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartWithSeed(100);
    const int64_t t0 = s.events.front().time_ms;
    BudgetExtension add;
    add.wall_seconds = 600;
    // `when`: the extension's time; `ran_s`: the running time then.
    auto extend_at = [&](int64_t when, double ran_s) {
      auto payload = p->Extension(add, when);
      REQUIRE(payload.ok());
      CHECK((*payload)["budgets"]["wall_seconds"] == ran_s + 600);
      s.time_ms = when;
      Extend(s, *payload);
      CHECK(p->Next(when + 599 * 1000).decision.has_value());
      CHECK(p->Next(when + 600 * 1000).reason == StopReason::kBudgetWall);
    };
    SECTION("still running (no stop recorded): an hour after the start, 59 minutes past the limit") {
      const int64_t later = t0 + 3600 * 1000;
      REQUIRE(p->Next(later).reason == StopReason::kBudgetWall);
      extend_at(later, 3600);
    }
    SECTION("finished on it, extended six hours later: the hours finished were not running time") {
      s.time_ms = t0 + 60'000;  // as the daemon records the stop
      REQUIRE(p->Next(s.time_ms).reason == StopReason::kBudgetWall);
      s.Emit("campaign_state", "", {{"state", "finished"}, {"reason", "budget_wall"}});
      extend_at(t0 + 6 * 3600'000, 60);
    }
  }
  SECTION("plateau: the count starts again at the extension, with the window it names") {
    CampaignSpec one = OneAxisSpec();
    one.plateau.window = 2;
    auto p = OneAxisPlanner(one);
    Script s(p.get());
    s.StartWithSeed(100);
    s.Finish(s.Start(*p->Next(0).decision), "no_gain", "c1", 99.9);
    s.Finish(s.Start(*p->Next(0).decision), "slower", "c2", 130);
    REQUIRE(p->Next(0).reason == StopReason::kPlateau);
    BudgetExtension add;
    add.plateau_window = 3;
    auto payload = p->Extension(add, 0);
    REQUIRE(payload.ok());
    CHECK((*payload)["plateau_window"] == 3);
    Extend(s, *payload);
    CHECK(p->plateau_window() == 3);
    RunSlower(*p, s, 3, 3);
    NextStep stop = p->Next(0);
    CHECK(stop.reason == StopReason::kPlateau);
    CHECK(stop.detail.find("since the budget was extended") != std::string::npos);
  }
  SECTION("money: a call the old limit refused is judged again under the new one") {
    spec.budgets.money_usd = 1.0;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartWithSeed(100);
    SpendThenRefuse(*p, s);
    REQUIRE(p->Next(0).reason == StopReason::kBudgetMoney);
    BudgetExtension add;
    add.money_usd = 2;
    auto payload = p->Extension(add, 0);
    REQUIRE(payload.ok());
    CHECK((*payload)["budgets"]["money_usd"] == 3.0);
    Extend(s, *payload);
    CHECK(p->Next(0).decision.has_value());
  }
}

TEST_CASE("axis choice follows the parent's bottleneck class as a prior", "[planner][selection]") {
  std::map<std::string, int> memory_picks, compute_picks;
  CampaignSpec spec = TestSpec();
  spec.proposers = {{"llm_a", 1}};
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    spec.seed = seed;
    for (const char* bn : {"memory", "compute"}) {
      auto p = MakePlanner(spec);
      Script s(p.get());
      s.StartCampaign();
      s.MeasureSeed(100, bn);
      auto n = p->Next(0);
      REQUIRE(n.decision);
      (std::string(bn) == "memory" ? memory_picks : compute_picks)[n.decision->axis]++;
    }
  }
  int mem_axes = memory_picks["coalesce"] + memory_picks["vectorize"];
  CHECK(mem_axes > 200 / 2);                      // 2 of 4 axes, chosen well above chance
  CHECK(compute_picks["unroll"] > 200 / 4);       // 1 of 4 axes, above chance
  CHECK(memory_picks["unroll"] < compute_picks["unroll"]);
}

TEST_CASE("evidence: an axis that keeps improving is preferred", "[planner][selection]") {
  CampaignSpec spec = TestSpec();
  spec.proposers = {{"llm_a", 1}};
  spec.repair.max_per_lineage = 0;
  spec.islands = 1;
  int occupancy = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    spec.seed = seed;
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100, "");
    double t = 100;
    std::string parent = "seed";
    for (int i = 0; i < 4; ++i) {  // four confirmed occupancy wins in a chain
      Decision d;
      d.parent = parent;
      d.axis = "occupancy";
      d.proposer = "llm_a";
      std::string c = "c" + std::to_string(i);
      t *= 0.8;
      s.Finish(s.Start(d), "improved", c, t, "");
      s.Remeasure(c, t, true);
      s.Promote(c, t);
      parent = c;
    }
    auto n = p->Next(0);
    REQUIRE(n.decision);
    occupancy += n.decision->axis == "occupancy";
  }
  CHECK(occupancy > 100 / 4);  // above the uniform share of 4 LLM axes
}

// Follows the planner's proposals, ending those to `endpoint` with
// proposal_failed{llm_error} and the others no_gain, until the endpoint
// rests (kEndpointErrorsToRest errors in a row); returns the last error's
// time. The planner's clock is the caller's `now`; the errors' times are
// their events' (Script: 1 s per event).
int64_t RestEndpoint(Planner& p, Script& s, const std::string& endpoint) {
  int errors = 0;
  for (int k = 0; errors < kEndpointErrorsToRest; ++k) {
    REQUIRE(k < 200);
    auto n = p.Next(0);
    REQUIRE(n.decision);
    const std::string a = s.Start(*n.decision);
    if (n.decision->proposer == endpoint) {
      s.Finish(a, "proposal_failed{llm_error}", "", 0);
      ++errors;
    } else {
      s.Finish(a, "no_gain", "m" + std::to_string(k), 100);
    }
  }
  const int64_t last = p.Snapshot()["endpoint_health"][endpoint]["last_error_ms"].get<int64_t>();
  REQUIRE(last > 0);
  return last;
}

// Two LLM endpoints of equal weight and no tuner, no repairs: the endpoint
// choice alone decides who proposes.
CampaignSpec TwoEndpointsNoRepairs(const std::string& a, const std::string& b) {
  CampaignSpec spec = TestSpec();
  spec.proposers = {{a, 1}, {b, 1}};
  spec.repair.max_per_lineage = 0;
  return spec;
}

TEST_CASE("an endpoint that fails twice in a row rests; proposals go to the other and it is tried again later",
          "[planner][selection][fault]") {
  auto p = MakePlanner(TwoEndpointsNoRepairs("up", "down"));
  Script s(p.get());
  s.StartWithSeed(100);
  const int64_t last = RestEndpoint(*p, s, "down");  // "up" answers meanwhile
  auto proposals_to_down = [&](int64_t now) {
    int to_down = 0, total = 0;
    for (int i = 0; i < 40; ++i) {
      auto n = p->Next(now);
      if (!n.decision) break;
      ++total;
      to_down += n.decision->proposer == "down";
      s.Emit("campaign_state", "", {{"state", "running"}});  // advances the random stream
    }
    REQUIRE(total > 20);
    return to_down;
  };
  CHECK(proposals_to_down(last + 1000) == 0);  // resting: every proposal to "up"
  CHECK(proposals_to_down(last + kEndpointRestMs) > 0);  // rested: tried again
}

TEST_CASE("with its only endpoint resting a campaign with the tuner proposes tuner moves", "[planner][selection][fault]") {
  auto p = MakePlanner(TestSpec());  // tuner + llm_a, repairs on
  Script s(p.get());
  s.StartWithSeed(100);
  // An LLM candidate in flight while the endpoint goes down; it fails to
  // compile after, so a repair is pending while the endpoint rests.
  const std::string late = s.Start(Fresh("seed", "occupancy"));
  const int64_t last = RestEndpoint(*p, s, "llm_a");  // the tuner's moves answer meanwhile
  s.Finish(late, "compile_error", "", 0);
  auto n = p->Next(last + 1000);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kProposal);  // not the repair: it would go to llm_a
  CHECK(n.decision->proposer == "tuner");
  CHECK(n.decision->axis == "tune");
  // Rested, the endpoint takes the repair.
  n = p->Next(last + kEndpointRestMs);
  REQUIRE(n.decision);
  CHECK(n.decision->kind == DecisionKind::kRepair);
  CHECK(n.decision->proposer == "llm_a");
  // The late compile_error (started before the errors) did not count as an
  // answer; the repair, started after them and answered, does.
  CHECK(p->Snapshot()["endpoint_health"]["llm_a"]["errors_in_row"] == kEndpointErrorsToRest);
  s.Finish(s.Start(*n.decision), "no_gain", "r1", 100);
  CHECK(p->Snapshot()["endpoint_health"]["llm_a"]["errors_in_row"] == 0);
}

TEST_CASE("with its only endpoint resting and the tuner's work in flight the planner waits", "[planner][selection][fault]") {
  // A probe: the tuner's only open pair was in flight, so the planner asked
  // the resting endpoint, and each answer was another llm_error.
  CampaignSpec spec = TestSpec();  // tuner + llm_a
  spec.repair.max_per_lineage = 0;
  auto p = MakePlanner(spec);
  Script s(p.get());
  s.StartWithSeed(100);
  for (int i = 0; i < kEndpointErrorsToRest; ++i)
    s.Finish(s.Start(Fresh("seed", "coalesce")), "proposal_failed{llm_error}", "", 0);
  const std::string tuning = s.Start(Fresh("seed", "tune", "tuner"));  // the tuner's only pair, in flight
  const int64_t now = p->Snapshot()["endpoint_health"]["llm_a"]["last_error_ms"].get<int64_t>() + 1000;
  NextStep n = p->Next(now);
  CHECK_FALSE(n.decision);
  CHECK(n.reason == StopReason::kWaiting);
  CHECK(p->HasProposerBesides("llm_a", now));  // so the daemon does not count llm_a's errors
  // Its child opens the tuner's next move.
  s.Finish(tuning, "no_gain", "t1", 101);
  n = p->Next(now);
  REQUIRE(n.decision);
  CHECK(n.decision->proposer == "tuner");  // a tuner pair is open again (seed's or t1's)
  // The tuner's space used up (patch_failed exhausts a tuner pair), nothing in
  // flight: the endpoint is asked (the daemon's infrastructure pause then
  // decides), and its errors count.
  for (const char* m : {"seed", "t1"})
    s.Finish(s.Start(Fresh(m, "tune", "tuner")), "proposal_failed{patch_failed}", "", 0);
  n = p->Next(now);
  REQUIRE(n.decision);
  CHECK(n.decision->proposer == "llm_a");
  CHECK_FALSE(p->HasProposerBesides("llm_a", now));
}

TEST_CASE("cost-aware endpoint choice prefers the cheaper of equally good endpoints",
          "[planner][selection]") {
  auto p = MakePlanner(TwoEndpointsNoRepairs("cheap", "pricey"));
  Script s(p.get());
  s.StartWithSeed(100);
  // History: both endpoints 10 calls, 2 confirmed wins each, 20x price gap.
  int k = 0;
  for (const char* ep : {"cheap", "pricey"}) {
    for (int i = 0; i < 10; ++i, ++k) {
      Decision d;
      d.parent = "seed";
      d.axis = "unroll";
      d.proposer = ep;
      std::string a = s.Start(d);
      s.LlmCall(a, ep, std::string(ep) == "cheap" ? 0.01 : 0.2);
      std::string c = "x" + std::to_string(k);
      if (i < 2) {
        s.Finish(a, "improved", c, 80 - k);
        s.Remeasure(c, 80 - k, true);
      } else {
        s.Finish(a, "no_gain", c, 100);
      }
    }
  }
  int cheap = 0, total = 0;
  for (int i = 0; i < 60; ++i) {
    auto n = p->Next(0);
    if (!n.decision || n.decision->proposer == "tuner") {
      s.Emit("campaign_state", "", {{"state", "running"}});  // advance the random stream
      continue;
    }
    ++total;
    cheap += n.decision->proposer == "cheap";
    s.Emit("campaign_state", "", {{"state", "running"}});
  }
  REQUIRE(total > 20);
  CHECK(cheap > total * 3 / 4);
}

TEST_CASE("periodic migration copies each island's best elite to the next island",
          "[planner][islands]") {
  CampaignSpec spec = TestSpec();
  spec.migration_interval = kSeedSamples + 3;
  spec.repair.max_per_lineage = 0;
  auto p = MakePlanner(spec);
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);  // finished #1..#kSeedSamples
  Decision d;
  d.parent = "seed";
  d.axis = "coalesce";
  d.proposer = "llm_a";
  d.island = 1;
  s.Finish(s.Start(d), "improved", "fast", 60);  // island 1
  s.Remeasure("fast", 61, true);
  CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
  d.axis = "unroll";
  s.Finish(s.Start(d), "slower", "s1", 130);
  CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
  d.axis = "occupancy";
  s.Finish(s.Start(d), "slower", "s2", 130);  // #kSeedSamples + 3: migration
  CHECK(p->Elites(0).front() == "fast");
  CHECK(p->Snapshot()["migrations"] == 1);
}

TEST_CASE("an outlier re-measurement does not set an elite's time", "[planner][noise]") {
  auto p = OneAxisPlanner();
  Script s(p.get());
  s.StartCampaign();
  s.MeasureSeed(100);  // spread 0.005
  std::string a = s.Start(*p->Next(0).decision);
  s.Finish(a, "improved", "c1", 90, "memory", 0.02);
  // First re-measurement: a lucky outlier, far faster than the first measurement.
  auto r1 = p->JudgeRemeasurement("c1", 70, 0.02);
  REQUIRE(r1.ok());
  CHECK(r1->needs_another);
  s.Remeasure("c1", 70, r1->agrees, !r1->needs_another);
  auto r2 = p->JudgeRemeasurement("c1", 91, 0.02);
  REQUIRE(r2->needs_another);  // still a suspect: three samples needed
  s.Remeasure("c1", 91, r2->agrees, false);
  auto r3 = p->JudgeRemeasurement("c1", 92, 0.02);
  CHECK(r3->needs_another);  // a new best: kMinBestRemeasures samples
  s.Remeasure("c1", 92, r3->agrees, false);
  auto r4 = p->JudgeRemeasurement("c1", 90, 0.02);
  CHECK(r4->needs_another);
  s.Remeasure("c1", 90, r4->agrees, false);
  auto r5 = p->JudgeRemeasurement("c1", 91, 0.02);
  CHECK(r5->agrees);
  CHECK(r5->promote_best);
  s.Remeasure("c1", 91, r5->agrees, !r5->needs_another);
  nlohmann::json m = p->Snapshot()["members"]["c1"];
  CHECK(m["confirmed"] == true);
  // The outlier (70, > kClipSigmas sigma from the median) is dropped: mean of 91, 92, 90, 91.
  CHECK(m["time_us"].get<double>() == Approx(91));
}

TEST_CASE("closed-by-cap pairs are retried before the campaign is exhausted", "[planner]") {
  auto p = OneAxisPlanner();
  Script s(p.get());
  s.StartWithSeed(100);
  for (int i = 0; i < kMaxTriesPerPair; ++i) {
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    CHECK(n.decision->mode != "retry");
    s.Finish(s.Start(*n.decision), "slower", "s" + std::to_string(i), 130);
  }
  // The only axis on the seed hit its cap; slower members have their own
  // untried pairs, so exploration continues there first.
  NextStep n = p->Next(0);
  REQUIRE(n.decision);
  CHECK(n.decision->parent != "seed");
  SECTION("with only the seed open to retry") {
    auto q = OneAxisPlanner();
    Script t(q.get());
    t.StartCampaign();
    t.MeasureSeed(100);
    // Varied failures (no kind kExhaustAfter times), so the cap alone closes the pair.
    const char* fails[] = {"incorrect{mismatch}", "compile_error", "crash"};
    for (int i = 0; i < 2 * kMaxTriesPerPair; ++i) {
      NextStep m = q->Next(0);
      REQUIRE(m.decision);
      CHECK(m.decision->parent == "seed");
      CHECK((m.decision->mode == "retry") == (i >= kMaxTriesPerPair));
      t.Finish(t.Start(*m.decision), fails[i % 3], "", 0);
    }
    NextStep end = q->Next(0);
    CHECK_FALSE(end.decision);
    CHECK(end.reason == StopReason::kExhausted);
  }
}

namespace {
// Every decision Next() makes over `n` calls (Start() is not called, so the
// planner's state does not change: the draws differ by nothing but are
// repeated with different event counts through a no-op llm_call event).
std::set<std::pair<std::string, std::string>> PairsProposed(Planner& p, Script& s, int n) {
  std::set<std::pair<std::string, std::string>> out;
  for (int i = 0; i < n; ++i) {
    NextStep next = p.Next(0);
    if (next.decision) out.insert({next.decision->parent, next.decision->axis});
    s.Emit("llm_call", "", {{"endpoint", "none"}, {"cost_usd", 0.0}});  // advances the draw
  }
  return out;
}
}  // namespace

TEST_CASE_METHOD(SeededCampaign, "a tuner patch_failed exhausts the pair at once; a child's tuner pair is open",
                 "[planner][tuner]") {
  // Every neighbouring configuration of the seed has been tried: the tuner
  // is deterministic, so asking again can only fail the same way.
  s.Finish(s.Start(Fresh("seed", "tune", "tuner")), "proposal_failed{patch_failed}", "", 0);
  CHECK(PairOutcome(*p, "seed", "tune") == "exhausted");
  CHECK_FALSE(PairsProposed(*p, s, 300).count({"seed", "tune"}));
  // A confirmed child has other sources around it: its tuner pair is not
  // inherited as exhausted (unlike an LLM axis exhausted on the parent).
  s.Finish(s.Start(Fresh("seed", "unroll")), "improved", "child", 70);
  s.ConfirmBest("child", 70);  // the best joins every island
  CHECK(PairOutcome(*p, "child", "tune") == "untried");
  auto proposed = PairsProposed(*p, s, 300);
  CHECK(proposed.count({"child", "tune"}));
}

TEST_CASE_METHOD(SeededCampaign, "a passing non-improving candidate or a duplicate closes an LLM pair",
                 "[planner]") {
  s.Finish(s.Start(Fresh("seed", "unroll")), "no_gain", "n1", 99.9);
  s.Finish(s.Start(Fresh("seed", "occupancy")), "duplicate{source}", "", 0);
  s.Finish(s.Start(Fresh("seed", "coalesce")), "compile_error", "", 0);  // a failure leaves the pair open
  auto proposed = PairsProposed(*p, s, 300);
  CHECK_FALSE(proposed.count({"seed", "unroll"}));
  CHECK_FALSE(proposed.count({"seed", "occupancy"}));
  CHECK(proposed.count({"seed", "coalesce"}));
  CHECK(p->Snapshot()["frontier"].dump().find("\"no_gains\":1") != std::string::npos);
}

TEST_CASE_METHOD(SeededCampaign, "a child whose bottleneck class moved reopens the axes of its new class",
                 "[planner]") {
  // The seed's bottleneck (SeededCampaign): memory.
  // unroll addresses compute: it helped nothing while memory dominated.
  s.Finish(s.Start(Fresh("seed", "unroll")), "no_gain", "n1", 99.9, "memory");
  s.Finish(s.Start(Fresh("seed", "occupancy")), "no_gain", "n2", 99.9, "memory");  // latency
  s.Finish(s.Start(Fresh("seed", "coalesce")), "improved", "child", 70, "compute");
  s.ConfirmBest("child", 70);  // the best joins every island
  auto proposed = PairsProposed(*p, s, 400);
  CHECK(proposed.count({"child", "unroll"}));       // addresses the child's new class
  CHECK_FALSE(proposed.count({"child", "occupancy"}));  // still closed (inherited)
}

TEST_CASE("exploit until stall: right after a new best every attempt exploits it", "[planner][selection]") {
  // Default mix 0.6/0.2/0.2. Right after the seed (the first best) the
  // explore and frontier shares are scaled by 0 / kStallAttempts; once
  // kStallAttempts attempts have finished without a new best, the full mix
  // applies again.
  int exploit_first = 0, other_after_stall = 0;
  const int campaigns = 40;
  for (int seed = 1; seed <= campaigns; ++seed) {
    CampaignSpec spec = TestSpec();
    spec.repair.max_per_lineage = 0;
    spec.seed = static_cast<uint64_t>(seed);
    auto p = MakePlanner(spec);
    Script s(p.get());
    s.StartCampaign();
    s.MeasureSeed(100);
    Decision d = *p->Next(0).decision;
    exploit_first += d.mode == "exploit";
    // Attempts that end without counting against any pair (llm_error), so
    // every pair stays open while the stall counter grows.
    for (int i = 0; i < kStallAttempts; ++i) s.Finish(s.Start(*p->Next(0).decision), "proposal_failed{llm_error}", "", 0);
    for (int i = 0; i < 5; ++i) {
      Decision late = *p->Next(0).decision;
      other_after_stall += late.mode != "exploit";
      s.Finish(s.Start(late), "proposal_failed{llm_error}", "", 0);
    }
  }
  CHECK(exploit_first == campaigns);
  // 40% of 200 draws expected; the exact count depends on the random stream.
  CHECK(other_after_stall > 40);
}

TEST_CASE("a child of an unconfirmed member must also beat the nearest confirmed ancestor", "[planner][noise]") {
  OneAxisCampaign campaign(0.005);  // confirmed, 3 samples, spread 0.5%
  auto& [p, s] = campaign;
  // u measured once, 10% slower: a member, not confirmed; its time may be slow by chance.
  s.Finish(s.Start(Fresh("seed", "unroll")), "slower", "u", 110);
  auto j = p->JudgeMeasurement("u", 100, 0.005);
  REQUIRE(j.ok());
  CHECK(j->needs_remeasure);  // 9% faster than u's one measurement
  s.Finish(s.Start(Fresh("u", "unroll")), "improved", "c", 100);
  // As fast as the seed: refuted at once (futile against the seed), although
  // 9% faster than u's estimate (that alone would confirm after
  // kMinConfirmRemeasures samples).
  auto r = p->JudgeRemeasurement("c", 100, 0.005);
  REQUIRE(r.ok());
  CHECK_FALSE(r->agrees);
  CHECK_FALSE(r->needs_another);
  s.Remeasure("c", 100, false, true);
  CHECK(p->Elites(0) == std::vector<std::string>{"seed"});
}

TEST_CASE("a child faster than a slow parent but clearly slower than the confirmed ancestor is not re-measured",
          "[planner][noise]") {
  OneAxisCampaign campaign(0.005);  // seed confirmed at 100 us, spread 0.5%
  auto& [p, s] = campaign;
  s.Finish(s.Start(Fresh("seed", "unroll")), "slower", "u", 130);  // a slower member, unconfirmed
  // 15% faster than u, 10% slower than the seed: the re-measurement could
  // only refute it against the seed, so none is asked for.
  auto far = p->JudgeMeasurement("u", 110, 0.005);
  REQUIRE(far.ok());
  CHECK_FALSE(far->needs_remeasure);
  CHECK(far->kind == VerdictKind::kNoGain);
  CHECK(far->detail.find("not re-measured: 10.0% slower than confirmed ancestor seed (100.00 us)") !=
        std::string::npos);
  // Within the margin of the seed it may still be faster: re-measured.
  auto near = p->JudgeMeasurement("u", 100.4, 0.005);
  REQUIRE(near.ok());
  CHECK(near->needs_remeasure);
  CHECK(near->kind == VerdictKind::kImproved);
  // A confirmed parent is judged as before: faster than it is re-measured.
  auto direct = p->JudgeMeasurement("seed", 95, 0.005);
  REQUIRE(direct.ok());
  CHECK(direct->needs_remeasure);
}

// On a seeded OneAxisCampaign: u, a no_gain step from the seed measured at
// `u_us` (a provisional parent when `spread` is precise), is the next
// parent; its child c, measured at `c_us`, is screened in (improved) and
// awaits re-measurement. Returns the decision that made c.
Decision ProvisionalParentAndChild(OneAxisCampaign& campaign, double u_us, double c_us, double spread) {
  auto& [p, s] = campaign;
  s.Finish(s.Start(Fresh("seed", "unroll")), "no_gain", "u", u_us, "memory", spread);
  const Decision d = *p->Next(0).decision;
  REQUIRE(d.parent == "u");
  auto j = p->JudgeMeasurement("u", c_us, spread);
  REQUIRE(j.ok());
  REQUIRE(j->needs_remeasure);
  s.Finish(s.Start(d), "improved", "c", c_us, "memory", spread);
  return d;
}

TEST_CASE("precise measurements: a lineage goes on from a sub-threshold step and is confirmed by its sum",
          "[planner][noise]") {
  // Threshold 2%, spreads 0.2-0.5% (precise). u is 0.8% faster than the
  // seed: no_gain, not an elite, but the best place to go on (a provisional
  // parent). Its child c is 1.7% faster than u and 2.5% faster than the seed:
  // re-measured (screened against the confirmed ancestor), confirmed against
  // u (any significant gain) and against the seed (the threshold), a new best.
  OneAxisCampaign campaign(0.02);
  auto& [p, s] = campaign;
  const Decision d = ProvisionalParentAndChild(campaign, 99.2, 97.5, 0.002);
  CHECK(d.mode == "exploit");
  // Precise and agreeing: kPreciseMinRemeasures (2) re-measurements decide.
  auto first = p->JudgeRemeasurement("c", 97.5, 0.002);
  REQUIRE(first.ok());
  CHECK(first->needs_another);
  CHECK_FALSE(first->agrees);
  s.Remeasure("c", 97.5, false, /*final=*/false, 0.002);
  auto r = p->JudgeRemeasurement("c", 97.5, 0.002);
  REQUIRE(r.ok());
  CHECK(r->agrees);
  CHECK(r->promote_best);
  s.Remeasure("c", 97.5, true);
  s.Promote("c", 97.5);
  CHECK(p->BestCandidate() == "c");
  CHECK(p->Elites(0) == std::vector<std::string>{"c", "seed"});  // u is not an elite
}

TEST_CASE("a noisy first measurement does not set the sigma of its candidate's re-measurement test",
          "[planner][noise]") {
  // make run on the CPU box (2026-11-23 19:38): threshold 3%, seed 1280 us;
  // a tuner child measured 1201 us in an evaluation that reported a 7%
  // spread, then 1191.5 and 1192.9 us at 1.8-2.0%. Tested at sigma 3.5% (the
  // first report) the 7% gain was refuted as futile after two.
  OneAxisCampaign campaign(0.03, 1280);
  auto& [p, s] = campaign;
  s.Finish(s.Start(Fresh("seed", "unroll")), "improved", "c", 1201, "memory", 0.07);
  auto r1 = p->JudgeRemeasurement("c", 1191.5, 0.0195);
  REQUIRE(r1.ok());
  CHECK(r1->needs_another);
  s.Remeasure("c", 1191.5, false, /*final=*/false, 0.0195);
  auto r2 = p->JudgeRemeasurement("c", 1192.9, 0.0183);
  REQUIRE(r2.ok());
  CHECK(r2->needs_another);  // not refuted: the first report is one of three now
  s.Remeasure("c", 1192.9, false, /*final=*/false, 0.0183);
  // Further re-measurements like these confirm it, and it becomes the best.
  const double more[] = {1190.8, 1193.0, 1191.9, 1192.4, 1191.1, 1192.6};
  int taken = 2;
  Result<RemeasureJudgement> r = r2;
  for (double t : more) {
    r = p->JudgeRemeasurement("c", t, 0.019);
    REQUIRE(r.ok());
    ++taken;
    if (!r->needs_another) break;
    s.Remeasure("c", t, false, /*final=*/false, 0.019);
  }
  CHECK(r->agrees);
  CHECK(r->promote_best);
  CHECK(taken <= kMinBestRemeasures + 2);

  SECTION("a noisy re-measurement still widens the test (root mean square, not the latest)") {
    OneAxisCampaign wide(0.03, 1280);
    wide.s.Finish(wide.s.Start(Fresh("seed", "unroll")), "improved", "c", 1201, "memory", 0.02);
    wide.s.Remeasure("c", 1191.5, false, /*final=*/false, 0.07);
    // sigma = rms(2%, 7%, 1.83%) / 2 = 2.2%: not precise, a 7% gain not yet
    // confirmable at two samples. With the latest spread alone or max(latest,
    // first) (0.9-1%) it would be confirmed here.
    auto r = wide.p->JudgeRemeasurement("c", 1192.9, 0.0183);
    REQUIRE(r.ok());
    CHECK_FALSE(r->agrees);
    CHECK(r->needs_another);
  }
}

TEST_CASE("noisy measurements: a sub-threshold step is not a parent for exploitation", "[planner][noise]") {
  OneAxisCampaign campaign(0.005);  // spread 0.5%
  auto& [p, s] = campaign;
  s.Finish(s.Start(Fresh("seed", "unroll")), "no_gain", "u", 99.8, "memory", 0.02);  // sigma 1%
  // The seed's only pair is closed and u is not exploited (explore mode,
  // which takes any measured member, may still pick it).
  Decision d = *p->Next(0).decision;
  CHECK(d.mode != "exploit");
  auto j = p->JudgeMeasurement("u", 99.5, 0.02);
  REQUIRE(j.ok());
  CHECK_FALSE(j->needs_remeasure);
}

TEST_CASE("noisy measurements: a re-measured member faster than the best, though unconfirmed, is a parent for exploitation",
          "[planner][noise]") {
  // Threshold 0.5%, spread 6% (sigma 3%): a 3% gain is below the test's
  // delta (6%) and is refuted by futility, but its re-measurements are
  // unselected and put it faster than the best, so the lineage goes on from
  // it (not as an elite). A refuted member whose mean is not faster than the
  // best is not a parent for exploitation.
  auto faster_refuted = [](double mean_us) {
    auto c = std::make_unique<OneAxisCampaign>(0.005);
    auto& [p, s] = *c;
    s.Finish(s.Start(Fresh("seed", "unroll")), "improved", "c", 95, "memory", 0.06);
    for (double dt : {-0.5, 0.0, 0.5}) s.Remeasure("c", mean_us + dt, false, dt > 0);
    return c;
  };
  auto kept = faster_refuted(97);
  Decision d = *kept->p->Next(0).decision;
  CHECK(d.mode == "exploit");
  CHECK(d.parent == "c");
  CHECK(kept->p->Elites(0) == std::vector<std::string>{"seed"});
  // Its child is re-measured against it and the confirmed ancestor (seed).
  auto j = kept->p->JudgeMeasurement("c", 90, 0.06);
  REQUIRE(j.ok());
  CHECK(j->needs_remeasure);

  auto slow = faster_refuted(101);
  Decision e = *slow->p->Next(0).decision;
  CHECK(e.mode != "exploit");
}

TEST_CASE("two lucky outliers among four re-measurements confirm nothing", "[planner][noise]") {
  // Traced in the bench (seed 10, 1% noise): a no-faster candidate re-measured
  // 74.6, 88.1, 74.7, 88.1 (two 15% lucky outliers). The median of four then
  // lies between the clusters, every sample is clipped, and the mean of both
  // clusters must not count as four good samples.
  OneAxisCampaign campaign(0.005, 89.0);
  auto& [p, s] = campaign;
  // A faster best elsewhere: c could only become an elite (fewer samples).
  s.Finish(s.Start(Fresh("seed", "unroll")), "improved", "b", 70);
  s.ConfirmBest("b", 70);
  REQUIRE(p->BestCandidate() == "b");
  s.Finish(s.Start(Fresh("seed", "unroll")), "improved", "c", 87.4, "memory", 0.02);
  const double t[] = {74.62, 88.13, 74.66, 88.13};
  for (double x : t) {
    auto r = p->JudgeRemeasurement("c", x, 0.02);
    REQUIRE(r.ok());
    CHECK_FALSE(r->agrees);
    s.Remeasure("c", x, false, !r->needs_another);
    if (!r->needs_another) break;
  }
  CHECK(p->Elites(0) == std::vector<std::string>{"b", "seed"});
}

TEST_CASE("an evaluator that understates its spread is overruled by the repeats", "[planner][noise]") {
  // Every evaluation reports a spread of 0.4% (a sigma of 0.2%), but repeated
  // evaluations of one source scatter by several percent (a busy host). The
  // seed's samples and a member's re-measurements show it; the planner then
  // screens with the measured noise.
  auto run = [](std::vector<double> seed_times, std::vector<double> c1_times) {
    auto p = OneAxisPlanner();
    Script s(p.get());
    s.StartCampaign();
    for (double t : seed_times) {
      std::string id = s.Start(*p->Next(0).decision);
      s.Finish(id, "no_gain", "seed", t, "memory", 0.004);
    }
    std::string a = s.Start(*p->Next(0).decision);
    s.Finish(a, "improved", "c1", 80, "memory", 0.004);
    for (size_t i = 0; i < c1_times.size(); ++i) s.Remeasure("c1", c1_times[i], false, i + 1 == c1_times.size());
    return p;
  };
  auto scattered = run({100, 106, 95}, {97, 103, 92, 99, 90});
  auto steady = run({100, 100.2, 99.9}, {97, 97.1, 96.9, 97.2, 97});
  const auto noisy = scattered->Snapshot()["noise"], quiet = steady->Snapshot()["noise"];
  CHECK(noisy["dof"] == 6);
  CHECK(noisy["spread"].get<double>() > 0.05);
  CHECK(noisy["lower_bound"].get<double>() > 0.004);  // clearly above the report
  CHECK(quiet["lower_bound"].get<double>() < 0.004);  // consistent with it: the report stands
  // A child measured 5% faster than the seed, reporting 0.4%:
  auto j_noisy = scattered->JudgeMeasurement("seed", 95, 0.004);
  auto j_quiet = steady->JudgeMeasurement("seed", 95, 0.004);
  REQUIRE(j_noisy.ok());
  REQUIRE(j_quiet.ok());
  CHECK(j_quiet->kind == VerdictKind::kImproved);  // worth re-measuring
  CHECK(j_noisy->kind == VerdictKind::kNoGain);    // within the measured noise
  CHECK(j_noisy->margin == Approx(noisy["spread"].get<double>()));
}

TEST_CASE("a candidate whose re-measurement failed is nobody's parent", "[planner][noise]") {
  // Explore-only selection: any measured member with an open pair may be a parent.
  CampaignSpec spec = TestSpec();
  spec.repair.max_per_lineage = 0;
  spec.selection = {0, 1, 0};
  spec.islands = 1;
  auto p = MakePlanner(spec);
  Script s(p.get());
  s.StartWithSeed(100);
  std::string a = s.Start(Fresh("seed", "coalesce"));
  s.Finish(a, "improved", "c1", 80);
  s.Remeasure("c1", 0, false);  // the daemon's record of a failed re-measurement
  REQUIRE(p->Snapshot()["members"]["c1"]["failed_remeasure"] == true);
  std::string b = s.Start(Fresh("seed", "unroll"));
  s.Finish(b, "no_gain", "c2", 100.2);  // a passing member, not improving: explorable
  std::set<std::string> parents;
  for (int i = 0; i < 40; ++i) {
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    parents.insert(n.decision->parent);
    // Another event, so the next decision draws again.
    s.LlmCall("", "llm_a", 0);
  }
  CHECK(parents.count("c2"));
  CHECK(parents.count("seed"));
  CHECK_FALSE(parents.count("c1"));
}

TEST_CASE("a member's tuner pair closes once the log has every neighbour it lists", "[planner][tuner]") {
  CampaignSpec spec = TestSpec();
  spec.proposers = {{"tuner", 1}};
  spec.repair.max_per_lineage = 0;
  auto p = MakePlanner(spec);
  Script s(p.get());
  s.StartCampaign();
  // The daemon lists the seed's two one-step tuner neighbours with each of
  // its evaluations (TunerNeighbourHashes); the first passing one counts.
  for (int i = 0; i < kSeedSamples; ++i) {
    NextStep n = p->Next(0);
    REQUIRE(n.decision);
    REQUIRE(n.decision->kind == DecisionKind::kEvaluateSeed);
    s.Emit("attempt_finished", s.Start(*n.decision),
           {{"verdict", "no_gain"}, {"candidate", "seed"}, {"source_blob", "blob_seed"},
            {"source_hash", "h_seed"}, {"time_us", 100.0}, {"spread", 0.005}, {"bottleneck", "memory"},
            {"tuner_neighbours", {"h_n1", "h_n2"}}});
  }
  CHECK(p->Snapshot()["members"]["seed"]["tuner_untried"] == 2);

  // One neighbour evaluated: one left, the pair stays open.
  s.Finish(s.Start(Fresh("seed", "tune", "tuner")), "slower", "n1", 120);
  CHECK(p->Snapshot()["members"]["seed"]["tuner_untried"] == 1);
  CHECK(PairsProposed(*p, s, 200).count({"seed", "tune"}));

  // The other one too (here it came from elsewhere: a failed build of the
  // same source counts, the tuner skips any known source). The pair is now
  // closed, well below the tuner's try cap, and no attempt is spent on a
  // patch_failed to learn it.
  s.Finish(s.Start(Fresh("n1", "tune", "tuner")), "compile_error", "n2", 0);
  CHECK(p->Snapshot()["members"]["seed"]["tuner_untried"] == 0);
  CHECK(p->Snapshot()["members"]["n1"]["tuner_untried"] == -1);  // not listed: asked as before
  auto proposed = PairsProposed(*p, s, 300);
  CHECK_FALSE(proposed.count({"seed", "tune"}));
  CHECK(proposed.count({"n1", "tune"}));

  // The same state from the log alone.
  auto fresh = MakePlanner(spec);
  for (const Event& e : s.events) fresh->Observe(e);
  CHECK(fresh->Snapshot() == p->Snapshot());
}

TEST_CASE("precise measurements: a child's test asks for samples of its provisional parent when one sample stops it",
          "[planner][noise]") {
  // Threshold 2%, spread 0.4% (sigma 0.2%, precise). u is 1% faster than the
  // seed (no_gain: a provisional parent), known by its one selected sample.
  // c is 1.4% faster than u: against one sample of u the test reaches LLR
  // 7.3 of 9.2 and would need more of c's samples than of u's to go on.
  OneAxisCampaign campaign(0.02);
  auto& [p, s] = campaign;
  ProvisionalParentAndChild(campaign, 99.0, 97.6, 0.004);
  auto member_time = [&p](const std::string& id) { return p->Snapshot()["members"][id]["time_us"].get<double>(); };

  SECTION("one sample of u, then c is confirmed on the next") {
    auto r1 = p->JudgeRemeasurement("c", 97.6, 0.004);
    REQUIRE(r1.ok());
    CHECK(r1->needs_another);
    CHECK_FALSE(r1->agrees);
    CHECK(r1->reference_sample_of == "u");
    CHECK(r1->detail.find("parent u has 0 unselected sample(s): measure it first") != std::string::npos);
    s.Remeasure("c", 97.6, false, /*final=*/false, 0.004);
    auto estimate = p->ReferenceEstimate("u", 99.1, 0.004);  // what the event records
    REQUIRE(estimate.ok());
    s.ReferenceSample("u", 99.1, 0.004);
    // u's time is now its unselected sample, not the selected first one.
    CHECK(member_time("u") == Approx(99.1));
    CHECK(member_time("u") == *estimate);
    auto r2 = p->JudgeRemeasurement("c", 97.6, 0.004);
    REQUIRE(r2.ok());
    CHECK(r2->reference_sample_of.empty());
    CHECK(r2->agrees);
    CHECK(r2->promote_best);
    CHECK(r2->detail.find("vs parent 99.10 us") != std::string::npos);
  }
  SECTION("at most kReferenceSamples samples of u are asked for") {
    // c's samples wander (spread 0.4%); each inconclusive judgement may ask
    // for one more sample of u while it has fewer than kReferenceSamples.
    int asked = 0;
    const double ct[] = {97.9, 97.5, 98.1, 97.6, 98.0, 97.7, 97.9, 97.8};
    for (double t : ct) {
      auto r = p->JudgeRemeasurement("c", t, 0.004);
      REQUIRE(r.ok());
      if (!r->needs_another) break;
      s.Remeasure("c", t, false, /*final=*/false, 0.004);
      if (!r->reference_sample_of.empty()) {
        CHECK(r->reference_sample_of == "u");
        const double ut[] = {98.4, 98.9, 98.3, 98.8, 98.5};
        auto estimate = p->ReferenceEstimate("u", ut[asked], 0.004);
        REQUIRE(estimate.ok());
        s.ReferenceSample("u", ut[asked++], 0.004);
        CHECK(member_time("u") == *estimate);
      }
    }
    CHECK(asked == kReferenceSamples);
  }
  SECTION("u with kReferenceSamples samples is not asked for more") {
    for (double t : {98.4, 98.9, 98.3}) s.ReferenceSample("u", t, 0.004);
    auto r = p->JudgeRemeasurement("c", 97.9, 0.004);
    REQUIRE(r.ok());
    CHECK(r->needs_another);  // inconclusive against u's three samples
    CHECK(r->reference_sample_of.empty());
  }
  SECTION("a failed sample of u is not a sample, and u is nobody's parent from then on") {
    s.ReferenceSample("u", 0.0, 0.0);
    CHECK(member_time("u") == Approx(99.0));
    CHECK(p->Snapshot()["members"]["u"]["failed_remeasure"].get<bool>());
    if (NextStep n = p->Next(0); n.decision) CHECK(n.decision->parent != "u");
    // c is judged against u's first sample, and u is not asked for again.
    auto r = p->JudgeRemeasurement("c", 97.6, 0.004);
    REQUIRE(r.ok());
    CHECK(r->needs_another);
    CHECK(r->reference_sample_of.empty());
  }
  SECTION("reference samples of a confirmed member or an unknown one change nothing") {
    const nlohmann::json before = p->Snapshot();
    // No estimate for them either (the daemon's event then carries none).
    CHECK(p->ReferenceEstimate("seed", 90.0, 0.004).status().code() == Status::Code::kFailedPrecondition);
    CHECK(p->ReferenceEstimate("nobody", 90.0, 0.004).status().IsNotFound());
    s.ReferenceSample("seed", 90.0, 0.004);
    s.ReferenceSample("nobody", 90.0, 0.004);
    nlohmann::json after = p->Snapshot();
    CHECK(after["members"] == before["members"]);
  }
}

TEST_CASE("the lineage a prompt gets says where a seed from an earlier campaign came from", "[planner][start_from]") {
  // Two campaigns: one from the task's seed, one whose campaign_started names
  // the member of an earlier campaign (on sm_80) its seed is.
  auto run = [](nlohmann::json started_from, size_t n = 5) {
    auto p = MakePlanner();
    Script s(p.get());
    nlohmann::json payload = {{"task", "softmax"}, {"arch", "sm_90"}, {"backend", "cuda"},
                              {"seed_candidate", "seed"}, {"seed_source_blob", "blob_seed"}};
    if (!started_from.is_null()) payload["started_from"] = started_from;
    s.Emit("campaign_started", "", payload);
    s.MeasureSeed(100);
    s.Finish(s.Start(Fresh("seed", "coalesce")), "improved", "child", 80);
    return p->LineageLines("child", n);
  };
  const auto plain = run(nullptr);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].rfind("seed -> child via coalesce", 0) == 0);

  auto ported_from = [] {
    return nlohmann::json{{"campaign", "night-a100"}, {"candidate", "c0123456789ab"}, {"best", true},
                          {"arch", "sm_80"}, {"time_us", 71.25}};
  };
  const auto ported = run(ported_from());
  REQUIRE(ported.size() == 2);
  CHECK(ported[0] ==
        "seed (the seed) comes from campaign night-a100 (its best) as c0123456789ab, measured there at 71.250 us on "
        "sm_80; this campaign targets sm_90, so its tuning for sm_80 may not carry over");
  CHECK(ported[1] == plain[0]);
  // The origin is the oldest line: a walk cut at n steps leaves it out first.
  CHECK(run(ported_from(), 1) == plain);
  const auto same_arch = run({{"campaign", "yesterday"}, {"candidate", "c0123456789ab"}, {"best", false},
                              {"arch", "sm_90"}, {"time_us", 90.0}});
  REQUIRE(same_arch.size() == 2);
  CHECK(same_arch[0] == "seed (the seed) comes from campaign yesterday as c0123456789ab, measured there at 90.000 us on sm_90");
  // The usual case: the same source, so the same id, named once.
  const auto same_id = run({{"campaign", "yesterday"}, {"candidate", "seed"}, {"best", true}, {"arch", "sm_90"}, {"time_us", 90.0}});
  REQUIRE(same_id.size() == 2);
  CHECK(same_id[0] == "seed (the seed) comes from campaign yesterday (its best), measured there at 90.000 us on sm_90");
}
