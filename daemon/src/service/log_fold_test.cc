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
