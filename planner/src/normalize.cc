#include <algorithm>
#include <iterator>
#include <map>
#include <vector>

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

// The end (one past the closing quote, or the text's end) of the string or
// character literal that opens at `open`; a backslash escapes the next byte.
size_t LiteralEnd(std::string_view s, size_t open) {
  size_t j = open + 1;
  while (j < s.size() && s[j] != s[open]) j += s[j] == '\\' && j + 1 < s.size() ? 2 : 1;
  return std::min(j + 1, s.size());
}

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
      const size_t end = LiteralEnd(s, i);
      emit(c);
      out.append(s.substr(i + 1, end - i - 1));
      i = end;
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

namespace {

// A token of a normalized source: a word (identifier or number), a string or
// character literal, a newline (it ends a preprocessor line) or any other
// single byte. The single spaces NormalizeSource keeps between words only
// separate tokens.
std::vector<std::string_view> Tokens(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size() / 3);
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    size_t j = i + 1;
    if (c == ' ') {
      ++i;
      continue;
    }
    if (IsWord(c)) {
      while (j < s.size() && IsWord(s[j])) ++j;
    } else if (c == '"' || c == '\'') {
      j = LiteralEnd(s, i);
    }
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsIdentifier(std::string_view t) { return !t.empty() && IsWord(t[0]) && !(t[0] >= '0' && t[0] <= '9'); }

// Words after which a new name is not being declared: statements and
// operators spelled as words, and the preprocessor's other directives.
bool DeclaresNothing(std::string_view w) {
  static constexpr std::string_view kWords[] = {
      "return", "case",  "goto",   "sizeof", "alignof", "new",    "delete", "throw",   "else",    "do",
      "typeid", "and",   "or",     "not",    "xor",     "bitand", "bitor",  "compl",   "not_eq",  "and_eq",
      "or_eq",  "xor_eq", "co_return", "co_yield", "co_await", "pragma", "include", "if", "ifdef", "ifndef",
      "elif",   "undef", "error",  "warning", "line"};
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

// True when the name at `toks[k]` is being declared there: after a word that
// can end a declaration's type (`float tile[`, `int i =`, `void helper(`,
// `struct Acc {`, `template <int N>`) or after `*`/`&` that follows one
// (`float* row =`), and followed by what ends a declarator. Always after
// `#define`. A name in any other place (a call of an intrinsic the parent
// did not use, a type: `const float4 v`) is not a binding: two different
// ones are two different changes.
bool DeclaredAt(const std::vector<std::string_view>& toks, size_t k) {
  if (k == 0) return false;
  std::string_view prev = toks[k - 1];
  if (prev == "define") return true;
  const std::string_view next = k + 1 < toks.size() ? toks[k + 1] : std::string_view("");
  static constexpr std::string_view kEnds[] = {"=", ";", ",", "[", "(", ")", "{", ">", ":"};
  const bool ends = std::find(std::begin(kEnds), std::end(kEnds), next) != std::end(kEnds);
  if ((prev == "*" || prev == "&") && k >= 2) {
    if (next == "(") return false;  // `a * expf(`: a product, not a declaration
    prev = toks[k - 2];
  }
  return ends && IsIdentifier(prev) && !DeclaresNothing(prev);
}

}  // namespace

std::string SemanticChangeKeyOfNormalized(std::string_view parent_candidate, std::string_view axis,
                                          std::string_view a, std::string_view b) {
  const std::vector<std::string_view> pa = Tokens(a), pb = Tokens(b);
  size_t pre = 0;
  while (pre < pa.size() && pre < pb.size() && pa[pre] == pb[pre]) ++pre;
  size_t suf = 0;
  while (suf < pa.size() - pre && suf < pb.size() - pre && pa[pa.size() - 1 - suf] == pb[pb.size() - 1 - suf])
    ++suf;
  // Names the change declares that the parent never mentions are renamed
  // $0, $1, ... in order of first appearance: the same change under other
  // names is the same change. (Such a name cannot appear in the common
  // prefix or suffix, which the parent contains.) "Never mentions" is a
  // whole-word search of the parent per declared name: a change declares a
  // few names, the parent has thousands of tokens.
  auto in_parent = [&a](std::string_view name) {
    for (size_t at = a.find(name); at != std::string_view::npos; at = a.find(name, at + 1))
      if ((at == 0 || !IsWord(a[at - 1])) && (at + name.size() == a.size() || !IsWord(a[at + name.size()])))
        return true;
    return false;
  };
  std::vector<std::string_view> declared;
  for (size_t k = pre; k < pb.size() - suf; ++k)
    if (IsIdentifier(pb[k]) && DeclaredAt(pb, k) &&
        std::find(declared.begin(), declared.end(), pb[k]) == declared.end() && !in_parent(pb[k]))
      declared.push_back(pb[k]);
  std::map<std::string_view, std::string> renamed;
  Sha256 h;
  auto part = [&h](std::string_view t) {
    h.Update(std::to_string(t.size()) + ":");
    h.Update(t);
  };
  part(parent_candidate);
  part(axis);
  part("-");
  for (size_t k = pre; k < pa.size() - suf; ++k) part(pa[k]);
  part("+");
  for (size_t k = pre; k < pb.size() - suf; ++k) {
    if (std::find(declared.begin(), declared.end(), pb[k]) == declared.end()) {
      part(pb[k]);
      continue;
    }
    auto it = renamed.find(pb[k]);
    if (it == renamed.end()) {
      std::string name = "$";  // (not "$" + std::to_string: GCC 12's -Wrestrict false positive)
      name += std::to_string(renamed.size());
      it = renamed.emplace(pb[k], std::move(name)).first;
    }
    part(it->second);
  }
  return h.HexDigest();
}

}  // namespace ksearch::planner
