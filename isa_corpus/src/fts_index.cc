#include "fts_index.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ksearch::isa_corpus {
namespace {

const std::set<std::string> kStopWords = {
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i",
    "in", "is", "it", "its", "many", "much", "of", "on", "or", "per", "should", "the", "to", "use",
    "what", "when", "where", "which", "why", "with", "there", "this", "that", "my", "we", "you"};

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

std::vector<std::string> QueryTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string tok;
  std::set<std::string> used;
  auto flush = [&] {
    if (tok.size() >= 2 && kStopWords.count(tok) == 0 && used.insert(tok).second) out.push_back(tok);
    tok.clear();
  };
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      tok.push_back(static_cast<char>(std::tolower(u)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::string BuildFtsQuery(const std::string& text) {
  std::string out;
  for (const std::string& tok : QueryTokens(text)) {
    if (!out.empty()) out += " OR ";
    out += "\"" + tok + "\"";
  }
  return out;
}

Result<std::unique_ptr<Corpus::Index>> Corpus::Index::Create() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Internal("isa index: sqlite open: " + msg);
  }
  std::unique_ptr<Index> index(new Index(db));
  KS_RETURN_IF_ERROR(index->Exec(
      "CREATE VIRTUAL TABLE chapters USING fts5(title, terms, body, tokenize = 'porter unicode61')"));
  KS_RETURN_IF_ERROR(index->Exec(
      "CREATE VIRTUAL TABLE passages USING fts5(heading, body, tokenize = 'porter unicode61')"));
  return index;
}

Corpus::Index::~Index() {
  for (sqlite3_stmt* st : match_) sqlite3_finalize(st);
  sqlite3_close(db_);
}

Status Corpus::Index::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::Internal("isa index: " + msg + " (is SQLite built with FTS5?)");
  }
  return Status::Ok();
}

Status Corpus::Index::Add(const Chapter& chapter, int64_t* chapter_row, std::vector<int64_t>* passage_rows) {
  Stmt ch, ps;
  if (sqlite3_prepare_v2(db_, "INSERT INTO chapters(title, terms, body) VALUES (?1, ?2, ?3)", -1, &ch.s, nullptr) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db_, "INSERT INTO passages(heading, body) VALUES (?1, ?2)", -1, &ps.s, nullptr) !=
          SQLITE_OK) {
    return Status::Internal(std::string("isa index: prepare insert: ") + sqlite3_errmsg(db_));
  }
  std::string terms;
  for (const auto& t : chapter.terms) terms += t + " ";
  for (const auto& t : chapter.topics) terms += t + " ";
  for (auto& cache : term_rows_) cache.clear();  // IDF and average lengths change
  KS_RETURN_IF_ERROR(Exec("BEGIN"));
  auto fail = [&](const std::string& what) {
    std::string msg = sqlite3_errmsg(db_);
    Exec("ROLLBACK");
    return Status::Internal("isa index: insert " + what + ": " + msg);
  };
  sqlite3_bind_text(ch.s, 1, chapter.title.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(ch.s, 2, terms.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(ch.s, 3, chapter.body.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(ch.s) != SQLITE_DONE) return fail(chapter.id);
  *chapter_row = sqlite3_last_insert_rowid(db_);
  for (const Passage& p : chapter.passages) {
    sqlite3_reset(ps.s);
    sqlite3_bind_text(ps.s, 1, p.heading.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ps.s, 2, p.text.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(ps.s) != SQLITE_DONE) return fail(p.id);
    passage_rows->push_back(sqlite3_last_insert_rowid(db_));
  }
  return Exec("COMMIT");
}

Result<std::vector<Corpus::Index::Row>> Corpus::Index::MatchChapters(const std::vector<std::string>& tokens) const {
  return Match(kChapters, tokens);
}

Result<std::vector<Corpus::Index::Row>> Corpus::Index::MatchPassages(const std::vector<std::string>& tokens) const {
  return Match(kPassages, tokens);
}

Result<std::vector<Corpus::Index::Row>> Corpus::Index::MatchExpression(bool chapters,
                                                                       const std::string& fts_query) const {
  return Query(chapters ? kChapters : kPassages, fts_query);
}

Result<std::vector<Corpus::Index::Row>> Corpus::Index::Match(Table table,
                                                             const std::vector<std::string>& tokens) const {
  // score[row] accumulates each phrase's term (-bm25 of its one-phrase query)
  // in query order, as bm25() does; rows keep the order they were first met.
  // The rowids are the ones Add made, 1 to the table's row count, so the row ->
  // result index lookup is a vector that size (a std::map here was a quarter
  // of a warm Retrieve's CPU).
  std::vector<const std::vector<Row>*> lists;
  lists.reserve(tokens.size());
  size_t total = 0;
  int64_t max_rowid = 0;
  for (const std::string& tok : tokens) {
    auto cached = TermRows(table, tok);
    if (!cached.ok()) return cached.status();
    lists.push_back(*cached);
    total += (*cached)->size();
    for (const Row& r : **cached) {
      if (r.rowid < 0) return Status::Internal("isa index: negative rowid " + std::to_string(r.rowid));
      max_rowid = std::max(max_rowid, r.rowid);
    }
  }
  std::vector<Row> rows;
  rows.reserve(total);
  std::vector<uint32_t>& slot = slot_of_row_[table];
  if (slot.size() <= static_cast<size_t>(max_rowid)) slot.resize(static_cast<size_t>(max_rowid) + 1, 0);
  for (const auto* list : lists) {
    for (const Row& r : *list) {
      uint32_t& at = slot[static_cast<size_t>(r.rowid)];
      if (at == 0) {
        rows.push_back(Row{r.rowid, 0.0});
        at = static_cast<uint32_t>(rows.size());
      }
      rows[at - 1].bm25 += -r.bm25;
    }
  }
  for (const Row& r : rows) slot[static_cast<size_t>(r.rowid)] = 0;  // all zero again
  for (Row& r : rows) r.bm25 = -1.0 * r.bm25;
  return rows;
}

Status Corpus::Index::Warm(const std::vector<std::string>& tokens) const {
  for (Table table : {kChapters, kPassages}) {
    for (const std::string& tok : tokens) {
      auto rows = TermRows(table, tok);
      if (!rows.ok()) return rows.status();
    }
  }
  return Status::Ok();
}

Result<const std::vector<Corpus::Index::Row>*> Corpus::Index::TermRows(Table table, const std::string& token) const {
  auto cached = term_rows_[table].find(token);
  if (cached == term_rows_[table].end()) {
    auto fresh = Query(table, "\"" + token + "\"");
    if (!fresh.ok()) return fresh.status();
    cached = term_rows_[table].emplace(token, std::move(*fresh)).first;
  }
  return &cached->second;
}

Result<std::vector<Corpus::Index::Row>> Corpus::Index::Query(Table table, const std::string& fts_query) const {
  std::vector<Row> rows;
  if (fts_query.empty()) return rows;
  sqlite3_stmt*& st = match_[table];
  if (st == nullptr) {
    const std::string name = table == kChapters ? "chapters" : "passages";
    const double* weights = table == kChapters ? kChapterWeights : kPassageWeights;
    const int n = table == kChapters ? 3 : 2;
    std::string sql = "SELECT rowid, bm25(" + name;
    for (int i = 0; i < n; ++i) sql += ", " + std::to_string(weights[i]);
    sql += ") FROM " + name + " WHERE " + name + " MATCH ?1";
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_finalize(st);
      st = nullptr;
      return Status::Internal("isa index: prepare match: " + msg);
    }
  }
  ++sqlite_queries_;
  sqlite3_bind_text(st, 1, fts_query.c_str(), -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    rows.push_back(Row{sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1)});
  }
  std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return Status::InvalidArgument("isa index: query '" + fts_query + "': " + error);
  return rows;
}

}  // namespace ksearch::isa_corpus
