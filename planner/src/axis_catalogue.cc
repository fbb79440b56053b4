#include "ksearch/planner/axis_catalogue.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "ksearch/core/file_text.h"
#include "yaml_util.h"

namespace ksearch::planner {

bool IsBottleneckClass(std::string_view name) {
  return std::any_of(std::begin(kBottleneckClasses), std::end(kBottleneckClasses),
                     [&](const char* c) { return name == c; });
}

std::string BottleneckClassList() {
  std::string list;
  for (const char* c : kBottleneckClasses) list += (list.empty() ? "" : ", ") + std::string(c);
  return list;
}

using internal::YamlReader;

namespace {

// Glob with a single trailing or embedded '*' (e.g. "sm_*", "gfx9*", "*").
bool GlobMatch(const std::string& pattern, const std::string& s) {
  size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern == s;
  std::string pre = pattern.substr(0, star), post = pattern.substr(star + 1);
  return s.size() >= pre.size() + post.size() && s.compare(0, pre.size(), pre) == 0 &&
         s.compare(s.size() - post.size(), post.size(), post) == 0;
}

bool IsSnakeCase(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace

bool Axis::AppliesTo(const std::string& arch) const {
  for (const auto& p : archs)
    if (GlobMatch(p, arch)) return true;
  return false;
}

bool Axis::Addresses(const std::string& bottleneck) const {
  return std::find(bottlenecks.begin(), bottlenecks.end(), bottleneck) != bottlenecks.end();
}

Status AxisCatalogue::Validate(const std::vector<Axis>& axes) {
  std::set<std::string> names;
  for (const auto& a : axes) {
    if (!IsSnakeCase(a.name)) return Status::InvalidArgument("name: '" + a.name + "' is not snake_case");
    if (!names.insert(a.name).second) return Status::InvalidArgument("name: duplicate axis '" + a.name + "'");
  }
  for (const auto& a : axes) {
    const std::string at = "axis '" + a.name + "': ";
    if (a.description.empty()) return Status::InvalidArgument(at + "description: must not be empty");
    if (a.archs.empty()) return Status::InvalidArgument(at + "archs: must list at least one pattern");
    for (const auto& b : a.bottlenecks)
      if (!IsBottleneckClass(b))
        return Status::InvalidArgument(at + "bottlenecks: unknown class '" + b + "' (known: " +
                                       BottleneckClassList() + ")");
    for (const auto& n : a.neighbours) {
      if (!names.count(n)) return Status::InvalidArgument(at + "neighbours: unknown axis '" + n + "'");
      if (n == a.name) return Status::InvalidArgument(at + "neighbours: an axis is not its own neighbour");
    }
  }
  return Status::Ok();
}

Result<AxisCatalogue> AxisCatalogue::FromAxes(std::vector<Axis> axes) {
  KS_RETURN_IF_ERROR(Validate(axes));
  std::sort(axes.begin(), axes.end(), [](const Axis& a, const Axis& b) { return a.name < b.name; });
  AxisCatalogue c;
  c.axes_ = std::move(axes);
  return c;
}

Result<AxisCatalogue> AxisCatalogue::Parse(const std::string& yaml_text,
                                           const std::string& source_name) {
  YamlReader r(source_name);
  std::vector<Axis> axes;
  std::vector<YAML::Node> nodes;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    KS_RETURN_IF_ERROR(r.CheckKeys(root, "", {"axes"}));
    YAML::Node list = root["axes"];
    if (!list.IsSequence()) return r.Error(list.IsDefined() ? list : root, "axes", "expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node n = list[i];
      std::string path = "axes[" + std::to_string(i) + "]";
      KS_RETURN_IF_ERROR(r.CheckKeys(n, path, {"name", "description", "bottlenecks", "skills",
                                               "archs", "neighbours", "tuner_only"}));
      Axis a;
      KS_RETURN_IF_ERROR(r.GetString(n, path, "name", &a.name, true));
      KS_RETURN_IF_ERROR(r.GetString(n, path, "description", &a.description, true));
      KS_RETURN_IF_ERROR(r.GetStringList(n, path, "bottlenecks", &a.bottlenecks));
      KS_RETURN_IF_ERROR(r.GetStringList(n, path, "skills", &a.skills));
      KS_RETURN_IF_ERROR(r.GetStringList(n, path, "archs", &a.archs));
      KS_RETURN_IF_ERROR(r.GetStringList(n, path, "neighbours", &a.neighbours));
      KS_RETURN_IF_ERROR(r.GetBool(n, path, "tuner_only", &a.tuner_only));
      axes.push_back(std::move(a));
      nodes.push_back(n);
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source_name + ":" + std::to_string(e.mark.line + 1) +
                                   ": <yaml>: " + e.msg);
  }
  Status st = Validate(axes);
  if (!st.ok()) {
    // Point at the offending axis entry: messages start with "axis '<name>': <key>: ..."
    // or "name: ... '<name>'".
    const std::string& msg = st.message();
    for (size_t i = 0; i < axes.size(); ++i) {
      if (msg.find("'" + axes[i].name + "'") == std::string::npos) continue;
      std::string rest = msg.substr(msg.find(": ") + 2);
      std::string key = msg.rfind("axis '", 0) == 0 ? rest.substr(0, rest.find(':')) : "name";
      std::string why = msg.rfind("axis '", 0) == 0 ? rest.substr(rest.find(": ") + 2) : rest;
      YAML::Node at = nodes[i][key];
      return r.Error(at.IsDefined() ? at : nodes[i], "axes[" + std::to_string(i) + "]." + key, why);
    }
    return Status::InvalidArgument(source_name + ": " + msg);
  }
  return FromAxes(std::move(axes));
}

Result<AxisCatalogue> AxisCatalogue::Load(const std::string& path) {
  auto text = ReadFileText(path, "the axis catalogue");
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

Result<AxisCatalogue> AxisCatalogue::Restrict(const std::vector<std::string>& include,
                                              const std::vector<std::string>& exclude,
                                              const std::string& arch) const {
  for (const auto& n : include)
    if (!Find(n)) return Status::InvalidArgument("axes: unknown axis '" + n + "'");
  for (const auto& n : exclude)
    if (!Find(n)) return Status::InvalidArgument("exclude_axes: unknown axis '" + n + "'");
  std::vector<Axis> kept;
  for (const auto& a : axes_) {
    bool in = include.empty() || std::count(include.begin(), include.end(), a.name);
    bool out = std::count(exclude.begin(), exclude.end(), a.name) > 0;
    if (in && !out && a.AppliesTo(arch)) kept.push_back(a);
  }
  if (kept.empty()) return Status::InvalidArgument("axes: no axis applies to arch '" + arch + "'");
  // Neighbours outside the restricted set are dropped, not errors.
  std::set<std::string> names;
  for (const auto& a : kept) names.insert(a.name);
  for (auto& a : kept)
    a.neighbours.erase(std::remove_if(a.neighbours.begin(), a.neighbours.end(),
                                      [&](const std::string& n) { return !names.count(n); }),
                       a.neighbours.end());
  return FromAxes(std::move(kept));
}

Result<AxisCatalogue> AxisCatalogue::Extend(const std::vector<Axis>& extra) const {
  std::vector<Axis> all = axes_;
  for (const auto& e : extra) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Axis& a) { return a.name == e.name; });
    if (it != all.end()) *it = e; else all.push_back(e);
  }
  return FromAxes(std::move(all));
}

const Axis* AxisCatalogue::Find(const std::string& name) const {
  for (const auto& a : axes_)
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string> AxisCatalogue::Names() const {
  std::vector<std::string> out;
  for (const auto& a : axes_) out.push_back(a.name);
  return out;
}

}  // namespace ksearch::planner
