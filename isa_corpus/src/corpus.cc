#include "ksearch/isa_corpus/corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "amd_isa_xml.h"
#include "fts_index.h"
#include "ksearch/core/file_text.h"
#include "ksearch/isa_corpus/arch.h"

namespace ksearch::isa_corpus {
namespace {

namespace fs = std::filesystem;

// Every *.md under `dir`, recursively, sorted so load order is deterministic.
Result<std::vector<fs::path>> MarkdownFiles(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir.string() + ": not a directory");
  std::vector<fs::path> out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".md" && it->path().filename() != "README.md") {
      out.push_back(it->path());
    }
  }
  if (ec) return Status::IoError(dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// A rules file without archs in its front matter is named "<vendor>_<arch>.md".
Status FillRulesFromFileName(const fs::path& path, Chapter* rules) {
  const std::string stem = path.stem().string();
  const size_t us = stem.find('_');
  const bool has_archs = !(rules->archs.empty() || (rules->archs.size() == 1 && rules->archs[0] == "all"));
  if (has_archs && !rules->vendor.empty()) return Status::Ok();
  if (us == std::string::npos) {
    return Status::InvalidArgument(path.string() +
                                   ": rules file needs front matter with vendor and archs, or a name "
                                   "'<vendor>_<arch>.md' (e.g. amd_gfx942.md)");
  }
  const std::string vendor = stem.substr(0, us), arch = stem.substr(us + 1);
  if (vendor != "nvidia" && vendor != "amd") {
    return Status::InvalidArgument(path.string() + ": rules file name must start with nvidia_ or amd_");
  }
  if (rules->vendor.empty()) rules->vendor = vendor;
  if (!has_archs) rules->archs = {arch};
  if (rules->id.rfind("user-", 0) == 0) rules->id = "rules-" + Slugify(stem);
  return Status::Ok();
}

}  // namespace

Corpus::Corpus(TopicMap topics, std::unique_ptr<Index> index)
    : topics_(std::move(topics)), index_(std::move(index)) {}

Corpus::~Corpus() = default;

Result<std::unique_ptr<Corpus>> Corpus::CreateEmpty(TopicMap topics) {
  auto index = Index::Create();
  if (!index.ok()) return index.status();
  return std::unique_ptr<Corpus>(new Corpus(std::move(topics), std::move(*index)));
}

Result<std::unique_ptr<Corpus>> Corpus::Open(const CorpusOptions& options) {
  if (options.root.empty()) return Status::InvalidArgument("isa corpus: root folder not set");
  const fs::path root(options.root);
  auto topics = LoadTopics((root / "topics.yaml").string());
  if (!topics.ok()) return topics.status();
  auto corpus = CreateEmpty(std::move(*topics));
  if (!corpus.ok()) return corpus.status();
  Corpus& c = **corpus;
  c.root_ = options.root;

  auto files = MarkdownFiles(root / "chapters");
  if (!files.ok()) return files.status();
  for (const fs::path& f : *files) {
    auto text = ReadFileText(f.string());
    if (!text.ok()) return text.status();
    auto ch = ParseChapter(*text, f.string(), FrontMatter::kRequired);
    if (!ch.ok()) return ch.status();
    ch->path = f.string();
    KS_RETURN_IF_ERROR(c.AddChapter(std::move(*ch)));
  }
  std::error_code ec;
  if (fs::is_directory(root / "rules", ec)) {
    auto rule_files = MarkdownFiles(root / "rules");
    if (!rule_files.ok()) return rule_files.status();
    for (const fs::path& f : *rule_files) {
      auto text = ReadFileText(f.string());
      if (!text.ok()) return text.status();
      auto rules = ParseChapter(*text, f.string(), FrontMatter::kOptional, f.stem().string());
      if (!rules.ok()) return rules.status();
      KS_RETURN_IF_ERROR(FillRulesFromFileName(f, &*rules));
      rules->path = f.string();
      KS_RETURN_IF_ERROR(c.AddRules(std::move(*rules)));
    }
  }
  // Every chapter a topic routes to must exist.
  std::string missing;
  for (const auto& [name, topic] : c.topics_.topics) {
    for (const auto& id : topic.chapters) {
      if (c.FindChapter(id) == nullptr) missing += "\n  topics." + name + ": unknown chapter '" + id + "'";
    }
  }
  if (!missing.empty()) return Status::InvalidArgument((root / "topics.yaml").string() + ":" + missing);

  for (const auto& dir : options.markdown_dirs) KS_RETURN_IF_ERROR(c.AddMarkdownFolder(dir));
  for (const auto& xml : options.amd_isa_xml_files) KS_RETURN_IF_ERROR(c.AddAmdIsaXml(xml));
  return corpus;
}

Status Corpus::AddChapter(Chapter chapter) {
  if (chapter_by_id_.count(chapter.id)) {
    const Chapter* other = chapter_by_id_[chapter.id];
    return Status::InvalidArgument(chapter.path + ": id '" + chapter.id + "' already used by " +
                                   (other->path.empty() ? "another document" : other->path));
  }
  auto owned = std::make_unique<Chapter>(std::move(chapter));
  std::vector<int64_t> rows;
  int64_t chapter_row = 0;
  KS_RETURN_IF_ERROR(index_->Add(*owned, &chapter_row, &rows));
  row_chapter_[chapter_row] = owned.get();
  for (size_t i = 0; i < rows.size(); ++i) {
    const Passage* p = &owned->passages[i];
    row_passage_[rows[i]] = p;
    passage_by_id_[p->id] = p;
  }
  chapter_by_id_[owned->id] = owned.get();
  chapters_.push_back(std::move(owned));
  return Status::Ok();
}

Status Corpus::AddRules(Chapter rules) {
  if (chapter_by_id_.count(rules.id)) {
    return Status::InvalidArgument(rules.path + ": id '" + rules.id + "' already used by " +
                                   chapter_by_id_[rules.id]->path);
  }
  auto owned = std::make_unique<Chapter>(std::move(rules));
  chapter_by_id_[owned->id] = owned.get();
  rules_.push_back(std::move(owned));
  std::sort(rules_.begin(), rules_.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  return Status::Ok();
}

Status Corpus::AddMarkdownFolder(const std::string& dir) {
  auto files = MarkdownFiles(dir);
  if (!files.ok()) return files.status().WithContext("user documents");
  for (const fs::path& f : *files) {
    auto text = ReadFileText(f.string());
    if (!text.ok()) return text.status();
    auto ch = ParseChapter(*text, f.string(), FrontMatter::kOptional, f.stem().string());
    if (!ch.ok()) return ch.status();
    ch->path = f.string();
    KS_RETURN_IF_ERROR(AddChapter(std::move(*ch)));
  }
  return Status::Ok();
}

Status Corpus::AddAmdIsaXml(const std::string& path, const std::string& arch_override) {
  auto ch = ParseAmdIsaXml(path, arch_override);
  if (!ch.ok()) return ch.status();
  return AddChapter(std::move(*ch));
}

Result<int> Corpus::WarmRoutedTerms() const {
  std::string text;
  for (const auto& [axis, topics] : topics_.axes) text += axis + " ";
  for (const auto& [name, topic] : topics_.topics)
    for (const std::string& term : topic.terms) text += term + " ";
  const std::vector<std::string> tokens = QueryTokens(text);
  KS_RETURN_IF_ERROR(index_->Warm(tokens));
  return static_cast<int>(tokens.size());
}

Result<std::vector<Hit>> Corpus::Search(const SearchQuery& query, int limit) const {
  // Score of a passage = chapter-level BM25 (title, terms, whole body) + its
  // own BM25 (heading, section text); passages of a matching chapter that do
  // not match themselves keep the chapter score, so chapter order is stable.
  const std::vector<std::string> tokens = QueryTokens(query.text);
  auto chapter_rows = index_->MatchChapters(tokens);
  if (!chapter_rows.ok()) return chapter_rows.status();
  auto passage_rows = index_->MatchPassages(tokens);
  if (!passage_rows.ok()) return passage_rows.status();
  std::unordered_map<const Chapter*, double> chapter_score;
  for (const auto& row : *chapter_rows) {
    auto it = row_chapter_.find(row.rowid);
    if (it != row_chapter_.end()) chapter_score[it->second] = -row.bm25;
  }
  std::unordered_map<const Passage*, double> passage_score;
  for (const auto& row : *passage_rows) {
    auto it = row_passage_.find(row.rowid);
    if (it != row_passage_.end()) passage_score[it->second] = -row.bm25;
  }
  std::vector<Hit> hits;
  auto consider = [&](const Chapter* ch, const Passage* p) {
    if (!AppliesTo(query.arch, ch->vendor, ch->archs)) return;
    auto cs = chapter_score.find(ch);
    auto ps = passage_score.find(p);
    double score = (cs == chapter_score.end() ? 0 : cs->second) + (ps == passage_score.end() ? 0 : ps->second);
    if (std::find(query.boost_chapters.begin(), query.boost_chapters.end(), ch->id) != query.boost_chapters.end()) {
      score *= 1.5;
    }
    hits.push_back(Hit{p, ch, score});
  };
  for (const auto& [ch, score] : chapter_score) {
    for (const Passage& p : ch->passages) consider(ch, &p);
  }
  for (const auto& [p, score] : passage_score) {
    const Chapter* ch = chapter_by_id_.at(p->chapter_id);
    if (chapter_score.count(ch) == 0) consider(ch, p);
  }
  // Ties (and hash-map order) broken by passage id for deterministic output.
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.score != b.score ? a.score > b.score : a.passage->id < b.passage->id;
  });
  if (limit >= 0 && hits.size() > static_cast<size_t>(limit)) hits.resize(limit);
  return hits;
}

Result<std::vector<std::string>> Corpus::SearchChapters(const SearchQuery& query, int limit) const {
  auto hits = Search(query, -1);
  if (!hits.ok()) return hits.status();
  std::vector<std::string> out;
  for (const Hit& h : *hits) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (std::find(out.begin(), out.end(), h.chapter->id) == out.end()) out.push_back(h.chapter->id);
  }
  return out;
}

std::vector<const Chapter*> Corpus::RulesFor(const std::string& arch) const {
  std::vector<const Chapter*> out;
  if (arch.empty()) return out;  // rules are per target; no target, no rules
  for (const auto& r : rules_) {
    if (AppliesTo(arch, r->vendor, r->archs)) out.push_back(r.get());
  }
  return out;
}

const Chapter* Corpus::FindChapter(const std::string& id) const {
  auto it = chapter_by_id_.find(id);
  return it == chapter_by_id_.end() ? nullptr : it->second;
}

const Passage* Corpus::FindPassage(const std::string& passage_id) const {
  auto it = passage_by_id_.find(passage_id);
  return it == passage_by_id_.end() ? nullptr : it->second;
}

std::string DefaultCorpusRoot() {
  if (const char* env = std::getenv("KSEARCH_ISA_CORPUS"); env != nullptr && *env != '\0') return env;
  return KSEARCH_DEFAULT_ISA_CORPUS;
}

}  // namespace ksearch::isa_corpus
