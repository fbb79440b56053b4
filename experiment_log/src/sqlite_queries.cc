// Hash chain and Verify of SqliteExperimentLog.
#include <cctype>
#include <functional>
#include <optional>

#include "ksearch/core/sha256.h"
#include "sqlite_experiment_log.h"

namespace ksearch::experiment_log {
namespace {

void AddField(Sha256& h, std::string_view field) {
  std::string len = std::to_string(field.size());
  h.Update(len);
  h.Update(":", 1);
  h.Update(field);
  h.Update("\n", 1);
}

// Runs the query `sql` (with `param` bound to ?1 when given); on its first
// row calls `on_row` with it. True when there was a row; an error of the step
// names `what`.
Result<bool> FirstRow(Db& db, const std::string& sql, std::string_view what,
                      const std::function<void(Stmt&)>& on_row, std::optional<std::string_view> param = {}) {
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  if (param) q.Bind(1, *param);
  const int rc = q.Step();
  if (rc == SQLITE_ROW) {
    on_row(q);
    return true;
  }
  if (rc != SQLITE_DONE) return db.Error(rc, what);
  return false;
}

}  // namespace

std::string ContentHashOfFields(int64_t seq, int64_t time_ms, std::string_view campaign_id,
                                std::string_view attempt_id, std::string_view kind,
                                std::string_view payload_text, std::string_view prev_hash) {
  Sha256 h;
  h.Update(std::string_view("ksearch.event.v1\n"));
  AddField(h, std::to_string(seq));
  AddField(h, std::to_string(time_ms));
  AddField(h, campaign_id);
  AddField(h, attempt_id);
  AddField(h, kind);
  AddField(h, payload_text);
  AddField(h, prev_hash);
  return h.HexDigest();
}

std::string CanonicalPayload(const nlohmann::json& payload) {
  // nlohmann::json objects are std::map-backed: keys come out sorted.
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EventContentHash(const Event& e) {
  return ContentHashOfFields(e.seq, e.time_ms, e.campaign_id, e.attempt_id, e.kind,
                             CanonicalPayload(e.payload), e.prev_hash);
}

Result<VerifyReport> SqliteExperimentLog::Verify() {
  std::lock_guard<std::mutex> lock(mu_);
  // One read transaction: a consistent snapshot while writers append.
  KS_RETURN_IF_ERROR(db_->Exec("BEGIN", "verify: begin"));
  VerifyReport report;
  Status s = VerifyChainLocked(&report);
  if (s.ok() && report.ok) s = VerifyIndexesLocked(&report);
  if (s.ok() && report.ok) s = VerifyBlobsLocked(&report);
  db_->Exec("COMMIT", "verify: end");
  if (!s.ok()) return s;
  return report;
}

Status SqliteExperimentLog::VerifyChainLocked(VerifyReport* report) {
  auto stmt = db_->Prepare(
      "SELECT seq, time_ms, campaign_id, attempt_id, kind, payload, prev_hash, hash "
      "FROM events ORDER BY seq");
  if (!stmt.ok()) return stmt.status();
  Stmt q(*stmt);
  std::string prev(kGenesisHash);
  int64_t expected_seq = 1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    int64_t seq = q.Int(0);
    auto bad = [&](std::string problem) {
      report->ok = false;
      report->first_bad_seq = seq;
      report->problem = std::move(problem);
      return Status::Ok();
    };
    if (seq != expected_seq)
      return bad("expected seq " + std::to_string(expected_seq) + ", found " + std::to_string(seq) +
                 " (rows missing)");
    std::string_view prev_hash = q.TextView(6);
    if (prev_hash != prev)
      return bad("prev_hash " + std::string(prev_hash) + " does not match the hash of seq " +
                 std::to_string(seq - 1));
    std::string computed = ContentHashOfFields(seq, q.Int(1), q.TextView(2), q.TextView(3),
                                               q.TextView(4), q.TextView(5), prev_hash);
    std::string_view stored = q.TextView(7);
    if (computed != stored)
      return bad("content hash mismatch: stored " + std::string(stored) + ", recomputed " + computed +
                 " (the row was modified)");
    prev = computed;
    ++expected_seq;
    ++report->events_checked;
  }
  if (rc != SQLITE_DONE) return db_->Error(rc, "verify: read events");
  return Status::Ok();
}

Status SqliteExperimentLog::VerifyIndexesLocked(VerifyReport* report) {
  // Each derived row must match its event, and each such event must have its row.
  const char* kChecks[][2] = {
      {"SELECT e.seq FROM events e LEFT JOIN attempt_outcomes o ON o.seq = e.seq "
       "WHERE e.kind = 'attempt_finished' AND (o.seq IS NULL OR o.campaign_id != e.campaign_id "
       "OR o.verdict != coalesce(json_extract(e.payload, '$.verdict'), '') "
       "OR o.axis != coalesce(json_extract(e.payload, '$.axis'), '')) "
       "UNION ALL SELECT o.seq FROM attempt_outcomes o LEFT JOIN events e ON e.seq = o.seq "
       "WHERE e.seq IS NULL OR e.kind != 'attempt_finished' ORDER BY 1 LIMIT 1",
       "attempt_outcomes row disagrees with its attempt_finished event"},
      {"SELECT e.seq FROM events e LEFT JOIN campaigns c ON c.seq = e.seq "
       "WHERE e.kind = 'campaign_started' AND (c.seq IS NULL OR c.campaign_id != e.campaign_id "
       "OR c.task != coalesce(json_extract(e.payload, '$.task'), '') "
       "OR c.arch != coalesce(json_extract(e.payload, '$.arch'), '')) "
       "UNION ALL SELECT c.seq FROM campaigns c LEFT JOIN events e ON e.seq = c.seq "
       "WHERE e.seq IS NULL OR e.kind != 'campaign_started' ORDER BY 1 LIMIT 1",
       "campaigns row disagrees with its campaign_started event"},
      {"WITH agg AS (SELECT campaign_id, axis, verdict, verdict_kind, count(*), min(time_ms), "
       "max(time_ms), min(seq) AS first_seq FROM attempt_outcomes WHERE dead_end = 1 "
       "GROUP BY campaign_id, axis, verdict), "
       "diff AS (SELECT * FROM (SELECT * FROM agg EXCEPT SELECT * FROM dead_end_counts) "
       "UNION ALL SELECT * FROM (SELECT * FROM dead_end_counts EXCEPT SELECT * FROM agg)) "
       "SELECT first_seq FROM diff ORDER BY first_seq LIMIT 1",
       "dead_end_counts disagrees with attempt_outcomes for the group whose first attempt ends here"},
  };
  for (const auto& [sql, problem] : kChecks) {
    auto found = FirstRow(*db_, sql, "verify: check derived tables", [&](Stmt& q) {
      report->ok = false;
      report->first_bad_seq = q.Int(0);
      report->problem = problem;
    });
    if (!found.ok() || *found) return found.status();
  }
  return Status::Ok();
}

// The blobs events name: every `*_blob` member holding text (at any depth:
// attempt_stage payloads nest theirs) and the entries of `prompt_parts`.
// Empty names stand for "none". (json_tree spells the path of an array's
// elements with the key quoted, `$."prompt_parts"`, in SQLite 3.40; the plain
// form is accepted too.)
constexpr const char* kNamedBlobs =
    "FROM events e, json_tree(e.payload) j WHERE j.type = 'text' AND j.atom != '' "
    "AND (j.key LIKE '%\\_blob' ESCAPE '\\' OR j.path IN ('$.prompt_parts', '$.\"prompt_parts\"'))";

Status SqliteExperimentLog::VerifyBlobsLocked(VerifyReport* report) {
  auto missing = FirstRow(
      *db_,
      std::string("SELECT e.seq, j.key, j.atom ") + kNamedBlobs +
          " AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = j.atom) ORDER BY e.seq LIMIT 1",
      "verify: blobs named by events",
      [&](Stmt& q) {
        report->ok = false;
        report->first_bad_seq = q.Int(0);
        report->bad_blob = q.Text(2);
        const std::string key = q.Text(1);  // an array index for prompt_parts entries
        report->problem = "blob " + report->bad_blob + " is missing (named by " +
                          (key.empty() || std::isdigit(static_cast<unsigned char>(key[0])) ? "prompt_parts" : key) +
                          ")";
      });
  if (!missing.ok() || *missing) return missing.status();
  std::string bad;
  std::string problem;
  {
    auto stmt = db_->Prepare("SELECT sha256, size, content FROM blobs ORDER BY rowid");
    if (!stmt.ok()) return stmt.status();
    Stmt q(*stmt);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      std::string_view content = q.BlobView(2);
      ++report->blobs_checked;
      if (q.Int(1) != static_cast<int64_t>(content.size())) {
        problem = "size " + std::to_string(q.Int(1)) + " recorded, " + std::to_string(content.size()) + " stored";
      } else if (ExperimentLog::BlobHash(content) != q.TextView(0)) {
        problem = "its content does not hash to its name (the blob was modified)";
      } else {
        continue;
      }
      bad = q.Text(0);
      break;
    }
    if (bad.empty() && rc != SQLITE_DONE) return db_->Error(rc, "verify: read blobs");
  }
  if (bad.empty()) return Status::Ok();
  report->ok = false;
  report->bad_blob = bad;
  report->problem = "blob " + bad + ": " + problem;
  // The first event that names it, if any (PutBlob may store a blob that no
  // event names yet: then none). The name is bound, not spliced: in a
  // tampered file it may hold anything.
  return FirstRow(*db_, std::string("SELECT e.seq ") + kNamedBlobs + " AND j.atom = ?1 ORDER BY e.seq LIMIT 1",
                  "verify: events naming a blob", [&](Stmt& q) { report->first_bad_seq = q.Int(0); }, bad)
      .status();
}

}  // namespace ksearch::experiment_log
