#include "sqlite_db.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "wal_write_buffer.h"

namespace ksearch::experiment_log {
namespace {

std::string_view Cause(int primary) {
  switch (primary) {
    case SQLITE_READONLY: return "read-only (the file or its directory is not writable)";
    case SQLITE_FULL: return "disk full (or the database reached its size limit)";
    case SQLITE_CORRUPT: return "corrupt database file";
    case SQLITE_NOTADB: return "not an SQLite database or the file is corrupt";
    case SQLITE_CANTOPEN: return "cannot open the file (missing, permission denied, or directory not writable)";
    case SQLITE_PERM: return "permission denied";
    case SQLITE_IOERR: return "I/O error";
    case SQLITE_BUSY: return "busy: another connection holds the lock";
    case SQLITE_LOCKED: return "locked";
    case SQLITE_CONSTRAINT: return "constraint violated";
    default: return "SQLite error";
  }
}

}  // namespace

Status SqliteStatus(const std::string& path, sqlite3* db, int rc, std::string_view what) {
  int primary = rc & 0xff;
  std::string msg = path + ": " + std::string(what) + ": " + std::string(Cause(primary));
  const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (detail && *detail) msg += std::string(" (") + detail + ")";
  int sys = db ? sqlite3_system_errno(db) : 0;
  if (sys != 0 && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL))
    msg += std::string(" [") + std::strerror(sys) + "]";
  switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg);
    case SQLITE_CONSTRAINT:
      return Status::FailedPrecondition(msg);
    default:
      return Status::IoError(msg);
  }
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool read_only, bool create,
                                     bool coalesce_wal_writes) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, coalesce_wal_writes ? WalBufferVfsName() : nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(path, raw, rc, "open");
    if ((rc & 0xff) == SQLITE_CANTOPEN && (!create || read_only) && access(path.c_str(), F_OK) != 0)
      s = Status::NotFound(path + ": open: no such database file");
    sqlite3_close_v2(raw);
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(path, raw));
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Db::Error(int rc, std::string_view what) const { return SqliteStatus(path_, db_, rc, what); }

Status Db::Exec(const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, what);
}

Status Db::Step(const std::string& sql, std::string_view what) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  int rc = q.Step();
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
}

Result<sqlite3_stmt*> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  cache_.emplace(sql, stmt);
  return stmt;
}

}  // namespace ksearch::experiment_log
