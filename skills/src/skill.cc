#include "ksearch/skills/skill.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

#include "ksearch/isa_corpus/arch.h"
#include "ksearch/isa_corpus/chapter.h"

namespace ksearch::skills {
namespace {

// Collects "<origin>:<line>:<col>: <key>: <problem>" errors over one file.
class Errors {
 public:
  Errors(std::string origin, int line_offset) : origin_(std::move(origin)), offset_(line_offset) {}
  void Add(const YAML::Node& at, const std::string& key, const std::string& problem) {
    const YAML::Mark m = at.Mark();
    std::string where = origin_;
    if (m.line >= 0) where += ":" + std::to_string(m.line + 1 + offset_) + ":" + std::to_string(m.column + 1);
    list_.push_back(where + ": " + key + ": " + problem);
  }
  bool empty() const { return list_.empty(); }
  Status ToStatus() const {
    std::ostringstream out;
    for (size_t i = 0; i < list_.size(); ++i) out << (i ? "\n" : "") << list_[i];
    return Status::InvalidArgument(out.str());
  }

 private:
  std::string origin_;
  int offset_;
  std::vector<std::string> list_;
};

bool ParseKind(const std::string& s, SkillKind* out) {
  static const std::pair<const char*, SkillKind> kKinds[] = {{"entry", SkillKind::kEntry},
                                                             {"op", SkillKind::kOp},
                                                             {"arch", SkillKind::kArch},
                                                             {"axis", SkillKind::kAxis},
                                                             {"porting", SkillKind::kPorting}};
  for (const auto& [name, kind] : kKinds) {
    if (s == name) {
      *out = kind;
      return true;
    }
  }
  return false;
}

bool ValidSkillId(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '/' ||
          c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

void ReadPatterns(Errors& e, const YAML::Node& map, const std::string& key, std::vector<std::string>* out) {
  const YAML::Node v = map[key];
  if (!v) return;  // absent: "*"
  if (!v.IsSequence()) {
    e.Add(v, "applies_to." + key, "expected a list of patterns, e.g. [\"sm_9*\"]");
    return;
  }
  out->clear();
  for (const YAML::Node& item : v) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      e.Add(item, "applies_to." + key, "expected a non-empty string");
      continue;
    }
    out->push_back(item.Scalar());
  }
}

}  // namespace

std::string_view KindName(SkillKind kind) {
  switch (kind) {
    case SkillKind::kEntry: return "entry";
    case SkillKind::kOp: return "op";
    case SkillKind::kArch: return "arch";
    case SkillKind::kAxis: return "axis";
    case SkillKind::kPorting: return "porting";
  }
  return "?";
}

bool GlobMatch(const std::string& pattern, const std::string& value) {
  return fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& value) {
  for (const auto& p : patterns) {
    if (GlobMatch(p, value)) return true;
  }
  return false;
}

bool MatchesArch(const std::vector<std::string>& patterns, const std::string& arch) {
  for (const auto& member : isa_corpus::ArchFamily(arch)) {
    if (MatchesAny(patterns, member)) return true;
  }
  return false;
}

Result<Skill> ParseSkill(std::string_view text, const std::string& origin) {
  const isa_corpus::FrontMatterSplit split = isa_corpus::SplitFrontMatter(text);
  if (!split.present) return Status::InvalidArgument(origin + ":1:1: front matter: missing (a skill starts with '---')");
  if (split.unterminated) {
    return Status::InvalidArgument(origin + ":1:1: front matter: opening '---' has no closing '---' line");
  }
  YAML::Node fm;
  try {
    fm = YAML::Load(split.yaml);
  } catch (const YAML::Exception& ex) {
    return Status::InvalidArgument(origin + ":" + std::to_string(ex.mark.line + 1 + split.yaml_first_line) + ":" +
                                   std::to_string(ex.mark.column + 1) + ": yaml: " + ex.msg);
  }
  Errors e(origin, split.yaml_first_line);
  Skill skill;
  skill.body = split.body;
  skill.path = origin;
  if (!fm.IsMap()) {
    e.Add(fm, "front matter", "expected a mapping with id, kind, applies_to, summary");
    return e.ToStatus();
  }
  static const std::set<std::string> kKeys = {"id", "kind", "applies_to", "summary"};
  for (const auto& kv : fm) {
    if (!kKeys.count(kv.first.Scalar())) e.Add(kv.first, kv.first.Scalar(), "unknown key (allowed: applies_to, id, kind, summary)");
  }
  auto scalar = [&](const char* key, std::string* out) {
    const YAML::Node v = fm[key];
    if (!v || !v.IsScalar() || v.Scalar().empty()) {
      e.Add(v ? v : fm, key, v ? "expected a non-empty string" : "missing required field");
      return;
    }
    *out = v.Scalar();
  };
  std::string kind;
  scalar("id", &skill.id);
  scalar("kind", &kind);
  scalar("summary", &skill.summary);
  if (!skill.id.empty() && !ValidSkillId(skill.id)) e.Add(fm["id"], "id", "'" + skill.id + "' must match [a-z0-9/_-]+");
  if (!kind.empty() && !ParseKind(kind, &skill.kind)) {
    e.Add(fm["kind"], "kind", "expected entry, op, arch, axis or porting, got '" + kind + "'");
  }
  if (const YAML::Node at = fm["applies_to"]) {
    if (!at.IsMap()) {
      e.Add(at, "applies_to", "expected a mapping {axes: [...], archs: [...], ops: [...]}");
    } else {
      for (const auto& kv : at) {
        const std::string k = kv.first.Scalar();
        if (k != "axes" && k != "archs" && k != "ops") e.Add(kv.first, "applies_to." + k, "unknown key (allowed: archs, axes, ops)");
      }
      ReadPatterns(e, at, "axes", &skill.applies_to.axes);
      ReadPatterns(e, at, "archs", &skill.applies_to.archs);
      ReadPatterns(e, at, "ops", &skill.applies_to.ops);
    }
  }
  if (!e.empty()) return e.ToStatus();
  return skill;
}

}  // namespace ksearch::skills
