// Typed readers over yaml-cpp nodes that collect every error as
// "<origin>:<line>:<col>: <key>: <problem>" (1-based line and column).
// Private to isa_corpus.
// Thread-safety: one reader per parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::isa_corpus {

class FieldReader {
 public:
  // `line_offset` is added to yaml-cpp's 0-based line (e.g. 1 when the YAML
  // starts after a "---" line of a markdown file).
  FieldReader(std::string origin, int line_offset) : origin_(std::move(origin)), line_offset_(line_offset) {}

  // "origin:line:col" of `node` (or of the file when the node has no mark).
  std::string Where(const YAML::Node& node) const;
  void Error(const YAML::Node& at, const std::string& key, const std::string& problem);
  void ErrorAtFile(const std::string& key, const std::string& problem);

  // Reads map[key] as a string. Missing: error when `required`, else leaves `out`.
  void String(const YAML::Node& map, const std::string& key, std::string* out, bool required);
  // Reads map[key] as a sequence of scalars.
  void StringList(const YAML::Node& map, const std::string& key, std::vector<std::string>* out,
                  bool required);
  // Errors for every key of `map` not in `allowed` (`context` prefixes the key).
  void RejectUnknown(const YAML::Node& map, const std::set<std::string>& allowed,
                     const std::string& context = "");

  bool ok() const { return errors_.empty(); }
  // OK, or InvalidArgument whose message is every error, one per line.
  Status Finish() const;

 private:
  std::string origin_;
  int line_offset_;
  std::vector<std::string> errors_;
};

// Parses YAML text, turning yaml-cpp's exception into the same error format.
Result<YAML::Node> ParseYaml(const std::string& text, const std::string& origin, int line_offset);

}  // namespace ksearch::isa_corpus
