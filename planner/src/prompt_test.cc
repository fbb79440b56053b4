#include <catch.hpp>

#include "ksearch/planner/context_packet.h"
#include "ksearch/planner/llm_proposer.h"

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

TEST_CASE("a recorded prompt is cut before each section heading, and its parts join to it", "[planner][llm]") {
  auto joined = [](const std::vector<std::string_view>& parts) {
    std::string s;
    for (auto p : parts) s += p;
    return s;
  };
  ContextPacket p = Packet();
  p.contract = "rows of 4096 floats; a mid-line ## is no heading";
  p.isa_facts.push_back("a \\n## literal backslash-n is not a line start");
  auto prompt = BuildPrompt(p, 100000);
  REQUIRE(prompt.ok());
  ksearch::llm::CompletionRequest r;
  r.system = prompt->system;
  r.messages = {{"user", prompt->user}};
  const std::string record = PromptRecordText(r);
  const auto parts = PromptRecordParts(record);
  CHECK(joined(parts) == record);
  // The header, then one part per section: contract, evidence, notes, ISA
  // facts, dead ends, lineage, current source.
  REQUIRE(parts.size() == 8);
  CHECK(parts[1].substr(0, 19) == "## Task contract\\nr");
  CHECK(parts[2].substr(0, 18) == "## Parent evidence");
  CHECK(parts[3].substr(0, 18) == "## Technique notes");
  CHECK(parts[4].substr(0, 12) == "## ISA facts");
  CHECK(parts[5].substr(0, 12) == "## Dead ends");
  CHECK(parts[6].substr(0, 10) == "## Lineage");
  CHECK(parts[7].substr(0, 17) == "## Current source");
  for (size_t i = 1; i < parts.size(); ++i) CHECK(parts[i - 1].substr(parts[i - 1].size() - 2) == "\\n");

  // Another parent and axis: the contract and the ISA facts are the same
  // parts, byte for byte (so the log stores them once); the header, evidence
  // and source are not.
  ContextPacket q = p;
  q.axis = "loop_unrolling";
  q.evidence = "time 11.0 us";
  q.source = "__global__ void k(float* x) { x[1] = 1.f; }\n";
  auto prompt2 = BuildPrompt(q, 100000);
  REQUIRE(prompt2.ok());
  r.messages = {{"user", prompt2->user}};
  const std::string record2 = PromptRecordText(r);
  const auto parts2 = PromptRecordParts(record2);
  REQUIRE(parts2.size() == parts.size());
  CHECK(parts2[1] == parts[1]);
  CHECK(parts2[4] == parts[4]);
  CHECK(parts2[0] != parts[0]);
  CHECK(parts2[2] != parts[2]);
  CHECK(parts2[7] != parts[7]);

  // Texts without headings are one part; an empty text is one empty part.
  CHECK(PromptRecordParts("{\"system\": \"x\"}") == std::vector<std::string_view>{"{\"system\": \"x\"}"});
  CHECK(PromptRecordParts("") == std::vector<std::string_view>{""});
  // Escaped backslashes before "n## ": an even run ending the text before the
  // real escape cuts, an odd run does not.
  CHECK(PromptRecordParts("a\\\\\\n## b") == std::vector<std::string_view>{"a\\\\\\n", "## b"});
  CHECK(PromptRecordParts("a\\\\n## b") == std::vector<std::string_view>{"a\\\\n## b"});
}
