// Corpus::Index: the in-memory SQLite FTS5 tables behind Corpus::Search.
// Two levels, so that a term in a chapter's title does not drown which of its
// sections answers the query:
//   chapters(title, terms, body)  one row per chapter, kChapterWeights
//   passages(heading, body)       one row per passage, kPassageWeights
// Thread-safety: not thread-safe (one sqlite3 connection).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "ksearch/isa_corpus/corpus.h"

namespace ksearch::isa_corpus {

class Corpus::Index {
 public:
  // BM25 weights of chapters(title, terms, body) and passages(heading, body).
  static constexpr double kChapterWeights[3] = {8.0, 6.0, 1.0};
  static constexpr double kPassageWeights[2] = {4.0, 1.0};

  struct Row {
    int64_t rowid;
    double bm25;  // SQLite's bm25(): lower (more negative) is better
  };

  static Result<std::unique_ptr<Index>> Create();
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Inserts `chapter` and every passage of it; the chapter's rowid is
  // returned in chapter_row, passage rowids through passage_rows (index i ->
  // chapter.passages[i]).
  Status Add(const Chapter& chapter, int64_t* chapter_row, std::vector<int64_t>* passage_rows);
  // All chapter rows and all passage rows matching the FTS5 expression.
  Result<std::vector<Row>> MatchChapters(const std::string& fts_query) const;
  Result<std::vector<Row>> MatchPassages(const std::string& fts_query) const;

 private:
  explicit Index(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  Result<std::vector<Row>> Match(const std::string& table, const double* weights, int n,
                                 const std::string& fts_query) const;
  sqlite3* db_;  // owned
};

// Turns free text into an FTS5 OR-query of quoted tokens ("a" OR "b"),
// dropping stop words and one-letter tokens; "" when nothing is left.
std::string BuildFtsQuery(const std::string& text);

}  // namespace ksearch::isa_corpus
