#include "yaml_fields.h"

#include <sstream>

namespace ksearch::isa_corpus {

std::string FieldReader::Where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return origin_;
  return origin_ + ":" + std::to_string(mark.line + 1 + line_offset_) + ":" + std::to_string(mark.column + 1);
}

void FieldReader::Error(const YAML::Node& at, const std::string& key, const std::string& problem) {
  errors_.push_back(Where(at) + ": " + key + ": " + problem);
}

void FieldReader::ErrorAtFile(const std::string& key, const std::string& problem) {
  errors_.push_back(origin_ + ": " + key + ": " + problem);
}

void FieldReader::String(const YAML::Node& map, const std::string& key, std::string* out, bool required) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) {
    if (required) Error(map, key, "missing required field");
    return;
  }
  if (!v.IsScalar()) {
    Error(v, key, "expected a string");
    return;
  }
  *out = v.Scalar();
  if (required && out->empty()) Error(v, key, "must not be empty");
}

void FieldReader::StringList(const YAML::Node& map, const std::string& key, std::vector<std::string>* out,
                             bool required) {
  const YAML::Node v = map[key];
  if (!v || v.IsNull()) {
    if (required) Error(map, key, "missing required field");
    return;
  }
  if (!v.IsSequence()) {
    Error(v, key, "expected a list, e.g. [a, b]");
    return;
  }
  out->clear();
  for (const YAML::Node& item : v) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      Error(item, key, "expected a non-empty string in the list");
      continue;
    }
    out->push_back(item.Scalar());
  }
}

void FieldReader::RejectUnknown(const YAML::Node& map, const std::set<std::string>& allowed,
                                const std::string& context) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (allowed.count(key) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      Error(kv.first, context + key, "unknown key (allowed: " + list + ")");
    }
  }
}

Status FieldReader::Finish() const {
  if (errors_.empty()) return Status::Ok();
  std::ostringstream msg;
  for (size_t i = 0; i < errors_.size(); ++i) msg << (i ? "\n" : "") << errors_[i];
  return Status::InvalidArgument(msg.str());
}

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& origin, int line_offset) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = origin;
    if (e.mark.line >= 0) {
      where += ":" + std::to_string(e.mark.line + 1 + line_offset) + ":" + std::to_string(e.mark.column + 1);
    }
    return Status::InvalidArgument(where + ": yaml: " + e.msg);
  }
}

}  // namespace ksearch::isa_corpus
