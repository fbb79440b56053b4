// SqliteExperimentLog: the ExperimentLog on one SQLite file (private).
//
// Invariants (per file, across processes):
//   - events.seq is 1, 2, 3... with no gaps; events[n].prev_hash == events[n-1].hash;
//   - every batch (one Append call) is one IMMEDIATE transaction: all or nothing;
//   - campaigns and attempt_outcomes rows are written from the events in the same
//     transaction and never otherwise (derived indexes for fast queries).
// Thread-safety: every public call takes mu_; one connection per object.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "ksearch/experiment_log/experiment_log.h"
#include "sqlite_db.h"

namespace ksearch::experiment_log {

// EventContentHash over already-serialized fields (the stored payload text).
std::string ContentHashOfFields(int64_t seq, int64_t time_ms, std::string_view campaign_id,
                                std::string_view attempt_id, std::string_view kind,
                                std::string_view payload_text, std::string_view prev_hash);

class SqliteExperimentLog final : public ExperimentLog {
 public:
  static Result<std::unique_ptr<SqliteExperimentLog>> OpenFile(const std::string& path,
                                                               const OpenOptions& options);

  using ExperimentLog::Append;
  Status Append(std::vector<Event>& events, const std::vector<Blob>& blobs) override;
  Result<std::string> PutBlob(std::string_view content) override;
  Result<std::string> GetBlob(const std::string& sha256_hex) override;
  Result<std::vector<Event>> ReadEvents(const EventFilter& filter) override;
  Result<std::vector<CampaignSummary>> ListCampaigns() override;
  Result<int64_t> LastSeq() override;
  Result<VerifyReport> Verify() override;
  Result<std::vector<DeadEnd>> QueryDeadEnds(const DeadEndFilter& filter) override;

  // For tests only: runs raw SQL on this object's connection (e.g. PRAGMA max_page_count).
  Status TEST_Exec(const std::string& sql);
  // For tests only: the --since window size below which QueryDeadEnds aggregates
  // from the time index (0 forces the counters + straddling-groups path).
  void TEST_SetRecentWindowRows(int64_t rows) { recent_window_rows_ = rows; }

 private:
  SqliteExperimentLog(std::string path, std::unique_ptr<Db> db)
      : ExperimentLog(std::move(path)), db_(std::move(db)) {}
  // `inserted` gets the batch's blobs that were not known to be in the file
  // (the caller adds them to known_blobs_ once the commit succeeded).
  Status AppendLocked(std::vector<Event>& events, const std::vector<Blob>& blobs,
                      std::vector<const std::string*>& inserted);
  void NoteKnownBlob(const std::string& sha256_hex);
  Status InsertBlobLocked(std::string_view hex, std::string_view content);
  Status InsertEvent(const Event& e, const std::string& payload_text);
  Status InsertDerived(const Event& e);
  Status VerifyChainLocked(VerifyReport* report);
  Status VerifyIndexesLocked(VerifyReport* report);
  Status VerifyBlobsLocked(VerifyReport* report);

  std::mutex mu_;
  std::unique_ptr<Db> db_;  // guarded by mu_
  // Up to this many outcomes in a --since window, QueryDeadEnds aggregates them
  // from the time index; beyond, it starts from the counters. Guarded by mu_.
  int64_t recent_window_rows_ = 20000;
  // Hashes of blobs known to be in the file: committed by this object or read
  // from it. The blobs table is append-only (a trigger refuses DELETE), so a
  // hash once there stays, and Append skips the INSERT of a known blob: the
  // daemon's prompts repeat most of their parts. At most kMaxKnownBlobs
  // (then cleared). Guarded by mu_.
  static constexpr size_t kMaxKnownBlobs = 16384;
  std::unordered_set<std::string> known_blobs_;
};

}  // namespace ksearch::experiment_log
