#include "sqlite_experiment_log.h"

#include "ksearch/core/clock.h"
#include "ksearch/core/sha256.h"
#include "outcome_class.h"
#include "schema.h"

namespace ksearch::experiment_log {
namespace {

constexpr char kInsertEvent[] =
    "INSERT INTO events(seq, time_ms, campaign_id, attempt_id, kind, payload, prev_hash, hash) "
    "VALUES(?,?,?,?,?,?,?,?)";
constexpr char kInsertCampaign[] =
    "INSERT INTO campaigns(campaign_id, seq, task, arch, backend, started_ms) VALUES(?,?,?,?,?,?)";
constexpr char kInsertOutcome[] =
    "INSERT INTO attempt_outcomes(seq, campaign_id, attempt_id, axis, verdict, verdict_kind, "
    "dead_end, time_ms) VALUES(?,?,?,?,?,?,?,?)";
constexpr char kCountDeadEnd[] =
    "INSERT INTO dead_end_counts(campaign_id, axis, verdict, verdict_kind, count, first_ms, last_ms, "
    "first_seq) VALUES(?1,?2,?3,?4,1,?5,?5,?6) ON CONFLICT(campaign_id, axis, verdict) DO UPDATE SET "
    "count = count + 1, first_ms = min(first_ms, excluded.first_ms), "
    "last_ms = max(last_ms, excluded.last_ms), first_seq = min(first_seq, excluded.first_seq)";

std::string StringField(const nlohmann::json& payload, const char* key) {
  auto it = payload.find(key);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Runs a cached statement that returns no rows.
Status StepDone(Db& db, Stmt& q, std::string_view what) {
  int rc = q.Step();
  return rc == SQLITE_DONE ? Status::Ok() : db.Error(rc, what);
}

}  // namespace

Result<std::unique_ptr<ExperimentLog>> ExperimentLog::Open(const std::string& path,
                                                           const OpenOptions& options) {
  auto log = SqliteExperimentLog::OpenFile(path, options);
  if (!log.ok()) return log.status();
  return std::unique_ptr<ExperimentLog>(std::move(*log));
}

Status ExperimentLog::Append(Event& event) {
  std::vector<Event> batch{std::move(event)};
  Status s = Append(batch);
  event = std::move(batch[0]);
  return s;
}

Result<std::unique_ptr<SqliteExperimentLog>> SqliteExperimentLog::OpenFile(
    const std::string& path, const OpenOptions& options) {
  auto db = Db::Open(path, options.read_only, options.create_if_missing,
                     options.coalesce_wal_writes && !options.read_only);
  if (!db.ok()) return db.status();
  Db& d = **db;
  sqlite3_busy_timeout(d.raw(), options.busy_timeout_ms);
  if (options.read_only) {
    KS_RETURN_IF_ERROR(CheckSchemaVersion(d));
  } else {
    if (sqlite3_db_readonly(d.raw(), "main") == 1)
      return Status::IoError(path + ": open for writing: read-only (the file or its directory is not writable)");
    // The first statement reads the header: a corrupt file fails here.
    KS_RETURN_IF_ERROR(d.Exec("PRAGMA journal_mode=WAL", "enable WAL"));
    KS_RETURN_IF_ERROR(d.Exec(options.full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                              "set synchronous"));
    if (options.wal_autocheckpoint_pages > 0)
      KS_RETURN_IF_ERROR(d.Exec("PRAGMA wal_autocheckpoint=" + std::to_string(options.wal_autocheckpoint_pages),
                                "set wal_autocheckpoint"));
    KS_RETURN_IF_ERROR(MigrateToLatest(d, SystemClock::Instance().UnixMillis()));
  }
  return std::unique_ptr<SqliteExperimentLog>(new SqliteExperimentLog(path, std::move(*db)));
}

std::string ExperimentLog::BlobHash(std::string_view content) { return Sha256Hex(content); }

ExperimentLog::Blob ExperimentLog::Blob::Of(std::string content) {
  std::string hash = BlobHash(content);
  return {std::move(hash), std::move(content)};
}

Result<std::string> LlmCallPrompt(ExperimentLog& log, const nlohmann::json& payload) {
  const auto parts = payload.find("prompt_parts");
  if (parts != payload.end() && parts->is_array()) {
    std::string prompt;
    for (const auto& hash : *parts) {
      if (!hash.is_string()) return Status::InvalidArgument("llm_call: prompt_parts holds a non-string");
      auto part = log.GetBlob(hash.get<std::string>());
      if (!part.ok()) return part.status();
      prompt += *part;
    }
    return prompt;
  }
  const auto blob = payload.find("prompt_blob");
  if (blob != payload.end() && blob->is_string()) return log.GetBlob(blob->get<std::string>());
  return Status::NotFound("llm_call: the payload names no prompt_parts or prompt_blob");
}

Status SqliteExperimentLog::Append(std::vector<Event>& events, const std::vector<Blob>& blobs) {
  if (events.empty() && blobs.empty()) return Status::Ok();
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    std::string where = path_ + ": append: event " + std::to_string(i) + " (kind '" + e.kind + "')";
    if (e.campaign_id.empty()) return Status::InvalidArgument(where + ": campaign_id is empty");
    if (e.kind.empty()) return Status::InvalidArgument(where + ": kind is empty");
    if (!e.payload.is_object()) return Status::InvalidArgument(where + ": payload is not a JSON object");
  }
  std::lock_guard<std::mutex> lock(mu_);
  // The fields Append assigns, restored when the batch fails.
  std::vector<int64_t> saved_time(events.size());
  for (size_t i = 0; i < events.size(); ++i) saved_time[i] = events[i].time_ms;
  std::vector<const std::string*> inserted;
  Status s = AppendLocked(events, blobs, inserted);
  if (s.ok()) {
    for (const std::string* hash : inserted) NoteKnownBlob(*hash);
  } else {
    db_->Exec("ROLLBACK", "rollback");  // no-op error when SQLite already rolled back
    for (size_t i = 0; i < events.size(); ++i) {
      events[i].seq = 0;
      events[i].time_ms = saved_time[i];
      events[i].prev_hash.clear();
      events[i].hash.clear();
    }
  }
  return s;
}

void SqliteExperimentLog::NoteKnownBlob(const std::string& sha256_hex) {
  if (known_blobs_.size() >= kMaxKnownBlobs) known_blobs_.clear();
  known_blobs_.insert(sha256_hex);
}

Status SqliteExperimentLog::AppendLocked(std::vector<Event>& events, const std::vector<Blob>& blobs,
                                         std::vector<const std::string*>& inserted) {
  KS_RETURN_IF_ERROR(db_->Step("BEGIN IMMEDIATE", "append: begin"));
  for (const Blob& b : blobs) {
    if (known_blobs_.count(b.sha256) != 0) continue;
    KS_RETURN_IF_ERROR(InsertBlobLocked(b.sha256, b.content));
    inserted.push_back(&b.sha256);
  }
  int64_t last_seq = 0;
  std::string last_hash(kGenesisHash);
  {
    auto stmt = db_->Prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    Stmt q(*stmt);
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      last_seq = q.Int(0);
      last_hash = q.Text(1);
    } else if (rc != SQLITE_DONE) {
      return db_->Error(rc, "append: read last event");
    }
  }
  int64_t now = SystemClock::Instance().UnixMillis();
  for (Event& e : events) {
    e.seq = ++last_seq;
    if (e.time_ms == 0) e.time_ms = now;
    e.prev_hash = last_hash;
    std::string payload_text = CanonicalPayload(e.payload);
    e.hash = ContentHashOfFields(e.seq, e.time_ms, e.campaign_id, e.attempt_id, e.kind,
                                 payload_text, e.prev_hash);
    last_hash = e.hash;
    KS_RETURN_IF_ERROR(InsertEvent(e, payload_text));
    KS_RETURN_IF_ERROR(InsertDerived(e));
  }
  return db_->Step("COMMIT", "append: commit");
}

Status SqliteExperimentLog::InsertEvent(const Event& e, const std::string& payload_text) {
  auto stmt = db_->Prepare(kInsertEvent);
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, e.seq);
  q.Bind(2, e.time_ms);
  q.Bind(3, std::string_view(e.campaign_id));
  q.Bind(4, std::string_view(e.attempt_id));
  q.Bind(5, std::string_view(e.kind));
  q.Bind(6, std::string_view(payload_text));
  q.Bind(7, std::string_view(e.prev_hash));
  q.Bind(8, std::string_view(e.hash));
  return StepDone(*db_, q, "append: insert event");
}

Status SqliteExperimentLog::InsertDerived(const Event& e) {
  if (e.kind == event_kind::kCampaignStarted) {
    auto stmt = db_->Prepare(kInsertCampaign);
    if (!stmt.ok()) return stmt.status();
    Stmt q(*stmt);
    q.Bind(1, std::string_view(e.campaign_id));
    q.Bind(2, e.seq);
    q.Bind(3, StringField(e.payload, "task"));
    q.Bind(4, StringField(e.payload, "arch"));
    q.Bind(5, StringField(e.payload, "backend"));
    q.Bind(6, e.time_ms);
    int rc = q.Step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
      return Status::FailedPrecondition(path_ + ": append: campaign '" + e.campaign_id +
                                        "' was already started");
    if (rc != SQLITE_DONE) return db_->Error(rc, "append: insert campaign");
  } else if (e.kind == event_kind::kAttemptFinished) {
    auto stmt = db_->Prepare(kInsertOutcome);
    if (!stmt.ok()) return stmt.status();
    std::string verdict = StringField(e.payload, "verdict");
    std::string axis = StringField(e.payload, "axis");
    bool dead_end = IsDeadEndVerdict(verdict);
    {
      Stmt q(*stmt);
      q.Bind(1, e.seq);
      q.Bind(2, std::string_view(e.campaign_id));
      q.Bind(3, std::string_view(e.attempt_id));
      q.Bind(4, std::string_view(axis));
      q.Bind(5, std::string_view(verdict));
      q.Bind(6, VerdictKindPart(verdict));
      q.Bind(7, int64_t{dead_end ? 1 : 0});
      q.Bind(8, e.time_ms);
      KS_RETURN_IF_ERROR(StepDone(*db_, q, "append: insert attempt outcome"));
    }
    if (!dead_end) return Status::Ok();
    auto count = db_->Prepare(kCountDeadEnd);
    if (!count.ok()) return count.status();
    Stmt q(*count);
    q.Bind(1, std::string_view(e.campaign_id));
    q.Bind(2, std::string_view(axis));
    q.Bind(3, std::string_view(verdict));
    q.Bind(4, VerdictKindPart(verdict));
    q.Bind(5, e.time_ms);
    q.Bind(6, e.seq);
    return StepDone(*db_, q, "append: count dead end");
  }
  return Status::Ok();
}

Result<std::string> SqliteExperimentLog::PutBlob(std::string_view content) {
  std::string hex = Sha256Hex(content);
  std::lock_guard<std::mutex> lock(mu_);
  if (known_blobs_.count(hex) != 0) return hex;
  KS_RETURN_IF_ERROR(InsertBlobLocked(hex, content));  // its own transaction: committed when it returns
  NoteKnownBlob(hex);
  return hex;
}

Status SqliteExperimentLog::InsertBlobLocked(std::string_view hex, std::string_view content) {
  auto stmt = db_->Prepare("INSERT OR IGNORE INTO blobs(sha256, size, content) VALUES(?,?,?)");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, hex);
  q.Bind(2, static_cast<int64_t>(content.size()));
  q.BindBlob(3, content);
  return StepDone(*db_, q, "put blob");
}

Result<std::string> SqliteExperimentLog::GetBlob(const std::string& sha256_hex) {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT content FROM blobs WHERE sha256 = ?");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, std::string_view(sha256_hex));
  int rc = q.Step();
  if (rc == SQLITE_DONE) return Status::NotFound(path_ + ": no blob " + sha256_hex);
  if (rc != SQLITE_ROW) return db_->Error(rc, "get blob");
  std::string content = q.Blob(0);
  if (Sha256Hex(content) != sha256_hex)
    return Status::Corruption(path_ + ": blob " + sha256_hex + " does not match its hash");
  NoteKnownBlob(sha256_hex);
  return content;
}

Result<std::vector<Event>> SqliteExperimentLog::ReadEvents(const EventFilter& f) {
  std::string sql =
      "SELECT seq, time_ms, campaign_id, attempt_id, kind, payload, prev_hash, hash FROM events "
      "WHERE seq > ?1";
  if (!f.campaign_id.empty()) sql += " AND campaign_id = ?2";
  if (!f.attempt_id.empty()) sql += " AND attempt_id = ?3";
  if (!f.kind.empty()) sql += " AND kind = ?4";
  sql += " ORDER BY seq";
  if (f.limit > 0) sql += " LIMIT ?5";
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  q.Bind(1, f.after_seq);
  if (!f.campaign_id.empty()) q.Bind(2, std::string_view(f.campaign_id));
  if (!f.attempt_id.empty()) q.Bind(3, std::string_view(f.attempt_id));
  if (!f.kind.empty()) q.Bind(4, std::string_view(f.kind));
  if (f.limit > 0) q.Bind(5, f.limit);
  std::vector<Event> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    Event e;
    e.seq = q.Int(0);
    e.time_ms = q.Int(1);
    e.campaign_id = q.Text(2);
    e.attempt_id = q.Text(3);
    e.kind = q.Text(4);
    e.payload = nlohmann::json::parse(q.TextView(5), nullptr, /*allow_exceptions=*/false);
    if (e.payload.is_discarded())
      return Status::Corruption(path_ + ": event seq " + std::to_string(e.seq) +
                                ": payload is not valid JSON");
    e.prev_hash = q.Text(6);
    e.hash = q.Text(7);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "read events");
  return out;
}

Result<std::vector<CampaignSummary>> SqliteExperimentLog::ListCampaigns() {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT c.campaign_id, c.task, c.started_ms, "
      "(SELECT count(*) FROM events e WHERE e.campaign_id = c.campaign_id) "
      "FROM campaigns c ORDER BY c.seq");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  std::vector<CampaignSummary> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Int(3)});
  if (rc != SQLITE_DONE) return db_->Error(rc, "list campaigns");
  return out;
}

Result<int64_t> SqliteExperimentLog::LastSeq() {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = db_->Prepare("SELECT coalesce(max(seq), 0) FROM events");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  int rc = q.Step();
  if (rc != SQLITE_ROW) return db_->Error(rc, "last seq");
  return q.Int(0);
}

Status SqliteExperimentLog::TEST_Exec(const std::string& sql) {
  std::lock_guard<std::mutex> lock(mu_);
  return db_->Exec(sql, "test exec");
}

}  // namespace ksearch::experiment_log
