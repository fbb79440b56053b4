#include <catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "ksearch/experiment_log/experiment_log.h"
#include "service/log_fold.h"

using namespace ksearch;
using namespace ksearch::daemon;
using nlohmann::json;

namespace {
Event Ev(const std::string& attempt, std::string_view kind, json payload) {
  Event e;
  e.campaign_id = "c";
  e.attempt_id = attempt;
  e.kind = std::string(kind);
  e.payload = std::move(payload);
  return e;
}
}  // namespace

TEST_CASE("the daemon's fold tracks attempts, candidates and pending retries", "[daemon]") {
  LogFold fold;
  fold.Observe(Ev("", event_kind::kCampaignStarted, {{"task", "softmax"}}));
  fold.Observe(Ev("a1", event_kind::kAttemptStarted, {{"proposer", "seed"}}));
  fold.Observe(Ev("a1", event_kind::kAttemptFinished,
                  {{"verdict", "new_best"}, {"candidate", "k1"}, {"time_us", 10.0}, {"source_blob", "b1"}}));
  fold.Observe(Ev("a1", event_kind::kRemeasured, {{"candidate", "k1"}, {"time_us", 9.5}, {"agrees", true}}));
  fold.Observe(Ev("a2", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"parent", "k1"}}));
  fold.Observe(Ev("a3", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"parent", "k1"}}));
  fold.Observe(Ev("a2", event_kind::kAttemptFinished, {{"verdict", "interrupted{restart}"}}));
  fold.Observe(Ev("a3", event_kind::kAttemptFinished, {{"verdict", "interrupted{restart}"}}));
  fold.Observe(Ev("a4", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"retry_of", "a2"}}));
  // A duplicate terminal event is ignored: exactly one verdict per attempt.
  fold.Observe(Ev("a1", event_kind::kAttemptFinished, {{"verdict", "crash"}}));

  const CampaignFacts* c = fold.campaign("c");
  REQUIRE(c);
  CHECK(c->attempts_started == 4);
  CHECK(c->attempts_finished == 3);
  CHECK(c->verdicts.at("new_best") == 1);
  CHECK(c->verdicts.at("interrupted") == 2);
  CHECK(c->verdicts.count("crash") == 0);
  CHECK(c->seed_time_us == 10.0);
  const CandidateFacts* k1 = fold.candidate("c", "k1");
  REQUIRE(k1);
  CHECK(k1->time_us == 9.5);  // the agreeing re-measurement replaces the first
  CHECK(fold.attempt("a4")->in_flight());
  CHECK(fold.PendingRetries("c") == std::vector<std::string>{"a3"});
}

TEST_CASE("the fold's candidate times are the planner's estimates, not single samples", "[daemon]") {
  LogFold fold;
  fold.Observe(Ev("", event_kind::kCampaignStarted, {{"task", "softmax"}}));
  // Three seed samples; each best_promoted carries the robust mean so far.
  const double samples[] = {84.0, 83.7, 86.6}, estimates[] = {84.0, 83.85, 84.77};
  for (int i = 0; i < 3; ++i) {
    const std::string a = "s" + std::to_string(i);
    fold.Observe(Ev(a, event_kind::kAttemptStarted, {{"proposer", "seed"}}));
    fold.Observe(Ev(a, event_kind::kAttemptFinished,
                    {{"verdict", "new_best{seed}"}, {"candidate", "seed"}, {"time_us", samples[i]}}));
    CHECK(fold.candidate("c", "seed")->time_us == Approx(i == 0 ? samples[0] : estimates[i - 1]));
    fold.Observe(Ev(a, event_kind::kBestPromoted,
                    {{"candidate", "seed"}, {"time_us", estimates[i]}, {"sample_us", samples[i]}}));
    CHECK(fold.candidate("c", "seed")->time_us == Approx(estimates[i]));
    CHECK(fold.campaign("c")->seed_time_us == Approx(estimates[i]));
  }
  // A candidate's re-measurements: only the final event's estimate counts.
  fold.Observe(Ev("a1", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"parent", "seed"}}));
  fold.Observe(Ev("a1", event_kind::kAttemptFinished,
                  {{"verdict", "improved"}, {"candidate", "k1"}, {"time_us", 70.0}}));
  fold.Observe(Ev("", event_kind::kRemeasured,
                  {{"candidate", "k1"}, {"time_us", 75.0}, {"agrees", false}, {"final", false}}));
  CHECK(fold.candidate("c", "k1")->time_us == 70.0);  // still the first measurement
  fold.Observe(Ev("", event_kind::kRemeasured, {{"candidate", "k1"}, {"time_us", 74.0}, {"agrees", true},
                                                 {"final", true}, {"estimate_us", 74.5}}));
  CHECK(fold.candidate("c", "k1")->time_us == 74.5);
  CHECK(fold.PendingRemeasures("c").empty());
  // The attempt keeps what re-measurement made of it: only the final event,
  // found by the payload's `attempt` (the events carry no attempt id).
  CHECK(fold.attempt("a1")->remeasured.is_null());
  fold.Observe(Ev("", event_kind::kRemeasured, {{"candidate", "k1"}, {"attempt", "a1"}, {"time_us", 75.0},
                                                 {"agrees", false}, {"final", false}}));
  CHECK(fold.attempt("a1")->remeasured.is_null());
  fold.Observe(Ev("", event_kind::kRemeasured, {{"candidate", "k1"}, {"attempt", "a1"}, {"time_us", 74.0},
                                                 {"agrees", true}, {"final", true}, {"estimate_us", 74.5}}));
  REQUIRE(fold.attempt("a1")->remeasured.is_object());
  CHECK(fold.attempt("a1")->remeasured.value("agrees", false));
  CHECK(fold.attempt("a1")->remeasured.value("estimate_us", 0.0) == 74.5);
  // The seed's time is untouched by another candidate's promotion.
  fold.Observe(Ev("", event_kind::kBestPromoted, {{"candidate", "k1"}, {"time_us", 74.5}}));
  CHECK(fold.campaign("c")->seed_time_us == Approx(estimates[2]));
  CHECK(fold.campaign("c")->best_time_us == 74.5);
}

TEST_CASE("a reference sample moves its member's time to the planner's estimate and no attempt's outcome",
          "[daemon]") {
  LogFold fold;
  fold.Observe(Ev("", event_kind::kCampaignStarted, {{"task", "softmax"}}));
  fold.Observe(Ev("a1", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"parent", "seed"}}));
  fold.Observe(Ev("a1", event_kind::kAttemptFinished,
                  {{"verdict", "no_gain"}, {"candidate", "u"}, {"time_us", 99.0}, {"spread", 0.004}}));
  fold.Observe(Ev("a2", event_kind::kAttemptStarted, {{"proposer", "tuner"}, {"parent", "u"}}));
  fold.Observe(Ev("a2", event_kind::kAttemptFinished,
                  {{"verdict", "improved"}, {"candidate", "c"}, {"time_us", 97.6}, {"source_blob", "bc"}}));
  fold.Observe(Ev("", event_kind::kRemeasured,
                  {{"candidate", "c"}, {"attempt", "a2"}, {"time_us", 97.6}, {"agrees", false}, {"final", false}}));
  REQUIRE(fold.PendingRemeasures("c").size() == 1);
  fold.Observe(Ev("", event_kind::kRemeasured,
                  {{"candidate", "u"}, {"attempt", "a1"}, {"reference", true}, {"for", "c"}, {"time_us", 99.4},
                   {"spread", 0.005}, {"estimate_us", 99.4}}));
  CHECK(fold.candidate("c", "u")->time_us == 99.4);
  CHECK(fold.candidate("c", "u")->spread == 0.005);
  CHECK(fold.attempt("a1")->remeasured.is_null());  // u's attempt has no re-measurement outcome
  CHECK(fold.PendingRemeasures("c").size() == 1);   // c is still being re-measured
  // A failed reference sample (no estimate) leaves the time as it was.
  fold.Observe(Ev("", event_kind::kRemeasured,
                  {{"candidate", "u"}, {"attempt", "a1"}, {"reference", true}, {"time_us", 0.0}, {"spread", 0.0}}));
  CHECK(fold.candidate("c", "u")->time_us == 99.4);
}

namespace {
Event In(const std::string& campaign, const std::string& attempt, std::string_view kind, json payload) {
  Event e = Ev(attempt, kind, std::move(payload));
  e.campaign_id = campaign;
  e.time_ms = 1000;
  return e;
}
}  // namespace

TEST_CASE("a prompt's dead ends from other campaigns are those the log's dead-end table counts",
          "[daemon][deadends]") {
  // Campaigns on softmax/x86_64 (a, b, fresh), one on gemm and one on
  // softmax/sm_90a; attempts along unroll and tile, through a real log so
  // the fold reads the events as stored and its counts can be compared with
  // the log's own (what `ksearch deadends` prints).
  const auto dir = std::filesystem::temp_directory_path() / ("ksearch-fold-deadends-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto log = experiment_log::ExperimentLog::Open((dir / "log.db").string());
  REQUIRE(log.ok());
  std::vector<Event> events;
  auto start = [&](const std::string& c, const std::string& task, const std::string& arch) {
    events.push_back(In(c, "", event_kind::kCampaignStarted, {{"task", task}, {"arch", arch}, {"backend", "host"}}));
  };
  int n = 0;
  auto attempt = [&](const std::string& c, const std::string& axis, const std::string& verdict, const std::string& detail) {
    const std::string id = c + "-a" + std::to_string(++n);
    events.push_back(In(c, id, event_kind::kAttemptStarted, {{"axis", axis}, {"proposer", "llm"}}));
    events.push_back(In(c, id, event_kind::kAttemptFinished, {{"axis", axis}, {"verdict", verdict}, {"detail", detail}}));
    return id;
  };
  start("a", "softmax", "x86_64");
  start("b", "softmax", "x86_64");
  start("fresh", "softmax", "x86_64");
  start("g", "gemm", "x86_64");
  start("h", "softmax", "sm_90a");
  const std::string a_first = attempt("a", "unroll", "compile_error", "kernel.cc:3: error: 'x' was not declared\nline 2\nline 3\nline 4");
  attempt("a", "unroll", "compile_error", "another");
  attempt("a", "unroll", "slower", "0.9x");
  attempt("a", "unroll", "improved", "1.2x");  // not a dead end
  attempt("a", "tile", "incorrect{mismatch}", "y[3]");
  const std::string b_first = attempt("b", "unroll", "no_gain", "1.003x");
  attempt("b", "unroll", "compile_error", "b's error");
  attempt("g", "unroll", "compile_error", "gemm");  // another task
  attempt("h", "unroll", "compile_error", "gpu");   // another arch
  REQUIRE((*log)->Append(events, {}).ok());
  auto stored = (*log)->ReadEvents({});
  REQUIRE(stored.ok());
  LogFold fold;
  for (const Event& e : *stored) fold.Observe(e);

  // A campaign with no dead end of its own sees everyone's on its task and arch.
  CHECK(fold.OtherCampaignsDeadEnds("fresh", "unroll", 10) ==
        std::vector<std::string>{
            "compile_error x3 in 2 other campaigns (e.g. " + a_first + ": kernel.cc:3: error: 'x' was not declared\nline 2\nline 3)",
            "no_gain x1 in 1 other campaign (e.g. " + b_first + ": 1.003x)",
            "slower x1 in 1 other campaign (e.g. " + std::string("a-a3") + ": 0.9x)"});
  // Its own are left out (the planner gives those); the axis is matched.
  CHECK(fold.OtherCampaignsDeadEnds("b", "unroll", 10) ==
        std::vector<std::string>{
            "compile_error x2 in 1 other campaign (e.g. " + a_first + ": kernel.cc:3: error: 'x' was not declared\nline 2\nline 3)",
            "slower x1 in 1 other campaign (e.g. a-a3: 0.9x)"});
  CHECK(fold.OtherCampaignsDeadEnds("b", "tile", 10) ==
        std::vector<std::string>{"incorrect{mismatch} x1 in 1 other campaign (e.g. a-a5: y[3])"});
  CHECK(fold.OtherCampaignsDeadEnds("fresh", "unroll", 1).size() == 1);  // most frequent first, cut at max_lines
  CHECK(fold.OtherCampaignsDeadEnds("h", "unroll", 10).empty());      // sm_90a: only its own
  CHECK(fold.OtherCampaignsDeadEnds("nobody", "unroll", 10).empty());

  // The same counts as the log's table, class by class.
  auto table = (*log)->QueryDeadEnds({"softmax", "x86_64", "unroll", ""});
  REQUIRE(table.ok());
  std::map<std::string, int> from_log;
  for (const auto& d : *table) from_log[d.failure_class] += d.count;
  CHECK(from_log == std::map<std::string, int>{{"compile_error", 3}, {"no_gain", 1}, {"slower", 1}});
  std::filesystem::remove_all(dir);
}
