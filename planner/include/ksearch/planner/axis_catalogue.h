// AxisCatalogue: the optimization axes a campaign may explore (configs/axes.yaml).
//
// Each axis names the bottleneck classes it addresses (the planner's prior), the
// skills it routes to, the architectures it applies to and its neighbours (axes
// reopened on a child after this axis improved it).
// Thread-safety: immutable after loading; safe to share for reading.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::planner {

// Bottleneck classes reported by the evaluator's evidence (DESIGN.md section 8).
inline constexpr const char* kBottleneckClasses[] = {"memory", "compute", "latency", "launch"};
// Whether `name` is one of kBottleneckClasses.
bool IsBottleneckClass(std::string_view name);
// "memory, compute, latency, launch": for messages that list the classes.
std::string BottleneckClassList();

struct Axis {
  std::string name;         // snake_case, unique
  std::string description;  // one paragraph, shown in prompts
  std::vector<std::string> bottlenecks;  // subset of kBottleneckClasses
  std::vector<std::string> skills;       // skill ids for the router
  std::vector<std::string> archs;        // patterns: "sm_*", "gfx9*", "x86_64", "*"
  std::vector<std::string> neighbours;   // other axis names
  bool tuner_only = false;  // true: proposals come from the built-in tuner

  bool AppliesTo(const std::string& arch) const;
  bool Addresses(const std::string& bottleneck) const;
};

class AxisCatalogue {
 public:
  AxisCatalogue() = default;

  // Parses YAML text (top-level key `axes:` holding a list); errors read
  // "<source_name>:<line>: axes[<i>].<key>: <problem>".
  static Result<AxisCatalogue> Parse(const std::string& yaml_text,
                                     const std::string& source_name);
  static Result<AxisCatalogue> Load(const std::string& path);
  // Builds from values (tests, benchmarks); validates like Parse.
  static Result<AxisCatalogue> FromAxes(std::vector<Axis> axes);

  // The axes a campaign uses: `include` (empty: all) minus `exclude`, filtered
  // to those applying to `arch`. Unknown names are InvalidArgument.
  Result<AxisCatalogue> Restrict(const std::vector<std::string>& include,
                                 const std::vector<std::string>& exclude,
                                 const std::string& arch) const;
  // Adds or replaces axes (campaign-specific extensions); revalidates.
  Result<AxisCatalogue> Extend(const std::vector<Axis>& extra) const;

  const Axis* Find(const std::string& name) const;
  const std::vector<Axis>& axes() const { return axes_; }
  std::vector<std::string> Names() const;

 private:
  static Status Validate(const std::vector<Axis>& axes);
  std::vector<Axis> axes_;  // sorted by name
};

}  // namespace ksearch::planner
