// Corpus::Index: the in-memory SQLite FTS5 table behind Corpus::Search.
// One row per passage; columns title, terms, heading, body are indexed and
// weighted by kColumnWeights in BM25 (title and terms count most).
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
  // BM25 weights of the columns title, terms, heading, body.
  static constexpr double kColumnWeights[4] = {8.0, 6.0, 3.0, 1.0};

  struct Row {
    int64_t rowid;
    double bm25;  // SQLite's bm25(): lower (more negative) is better
  };

  static Result<std::unique_ptr<Index>> Create();
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Inserts every passage of `chapter`; rowids are assigned in call order and
  // returned through passage_rows (index i -> chapter.passages[i]).
  Status Add(const Chapter& chapter, std::vector<int64_t>* passage_rows);
  // All rows matching the FTS5 expression, best first.
  Result<std::vector<Row>> Match(const std::string& fts_query) const;

 private:
  explicit Index(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  sqlite3* db_;  // owned
};

// Turns free text into an FTS5 OR-query of quoted tokens ("a" OR "b"),
// dropping stop words and one-letter tokens; "" when nothing is left.
std::string BuildFtsQuery(const std::string& text);

}  // namespace ksearch::isa_corpus
