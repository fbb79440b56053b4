#include "schema.h"

namespace ksearch::experiment_log {
namespace {

std::string AppendOnlyTriggers(const std::string& table) {
  return "CREATE TRIGGER IF NOT EXISTS " + table + "_no_update BEFORE UPDATE ON " + table +
         " BEGIN SELECT RAISE(ABORT, 'ksearch: append-only table " + table +
         ": UPDATE refused'); END;\n"
         "CREATE TRIGGER IF NOT EXISTS " + table + "_no_delete BEFORE DELETE ON " + table +
         " BEGIN SELECT RAISE(ABORT, 'ksearch: append-only table " + table +
         ": DELETE refused'); END;\n";
}

std::string V1() {
  std::string sql = R"sql(
CREATE TABLE events (
  seq         INTEGER PRIMARY KEY,
  time_ms     INTEGER NOT NULL,
  campaign_id TEXT NOT NULL,
  attempt_id  TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX events_by_campaign ON events(campaign_id, seq);
CREATE INDEX events_by_kind ON events(kind, seq);
CREATE INDEX events_by_attempt ON events(attempt_id, seq) WHERE attempt_id != '';
CREATE TABLE blobs (
  sha256  TEXT PRIMARY KEY,
  size    INTEGER NOT NULL,
  content BLOB NOT NULL
);
CREATE TABLE campaigns (
  campaign_id TEXT PRIMARY KEY,
  seq         INTEGER NOT NULL REFERENCES events(seq),
  task        TEXT NOT NULL,
  arch        TEXT NOT NULL,
  backend     TEXT NOT NULL,
  started_ms  INTEGER NOT NULL
);
CREATE TABLE attempt_outcomes (
  seq          INTEGER PRIMARY KEY REFERENCES events(seq),
  campaign_id  TEXT NOT NULL,
  attempt_id   TEXT NOT NULL,
  axis         TEXT NOT NULL,
  verdict      TEXT NOT NULL,
  verdict_kind TEXT NOT NULL,
  dead_end     INTEGER NOT NULL,
  time_ms      INTEGER NOT NULL
);
CREATE INDEX outcomes_dead_ends
  ON attempt_outcomes(campaign_id, axis, verdict, verdict_kind, time_ms) WHERE dead_end = 1;
)sql";
  for (const char* t : {"events", "blobs", "campaigns", "attempt_outcomes"}) sql += AppendOnlyTriggers(t);
  return sql;
}

// v2: per-(campaign, axis, verdict) dead-end counters so `ksearch deadends`
// answers from a few hundred rows instead of scanning every outcome. This is a
// cache of attempt_outcomes (not history): it is the one table Append updates,
// and Verify recomputes it. Backfilled from attempt_outcomes on migration.
std::string V2() {
  return R"sql(
CREATE TABLE dead_end_counts (
  campaign_id  TEXT NOT NULL,
  axis         TEXT NOT NULL,
  verdict      TEXT NOT NULL,
  verdict_kind TEXT NOT NULL,
  count        INTEGER NOT NULL,
  first_ms     INTEGER NOT NULL,
  last_ms      INTEGER NOT NULL,
  first_seq    INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, axis, verdict)
);
INSERT INTO dead_end_counts
  SELECT campaign_id, axis, verdict, verdict_kind, count(*), min(time_ms), max(time_ms), min(seq)
  FROM attempt_outcomes WHERE dead_end = 1 GROUP BY campaign_id, axis, verdict;
CREATE INDEX outcomes_dead_ends_by_time
  ON attempt_outcomes(time_ms, campaign_id, axis, verdict, verdict_kind) WHERE dead_end = 1;
)sql";
}

// v3: no index on events(kind, seq). Neither ksearchd nor ksearch selects
// events by kind alone: the daemon reads a campaign's events
// (events_by_campaign), `ksearch replay` an attempt's (events_by_attempt),
// verification scans them all. Yet every append wrote a page of it (docs/bench-experiment-log.md, "v3: the events table
// without its (kind, seq) index").
std::string V3() { return "DROP INDEX IF EXISTS events_by_kind;\n"; }

int64_t CurrentVersion(Db& db, Status* status) {
  auto stmt = db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!stmt.ok()) { *status = stmt.status(); return -1; }
  Stmt q(*stmt);
  int rc = q.Step();
  if (rc != SQLITE_ROW) { *status = db.Error(rc, "read schema version"); return -1; }
  return q.Int(0);
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "events, blobs, campaigns, attempt_outcomes; append-only triggers", V1()},
      {2, "dead_end_counts summary of attempt_outcomes; outcomes index by time", V2()},
      {3, "events_by_kind dropped: no reader selects events by kind alone", V3(), /*keeps_readers=*/true},
  };
  return kMigrations;
}

int LatestSchemaVersion() { return Migrations().back().version; }

int OldestReadableSchemaVersion() {
  const auto& m = Migrations();
  size_t i = m.size() - 1;
  while (i > 0 && m[i].keeps_readers) --i;
  return m[i].version;
}

const std::vector<std::string>& AppendOnlyTables() {
  static const std::vector<std::string> kTables = {"events", "blobs", "campaigns",
                                                   "attempt_outcomes", "schema_migrations"};
  return kTables;
}

Status MigrateToLatest(Db& db, int64_t now_ms) {
  KS_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", "begin schema migration"));
  auto fail = [&](Status s) {
    db.Exec("ROLLBACK", "rollback");
    return s;
  };
  Status s = db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "applied_ms INTEGER NOT NULL, description TEXT NOT NULL)",
      "create schema_migrations");
  if (!s.ok()) return fail(s);
  int64_t current = CurrentVersion(db, &s);
  if (!s.ok()) return fail(s);
  if (current > LatestSchemaVersion())
    return fail(Status::FailedPrecondition(
        db.path() + ": schema version " + std::to_string(current) +
        " is newer than this ksearch supports (" + std::to_string(LatestSchemaVersion()) + ")"));
  bool fresh = current == 0;
  for (const auto& m : Migrations()) {
    if (m.version <= current) continue;
    s = db.Exec(m.sql, "apply schema migration " + std::to_string(m.version));
    if (!s.ok()) return fail(s);
    auto ins = db.Prepare("INSERT INTO schema_migrations(version, applied_ms, description) VALUES(?,?,?)");
    if (!ins.ok()) return fail(ins.status());
    Stmt q(*ins);
    q.Bind(1, int64_t{m.version});
    q.Bind(2, now_ms);
    q.Bind(3, std::string_view(m.description));
    int rc = q.Step();
    if (rc != SQLITE_DONE) return fail(db.Error(rc, "record schema migration"));
  }
  if (fresh) {
    s = db.Exec(AppendOnlyTriggers("schema_migrations"), "protect schema_migrations");
    if (!s.ok()) return fail(s);
  }
  s = db.Exec("COMMIT", "commit schema migration");
  if (!s.ok()) return fail(s);
  return Status::Ok();
}

Status CheckSchemaVersion(Db& db) {
  Status s;
  int64_t v = CurrentVersion(db, &s);
  if (!s.ok()) {
    if (s.message().find("no such table") != std::string::npos)
      return Status::FailedPrecondition(db.path() + ": not a ksearch experiment log (no schema_migrations table)");
    return s;
  }
  const int oldest = OldestReadableSchemaVersion(), latest = LatestSchemaVersion();
  const std::string reads = oldest == latest ? "version " + std::to_string(latest)
                                             : "versions " + std::to_string(oldest) + " to " + std::to_string(latest);
  if (v > latest)
    return Status::FailedPrecondition(db.path() + ": schema version " + std::to_string(v) +
                                      " is newer than this ksearch reads (" + reads + ")");
  if (v < oldest)
    return Status::FailedPrecondition(db.path() + ": schema version " + std::to_string(v) + ", this ksearch reads " +
                                      reads + " (open it read-write once to migrate)");
  return Status::Ok();
}

}  // namespace ksearch::experiment_log
