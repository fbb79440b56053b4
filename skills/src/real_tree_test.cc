// The checked-in skills tree (skills/tree, written alongside configs/axes.yaml):
// it loads with the task contracts, the entry stays short, every axis of the
// catalogue that names skills finds them, and routing returns 1-3 skills.
#include <yaml-cpp/yaml.h>

#include <catch.hpp>
#include <cstdlib>

#include "ksearch/skills/router.h"

namespace ksearch::skills {
namespace {

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

TEST_CASE("the real skills tree loads and routes every catalogued axis", "[skills][tree]") {
  SkillTreeOptions o;
  o.tree_dir = SourceDir() + "/skills/tree";
  o.tasks_dir = SourceDir() + "/configs/tasks";
  auto tree = SkillTree::Load(o);
  INFO(tree.status().ToString());
  REQUIRE(tree.ok());
  CHECK(tree->entry().body.size() <= 4096);

  YAML::Node axes;
  REQUIRE_NOTHROW(axes = YAML::LoadFile(SourceDir() + "/configs/axes.yaml"));
  REQUIRE(axes["axes"].IsSequence());
  Router router(*tree);
  int routed = 0;
  for (const YAML::Node& axis : axes["axes"]) {
    const std::string name = axis["name"].as<std::string>();
    std::vector<std::string> ids;
    if (axis["skills"]) ids = axis["skills"].as<std::vector<std::string>>();
    for (const auto& id : ids) {
      INFO("configs/axes.yaml axis " << name << " names skill " << id);
      CHECK(tree->Find(id) != nullptr);
    }
    if (ids.empty()) continue;
    for (const char* arch : {"sm_90a", "gfx942"}) {
      RouteRequest req = Req(name, arch, "softmax");
      req.axis_skill_ids = ids;
      Route r = router.Pick(req);
      INFO("axis " << name << " arch " << arch);
      CHECK(r.skills.size() >= 1);
      CHECK(r.skills.size() <= 3);
      CHECK(r.skills[0].skill->id == ids[0]);
      CHECK(r.Render().size() <= req.budget_bytes);
      ++routed;
    }
  }
  CHECK(routed >= 20);
}

TEST_CASE("every target arch routes to an arch skill, AMD targets to the porting skill", "[skills][tree]") {
  SkillTreeOptions o;
  o.tree_dir = SourceDir() + "/skills/tree";
  auto tree = SkillTree::Load(o);
  REQUIRE(tree.ok());
  Router router(*tree);
  for (const char* arch : {"sm_80", "sm_89", "sm_90a", "sm_100a", "gfx90a", "gfx942", "gfx950"}) {
    INFO(arch);
    Route r = router.Pick(Req("", arch, ""));
    REQUIRE(r.skills.size() == 1);
    CHECK(r.skills[0].skill->kind == SkillKind::kArch);
    CHECK(MatchesArch(r.skills[0].skill->applies_to.archs, arch));
    RouteRequest port = Req("warp_reduction", arch, "");
    port.porting_from = "cuda";
    port.axis_skill_ids = {"techniques/warp-reduction"};
    Route p = router.Pick(port);
    const bool amd = std::string(arch).rfind("gfx", 0) == 0;
    bool has_porting = false;
    for (const auto& s : p.skills) has_porting |= s.skill->kind == SkillKind::kPorting;
    CHECK(has_porting == amd);
  }
}

}  // namespace
}  // namespace ksearch::skills
