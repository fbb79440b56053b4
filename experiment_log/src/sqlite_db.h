// Thin RAII wrappers over the sqlite3 C API, private to experiment_log.
//
// Db owns one connection and caches prepared statements by SQL text; Stmt is a
// borrowed, reset-on-scope-exit handle. Every error becomes a Status naming the
// database file and the cause (read-only, disk full, corrupt, busy).
// Thread-safety: none; the owner serializes access (SqliteExperimentLog holds a mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "ksearch/core/status.h"

namespace ksearch::experiment_log {

// Maps an sqlite result code to a Status: "<path>: <what>: <cause> (<sqlite message>)".
Status SqliteStatus(const std::string& path, sqlite3* db, int rc, std::string_view what);

// A prepared statement owned by Db's cache. Reset and unbound when the guard dies.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // Bound without a copy (a blob is tens of KB): REQUIRES `v` to stay valid
  // until this guard dies (it unbinds).
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
  double Double(int col) { return sqlite3_column_double(s_, col); }
  std::string Text(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, sqlite3_column_bytes(s_, col)) : std::string();
  }
  std::string_view TextView(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string_view(p, sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  // Valid until the next Step() or the guard's death.
  std::string_view BlobView(int col) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string_view(p, sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  std::string Blob(int col) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string(p, sqlite3_column_bytes(s_, col)) : std::string();
  }

 private:
  sqlite3_stmt* s_;
};

class Db {
 public:
  // Opens `path`. `read_only` opens without write access; `create` creates a
  // missing file; `coalesce_wal_writes` opens it through the "ksearch-walbuf"
  // VFS (wal_write_buffer.h), whose commits write their WAL frames at once.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool read_only, bool create,
                                          bool coalesce_wal_writes = false);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

  // Runs one or more statements without results. `what` names the operation in errors.
  Status Exec(const std::string& sql, std::string_view what);
  // Runs one statement without results through the statement cache (no parse
  // after the first call: BEGIN and COMMIT of every append).
  Status Step(const std::string& sql, std::string_view what);
  // Returns the cached statement for `sql`, preparing it on first use.
  // The returned pointer stays valid for the life of Db.
  Result<sqlite3_stmt*> Prepare(const std::string& sql);
  Status Error(int rc, std::string_view what) const;

 private:
  Db(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace ksearch::experiment_log
