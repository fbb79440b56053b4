// SkillTree: every skill of a deployment, loaded once and immutable.
//
// Sources:
//   <tree_dir>/**/*.md               skill files with front matter (skill.h);
//                                    exactly one has kind entry
//   <tasks_dir>/<op>/contract.md     one op skill per task: id "op/<op>",
//                                    kind op, applies_to.ops [<op>]
// Thread-safety: immutable after Load; safe to share across threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/skills/skill.h"

namespace ksearch::skills {

struct SkillTreeOptions {
  std::string tree_dir;   // REQUIRES: an existing folder (skills/tree)
  std::string tasks_dir;  // configs/tasks; "" = no op skills
  // The entry skill is in every prompt; a longer one is a load error.
  size_t max_entry_bytes = 4096;
};

class SkillTree {
 public:
  // Errors name the file (and line) at fault: parse errors, duplicate ids,
  // no entry skill or more than one, an entry skill over max_entry_bytes.
  static Result<SkillTree> Load(const SkillTreeOptions& options);

  const Skill& entry() const { return skills_[entry_index_]; }
  const Skill* Find(const std::string& id) const;
  const std::vector<Skill>& skills() const { return skills_; }

  // Cross-check with the axis catalogue (configs/axes.yaml, read by the
  // planner): every axis in `axis_names` must have an axis skill and every axis
  // skill must name only known axes. InvalidArgument listing each mismatch.
  Status CheckAxes(const std::vector<std::string>& axis_names) const;

 private:
  std::vector<Skill> skills_;
  std::map<std::string, size_t> by_id_;
  size_t entry_index_ = 0;
};

// The checked-in tree (skills/tree of the source the binary was built from),
// or $KSEARCH_SKILLS_TREE when set: where a deployment with no skills_dir looks.
std::string DefaultTreeDir();

}  // namespace ksearch::skills
