// Private helpers for the planner's YAML loaders: typed reads whose errors name
// "<file>:<line>: <key path>: <problem>". yaml-cpp exceptions stop here.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ksearch/core/status.h"

namespace ksearch::planner::internal {

class YamlReader {
 public:
  explicit YamlReader(std::string source) : source_(std::move(source)) {}

  // "<source>:<line>: <key>: <problem>" (line is 1-based).
  Status Error(const YAML::Node& at, const std::string& key, const std::string& problem) const;
  // Errors for keys of `map` not in `allowed`.
  Status CheckKeys(const YAML::Node& map, const std::string& path,
                   const std::set<std::string>& allowed) const;

  Status GetString(const YAML::Node& map, const std::string& path, const char* key,
                   std::string* out, bool required) const;
  Status GetDouble(const YAML::Node& map, const std::string& path, const char* key,
                   double* out) const;
  Status GetInt(const YAML::Node& map, const std::string& path, const char* key,
                int64_t* out) const;
  Status GetBool(const YAML::Node& map, const std::string& path, const char* key,
                 bool* out) const;
  Status GetStringList(const YAML::Node& map, const std::string& path, const char* key,
                       std::vector<std::string>* out) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

std::string JoinKey(const std::string& path, const std::string& key);

}  // namespace ksearch::planner::internal
