#include "ksearch/skills/router.h"

#include <algorithm>

#include "ksearch/isa_corpus/arch.h"

namespace ksearch::skills {
namespace {

// An arch pattern without wildcards is more specific than a glob.
bool ExactArch(const Skill& s, const std::string& arch) {
  for (const auto& p : s.applies_to.archs) {
    if (p.find_first_of("*?[") == std::string::npos && MatchesArch({p}, arch)) return true;
  }
  return false;
}

}  // namespace

std::string Route::Render() const {
  std::string out;
  if (entry != nullptr) out = entry->body;
  for (const RoutedSkill& r : skills) {
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out += "\n## Skill: " + r.skill->id + "\n" + r.skill->body;
  }
  return out;
}

Route Router::Pick(const RouteRequest& request) const {
  Route route;
  route.entry = &tree_.entry();
  route.bytes = route.entry->body.size();

  std::vector<RoutedSkill> candidates;
  auto push = [&](const Skill* s, std::string reason) {
    if (s == nullptr) return;
    for (const auto& c : candidates) {
      if (c.skill == s) return;
    }
    candidates.push_back({s, std::move(reason)});
  };

  // 1. Axis skill(s).
  if (!request.axis_skill_ids.empty()) {
    for (const auto& id : request.axis_skill_ids) {
      const Skill* s = tree_.Find(id);
      if (s == nullptr) {
        route.skipped.push_back(id + " (listed for axis " + request.axis + " but not in the tree)");
        continue;
      }
      push(s, "axis " + request.axis);
    }
  } else if (!request.axis.empty()) {
    for (const Skill& s : tree_.skills()) {
      if (s.kind != SkillKind::kAxis) continue;
      const auto& axes = s.applies_to.axes;
      const bool named = std::find(axes.begin(), axes.end(), request.axis) != axes.end() ||
                         std::any_of(axes.begin(), axes.end(), [&](const std::string& p) {
                           return p != "*" && GlobMatch(p, request.axis);
                         });
      if (named && (request.arch.empty() || MatchesArch(s.applies_to.archs, request.arch))) {
        push(&s, "axis " + request.axis);
      }
    }
  }
  // 2. Porting skill.
  if (!request.porting_from.empty()) {
    for (const Skill& s : tree_.skills()) {
      if (s.kind == SkillKind::kPorting && (request.arch.empty() || MatchesArch(s.applies_to.archs, request.arch))) {
        push(&s, "porting from " + request.porting_from);
      }
    }
  }
  // 3. Arch skill: exact patterns first.
  if (!request.arch.empty()) {
    const Skill* best = nullptr;
    for (const Skill& s : tree_.skills()) {
      if (s.kind != SkillKind::kArch || !MatchesArch(s.applies_to.archs, request.arch)) continue;
      if (best == nullptr || (ExactArch(s, request.arch) && !ExactArch(*best, request.arch))) best = &s;
    }
    push(best, "arch " + request.arch);
  }
  // 4. Op skill.
  if (!request.op.empty()) {
    for (const Skill& s : tree_.skills()) {
      if (s.kind == SkillKind::kOp && MatchesAny(s.applies_to.ops, request.op) &&
          std::find(s.applies_to.ops.begin(), s.applies_to.ops.end(), "*") == s.applies_to.ops.end()) {
        push(&s, "op " + request.op);
        break;
      }
    }
  }

  const int max_skills = std::clamp(request.max_skills, 1, 3);
  for (const RoutedSkill& c : candidates) {
    if (static_cast<int>(route.skills.size()) >= max_skills) {
      route.skipped.push_back(c.skill->id + " (" + c.reason + "; limit of " + std::to_string(max_skills) + ")");
      continue;
    }
    // Rendering adds a "## Skill: <id>" heading and a blank line per skill.
    const size_t cost = c.skill->body.size() + c.skill->id.size() + 14;
    if (route.bytes + cost > request.budget_bytes) {
      route.skipped.push_back(c.skill->id + " (" + c.reason + "; " + std::to_string(cost) + " bytes over budget)");
      continue;
    }
    route.bytes += cost;
    route.skills.push_back(c);
  }
  return route;
}

}  // namespace ksearch::skills
