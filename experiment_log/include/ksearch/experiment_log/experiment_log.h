// ExperimentLog: the append-only SQLite store (DESIGN.md section 7).
//
// One file per deployment, WAL mode. Events are appended in batches, each batch
// one transaction: a batch is either wholly durable or absent. Every event row
// carries the hash of its predecessor and of its own canonical content;
// Verify() recomputes the chain. Large texts are content-addressed blobs.
//
// Thread-safety: one ExperimentLog object may be used from several threads
// (calls are serialized internally). Several processes may open the same file:
// readers see a consistent snapshot while one writer appends.
// Errors name the database file and the cause (read-only, disk full, corrupt).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ksearch/core/event.h"
#include "ksearch/core/status.h"
#include "ksearch/experiment_log/views.h"

namespace ksearch::experiment_log {

struct OpenOptions {
  bool read_only = false;
  bool create_if_missing = true;
  // synchronous=FULL when true (every commit fsynced), NORMAL otherwise (WAL:
  // durable against process crash, may lose the last commits on power loss).
  bool full_sync = false;
  // How long a call waits for another process's write lock before failing.
  int busy_timeout_ms = 10000;
  // WAL pages after which a commit copies the WAL back into the database
  // (PRAGMA wal_autocheckpoint); 0 keeps SQLite's default of 1000. A longer
  // interval checkpoints (and fsyncs) less often and copies a page rewritten
  // by many commits once, at the price of a larger -wal file between
  // checkpoints (pages * 4 KiB). Writers only; ignored read-only.
  int wal_autocheckpoint_pages = 0;
  // Writers: each commit's WAL frames reach the file as one write instead of
  // two per page (the "ksearch-walbuf" VFS, src/wal_write_buffer.h); what a
  // returned commit recorded is in the file either way.
  bool coalesce_wal_writes = true;
};

struct EventFilter {
  std::string campaign_id;  // empty: all campaigns
  std::string attempt_id;   // empty: all attempts
  std::string kind;         // empty: all kinds
  int64_t after_seq = 0;    // only events with seq > after_seq
  int64_t limit = 0;        // 0: no limit
};

struct VerifyReport {
  bool ok = true;
  int64_t events_checked = 0;
  int64_t blobs_checked = 0;
  // The first event at fault: a broken link or row, a derived row that
  // disagrees with it, or the first event naming a bad or missing blob. 0 when
  // ok, and when the fault is a blob no event names.
  int64_t first_bad_seq = 0;
  std::string bad_blob;  // the blob at fault (its name), when the fault is a blob
  std::string problem;   // what is wrong
};

struct CampaignSummary {
  std::string campaign_id;
  std::string task;
  int64_t started_ms = 0;
  int64_t events = 0;
};

class ExperimentLog {
 public:
  static Result<std::unique_ptr<ExperimentLog>> Open(const std::string& path,
                                                     const OpenOptions& options = {});
  ExperimentLog(const ExperimentLog&) = delete;
  ExperimentLog& operator=(const ExperimentLog&) = delete;
  virtual ~ExperimentLog() = default;

  const std::string& path() const { return path_; }

  // Appends the events in one transaction. Fills seq, prev_hash, hash (and
  // time_ms when 0) in place. REQUIRES: every event has a campaign_id and kind
  // and an object payload (InvalidArgument otherwise, nothing written).
  // On any error nothing of the batch is stored and seq/prev_hash/hash are
  // cleared again (time_ms restored): the caller may retry the same vector.
  Status Append(std::vector<Event>& events) { return Append(events, {}); }
  Status Append(Event& event);
  // A blob to store with a batch, hashed once when made: the events name it
  // by `sha256` before it is stored. INVARIANT: sha256 == BlobHash(content).
  struct Blob {
    static Blob Of(std::string content);
    std::string sha256;
    std::string content;
  };
  // As Append, and stores each of `blobs` (as PutBlob would, once) in the same
  // transaction: the events may name those blobs, and either all of it is
  // committed or none. One commit instead of 1 + blobs.size() (the daemon's
  // terminal batch carries its evidence packet and source this way).
  virtual Status Append(std::vector<Event>& events, const std::vector<Blob>& blobs) = 0;
  // The name PutBlob gives `content`: its sha256 hex.
  static std::string BlobHash(std::string_view content);

  // Stores `content` once; returns its sha256 hex. Idempotent.
  virtual Result<std::string> PutBlob(std::string_view content) = 0;
  virtual Result<std::string> GetBlob(const std::string& sha256_hex) = 0;

  virtual Result<std::vector<Event>> ReadEvents(const EventFilter& filter = {}) = 0;
  virtual Result<std::vector<CampaignSummary>> ListCampaigns() = 0;
  virtual Result<int64_t> LastSeq() = 0;

  // Recomputes the hash chain over every event; names the first bad row.
  // Also checks that the derived index tables (campaigns, attempt_outcomes)
  // agree with the events they were written from, that every blob an event
  // names (a `*_blob` member, a `prompt_parts` entry) is stored, and that
  // every blob's content hashes to its name (the chain covers only the names).
  virtual Result<VerifyReport> Verify() = 0;

  // Dead ends answered from the attempt_outcomes index without reading
  // payloads: equal to FilterDeadEnds(BuildMemory(all events).dead_ends, filter),
  // examples included, in the same order. Fast on large logs (ksearch deadends).
  virtual Result<std::vector<DeadEnd>> QueryDeadEnds(const DeadEndFilter& filter) = 0;

 protected:
  explicit ExperimentLog(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The prompt an llm_call event records: its `prompt_parts` blobs joined in
// order (the daemon stores a prompt's sections as separate blobs, so a section
// many prompts repeat is stored once), or, in logs written before them, its
// one `prompt_blob`. NotFound when the payload names neither or a blob is
// missing.
Result<std::string> LlmCallPrompt(ExperimentLog& log, const nlohmann::json& llm_call_payload);

// The canonical content hash of an event (seq, time, ids, kind, payload, prev_hash):
// hex sha256 of "ksearch.event.v1\n" followed, for each field in that order, by
// "<byte length>:<bytes>\n"; the payload is CanonicalPayload(e.payload).
std::string EventContentHash(const Event& e);

// The stored form of a payload: compact JSON, object keys sorted, invalid UTF-8
// replaced by U+FFFD. Hashing and storage both use exactly this text.
std::string CanonicalPayload(const nlohmann::json& payload);

// prev_hash of the first event.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace ksearch::experiment_log
