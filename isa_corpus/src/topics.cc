#include "ksearch/isa_corpus/topics.h"

#include <algorithm>

#include "ksearch/core/file_text.h"
#include "yaml_fields.h"

namespace ksearch::isa_corpus {

std::vector<std::string> TopicMap::Route(const std::string& axis, const std::string& bottleneck) const {
  std::vector<std::string> out;
  auto add = [&](const std::map<std::string, std::vector<std::string>>& table, const std::string& key) {
    auto it = table.find(key);
    if (it == table.end()) return;
    for (const auto& t : it->second) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  };
  if (!axis.empty()) add(axes, axis);
  if (!bottleneck.empty()) add(bottlenecks, bottleneck);
  return out;
}

namespace {

void ReadRouting(FieldReader& r, const YAML::Node& root, const std::string& key, const TopicMap& map,
                 std::map<std::string, std::vector<std::string>>* out) {
  const YAML::Node table = root[key];
  if (!table) return;
  if (!table.IsMap()) {
    r.Error(table, key, "expected a mapping of name -> [topics]");
    return;
  }
  for (const auto& kv : table) {
    const std::string name = kv.first.Scalar();
    std::vector<std::string> topics;
    r.StringList(table, name, &topics, true);
    for (const auto& t : topics) {
      if (map.topics.count(t) == 0) r.Error(kv.second, key + "." + name, "unknown topic '" + t + "'");
    }
    (*out)[name] = topics;
  }
}

}  // namespace

Result<TopicMap> ParseTopics(const std::string& yaml_text, const std::string& origin) {
  auto root = ParseYaml(yaml_text, origin, 0);
  if (!root.ok()) return root.status();
  FieldReader r(origin, 0);
  TopicMap map;
  if (!root->IsMap()) {
    r.ErrorAtFile("topics.yaml", "expected a mapping with keys topics, axes, bottlenecks");
    return r.Finish();
  }
  r.RejectUnknown(*root, {"topics", "axes", "bottlenecks"});
  const YAML::Node topics = (*root)["topics"];
  if (!topics || !topics.IsMap()) {
    r.Error(*root, "topics", "missing or not a mapping of topic -> {chapters, terms, facts}");
    return r.Finish();
  }
  for (const auto& kv : topics) {
    Topic t;
    t.name = kv.first.Scalar();
    const std::string ctx = "topics." + t.name;
    if (!kv.second.IsMap()) {
      r.Error(kv.second, ctx, "expected a mapping with chapters, terms, facts");
      continue;
    }
    r.RejectUnknown(kv.second, {"chapters", "terms", "facts"}, ctx + ".");
    r.StringList(kv.second, "chapters", &t.chapters, true);
    r.StringList(kv.second, "terms", &t.terms, false);
    r.StringList(kv.second, "facts", &t.facts, false);
    map.topics[t.name] = std::move(t);
  }
  ReadRouting(r, *root, "axes", map, &map.axes);
  ReadRouting(r, *root, "bottlenecks", map, &map.bottlenecks);
  KS_RETURN_IF_ERROR(r.Finish());
  return map;
}

Result<TopicMap> LoadTopics(const std::string& path) {
  auto text = ReadFileText(path, "the topics file");
  if (!text.ok()) return text.status();
  return ParseTopics(*text, path);
}

}  // namespace ksearch::isa_corpus
