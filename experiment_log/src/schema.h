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
};

// Every migration, in order; versions are 1, 2, 3... with no gaps.
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

// Tables whose rows are history (UPDATE and DELETE refused by triggers).
const std::vector<std::string>& AppendOnlyTables();

// Brings `db` to the latest version inside one IMMEDIATE transaction.
// Fails with a clear message when the file is newer than this build.
Status MigrateToLatest(Db& db, int64_t now_ms);
// For read-only connections: fails unless the file is at the latest version.
Status CheckSchemaVersion(Db& db);

}  // namespace ksearch::experiment_log
