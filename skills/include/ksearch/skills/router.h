// Router: picks the 1-3 skills one proposal needs, within a byte budget.
//
// For (axis, arch, op) the candidates are taken in this priority order:
//   1. the axis skill(s): the ids the axis catalogue lists (request.axis_skill_ids)
//      or else the axis skills whose applies_to.axes names the axis and whose
//      archs match the target;
//   2. the porting skill, when request.porting_from is set (e.g. "cuda" for a
//      CUDA kernel being ported to a gfx target) and its archs match;
//   3. the arch skill whose archs match the target (exact patterns before globs);
//   4. the op skill for request.op.
// At most `max_skills` are picked; a candidate whose body does not fit in the
// remaining budget is skipped (recorded in Route::skipped) and later, smaller
// ones may still be taken. The entry skill is always included and counts
// against the budget first.
// Thread-safety: const methods only; the SkillTree must outlive the Router.
#pragma once

#include <string>
#include <vector>

#include "ksearch/skills/skill_tree.h"

namespace ksearch::skills {

struct RouteRequest {
  std::string axis;                          // e.g. "tensor_core_instructions"
  std::string arch;                          // e.g. "gfx942"
  std::string op;                            // task name, e.g. "softmax"
  std::string porting_from;                  // "" | "cuda" | source arch
  std::vector<std::string> axis_skill_ids;   // from configs/axes.yaml `skills:`
  size_t budget_bytes = 8192;                // entry + picked bodies
  int max_skills = 3;                        // REQUIRES: 1..3
};

struct RoutedSkill {
  const Skill* skill;
  std::string reason;  // "axis tensor_core_instructions", "arch gfx942", ...
};

struct Route {
  const Skill* entry = nullptr;
  std::vector<RoutedSkill> skills;        // in priority order
  std::vector<std::string> skipped;       // "id (reason)" of candidates left out
  size_t bytes = 0;                       // entry + picked bodies
  // The skills as prompt text: entry body, then each picked body under a
  // "## Skill: <id>" heading.
  std::string Render() const;
};

class Router {
 public:
  explicit Router(const SkillTree& tree) : tree_(tree) {}
  Route Pick(const RouteRequest& request) const;

 private:
  const SkillTree& tree_;
};

}  // namespace ksearch::skills
