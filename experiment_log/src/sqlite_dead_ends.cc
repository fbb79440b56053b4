// QueryDeadEnds: the dead ends answered from the derived tables, never from payloads.
//
// Strategy (all exact; equal to FilterDeadEnds(BuildMemory(events >= since))):
//   no --since           -> the dead_end_counts counters (a few hundred rows);
//   --since, few recent  -> aggregate attempt_outcomes from the index on time_ms;
//   --since, many recent -> counters for groups wholly inside the window, groups
//                           wholly before it dropped, and a per-group index seek
//                           only for groups that straddle the window start.
#include <algorithm>
#include <map>
#include <tuple>

#include "outcome_class.h"
#include "sqlite_experiment_log.h"

namespace ksearch::experiment_log {
namespace {

struct Group {
  std::string campaign, axis, verdict, kind;
  int64_t count = 0, first_ms = 0, last_ms = 0, first_seq = 0;
};

std::string Filters(const DeadEndFilter& f) {
  std::string sql;
  if (!f.axis.empty()) sql += " AND axis = ?2";
  if (!f.failure_class.empty()) sql += " AND (verdict = ?3 OR verdict_kind = ?3)";
  return sql;
}

// Runs `sql` (columns: campaign, axis, verdict, kind, count, first, last, first_seq;
// parameters ?1 since, ?2 axis, ?3 class) and appends its rows to `out`.
Status ReadGroups(Db& db, const std::string& sql, const DeadEndFilter& f, std::vector<Group>* out) {
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  if (sql.find("?1") != std::string::npos) q.Bind(1, f.since_ms);
  if (!f.axis.empty()) q.Bind(2, std::string_view(f.axis));
  if (!f.failure_class.empty()) q.Bind(3, std::string_view(f.failure_class));
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out->push_back({q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Int(4), q.Int(5), q.Int(6), q.Int(7)});
  return rc == SQLITE_DONE ? Status::Ok() : db.Error(rc, "deadends: aggregate");
}

Result<bool> IsRecentWindow(Db& db, int64_t since_ms, int64_t window_rows) {
  auto stmt = db.Prepare(
      "SELECT count(*) FROM (SELECT 1 FROM attempt_outcomes INDEXED BY outcomes_dead_ends_by_time "
      "WHERE dead_end = 1 AND time_ms >= ?1 LIMIT ?2)");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, since_ms);
  q.Bind(2, window_rows);
  int rc = q.Step();
  if (rc != SQLITE_ROW) return db.Error(rc, "deadends: size the time window");
  return q.Int(0) < window_rows;
}

// Re-aggregates one group over outcomes at or after `since_ms` (an index seek).
Status Reaggregate(Db& db, int64_t since_ms, Group* g) {
  auto stmt = db.Prepare(
      "SELECT count(*), min(time_ms), max(time_ms), min(seq) FROM attempt_outcomes "
      "INDEXED BY outcomes_dead_ends WHERE campaign_id = ?1 AND axis = ?2 AND verdict = ?3 "
      "AND verdict_kind = ?4 AND dead_end = 1 AND time_ms >= ?5");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, std::string_view(g->campaign));
  q.Bind(2, std::string_view(g->axis));
  q.Bind(3, std::string_view(g->verdict));
  q.Bind(4, std::string_view(g->kind));
  q.Bind(5, since_ms);
  int rc = q.Step();
  if (rc != SQLITE_ROW) return db.Error(rc, "deadends: re-aggregate group");
  g->count = q.Int(0);
  g->first_ms = q.Int(1);
  g->last_ms = q.Int(2);
  g->first_seq = q.Int(3);
  return Status::Ok();
}

Status CollectGroups(Db& db, const DeadEndFilter& f, int64_t window_rows, std::vector<Group>* out) {
  const std::string counters =
      "SELECT campaign_id, axis, verdict, verdict_kind, count, first_ms, last_ms, first_seq "
      "FROM dead_end_counts WHERE 1" + Filters(f);
  if (f.since_ms <= 0) return ReadGroups(db, counters, f, out);
  auto recent = IsRecentWindow(db, f.since_ms, window_rows);
  if (!recent.ok()) return recent.status();
  if (*recent)
    return ReadGroups(db,
                      "SELECT campaign_id, axis, verdict, verdict_kind, count(*), min(time_ms), "
                      "max(time_ms), min(seq) FROM attempt_outcomes INDEXED BY outcomes_dead_ends_by_time "
                      "WHERE dead_end = 1 AND time_ms >= ?1" + Filters(f) +
                          " GROUP BY campaign_id, axis, verdict",
                      f, out);
  std::vector<Group> all;
  KS_RETURN_IF_ERROR(ReadGroups(db, counters, f, &all));
  for (Group& g : all) {
    if (g.last_ms < f.since_ms) continue;                                  // wholly before
    if (g.first_ms < f.since_ms) KS_RETURN_IF_ERROR(Reaggregate(db, f.since_ms, &g));  // straddles
    out->push_back(std::move(g));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<DeadEnd>> SqliteExperimentLog::QueryDeadEnds(const DeadEndFilter& f) {
  std::lock_guard<std::mutex> lock(mu_);
  KS_RETURN_IF_ERROR(db_->Exec("BEGIN", "deadends: begin"));  // one snapshot for all reads
  struct EndRead {
    Db* db;
    ~EndRead() { db->Exec("COMMIT", "deadends: end"); }
  } end_read{db_.get()};

  std::map<std::string, std::pair<std::string, std::string>> campaigns;  // id -> task, arch
  {
    auto stmt = db_->Prepare("SELECT campaign_id, task, arch FROM campaigns");
    if (!stmt.ok()) return stmt.status();
    Stmt q(*stmt);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) campaigns[q.Text(0)] = {q.Text(1), q.Text(2)};
    if (rc != SQLITE_DONE) return db_->Error(rc, "deadends: read campaigns");
  }
  std::vector<Group> rows;
  KS_RETURN_IF_ERROR(CollectGroups(*db_, f, recent_window_rows_, &rows));

  // Merge per-campaign groups into (task, arch, axis, class) groups.
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, DeadEnd> groups;
  std::map<Key, int64_t> example_seq;
  for (const Group& g : rows) {
    auto it = campaigns.find(g.campaign);
    std::string task = it == campaigns.end() ? "" : it->second.first;
    std::string arch = it == campaigns.end() ? "" : it->second.second;
    if (!f.task.empty() && task != f.task) continue;
    if (!f.arch.empty() && arch != f.arch) continue;
    Key key{task, arch, g.axis, g.verdict};
    DeadEnd& d = groups[key];
    if (d.count == 0) {
      std::tie(d.task, d.arch, d.axis, d.failure_class) = key;
      d.first_seen_ms = g.first_ms;
      d.last_seen_ms = g.last_ms;
      example_seq[key] = g.first_seq;
    }
    d.count += static_cast<int>(g.count);
    d.first_seen_ms = std::min(d.first_seen_ms, g.first_ms);
    d.last_seen_ms = std::max(d.last_seen_ms, g.last_ms);
    example_seq[key] = std::min(example_seq[key], g.first_seq);
  }
  auto ex = db_->Prepare(
      "SELECT attempt_id, coalesce(json_extract(payload, '$.detail'), '') FROM events WHERE seq = ?");
  if (!ex.ok()) return ex.status();
  std::vector<DeadEnd> out;
  for (auto& [key, d] : groups) {
    Stmt q(*ex);
    q.Bind(1, example_seq[key]);
    int rc = q.Step();
    if (rc != SQLITE_ROW) return db_->Error(rc, "deadends: read example");
    d.example_attempt = q.Text(0);
    d.example_excerpt = Excerpt(q.TextView(1));
    out.push_back(std::move(d));
  }
  // Count descending, then (task, arch, axis, class) ascending: as BuildMemory.
  std::stable_sort(out.begin(), out.end(),
                   [](const DeadEnd& a, const DeadEnd& b) { return a.count > b.count; });
  return out;
}

}  // namespace ksearch::experiment_log
