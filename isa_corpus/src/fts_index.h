// Corpus::Index: the in-memory SQLite FTS5 tables behind Corpus::Search.
// Two levels, so that a term in a chapter's title does not drown which of its
// sections answers the query:
//   chapters(title, terms, body)  one row per chapter, kChapterWeights
//   passages(heading, body)       one row per passage, kPassageWeights
//
// Queries are OR-queries of single-token phrases. FTS5's bm25() of such a
// query is, row by row, minus the sum over the phrases (in query order) of
// each phrase's own term idf * tf-part, where a phrase absent from the row
// adds +0.0; a one-phrase query returns minus that phrase's term. So Match
// answers a query from cached one-phrase results, summed in query order, with
// the same rows and bit-for-bit the same scores as the OR-query itself
// (fts_index_test.cc checks this over the real corpus). The expensive part of
// an FTS5 query is the per-row work of bm25(), and the daemon's prompts
// repeat the same topic terms: each term is asked of SQLite once.
// The cache is dropped whenever a chapter is added (IDF and average lengths
// change).
// Thread-safety: not thread-safe (one sqlite3 connection, a mutable cache).
#pragma once

#include <sqlite3.h>

#include <map>
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
  // All chapter rows and all passage rows matching any of `tokens` (as made by
  // QueryTokens), scored as the OR-query of those tokens in that order.
  Result<std::vector<Row>> MatchChapters(const std::vector<std::string>& tokens) const;
  Result<std::vector<Row>> MatchPassages(const std::vector<std::string>& tokens) const;
  // Fills the cache for each of `tokens` in both tables (a query on them then
  // asks SQLite nothing).
  Status Warm(const std::vector<std::string>& tokens) const;
  // How many queries this index has asked of SQLite (tests check the cache).
  int sqlite_queries() const { return sqlite_queries_; }
  // The same, straight from SQLite for an FTS5 expression (tests compare the two).
  Result<std::vector<Row>> MatchExpression(bool chapters, const std::string& fts_query) const;

 private:
  enum Table { kChapters = 0, kPassages = 1 };
  explicit Index(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  Result<std::vector<Row>> Match(Table table, const std::vector<std::string>& tokens) const;
  Result<std::vector<Row>> Query(Table table, const std::string& fts_query) const;
  // The cached rows of the one-phrase query "token", asked of SQLite on first use.
  Result<const std::vector<Row>*> TermRows(Table table, const std::string& token) const;
  // Per table: token -> the rows of the one-phrase query "token".
  mutable std::map<std::string, std::vector<Row>> term_rows_[2];
  // Per table: Match's scratch, rowid -> 1 + the row's index in its result
  // (0: not met). All zero between calls.
  mutable std::vector<uint32_t> slot_of_row_[2];
  // Per table: the prepared MATCH statement (made on first use, kept reset
  // between queries; finalized before db_ is closed). Owned.
  mutable sqlite3_stmt* match_[2] = {nullptr, nullptr};
  mutable int sqlite_queries_ = 0;
  sqlite3* db_;  // owned
};

// The query tokens of free text: lower-cased alphanumeric runs, without stop
// words, one-letter tokens and repeats, in order of first appearance.
std::vector<std::string> QueryTokens(const std::string& text);
// The FTS5 OR-query of those tokens ("a" OR "b"); "" when there are none.
std::string BuildFtsQuery(const std::string& text);

}  // namespace ksearch::isa_corpus
