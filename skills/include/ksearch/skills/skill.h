// Skill: one markdown file of narrow know-how for a proposal (the entry skill,
// an op contract, per-arch principles, one technique per optimization axis,
// or a porting guide). Files under skills/tree/ start with front matter:
//   ---
//   id: techniques/tensor-cores          # unique; [a-z0-9/_-]+
//   kind: axis                           # entry | op | arch | axis | porting
//   applies_to: {axes: [tensor_core_instructions], archs: ["sm_9*", "gfx9*"], ops: ["*"]}
//   summary: one line shown when the body is not loaded
//   ---
// applies_to lists are glob patterns (fnmatch: "*", "sm_9*"); an absent list
// means "*". Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::skills {

enum class SkillKind { kEntry, kOp, kArch, kAxis, kPorting };

std::string_view KindName(SkillKind kind);  // "entry", "op", ...

struct AppliesTo {
  std::vector<std::string> axes{"*"};
  std::vector<std::string> archs{"*"};
  std::vector<std::string> ops{"*"};
};

struct Skill {
  std::string id;
  SkillKind kind = SkillKind::kAxis;
  AppliesTo applies_to;
  std::string summary;
  std::string body;  // markdown after the front matter
  std::string path;  // file it came from
};

// Parses one skill file. Errors read "<origin>:<line>:<col>: <field>: <problem>"
// and list every problem (unknown keys, bad kind, missing id/kind/summary).
Result<Skill> ParseSkill(std::string_view text, const std::string& origin);

// fnmatch-style match of `value` against `pattern` ("*", "?", "[..]").
bool GlobMatch(const std::string& pattern, const std::string& value);

// True if any pattern matches `value`; for archs, a family member counts too
// (sm_90a matches a pattern written for sm_90).
bool MatchesAny(const std::vector<std::string>& patterns, const std::string& value);
bool MatchesArch(const std::vector<std::string>& patterns, const std::string& arch);

}  // namespace ksearch::skills
