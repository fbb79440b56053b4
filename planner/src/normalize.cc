#include <cctype>

#include "ksearch/core/sha256.h"
#include "ksearch/planner/novelty.h"

namespace ksearch::planner {

namespace {
bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
}  // namespace

std::string NormalizeSource(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;   // whitespace seen since the last emitted char
  bool in_directive = false;    // inside a preprocessor line
  size_t i = 0;
  auto emit = [&](char c) {
    if (pending_space && !out.empty() && IsWord(out.back()) && IsWord(c)) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
      pending_space = true;
      continue;
    }
    if (c == '"' || c == '\'') {  // literal: copied verbatim
      emit(c);
      ++i;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && i + 1 < s.size()) out.push_back(s[i++]);
        out.push_back(s[i++]);
      }
      if (i < s.size()) out.push_back(s[i++]);
      continue;
    }
    if (c == '\n') {
      if (in_directive && !(out.size() && out.back() == '\\')) {
        out.push_back('\n');
        in_directive = false;
        pending_space = false;
      } else {
        pending_space = true;
      }
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = true;
      ++i;
      continue;
    }
    if (c == '#' && (out.empty() || out.back() == '\n' || out.back() == ';' ||
                     out.back() == '}' || out.back() == '{')) {
      if (!out.empty() && out.back() != '\n') out.push_back('\n');
      in_directive = true;
      pending_space = false;
    }
    emit(c);
    ++i;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string NormalizedSourceHash(std::string_view source) {
  return Sha256Hex(NormalizeSource(source));
}

std::string SemanticChangeKey(std::string_view parent_candidate, std::string_view axis,
                              std::string_view parent_source, std::string_view child_source) {
  std::string a = NormalizeSource(parent_source), b = NormalizeSource(child_source);
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  std::string removed = a.substr(pre, a.size() - pre - suf);
  std::string added = b.substr(pre, b.size() - pre - suf);
  Sha256 h;
  for (std::string_view part : {parent_candidate, axis, std::string_view(removed),
                                std::string_view(added)}) {
    h.Update(std::to_string(part.size()) + ":");
    h.Update(part);
  }
  return h.HexDigest();
}

}  // namespace ksearch::planner
