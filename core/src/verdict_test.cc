#include <catch.hpp>

#include "ksearch/core/eval_protocol.h"
#include "ksearch/core/verdict.h"

using namespace ksearch;

TEST_CASE("verdict wire form round-trips with and without reason", "[core]") {
  for (const char* text : {"incorrect{mismatch}", "proposal_failed{llm_error}", "new_best",
                           "hack_suspected{impossible_speed}", "duplicate{machine_code}"}) {
    auto v = Verdict::Parse(text);
    REQUIRE(v.ok());
    CHECK(v->ToString() == text);
  }
  auto v = Verdict::Parse("incorrect{nan}");
  REQUIRE(v.ok());
  CHECK(v->kind == VerdictKind::kIncorrect);
  CHECK(v->reason == "nan");
  CHECK(IsFailureVerdict(v->kind));
  CHECK(IsPassingVerdict(VerdictKind::kNoGain));
  CHECK_FALSE(IsPassingVerdict(VerdictKind::kTimeout));
}

TEST_CASE("malformed verdicts are rejected with the offending text", "[core]") {
  auto bad = Verdict::Parse("fastest");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("fastest") != std::string::npos);
  CHECK_FALSE(Verdict::Parse("incorrect{mismatch").ok());
}

TEST_CASE("run request survives a JSON round trip", "[core]") {
  RunRequest r;
  r.task_dir = "configs/tasks/softmax";
  r.backend = Backend::kCuda;
  r.seed = 1234567890123ull;
  r.parent.candidate_id = "k1";
  r.parent.shape_median_us = {1.5, 2.5};
  nlohmann::json j = r;
  RunRequest back = j.get<RunRequest>();
  CHECK(back.task_dir == r.task_dir);
  CHECK(back.backend == Backend::kCuda);
  CHECK(back.seed == r.seed);
  CHECK(back.parent.shape_median_us == r.parent.shape_median_us);
  CHECK_FALSE(ParseBackend("opencl").ok());
}

TEST_CASE("verdict filters name something a recorded verdict could be", "[core]") {
  // Attempts filters match by prefix: the start of a kind, or a kind and reason.
  for (const char* ok : {"hack", "hack_suspected", "incorrect{nan}", "s", "infra_error{task_changed}"})
    CHECK(IsVerdictPrefixFilter(ok));
  for (const char* bad : {"bogus", "slowerx", "hack{x}", "{nan}", "slower&bogus=1"}) CHECK_FALSE(IsVerdictPrefixFilter(bad));
  // Dead-end classes match whole: the kind must be a kind.
  for (const char* ok : {"compile_error", "incorrect{mismatch}", "no_gain"}) CHECK(IsVerdictClassFilter(ok));
  for (const char* bad : {"compile", "bogus", "hack{x}"}) CHECK_FALSE(IsVerdictClassFilter(bad));
  const std::string known = KnownVerdictKinds();
  CHECK(known.rfind("known: proposal_failed, duplicate, ", 0) == 0);
  CHECK(known.find("infra_error") != std::string::npos);
}
