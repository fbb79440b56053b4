// The experiment-log schema: an ordered list of migrations, applied once each
// and recorded in schema_migrations (version, applied_ms, description).
// History tables are append-only: triggers refuse UPDATE and DELETE.
// See docs/log-schema.md.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"
#include "sqlite_db.h"

namespace ksearch::experiment_log {

struct Migration {
  int version;
  const char* description;
  std::string sql;
  // True when this migration changes nothing a reader relies on (it drops an
  // unread index, say): a read-only connection of this build may then read a
  // file still at the version before it.
  bool keeps_readers = false;
};

// Every migration, in order; versions are 1, 2, 3... with no gaps.
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();
// The oldest version a read-only connection accepts: the latest, and every
// version before it that only migrations keeping readers separate from it.
int OldestReadableSchemaVersion();

// Tables whose rows are history (UPDATE and DELETE refused by triggers).
const std::vector<std::string>& AppendOnlyTables();

// Brings `db` to the latest version inside one IMMEDIATE transaction.
// Fails with a clear message when the file is newer than this build.
Status MigrateToLatest(Db& db, int64_t now_ms);
// For read-only connections (which never migrate): fails unless the file's
// version is in [OldestReadableSchemaVersion(), LatestSchemaVersion()].
Status CheckSchemaVersion(Db& db);

}  // namespace ksearch::experiment_log
