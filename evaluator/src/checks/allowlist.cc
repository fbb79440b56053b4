#include "checks/allowlist.h"

#include <fnmatch.h>

#include <sstream>

#include "ksearch/core/file_text.h"

namespace ksearch::evaluator::checks {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool MatchesAny(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns) {
    if (p == name) return true;
    if (p.find_first_of("*?[") != std::string::npos && fnmatch(p.c_str(), name.c_str(), 0) == 0)
      return true;
  }
  return false;
}

// Symbol names and globs: identifier characters, '.', '$' and glob metacharacters.
bool ValidPattern(const std::string& p) {
  if (p.empty()) return false;
  for (char c : p) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '$' || c == '*' || c == '?' || c == '[' ||
              c == ']' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string StripSymbolVersion(const std::string& name) {
  size_t at = name.find('@');
  return at == std::string::npos ? name : name.substr(0, at);
}

Result<SymbolAllowlist> SymbolAllowlist::Parse(const std::string& text, const std::string& origin) {
  SymbolAllowlist list;
  list.origins_.push_back(origin);
  std::istringstream in(text);
  std::string line;
  std::string errors;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    size_t hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    bool needed = false;
    if (line.rfind("needed:", 0) == 0) {
      needed = true;
      line = Trim(line.substr(7));
    }
    if (!ValidPattern(line)) {
      errors += origin + ":" + std::to_string(lineno) + ": invalid " +
                (needed ? "soname pattern" : "symbol pattern") + " \"" + line + "\"\n";
      continue;
    }
    (needed ? list.needed_ : list.symbols_).push_back(line);
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Status::InvalidArgument(errors);
  }
  return list;
}

Result<SymbolAllowlist> SymbolAllowlist::LoadFile(const std::string& path) {
  auto text = ReadFileText(path, "the allowlist file");
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

Result<SymbolAllowlist> SymbolAllowlist::LoadFor(const std::string& dir, const std::string& backend,
                                                 const std::vector<std::string>& allowed_libraries) {
  std::vector<std::string> names = {"host"};
  if (backend != "host") names.push_back(backend);
  for (const auto& lib : allowed_libraries) {
    if (!ValidPattern(lib) || lib.find_first_of("*?[") != std::string::npos)
      return Status::InvalidArgument("allowed_libraries: invalid library name \"" + lib + "\"");
    names.push_back(lib);
  }
  SymbolAllowlist all;
  for (const auto& n : names) {
    auto one = LoadFile(dir + "/" + n + ".txt");
    if (!one.ok()) return one.status();
    all.Merge(*one);
  }
  return all;
}

void SymbolAllowlist::Merge(const SymbolAllowlist& other) {
  symbols_.insert(symbols_.end(), other.symbols_.begin(), other.symbols_.end());
  needed_.insert(needed_.end(), other.needed_.begin(), other.needed_.end());
  origins_.insert(origins_.end(), other.origins_.begin(), other.origins_.end());
}

bool SymbolAllowlist::AllowsSymbol(const std::string& name) const {
  return MatchesAny(symbols_, StripSymbolVersion(name));
}

bool SymbolAllowlist::AllowsNeeded(const std::string& soname) const {
  return MatchesAny(needed_, soname);
}

}  // namespace ksearch::evaluator::checks
