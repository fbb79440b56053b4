// Corpus: the ISA notes of every architecture, the per-arch hard rules, the
// topic routing table and any user documents, behind one full-text index.
//
// Layout of a corpus root (isa_corpus/ in the repository):
//   chapters/<vendor>/*.md   chapters (see chapter.h), front matter required
//   rules/*.md               hard rules; front matter (id, vendor, archs) or a
//                            file name "<vendor>_<arch>.md"
//   topics.yaml              routing table (see topics.h)
//   manifest.json            generated index (see manifest.h)
//
// Search is SQLite FTS5 BM25 at two levels: chapters (title and terms
// weighted above body) and passages (heading above text); a passage scores
// its chapter's BM25 plus its own, filtered by target architecture (arch.h).
// Retrieve() builds the packet a proposal prompt carries (retrieval.h).
//
// Thread-safety: a Corpus is not thread-safe, reads included: Search caches
// each query token's FTS5 rows (src/fts_index.h). One thread at a time.
// Ownership: the Corpus owns its in-memory SQLite database.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/isa_corpus/chapter.h"
#include "ksearch/isa_corpus/retrieval.h"
#include "ksearch/isa_corpus/topics.h"

namespace ksearch::isa_corpus {

struct CorpusOptions {
  // The corpus root (the folder holding chapters/, rules/, topics.yaml).
  // REQUIRES: non-empty.
  std::string root;
  // Extra folders of user markdown (front matter optional), ingested as
  // chapters with ids "user-<file stem>" unless their front matter says otherwise.
  std::vector<std::string> markdown_dirs;
  // AMD machine-readable ISA XML files (GPUOpen amdgpu_isa_*.xml).
  std::vector<std::string> amd_isa_xml_files;
};

// One ranked passage.
struct Hit {
  const Passage* passage = nullptr;  // owned by the Corpus
  const Chapter* chapter = nullptr;  // owned by the Corpus
  double score = 0;                  // higher is better (negated BM25, boosted)
};

struct SearchQuery {
  std::string text;
  std::string arch;                  // "" = every arch
  std::vector<std::string> boost_chapters;  // chapters whose passages score x1.5
};

class Corpus {
 public:
  // Loads everything under options.root plus the user documents. Errors name
  // the file (and line) at fault; every chapter-id collision is an error.
  static Result<std::unique_ptr<Corpus>> Open(const CorpusOptions& options);
  // An empty corpus with a routing table, for tests and user-only indexes.
  static Result<std::unique_ptr<Corpus>> CreateEmpty(TopicMap topics);

  ~Corpus();
  Corpus(const Corpus&) = delete;
  Corpus& operator=(const Corpus&) = delete;

  // Adds one chapter (already parsed) to the index. Fails on a duplicate id.
  Status AddChapter(Chapter chapter);
  // Adds a hard-rules document: it is never ranked, only prepended by Retrieve.
  Status AddRules(Chapter rules);
  // Ingests every *.md under `dir` (recursively), front matter optional.
  Status AddMarkdownFolder(const std::string& dir);
  // Ingests an AMD ISA XML file: one chapter per file, one passage per
  // instruction. `arch_override` replaces the arch derived from
  // <ArchitectureName> (CDNA2 -> gfx90a, CDNA3 -> gfx942, CDNA4 -> gfx950).
  Status AddAmdIsaXml(const std::string& path, const std::string& arch_override = "");

  // Ranked passages matching `query`, best first, at most `limit`.
  Result<std::vector<Hit>> Search(const SearchQuery& query, int limit) const;
  // Distinct chapter ids of Search() in rank order, at most `limit`.
  Result<std::vector<std::string>> SearchChapters(const SearchQuery& query, int limit) const;

  // The focused packet for one proposal; see retrieval.h for the contract.
  Result<Packet> Retrieve(const RetrievalRequest& request, size_t budget_bytes) const;

  // Asks the index once for every token the routing table can put into a
  // Retrieve query (each axis name and each topic's terms), so that later
  // queries on them are answered from the cache. Returns how many tokens.
  // This is the work the first proposals on each axis would do anyway (the
  // per-token cache fills on first use), and more: it also asks for topics a
  // campaign never reaches. ksearchd does not call it; retrieval_cost does, to
  // measure the first pass apart from the warm ones.
  Result<int> WarmRoutedTerms() const;

  // Hard-rules documents that apply to `arch`, in id order.
  std::vector<const Chapter*> RulesFor(const std::string& arch) const;

  const Chapter* FindChapter(const std::string& id) const;  // nullptr if absent
  const Passage* FindPassage(const std::string& passage_id) const;
  const std::vector<std::unique_ptr<Chapter>>& chapters() const { return chapters_; }
  const std::vector<std::unique_ptr<Chapter>>& rules() const { return rules_; }
  const TopicMap& topics() const { return topics_; }
  const std::string& root() const { return root_; }

  class Index;  // src/fts_index.h; named here so its own test can build one

 private:
  Corpus(TopicMap topics, std::unique_ptr<Index> index);

  // Constant after Open, except through Add*.
  std::string root_;
  TopicMap topics_;
  std::unique_ptr<Index> index_;
  std::vector<std::unique_ptr<Chapter>> chapters_;  // stable addresses for Hit
  std::vector<std::unique_ptr<Chapter>> rules_;
  std::unordered_map<int64_t, const Chapter*> row_chapter_;        // chapters rowid -> chapter
  std::unordered_map<int64_t, const Passage*> row_passage_;        // passages rowid -> passage
  std::map<std::string, const Chapter*> chapter_by_id_;            // chapters and rules
  std::map<std::string, const Passage*> passage_by_id_;
};

// The corpus root compiled into this build (<source dir>/isa_corpus),
// overridden by $KSEARCH_ISA_CORPUS when set.
std::string DefaultCorpusRoot();

}  // namespace ksearch::isa_corpus
