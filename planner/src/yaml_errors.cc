#include "yaml_util.h"

namespace ksearch::planner::internal {

std::string JoinKey(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

Status YamlReader::Error(const YAML::Node& at, const std::string& key,
                         const std::string& problem) const {
  int line = at.IsDefined() ? at.Mark().line + 1 : 0;
  std::string where = source_ + (line > 0 ? ":" + std::to_string(line) : "");
  return Status::InvalidArgument(where + ": " + key + ": " + problem);
}

Status YamlReader::CheckKeys(const YAML::Node& map, const std::string& path,
                             const std::set<std::string>& allowed) const {
  if (!map.IsMap()) return Error(map, path.empty() ? "<root>" : path, "expected a mapping");
  for (const auto& kv : map) {
    std::string k = kv.first.Scalar();
    if (!allowed.count(k)) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      return Error(kv.first, JoinKey(path, k), "unknown key (known: " + known + ")");
    }
  }
  return Status::Ok();
}

Status YamlReader::GetString(const YAML::Node& map, const std::string& path, const char* key,
                             std::string* out, bool required) const {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) {
    if (required) return Error(map, JoinKey(path, key), "required key is missing");
    return Status::Ok();
  }
  if (!n.IsScalar()) return Error(n, JoinKey(path, key), "expected a string");
  *out = n.Scalar();
  return Status::Ok();
}

Status YamlReader::GetDouble(const YAML::Node& map, const std::string& path, const char* key,
                             double* out) const {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return Status::Ok();
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not scalar");
    *out = n.as<double>();
  } catch (const YAML::Exception&) {
    return Error(n, JoinKey(path, key), "expected a number, got '" +
                                            (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) + "'");
  }
  return Status::Ok();
}

Status YamlReader::GetInt(const YAML::Node& map, const std::string& path, const char* key,
                          int64_t* out) const {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return Status::Ok();
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not scalar");
    *out = n.as<int64_t>();
  } catch (const YAML::Exception&) {
    return Error(n, JoinKey(path, key), "expected an integer, got '" +
                                            (n.IsScalar() ? n.Scalar() : std::string("<non-scalar>")) + "'");
  }
  return Status::Ok();
}

Status YamlReader::GetBool(const YAML::Node& map, const std::string& path, const char* key,
                           bool* out) const {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return Status::Ok();
  try {
    if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not scalar");
    *out = n.as<bool>();
  } catch (const YAML::Exception&) {
    return Error(n, JoinKey(path, key), "expected true or false");
  }
  return Status::Ok();
}

Status YamlReader::GetStringList(const YAML::Node& map, const std::string& path,
                                 const char* key, std::vector<std::string>* out) const {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return Status::Ok();
  if (!n.IsSequence()) return Error(n, JoinKey(path, key), "expected a list of strings");
  out->clear();
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      return Error(n[i], JoinKey(path, key) + "[" + std::to_string(i) + "]", "expected a string");
    }
    out->push_back(n[i].Scalar());
  }
  return Status::Ok();
}

}  // namespace ksearch::planner::internal
