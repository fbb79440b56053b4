#include <catch.hpp>

#include "ksearch/planner/context_packet.h"

using namespace ksearch::planner;

namespace {
ContextPacket Packet() {
  ContextPacket p;
  p.task = "softmax";
  p.arch = "sm_90";
  p.backend = "cuda";
  p.axis = "vectorized_access";
  p.axis_description = "Load 16-byte vectors.";
  p.contract = "rows of length n; fp32 in and out";
  p.source = "__global__ void k() {}\n";
  p.evidence = "time 12.0 us, roofline 0.41, bottleneck memory";
  p.skill = "Use float4 loads when n % 4 == 0.";
  p.isa_facts = {"LDG.E.128 loads 16 bytes", "fact two"};
  p.dead_ends = {"incorrect{mismatch} x3 (misaligned tail)", "no_gain x1"};
  p.lineage = {"seed -> c1 via coalesce (1.2x)", "c1 -> c2 via unroll (1.1x)"};
  return p;
}
}  // namespace

TEST_CASE("prompt carries every part of the context packet", "[planner][prompt]") {
  auto r = BuildPrompt(Packet(), 100000);
  REQUIRE(r.ok());
  for (const char* s : {"softmax", "sm_90", "vectorized_access", "Load 16-byte vectors.",
                        "fp32 in and out", "__global__ void k() {}", "roofline 0.41",
                        "float4", "LDG.E.128", "misaligned tail", "c1 -> c2 via unroll",
                        "<<<<<<< SEARCH", "Summary:"})
    CHECK(r->user.find(s) != std::string::npos);
  CHECK(r->truncated.empty());
  CHECK(r->system.find("exactly one") != std::string::npos);
}

TEST_CASE("over budget, parts are cut in the fixed order", "[planner][prompt]") {
  ContextPacket p = Packet();
  size_t full = BuildPrompt(p, 100000)->user.size() + BuildPrompt(p, 100000)->system.size();
  SECTION("a small overrun drops the oldest lineage step first") {
    auto r = BuildPrompt(p, full - 5);
    REQUIRE(r.ok());
    CHECK(r->truncated == std::vector<std::string>{"lineage"});
    CHECK(r->user.find("seed -> c1") == std::string::npos);
    CHECK(r->user.find("c1 -> c2") != std::string::npos);
    CHECK(r->user.size() + r->system.size() <= full - 5);
  }
  SECTION("a large overrun cuts down to the contract, never the source") {
    p.skill = std::string(4000, 's');
    p.evidence = std::string(4000, 'e');
    p.contract = std::string(4000, 'c');
    auto r = BuildPrompt(p, 3500);
    REQUIRE(r.ok());
    CHECK(r->truncated == std::vector<std::string>{"lineage", "isa_facts", "dead_ends", "skill",
                                                   "evidence", "contract"});
    CHECK(r->user.find("__global__ void k() {}") != std::string::npos);
    CHECK(r->user.size() + r->system.size() <= 3500);
  }
  SECTION("source larger than the budget is an error") {
    p.source = std::string(5000, 'x');
    auto r = BuildPrompt(p, 2000);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("prompt budget of 2000 characters") == 0);
  }
}

TEST_CASE("repair prompts carry the failure evidence", "[planner][prompt]") {
  ContextPacket p = Packet();
  p.repair_failure = "compile_error";
  p.repair_evidence = "kernel.cu:12: error: identifier \"float5\" is undefined";
  auto r = BuildPrompt(p, 100000);
  REQUIRE(r.ok());
  CHECK(r->user.find("failed with compile_error") != std::string::npos);
  CHECK(r->user.find("float5") != std::string::npos);
}

TEST_CASE("format-fix message asks only for the format", "[planner][prompt]") {
  std::string m = FormatFixMessage("reply has no SEARCH/REPLACE block");
  CHECK(m.find("reply has no SEARCH/REPLACE block") != std::string::npos);
  CHECK(m.find("Do not redo the work") != std::string::npos);
  CHECK(m.find("<<<<<<< SEARCH") != std::string::npos);
}
