#include "ksearch/skills/router.h"

#include <catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ksearch::skills {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* env = std::getenv("KSEARCH_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : KSEARCH_TEST_SOURCE_DIR;
}

RouteRequest Req(const std::string& axis, const std::string& arch, const std::string& op) {
  RouteRequest r;
  r.axis = axis;
  r.arch = arch;
  r.op = op;
  return r;
}

SkillTree LoadFixture() {
  SkillTreeOptions o;
  o.tree_dir = SourceDir() + "/skills/testdata/tree";
  o.tasks_dir = SourceDir() + "/skills/testdata/tasks";
  auto t = SkillTree::Load(o);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return std::move(*t);
}

std::vector<std::string> Ids(const Route& r) {
  std::vector<std::string> out;
  for (const auto& s : r.skills) out.push_back(s.skill->id);
  return out;
}

TEST_CASE("tree loads skills and generates op skills from contracts", "[skills]") {
  SkillTree t = LoadFixture();
  CHECK(t.entry().id == "entry");
  const Skill* op = t.Find("op/softmax");
  REQUIRE(op != nullptr);
  CHECK(op->kind == SkillKind::kOp);
  CHECK(op->applies_to.ops == std::vector<std::string>{"softmax"});
  CHECK(op->summary == "Row-wise softmax over the last dimension, f32 in and out.");
  CHECK(t.Find("op/notask") == nullptr);  // folder without contract.md
  CHECK(t.skills().size() == 8);
}

TEST_CASE("router picks axis, arch and op skills in priority order", "[skills]") {
  SkillTree t = LoadFixture();
  Router router(t);
  SECTION("axis + exact arch + op") {
    Route r = router.Pick(Req("tensor_core_instructions", "gfx942", "softmax"));
    CHECK(Ids(r) == std::vector<std::string>{"techniques/tensor-cores", "arch/gfx942", "op/softmax"});
    CHECK(r.skills[0].reason == "axis tensor_core_instructions");
    CHECK(r.entry->id == "entry");
    const std::string text = r.Render();
    CHECK(text.rfind("# Fixture entry", 0) == 0);
    CHECK(text.find("## Skill: arch/gfx942\n# gfx942") != std::string::npos);
    CHECK(text.size() <= r.bytes);
  }
  SECTION("glob arch skill when no exact one exists") {
    Route r = router.Pick(Req("memory_coalescing", "gfx90a", ""));
    CHECK(Ids(r) == std::vector<std::string>{"techniques/coalescing", "arch/cdna"});
  }
  SECTION("an axis skill whose archs exclude the target is not picked") {
    Route r = router.Pick(Req("tensor_core_instructions", "sm_70", ""));
    CHECK(Ids(r).empty());
  }
  SECTION("sm_90a gets the sm_90 arch skill") {
    Route r = router.Pick(Req("", "sm_90a", ""));
    CHECK(Ids(r) == std::vector<std::string>{"arch/sm90"});
  }
  SECTION("porting adds the porting skill before arch and op, capped at 3") {
    RouteRequest req = Req("tensor_core_instructions", "gfx942", "softmax");
    req.porting_from = "cuda";
    Route r = router.Pick(req);
    CHECK(Ids(r) == std::vector<std::string>{"techniques/tensor-cores", "porting/cuda-to-hip", "arch/gfx942"});
    REQUIRE(r.skipped.size() == 1);
    CHECK(r.skipped[0].find("op/softmax") == 0);
  }
  SECTION("axis skill ids from the catalogue override matching") {
    RouteRequest req = Req("my_axis", "gfx942", "");
    req.axis_skill_ids = {"techniques/coalescing", "techniques/missing"};
    Route r = router.Pick(req);
    CHECK(Ids(r) == std::vector<std::string>{"techniques/coalescing", "arch/gfx942"});
    REQUIRE(r.skipped.size() == 1);
    CHECK(r.skipped[0].find("techniques/missing") == 0);
  }
}

TEST_CASE("router respects the byte budget", "[skills]") {
  SkillTree t = LoadFixture();
  Router router(t);
  RouteRequest req = Req("tensor_core_instructions", "gfx942", "softmax");
  const size_t entry = t.entry().body.size();
  for (size_t budget : {entry, entry + 40, entry + 80, entry + 120, entry + 200, entry + 400}) {
    req.budget_bytes = budget;
    Route r = router.Pick(req);
    CHECK(r.bytes <= budget);
    CHECK(r.Render().size() <= budget);
  }
  req.budget_bytes = entry;  // room for the entry only
  Route r = router.Pick(req);
  CHECK(r.skills.empty());
  CHECK(r.skipped.size() == 3);
  // A later, smaller skill can still fit when a bigger one does not.
  req.budget_bytes = entry + t.Find("arch/gfx942")->body.size() + 30;
  r = router.Pick(req);
  CHECK(Ids(r) == std::vector<std::string>{"arch/gfx942"});
}

TEST_CASE("tree load errors name the file", "[skills]") {
  const fs::path dir = fs::temp_directory_path() / ("skills_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  SkillTreeOptions o;
  o.tree_dir = dir.string();
  SECTION("no entry skill") {
    write("a.md", "---\nid: a\nkind: axis\nsummary: s\n---\n");
    auto t = SkillTree::Load(o);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().message().find("no skill with kind: entry") != std::string::npos);
  }
  SECTION("duplicate ids") {
    write("a.md", "---\nid: entry\nkind: entry\nsummary: s\n---\n");
    write("b.md", "---\nid: entry\nkind: axis\nsummary: s\n---\n");
    auto t = SkillTree::Load(o);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().message().find("b.md: id 'entry' already used by") != std::string::npos);
  }
  SECTION("entry skill too long to be always loaded") {
    write("a.md", "---\nid: entry\nkind: entry\nsummary: s\n---\n" + std::string(5000, 'x'));
    auto t = SkillTree::Load(o);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().message().find("a.md: entry skill body is 5000 bytes") != std::string::npos);
  }
  SECTION("missing folder") {
    o.tree_dir = (dir / "nope").string();
    CHECK(SkillTree::Load(o).status().IsNotFound());
  }
  fs::remove_all(dir);
}

TEST_CASE("axis skills are checked against the axis catalogue", "[skills]") {
  SkillTree t = LoadFixture();
  CHECK(t.CheckAxes({"tensor_core_instructions", "memory_coalescing"}).ok());
  Status s = t.CheckAxes({"tensor_core_instructions", "fusion"});
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("axis 'fusion' has no axis skill") != std::string::npos);
  CHECK(s.message().find("unknown axis 'memory_coalescing'") != std::string::npos);
}

}  // namespace
}  // namespace ksearch::skills
