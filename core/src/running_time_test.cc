#include <catch.hpp>

#include "ksearch/core/running_time.h"

using namespace ksearch;

namespace {

Event At(int64_t ms, std::string_view kind, nlohmann::json payload = nlohmann::json::object()) {
  Event e;
  e.time_ms = ms;
  e.campaign_id = "c";
  e.kind = std::string(kind);
  e.payload = std::move(payload);
  return e;
}

Event State(int64_t ms, const char* state, nlohmann::json extra = nlohmann::json::object()) {
  extra["state"] = state;
  extra["reason"] = "test";
  return At(ms, event_kind::kCampaignState, std::move(extra));
}

}  // namespace

TEST_CASE("running time counts from campaign_started while the campaign runs", "[core][budget]") {
  RunningTime t;
  CHECK(t.RunningMs(5'000) == 0);  // not started
  t.Observe(State(500, "paused"));  // before campaign_started: ignored
  t.Observe(At(1'000, event_kind::kCampaignStarted));
  CHECK(t.running());
  CHECK(t.RunningMs(4'000) == 3'000);
  t.Observe(At(2'000, event_kind::kAttemptStarted));  // other kinds change nothing
  t.Observe(At(3'000, event_kind::kCampaignStarted));  // a second start is ignored
  CHECK(t.RunningMs(4'000) == 3'000);
}

TEST_CASE("paused, finished and stopped time is not running time", "[core][budget]") {
  RunningTime t;
  t.Observe(At(0, event_kind::kCampaignStarted));
  t.Observe(State(10'000, "paused"));
  CHECK_FALSE(t.running());
  CHECK(t.RunningMs(50'000) == 10'000);  // a closed interval does not grow
  t.Observe(State(40'000, "running"));
  CHECK(t.RunningMs(45'000) == 15'000);
  t.Observe(State(42'000, "running"));  // already running: the interval stays open from 40 s
  CHECK(t.RunningMs(45'000) == 15'000);
  t.Observe(State(50'000, "finished"));
  t.Observe(State(60'000, "finished"));  // closing a closed interval adds nothing
  CHECK(t.RunningMs(90'000) == 20'000);
  t.Observe(State(90'000, "running"));  // extended
  t.Observe(State(91'000, "stopped"));
  CHECK(t.RunningMs(100'000) == 21'000);
}

TEST_CASE("the time the daemon was down is not running time", "[core][budget]") {
  RunningTime t;
  t.Observe(At(0, event_kind::kCampaignStarted));
  // Last event at 7 s, daemon back at 100 s: 7 s counted, then from 100 s on.
  t.Observe(State(100'000, "running", {{"down_since_ms", 7'000}}));
  CHECK(t.running());
  CHECK(t.RunningMs(103'000) == 10'000);
  // Down again, and paused at start (not rebuilt): closed at down_since, not reopened.
  t.Observe(State(200'000, "paused", {{"down_since_ms", 150'000}}));
  CHECK_FALSE(t.running());
  CHECK(t.RunningMs(300'000) == 57'000);
  // A campaign that was paused when the daemon stopped: nothing open to close.
  t.Observe(State(400'000, "running", {{"down_since_ms", 390'000}}));
  CHECK(t.RunningMs(401'000) == 58'000);
}

TEST_CASE("malformed or backward times never make running time negative", "[core][budget]") {
  RunningTime t;
  t.Observe(At(10'000, event_kind::kCampaignStarted));
  t.Observe(State(5'000, "paused"));  // the clock stepped back
  CHECK(t.RunningMs(20'000) == 0);
  t.Observe(State(20'000, "running"));
  // down_since after the event itself: bounded by the event's time.
  t.Observe(State(30'000, "running", {{"down_since_ms", 99'000}}));
  CHECK(t.RunningMs(30'000) == 10'000);
  t.Observe(State(31'000, "running", {{"down_since_ms", "yesterday"}}));  // not a number: ignored
  CHECK(t.RunningMs(32'000) == 12'000);
  CHECK(t.RunningMs(0) == 10'000);  // now before the open interval's start
  CHECK(t.ToJson()["closed_ms"] == 10'000);
}
