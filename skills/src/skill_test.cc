#include "ksearch/skills/skill.h"

#include <catch.hpp>

namespace ksearch::skills {
namespace {

TEST_CASE("skill front matter is parsed", "[skills]") {
  auto s = ParseSkill(
      "---\nid: techniques/tensor-cores\nkind: axis\napplies_to: {axes: [tensor_core_instructions], archs: [\"gfx9*\"]}\n"
      "summary: Use matrix units.\n---\n# Body\n",
      "tc.md");
  REQUIRE(s.ok());
  CHECK(s->id == "techniques/tensor-cores");
  CHECK(s->kind == SkillKind::kAxis);
  CHECK(s->applies_to.axes == std::vector<std::string>{"tensor_core_instructions"});
  CHECK(s->applies_to.archs == std::vector<std::string>{"gfx9*"});
  CHECK(s->applies_to.ops == std::vector<std::string>{"*"});  // absent list means any
  CHECK(s->body == "# Body\n");
}

TEST_CASE("skill errors name file, line and field", "[skills]") {
  SECTION("bad kind and unknown key") {
    auto s = ParseSkill("---\nid: x\nkind: technique\nsummary: s\ncolor: red\n---\n", "x.md");
    REQUIRE_FALSE(s.ok());
    const std::string& m = s.status().message();
    CHECK(m.find("x.md:3:7: kind: expected entry, op, arch, axis or porting, got 'technique'") != std::string::npos);
    CHECK(m.find("x.md:5:1: color: unknown key") != std::string::npos);
  }
  SECTION("missing summary, bad applies_to key") {
    auto s = ParseSkill("---\nid: x\nkind: arch\napplies_to: {gpus: [a]}\n---\n", "x.md");
    REQUIRE_FALSE(s.ok());
    const std::string& m = s.status().message();
    CHECK(m.find("summary: missing required field") != std::string::npos);
    CHECK(m.find("x.md:4:14: applies_to.gpus: unknown key") != std::string::npos);
  }
  SECTION("no front matter") {
    auto s = ParseSkill("# just markdown\n", "y.md");
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().message().find("y.md:1:1: front matter: missing") != std::string::npos);
  }
}

TEST_CASE("arch patterns match globs and arch families", "[skills]") {
  CHECK(MatchesArch({"sm_9*"}, "sm_90a"));
  CHECK(MatchesArch({"sm_90"}, "sm_90a"));   // sm_90a is a superset of sm_90
  CHECK_FALSE(MatchesArch({"sm_90a"}, "sm_90"));
  CHECK(MatchesArch({"gfx9*"}, "gfx942"));
  CHECK_FALSE(MatchesArch({"gfx9*"}, "sm_90a"));
  CHECK(MatchesAny({"*"}, "anything"));
}

}  // namespace
}  // namespace ksearch::skills
