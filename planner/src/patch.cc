#include "ksearch/planner/patch.h"

#include <cctype>
#include <string_view>

namespace ksearch::planner {

namespace {

// The lines of `s` as std::getline reads them (a last newline ends the last
// line and does not start another), each without a trailing '\r'. No stream:
// this runs on every reply and every patched source.
std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < s.size()) {
    const size_t nl = s.find('\n', begin);
    const size_t end = nl == std::string_view::npos ? s.size() : nl;
    std::string_view line = s.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.emplace_back(line);
    begin = end + 1;
  }
  return out;
}

std::string JoinLines(const std::vector<std::string>& lines, bool trailing_newline) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size() || trailing_newline) out += '\n';
  }
  return out;
}

// Whitespace runs collapsed to one space, ends trimmed.
std::string Squash(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) { space = true; continue; }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The predicates below read a line as Squash() would leave it without making
// that copy (they run on every line of every reply): Squash only collapses and
// trims whitespace, so a run of non-space characters, and whether the
// squashed line starts with or equals such a run, can be read off the line
// with its ends trimmed.
bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool IsBlank(std::string_view s) { return Trim(s).empty(); }

std::string Indent(const std::string& s) {
  size_t n = 0;
  while (n < s.size() && (s[n] == ' ' || s[n] == '\t')) ++n;
  return s.substr(0, n);
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
// At least five `c` in a row open the trimmed line, and `word` follows them.
bool IsMarker(std::string_view line, std::string_view word, char c) {
  std::string_view t = Trim(line);
  size_t n = 0;
  while (n < t.size() && t[n] == c) ++n;
  return n >= 5 && t.find(word, n) != std::string_view::npos;
}
bool IsSearch(std::string_view l) { return IsMarker(l, "SEARCH", '<'); }
bool IsReplace(std::string_view l) { return IsMarker(l, "REPLACE", '>'); }
bool IsDivider(std::string_view l) {
  std::string_view t = Trim(l);
  return t.size() >= 5 && t.find_first_not_of('=') == std::string_view::npos;
}

}  // namespace

Result<ParsedReply> ParseReply(const std::string& reply) {
  ParsedReply out;
  std::vector<std::string> lines = SplitLines(reply);
  for (const auto& l : lines) {
    std::string_view t = Trim(l);
    if (StartsWith(t, "Summary:") || StartsWith(t, "SUMMARY:")) {
      out.summary = Squash(t.substr(8));
      break;
    }
  }
  bool any_search = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsSearch(lines[i])) continue;
    any_search = true;
    size_t div = i + 1;
    while (div < lines.size() && !IsDivider(lines[div]) && !IsSearch(lines[div])) ++div;
    if (div >= lines.size() || IsSearch(lines[div]))
      return Status::InvalidArgument("SEARCH block at reply line " + std::to_string(i + 1) +
                                     " has no ======= divider");
    size_t end = div + 1;
    while (end < lines.size() && !IsReplace(lines[end]) && !IsSearch(lines[end])) ++end;
    if (end >= lines.size() || IsSearch(lines[end]))
      return Status::InvalidArgument("SEARCH block at reply line " + std::to_string(i + 1) +
                                     " has no >>>>>>> REPLACE terminator");
    SearchReplaceBlock b;
    b.search = JoinLines({lines.begin() + i + 1, lines.begin() + div}, false);
    b.replace = JoinLines({lines.begin() + div + 1, lines.begin() + end}, false);
    if (IsBlank(b.search))
      return Status::InvalidArgument("SEARCH block at reply line " + std::to_string(i + 1) +
                                     " has an empty search part");
    out.blocks.push_back(std::move(b));
    i = end;
  }
  if (any_search) return out;

  // Whole-file fallback: exactly one fenced block.
  std::vector<std::pair<size_t, size_t>> fences;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!StartsWith(Trim(lines[i]), "```")) continue;
    size_t j = i + 1;
    while (j < lines.size() && Trim(lines[j]) != "```") ++j;
    if (j >= lines.size())
      return Status::InvalidArgument("code fence at reply line " + std::to_string(i + 1) +
                                     " is never closed");
    fences.push_back({i, j});
    i = j;
  }
  if (fences.size() != 1)
    return Status::InvalidArgument(
        fences.empty() ? "reply has no SEARCH/REPLACE block and no fenced code block"
                       : "reply has no SEARCH/REPLACE block and " +
                             std::to_string(fences.size()) + " code blocks (expected one whole file)");
  out.is_whole_file = true;
  out.whole_file = JoinLines({lines.begin() + fences[0].first + 1, lines.begin() + fences[0].second}, true);
  if (IsBlank(out.whole_file)) return Status::InvalidArgument("the whole-file code block is empty");
  return out;
}

namespace {

// Applies one block to `src`; `n`/`total` name it in errors.
Result<std::string> ApplyBlock(const std::string& src, const SearchReplaceBlock& b, size_t n,
                               size_t total) {
  std::string name = "block " + std::to_string(n) + " of " + std::to_string(total);
  std::vector<std::string> search = SplitLines(b.search);
  while (!search.empty() && IsBlank(search.front())) search.erase(search.begin());
  while (!search.empty() && IsBlank(search.back())) search.pop_back();
  std::string first = search.empty() ? "" : Squash(search.front()).substr(0, 80);

  // 1. Exact substring match.
  size_t pos = src.find(b.search);
  if (!b.search.empty() && pos != std::string::npos) {
    size_t again = src.find(b.search, pos + 1);
    if (again != std::string::npos)
      return Status::FailedPrecondition(name + " matches more than one place exactly; first search line: '" + first + "'");
    return src.substr(0, pos) + b.replace + src.substr(pos + b.search.size());
  }
  // 2. Line-wise match with whitespace drift.
  std::vector<std::string> lines = SplitLines(src);
  std::vector<std::string> want;
  for (const auto& l : search) want.push_back(Squash(l));
  std::vector<std::string> have;  // each source line squashed once
  have.reserve(lines.size());
  for (const auto& l : lines) have.push_back(Squash(l));
  std::vector<size_t> hits;
  for (size_t i = 0; i + want.size() <= lines.size() && !want.empty(); ++i) {
    size_t k = 0;
    while (k < want.size() && have[i + k] == want[k]) ++k;
    if (k == want.size()) hits.push_back(i);
  }
  if (hits.empty())
    return Status::FailedPrecondition(name + " matches nothing; first search line: '" + first + "'");
  if (hits.size() > 1)
    return Status::FailedPrecondition(name + " matches " + std::to_string(hits.size()) +
                                      " places (source lines " + std::to_string(hits[0] + 1) + " and " +
                                      std::to_string(hits[1] + 1) + "); first search line: '" + first + "'");
  // Re-indent the replacement by the drift of the first search line.
  std::string have_indent = Indent(lines[hits[0]]), want_indent = Indent(search.front());
  std::vector<std::string> repl = SplitLines(b.replace);
  for (auto& l : repl) {
    if (IsBlank(l)) { l.clear(); continue; }
    if (StartsWith(l, want_indent.c_str())) l = have_indent + l.substr(want_indent.size());
    else l = have_indent + l.substr(Indent(l).size());
  }
  std::vector<std::string> out(lines.begin(), lines.begin() + hits[0]);
  out.insert(out.end(), repl.begin(), repl.end());
  out.insert(out.end(), lines.begin() + hits[0] + want.size(), lines.end());
  return JoinLines(out, !src.empty() && src.back() == '\n');
}

}  // namespace

Result<std::string> ApplyReply(const std::string& source, const ParsedReply& reply) {
  if (reply.is_whole_file) return reply.whole_file;
  if (reply.blocks.empty()) return Status::FailedPrecondition("reply holds no change");
  std::string cur = source;
  for (size_t i = 0; i < reply.blocks.size(); ++i) {
    auto r = ApplyBlock(cur, reply.blocks[i], i + 1, reply.blocks.size());
    if (!r.ok()) return r.status();
    cur = std::move(*r);
  }
  if (cur == source) return Status::FailedPrecondition("the patch leaves the source unchanged");
  return cur;
}

}  // namespace ksearch::planner
