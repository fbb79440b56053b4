#include "ksearch/isa_corpus/manifest.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ksearch/core/file_text.h"
#include "ksearch/core/sha256.h"

namespace ksearch::isa_corpus {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::string Relative(const std::string& path, const std::string& root) {
  std::error_code ec;
  fs::path rel = fs::relative(fs::path(path), fs::path(root), ec);
  return ec || rel.empty() ? path : rel.generic_string();
}

// A chapter the corpus has just loaded is readable; one that vanished since
// hashes as empty, and CheckManifest then reports it as changed.
std::string FileSha(const std::string& path) { return Sha256Hex(ReadFileText(path).value_or("")); }

ordered_json Entry(const Chapter& ch, const std::string& root, bool with_sections) {
  ordered_json j;
  j["id"] = ch.id;
  j["title"] = ch.title;
  j["vendor"] = ch.vendor;
  j["archs"] = ch.archs;
  if (with_sections) {
    j["topics"] = ch.topics;
    j["terms"] = ch.terms;
    j["sources"] = ch.sources;
    ordered_json sections = ordered_json::array();
    for (const Passage& p : ch.passages) sections.push_back(p.id.substr(p.id.find('#') + 1));
    j["sections"] = sections;
  }
  j["path"] = Relative(ch.path, root);
  j["sha256"] = FileSha(ch.path);
  return j;
}

// Only files under the corpus root belong to the checked-in manifest; user
// documents added at run time do not.
bool UnderRoot(const Chapter& ch, const std::string& root) {
  std::string rel = Relative(ch.path, root);
  return !ch.path.empty() && rel.rfind("..", 0) != 0 && rel[0] != '/';
}

}  // namespace

std::string BuildManifest(const Corpus& corpus) {
  std::vector<const Chapter*> chapters, rules;
  for (const auto& c : corpus.chapters()) if (UnderRoot(*c, corpus.root())) chapters.push_back(c.get());
  for (const auto& r : corpus.rules()) if (UnderRoot(*r, corpus.root())) rules.push_back(r.get());
  auto by_id = [](const Chapter* a, const Chapter* b) { return a->id < b->id; };
  std::sort(chapters.begin(), chapters.end(), by_id);
  std::sort(rules.begin(), rules.end(), by_id);
  ordered_json j;
  j["generated_by"] = "ksearch isa manifest --write (do not edit by hand)";
  j["format"] = 1;
  j["chapters"] = ordered_json::array();
  for (const Chapter* c : chapters) j["chapters"].push_back(Entry(*c, corpus.root(), true));
  j["rules"] = ordered_json::array();
  for (const Chapter* r : rules) j["rules"].push_back(Entry(*r, corpus.root(), false));
  ordered_json topics = ordered_json::object();
  for (const auto& [name, t] : corpus.topics().topics) topics[name] = t.chapters;
  j["topics"] = topics;
  return j.dump(2) + "\n";
}

Status CheckManifest(const Corpus& corpus) {
  const std::string path = (fs::path(corpus.root()) / "manifest.json").string();
  auto have = ReadFileText(path);
  if (!have.ok()) return Status::NotFound(path + ": missing; run `ksearch isa manifest --write`");
  const std::string want = BuildManifest(corpus);
  if (*have == want) return Status::Ok();
  // Name the first entry that differs, to point at the chapter to look at.
  auto first_difference = [&]() -> std::string {
    ordered_json have_j = ordered_json::parse(*have, nullptr, false);
    if (have_j.is_discarded()) return "the file is not valid JSON";
    ordered_json want_j = ordered_json::parse(want);
    for (const char* list : {"chapters", "rules"}) {
      const ordered_json a = have_j.contains(list) ? have_j[list] : ordered_json::array();
      const ordered_json& b = want_j[list];
      for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        if (i < a.size() && i < b.size() && a[i] == b[i]) continue;
        return std::string(list) + " entry '" +
               (i < b.size() ? b[i]["id"].get<std::string>() : a[i].value("id", "?")) + "' differs";
      }
    }
    return "top-level fields differ";
  };
  return Status::Corruption(path + ": stale (" + first_difference() + "); run `ksearch isa manifest --write`");
}

}  // namespace ksearch::isa_corpus
