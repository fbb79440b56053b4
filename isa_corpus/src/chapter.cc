#include "ksearch/isa_corpus/chapter.h"

#include <cctype>
#include <map>

#include "yaml_fields.h"

namespace ksearch::isa_corpus {
namespace {

std::string FirstHeading(std::string_view body) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    std::string_view line = body.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.rfind("# ", 0) == 0) return std::string(line.substr(2));
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return "";
}

const std::set<std::string> kChapterKeys = {"id", "title", "vendor", "archs", "topics", "terms", "sources"};

}  // namespace

FrontMatterSplit SplitFrontMatter(std::string_view text) {
  FrontMatterSplit s;
  std::string t(text);
  if (t.rfind("\xEF\xBB\xBF", 0) == 0) t.erase(0, 3);
  std::string norm;
  norm.reserve(t.size());
  for (char c : t) if (c != '\r') norm.push_back(c);
  if (norm.rfind("---\n", 0) != 0) {
    s.body = norm;
    return s;
  }
  s.present = true;
  s.yaml_first_line = 1;
  size_t pos = 4;
  while (pos <= norm.size()) {
    size_t eol = norm.find('\n', pos);
    std::string line = norm.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (line == "---" || line == "...") {
      s.yaml = norm.substr(4, pos - 4);
      s.body = eol == std::string::npos ? "" : norm.substr(eol + 1);
      return s;
    }
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  s.unterminated = true;
  return s;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id[0] == '-') return false;
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string Slugify(std::string_view heading) {
  std::string out;
  bool dash = false;
  for (char c : heading) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      if (dash && !out.empty()) out.push_back('-');
      out.push_back(static_cast<char>(std::tolower(u)));
      dash = false;
    } else {
      dash = true;
    }
  }
  return out.empty() ? "section" : out;
}

std::vector<Passage> SplitPassages(const std::string& chapter_id, std::string_view body) {
  std::vector<Passage> out;
  std::map<std::string, int> seen;
  Passage cur{chapter_id + "#intro", chapter_id, "", ""};
  bool in_fence = false;  // "## " inside ``` code blocks is not a heading
  // An intro made only of "# Title" lines and blank lines is not a passage:
  // it would rank on the chapter title alone and carry no facts.
  auto flush = [&] {
    bool has_content = false;
    size_t p = 0;
    while (p < cur.text.size() && !has_content) {
      size_t e = cur.text.find('\n', p);
      if (e == std::string::npos) e = cur.text.size();
      std::string_view line(cur.text.data() + p, e - p);
      has_content = line.find_first_not_of(" \t") != std::string_view::npos && line.rfind("# ", 0) != 0;
      p = e + 1;
    }
    if (has_content || !cur.heading.empty()) out.push_back(cur);
  };
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    std::string_view line = body.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    if (!in_fence && line.rfind("## ", 0) == 0) {
      flush();
      std::string heading(line.substr(3));
      while (!heading.empty() && heading.back() == ' ') heading.pop_back();
      std::string slug = Slugify(heading);
      int n = ++seen[slug];
      if (n > 1) slug += "-" + std::to_string(n);
      cur = Passage{chapter_id + "#" + slug, chapter_id, heading, ""};
    }
    cur.text.append(line);
    cur.text.push_back('\n');
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  flush();
  if (out.empty()) out.push_back(Passage{chapter_id + "#intro", chapter_id, "", std::string(body)});
  return out;
}

Result<Chapter> ParseChapter(std::string_view text, const std::string& origin, FrontMatter mode,
                             std::string_view default_id_stem) {
  FrontMatterSplit split = SplitFrontMatter(text);
  if (split.unterminated) {
    return Status::InvalidArgument(origin + ":1:1: front matter: opening '---' has no closing '---' line");
  }
  Chapter ch;
  ch.body = split.body;
  const bool required = mode == FrontMatter::kRequired;
  if (!split.present) {
    if (required) {
      return Status::InvalidArgument(origin + ":1:1: front matter: missing (a chapter starts with a '---' line)");
    }
    ch.id = "user-" + Slugify(default_id_stem.empty() ? origin : default_id_stem);
    ch.title = FirstHeading(ch.body);
    if (ch.title.empty()) ch.title = std::string(default_id_stem);
    ch.archs = {"all"};
    ch.passages = SplitPassages(ch.id, ch.body);
    return ch;
  }
  auto node = ParseYaml(split.yaml, origin, split.yaml_first_line);
  if (!node.ok()) return node.status();
  FieldReader r(origin, split.yaml_first_line);
  if (!node->IsMap()) {
    r.ErrorAtFile("front matter", "expected a YAML mapping of fields");
    return r.Finish();
  }
  r.RejectUnknown(*node, kChapterKeys);
  r.String(*node, "id", &ch.id, required);
  r.String(*node, "title", &ch.title, required);
  r.String(*node, "vendor", &ch.vendor, required);
  r.StringList(*node, "archs", &ch.archs, required);
  r.StringList(*node, "topics", &ch.topics, required);
  r.StringList(*node, "terms", &ch.terms, false);
  r.StringList(*node, "sources", &ch.sources, required);
  if (!ch.id.empty() && !IsValidId(ch.id)) r.Error((*node)["id"], "id", "'" + ch.id + "' must match [a-z0-9][a-z0-9-]*");
  if (!ch.vendor.empty() && ch.vendor != "nvidia" && ch.vendor != "amd") {
    r.Error((*node)["vendor"], "vendor", "expected nvidia or amd, got '" + ch.vendor + "'");
  }
  if (required && ch.archs.empty() && (*node)["archs"]) r.Error((*node)["archs"], "archs", "must not be empty (use [all])");
  if (!r.ok()) return r.Finish();
  if (ch.id.empty()) ch.id = "user-" + Slugify(default_id_stem.empty() ? origin : default_id_stem);
  if (ch.title.empty()) ch.title = FirstHeading(ch.body);
  if (ch.archs.empty()) ch.archs = {"all"};
  ch.passages = SplitPassages(ch.id, ch.body);
  return ch;
}

}  // namespace ksearch::isa_corpus
