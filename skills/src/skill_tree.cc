#include "ksearch/skills/skill_tree.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "ksearch/core/file_text.h"

namespace ksearch::skills {
namespace {

namespace fs = std::filesystem;

// The first prose line of a contract (skipping headings and blank lines).
std::string FirstProseLine(const std::string& text) {
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '|' || line.rfind("    ", 0) == 0) continue;
    return line;
  }
  return "";
}

}  // namespace

Result<SkillTree> SkillTree::Load(const SkillTreeOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.tree_dir, ec)) {
    return Status::NotFound(options.tree_dir + ": skills tree folder not found");
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(options.tree_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".md" && it->path().filename() != "README.md") {
      files.push_back(it->path());
    }
  }
  if (ec) return Status::IoError(options.tree_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());

  SkillTree tree;
  auto add = [&tree](Skill skill) -> Status {
    auto [it, inserted] = tree.by_id_.emplace(skill.id, tree.skills_.size());
    if (!inserted) {
      return Status::InvalidArgument(skill.path + ": id '" + skill.id + "' already used by " +
                                     tree.skills_[it->second].path);
    }
    tree.skills_.push_back(std::move(skill));
    return Status::Ok();
  };
  for (const fs::path& f : files) {
    auto text = ReadFileText(f.string());
    if (!text.ok()) return text.status();
    auto skill = ParseSkill(*text, f.string());
    if (!skill.ok()) return skill.status();
    KS_RETURN_IF_ERROR(add(std::move(*skill)));
  }
  if (!options.tasks_dir.empty() && fs::is_directory(options.tasks_dir, ec)) {
    std::vector<fs::path> contracts;
    for (const auto& entry : fs::directory_iterator(options.tasks_dir, ec)) {
      if (entry.is_directory() && fs::exists(entry.path() / "contract.md")) contracts.push_back(entry.path());
    }
    std::sort(contracts.begin(), contracts.end());
    for (const fs::path& dir : contracts) {
      auto text = ReadFileText((dir / "contract.md").string());
      if (!text.ok()) return text.status();
      Skill op;
      const std::string name = dir.filename().string();
      op.id = "op/" + name;
      op.kind = SkillKind::kOp;
      op.applies_to.ops = {name};
      op.summary = FirstProseLine(*text);
      if (op.summary.empty()) op.summary = "Contract of the " + name + " task.";
      op.body = *text;
      op.path = (dir / "contract.md").string();
      KS_RETURN_IF_ERROR(add(std::move(op)));
    }
  }

  std::vector<size_t> entries;
  for (size_t i = 0; i < tree.skills_.size(); ++i) {
    if (tree.skills_[i].kind == SkillKind::kEntry) entries.push_back(i);
  }
  if (entries.empty()) return Status::InvalidArgument(options.tree_dir + ": no skill with kind: entry");
  if (entries.size() > 1) {
    return Status::InvalidArgument(tree.skills_[entries[1]].path + ": a second entry skill (the first is " +
                                   tree.skills_[entries[0]].path + ")");
  }
  tree.entry_index_ = entries[0];
  const Skill& entry = tree.skills_[entries[0]];
  if (entry.body.size() > options.max_entry_bytes) {
    return Status::InvalidArgument(entry.path + ": entry skill body is " + std::to_string(entry.body.size()) +
                                   " bytes; the always-loaded entry must stay under " +
                                   std::to_string(options.max_entry_bytes));
  }
  return tree;
}

const Skill* SkillTree::Find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &skills_[it->second];
}

Status SkillTree::CheckAxes(const std::vector<std::string>& axis_names) const {
  const std::set<std::string> known(axis_names.begin(), axis_names.end());
  std::set<std::string> covered;
  std::string problems;
  for (const Skill& s : skills_) {
    if (s.kind != SkillKind::kAxis) continue;
    for (const std::string& axis : s.applies_to.axes) {
      if (axis == "*") continue;
      if (!known.count(axis)) problems += "\n  " + s.path + ": applies_to.axes names unknown axis '" + axis + "'";
      covered.insert(axis);
    }
  }
  for (const std::string& axis : axis_names) {
    if (!covered.count(axis)) problems += "\n  axis '" + axis + "' has no axis skill";
  }
  if (problems.empty()) return Status::Ok();
  return Status::InvalidArgument("skills vs axis catalogue:" + problems);
}

std::string DefaultTreeDir() {
  if (const char* env = std::getenv("KSEARCH_SKILLS_TREE"); env != nullptr && *env != '\0') return env;
  return KSEARCH_DEFAULT_SKILLS_TREE;
}

}  // namespace ksearch::skills
