#include "ksearch/core/sha256.h"
#include "ksearch/planner/novelty.h"

namespace ksearch::planner {

namespace {

// Character classes of the "C" locale, as a table: NormalizeSource runs over
// every byte of two or three sources per proposal, and std::isspace /
// std::isalnum are calls into the locale each.
struct CharClasses {
  bool word[256] = {};
  bool space[256] = {};
  constexpr CharClasses() {
    for (int c = 0; c < 256; ++c) {
      word[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      space[c] = c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
    }
  }
};
constexpr CharClasses kClasses;

bool IsWord(char c) { return kClasses.word[static_cast<unsigned char>(c)]; }
bool IsSpace(char c) { return kClasses.space[static_cast<unsigned char>(c)]; }

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
    if (IsSpace(c)) {
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

std::string NormalizedSourceHash(std::string_view source) { return HashOfNormalizedSource(NormalizeSource(source)); }

std::string HashOfNormalizedSource(std::string_view normalized_source) { return Sha256Hex(normalized_source); }

std::string SemanticChangeKey(std::string_view parent_candidate, std::string_view axis,
                              std::string_view parent_source, std::string_view child_source) {
  return SemanticChangeKeyOfNormalized(parent_candidate, axis, NormalizeSource(parent_source),
                                       NormalizeSource(child_source));
}

std::string SemanticChangeKeyOfNormalized(std::string_view parent_candidate, std::string_view axis,
                                          std::string_view a, std::string_view b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  std::string_view removed = a.substr(pre, a.size() - pre - suf);
  std::string_view added = b.substr(pre, b.size() - pre - suf);
  Sha256 h;
  for (std::string_view part : {parent_candidate, axis, removed, added}) {
    h.Update(std::to_string(part.size()) + ":");
    h.Update(part);
  }
  return h.HexDigest();
}

}  // namespace ksearch::planner
