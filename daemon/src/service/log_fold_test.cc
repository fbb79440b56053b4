#include <catch.hpp>

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
