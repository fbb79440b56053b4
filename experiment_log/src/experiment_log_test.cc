// ExperimentLog on SQLite: append, hash chain, append-only triggers, tamper
// detection, blobs, concurrent readers, and the dead-ends fast path.
#include <sqlite3.h>

#include <atomic>
#include <catch.hpp>
#include <random>
#include <thread>

#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/experiment_log/views.h"
#include "schema.h"
#include "sqlite_experiment_log.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

// prefix + n, appended rather than joined with `+`: GCC 12 warns falsely
// (-Wrestrict) where `"literal" + std::to_string(n)` is inlined.
std::string Numbered(const char* prefix, int n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

using testing::AttemptEvents;
using testing::AttemptSpec;
using testing::CampaignStarted;
using testing::TempDir;

std::unique_ptr<ExperimentLog> OpenOrDie(const std::string& path, OpenOptions o = {}) {
  auto log = ExperimentLog::Open(path, o);
  REQUIRE(log.ok());
  return std::move(*log);
}

// Runs SQL through the raw sqlite3 API; returns the error message ("" on success).
std::string RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = rc == SQLITE_OK ? "" : (err ? err : "error");
  sqlite3_free(err);
  sqlite3_close(db);
  return msg;
}

int64_t RawCount(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// A small log: one campaign, three attempts of 4 events (seqs 2-5, 6-9, 10-13).
void Populate(ExperimentLog& log) {
  std::vector<Event> batch{CampaignStarted("c1", "gemm", "sm_90", {"tiling", "unroll"})};
  REQUIRE(log.Append(batch).ok());
  for (int i = 1; i <= 3; ++i) {
    auto ev = AttemptEvents("c1", {.attempt = Numbered("a", i), .parent = "seed",
                                   .axis = "tiling", .verdict = "compile_error{ptxas}",
                                   .detail = Numbered("error line ", i)});
    REQUIRE(log.Append(ev).ok());
  }
}

// A closed log file in `dir` at the latest version, holding Populate's events.
std::string PopulatedFile(TempDir& dir) {
  std::string path = dir.File("k.db");
  auto log = OpenOrDie(path);
  Populate(*log);
  return path;
}

TEST_CASE("open creates the schema once and records the migration", "[experiment_log]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  OpenOrDie(path);
  OpenOrDie(path);  // reopening does not re-apply migrations
  CHECK(RawCount(path, "SELECT count(*) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(RawCount(path, "SELECT max(version) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(RawCount(path, "SELECT min(applied_ms) FROM schema_migrations") > 0);
  // v3 dropped the index on events(kind, seq) (no reader selects by kind alone).
  CHECK(RawCount(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_by_kind'") == 0);
  CHECK(RawCount(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_by_campaign'") == 1);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("a file at schema version 1 is migrated and its dead-end counters backfilled",
          "[experiment_log]") {
  TempDir dir;
  const std::string path = PopulatedFile(dir);
  // Roll the file back to version 1 (what an older ksearch wrote).
  REQUIRE(RawExec(path, "DROP TABLE dead_end_counts; DROP INDEX outcomes_dead_ends_by_time; "
                        "CREATE INDEX events_by_kind ON events(kind, seq); "
                        "DROP TRIGGER schema_migrations_no_delete; "
                        "DELETE FROM schema_migrations WHERE version > 1").empty());
  auto log = OpenOrDie(path);
  CHECK(RawCount(path, "SELECT max(version) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(RawCount(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_kind'") == 0);
  CHECK(RawCount(path, "SELECT count FROM dead_end_counts") == 3);
  CHECK(log->Verify()->ok);
  auto dead = log->QueryDeadEnds({});
  REQUIRE(dead->size() == 1);
  CHECK(dead->at(0).count == 3);
  CHECK(dead->at(0).example_attempt == "a1");

  SECTION("a file newer than this build is refused") {
    log.reset();
    REQUIRE(RawExec(path, "INSERT INTO schema_migrations VALUES (999, 0, 'future')").empty());
    auto newer = ExperimentLog::Open(path);
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.status().message().find("newer than this ksearch") != std::string::npos);
    CHECK(newer.status().message().find(path) != std::string::npos);
  }
}

TEST_CASE("a read-only open reads a file whose later migrations keep readers, and no older one",
          "[experiment_log]") {
  TempDir dir;
  const std::string path = PopulatedFile(dir);
  REQUIRE(OldestReadableSchemaVersion() == 2);  // v3 only dropped an unread index
  // Roll the file back to version 2: what the ksearch before v3 wrote.
  REQUIRE(RawExec(path, "CREATE INDEX events_by_kind ON events(kind, seq); "
                        "DROP TRIGGER schema_migrations_no_delete; "
                        "DELETE FROM schema_migrations WHERE version > 2").empty());
  {
    auto reader = ExperimentLog::Open(path, {.read_only = true});
    REQUIRE(reader.ok());
    auto dead = (*reader)->QueryDeadEnds({});
    REQUIRE(dead.ok());
    REQUIRE(dead->size() == 1);
    CHECK(dead->at(0).count == 3);
    auto verified = (*reader)->Verify();
    REQUIRE(verified.ok());
    CHECK(verified->ok);
  }
  // The read-only open migrated nothing.
  CHECK(RawCount(path, "SELECT max(version) FROM schema_migrations") == 2);
  CHECK(RawCount(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_kind'") == 1);

  SECTION("version 1 (no dead-end counters) is refused, naming what this build reads") {
    REQUIRE(RawExec(path, "DROP TABLE dead_end_counts; DROP INDEX outcomes_dead_ends_by_time; "
                          "DELETE FROM schema_migrations WHERE version > 1").empty());
    auto old = ExperimentLog::Open(path, {.read_only = true});
    REQUIRE_FALSE(old.ok());
    CHECK(old.status().message().find("schema version 1, this ksearch reads versions 2 to 3") != std::string::npos);
    CHECK(old.status().message().find("read-write once to migrate") != std::string::npos);
  }
  SECTION("a newer file is refused as newer, not told to migrate") {
    REQUIRE(RawExec(path, "INSERT INTO schema_migrations VALUES (999, 0, 'future')").empty());
    auto newer = ExperimentLog::Open(path, {.read_only = true});
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.status().message().find("schema version 999 is newer than this ksearch reads") != std::string::npos);
  }
}

TEST_CASE("append assigns gapless seqs and a verifiable hash chain", "[experiment_log]") {
  TempDir dir;
  auto log = OpenOrDie(dir.File("k.db"));
  std::vector<Event> batch{CampaignStarted("c1", "gemm", "sm_90", {"tiling"})};
  REQUIRE(log->Append(batch).ok());
  auto attempt = AttemptEvents("c1", {.attempt = "a1", .parent = "seed", .axis = "tiling",
                                      .verdict = "improved", .candidate = "k1", .time_us = 80,
                                      .speedup = 1.25});
  REQUIRE(log->Append(attempt).ok());

  CHECK(batch[0].seq == 1);
  CHECK(batch[0].prev_hash == kGenesisHash);
  CHECK(batch[0].time_ms > 0);
  for (size_t i = 0; i < attempt.size(); ++i) CHECK(attempt[i].seq == static_cast<int64_t>(i) + 2);
  CHECK(attempt[0].prev_hash == batch[0].hash);
  CHECK(attempt[1].prev_hash == attempt[0].hash);
  CHECK(attempt.back().hash == EventContentHash(attempt.back()));

  auto read = log->ReadEvents();
  REQUIRE(read.ok());
  REQUIRE(read->size() == 5);
  CHECK((*read)[4].payload == attempt.back().payload);
  CHECK((*read)[4].hash == attempt.back().hash);
  // Read-back events hash to their stored hash (canonical payload is stable).
  for (const Event& e : *read) CHECK(EventContentHash(e) == e.hash);
  CHECK(*log->LastSeq() == 5);

  EventFilter f;
  f.kind = "attempt_stage";
  CHECK(log->ReadEvents(f)->size() == 2);
  f = {};
  f.after_seq = 3;
  f.limit = 1;
  auto one = log->ReadEvents(f);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].seq == 4);

  auto report = log->Verify();
  REQUIRE(report.ok());
  CHECK(report->ok);
  CHECK(report->events_checked == 5);
}

TEST_CASE("an invalid batch is refused whole and leaves the events untouched", "[experiment_log]") {
  TempDir dir;
  auto log = OpenOrDie(dir.File("k.db"));
  Populate(*log);
  int64_t before = *log->LastSeq();
  auto batch = AttemptEvents("c1", {.attempt = "a9", .parent = "seed", .axis = "x", .verdict = "crash"});
  batch[1].campaign_id = "";
  Status s = log->Append(batch);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("campaign_id") != std::string::npos);
  CHECK(*log->LastSeq() == before);
  CHECK(batch[0].seq == 0);

  SECTION("a second campaign_started for one campaign rolls back its whole batch") {
    std::vector<Event> dup{AttemptEvents("c1", {.attempt = "a10", .parent = "seed", .axis = "x"})[0],
                           CampaignStarted("c1", "gemm", "sm_90", {})};
    Status d = log->Append(dup);
    CHECK(d.code() == Status::Code::kFailedPrecondition);
    CHECK(d.message().find("already started") != std::string::npos);
    CHECK(*log->LastSeq() == before);
    CHECK(dup[0].seq == 0);
    CHECK(dup[0].hash.empty());
  }
}

TEST_CASE("direct UPDATE and DELETE through SQLite are refused", "[experiment_log]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  {
    auto log = OpenOrDie(path);
    Populate(*log);
    REQUIRE(log->PutBlob("some source").ok());
  }
  std::string before = std::to_string(RawCount(path, "SELECT count(*) FROM events"));
  std::string err = RawExec(path, "UPDATE events SET payload = '{}' WHERE seq = 2");
  CHECK(err.find("append-only") != std::string::npos);
  CHECK(RawExec(path, "DELETE FROM events WHERE seq = 2").find("append-only") != std::string::npos);
  CHECK(RawExec(path, "UPDATE blobs SET size = 0").find("append-only") != std::string::npos);
  CHECK(RawExec(path, "DELETE FROM blobs").find("append-only") != std::string::npos);
  CHECK(RawExec(path, "UPDATE attempt_outcomes SET verdict = 'improved'").find("append-only") !=
        std::string::npos);
  CHECK(RawExec(path, "DELETE FROM schema_migrations").find("append-only") != std::string::npos);
  CHECK(std::to_string(RawCount(path, "SELECT count(*) FROM events")) == before);
  CHECK(OpenOrDie(path)->Verify()->ok);
}

TEST_CASE("verify names the first tampered row", "[experiment_log][fault]") {
  TempDir dir;
  const std::string path = PopulatedFile(dir);
  SECTION("payload changed") {
    REQUIRE(RawExec(path, "DROP TRIGGER events_no_update").empty());
    REQUIRE(RawExec(path, "UPDATE events SET payload = json_set(payload, '$.ok', json('false')) "
                          "WHERE seq = 7").empty());
    auto r = OpenOrDie(path)->Verify();
    REQUIRE(r.ok());
    CHECK_FALSE(r->ok);
    CHECK(r->first_bad_seq == 7);
    CHECK(r->problem.find("hash") != std::string::npos);
    CHECK(r->events_checked == 6);
  }
  SECTION("row deleted") {
    REQUIRE(RawExec(path, "DROP TRIGGER events_no_delete").empty());
    REQUIRE(RawExec(path, "DELETE FROM events WHERE seq = 9").empty());
    auto r = OpenOrDie(path)->Verify();
    CHECK_FALSE(r->ok);
    CHECK(r->first_bad_seq == 10);
    CHECK(r->problem.find("missing") != std::string::npos);
  }
  SECTION("derived outcome row changed") {
    REQUIRE(RawExec(path, "DROP TRIGGER attempt_outcomes_no_update").empty());
    REQUIRE(RawExec(path, "UPDATE attempt_outcomes SET verdict = 'improved' WHERE attempt_id = 'a2'").empty());
    auto r = OpenOrDie(path)->Verify();
    CHECK_FALSE(r->ok);
    CHECK(r->first_bad_seq == 9);  // a2's attempt_finished
    CHECK(r->problem.find("attempt_outcomes") != std::string::npos);
  }
  SECTION("dead-end counter changed") {
    REQUIRE(RawExec(path, "UPDATE dead_end_counts SET count = count + 1").empty());
    auto r = OpenOrDie(path)->Verify();
    CHECK_FALSE(r->ok);
    CHECK(r->first_bad_seq == 5);  // the group's first attempt_finished (a1)
    CHECK(r->problem.find("dead_end_counts") != std::string::npos);
  }
}

TEST_CASE("verify checks the blobs events name and that each blob hashes to its name", "[experiment_log][fault]") {
  // The chain covers blob names only: before 2026-11-25 a blob edited or
  // deleted behind the triggers' back passed `ksearch log verify`.
  TempDir dir;
  const std::string path = dir.File("k.db");
  const std::string source = "__global__ void k() {}", evidence = R"({"validation":[]})", part = "## Task\n",
                    stage_log = "ptxas info", orphan = "stored by PutBlob, named by no event";
  const std::string h_source = ExperimentLog::BlobHash(source), h_part = ExperimentLog::BlobHash(part),
                    h_stage = ExperimentLog::BlobHash(stage_log), h_orphan = ExperimentLog::BlobHash(orphan);
  {
    auto log = OpenOrDie(path);
    Populate(*log);  // seqs 1-13, no blobs
    auto batch = AttemptEvents("c1", {.attempt = "a9", .parent = "seed", .axis = "x", .verdict = "crash"});
    batch[1].payload["detail"] = {{"log_blob", h_stage}};  // nested, as attempt_stage payloads carry theirs
    batch.back().payload["source_blob"] = h_source;        // seq 17
    batch.back().payload["evidence_blob"] = ExperimentLog::BlobHash(evidence);
    batch.back().payload["repair_source_blob"] = "";  // "" names no blob
    std::vector<Event> call{AttemptEvents("c1", {.attempt = "a9"})[0]};
    call[0].kind = "llm_call";
    call[0].payload = {{"prompt_parts", {h_part, h_source}}};
    REQUIRE(log->Append(batch, {ExperimentLog::Blob::Of(source), ExperimentLog::Blob::Of(evidence),
                                ExperimentLog::Blob::Of(stage_log)}).ok());
    REQUIRE(log->Append(call, {ExperimentLog::Blob::Of(part)}).ok());  // seq 18
    REQUIRE(log->PutBlob(orphan).ok());
    auto intact = log->Verify();
    REQUIRE(intact.ok());
    CHECK(intact->ok);
    CHECK(intact->blobs_checked == 5);
    CHECK(intact->events_checked == 18);
  }
  auto verify = [&] {
    auto r = OpenOrDie(path, {.read_only = true})->Verify();
    REQUIRE(r.ok());
    CHECK_FALSE(r->ok);
    CHECK(r->events_checked == 18);  // the chain itself is intact
    return *r;
  };
  // Edits blob `hash` behind the append-only trigger: "SET <assignments>".
  auto update_blob = [&](const std::string& hash, const std::string& assignments) {
    REQUIRE(RawExec(path, "DROP TRIGGER blobs_no_update").empty());
    REQUIRE(RawExec(path, "UPDATE blobs SET " + assignments + " WHERE sha256 = '" + hash + "'").empty());
  };
  SECTION("a named blob whose content was edited") {
    update_blob(h_source, "content = CAST('__global__ void k() {return;}' AS BLOB), size = 29");
    VerifyReport r = verify();
    CHECK(r.bad_blob == h_source);
    CHECK(r.first_bad_seq == 17);  // the first event naming it, not the llm_call
    CHECK(r.problem.find("does not hash to its name") != std::string::npos);
  }
  SECTION("a blob whose recorded size is wrong") {
    update_blob(h_stage, "size = 3");
    VerifyReport r = verify();
    CHECK(r.bad_blob == h_stage);
    CHECK(r.first_bad_seq == 15);
    CHECK(r.problem.find("size 3 recorded") != std::string::npos);
  }
  SECTION("a named blob deleted, as a *_blob member or a prompt part") {
    REQUIRE(RawExec(path, "DROP TRIGGER blobs_no_delete").empty());
    REQUIRE(RawExec(path, "DELETE FROM blobs WHERE sha256 = '" + h_part + "'").empty());
    VerifyReport r = verify();
    CHECK(r.bad_blob == h_part);
    CHECK(r.first_bad_seq == 18);
    CHECK(r.problem == "blob " + h_part + " is missing (named by prompt_parts)");
    REQUIRE(RawExec(path, "DELETE FROM blobs WHERE sha256 = '" + h_stage + "'").empty());
    r = verify();
    CHECK(r.first_bad_seq == 15);
    CHECK(r.problem == "blob " + h_stage + " is missing (named by log_blob)");
  }
  SECTION("a blob no event names, edited") {
    update_blob(h_orphan, "content = CAST('x' AS BLOB), size = 1");
    VerifyReport r = verify();
    CHECK(r.bad_blob == h_orphan);
    CHECK(r.first_bad_seq == 0);
  }
}

TEST_CASE("blobs are content-addressed and stored once", "[experiment_log]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  auto log = OpenOrDie(path);
  std::string big(100000, 'x');
  auto h1 = log->PutBlob(big);
  auto h2 = log->PutBlob(big);
  REQUIRE(h1.ok());
  CHECK(*h1 == *h2);
  CHECK(h1->size() == 64);
  CHECK(*log->GetBlob(*h1) == big);
  CHECK(log->GetBlob(std::string(64, '0')).status().IsNotFound());
  CHECK(RawCount(path, "SELECT count(*) FROM blobs") == 1);
}

TEST_CASE("blobs appended with a batch commit with it or not at all", "[experiment_log]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  auto log = OpenOrDie(path);
  Populate(*log);
  const int64_t before = *log->LastSeq();
  const std::string evidence = R"({"validation":[]})", source = "__global__ void k() {}";
  const std::string h_evidence = ExperimentLog::BlobHash(evidence);

  SECTION("a committed batch stores its blobs under the names PutBlob gives them") {
    auto batch = AttemptEvents("c1", {.attempt = "a9", .parent = "seed", .axis = "x", .verdict = "crash"});
    batch.back().payload["evidence_blob"] = h_evidence;
    REQUIRE(log->Append(batch, {ExperimentLog::Blob::Of(evidence), ExperimentLog::Blob::Of(source),
                                ExperimentLog::Blob::Of(evidence)}).ok());
    CHECK(*log->LastSeq() == before + static_cast<int64_t>(batch.size()));
    CHECK(*log->GetBlob(h_evidence) == evidence);
    CHECK(*log->GetBlob(ExperimentLog::BlobHash(source)) == source);
    CHECK(*log->PutBlob(source) == ExperimentLog::BlobHash(source));  // stored once
    CHECK(RawCount(path, "SELECT count(*) FROM blobs") == 2);
    CHECK(log->Verify()->ok);
  }
  SECTION("a batch the log refuses leaves none of its blobs behind") {
    std::vector<Event> dup{AttemptEvents("c1", {.attempt = "a10", .parent = "seed", .axis = "x"})[0],
                           CampaignStarted("c1", "gemm", "sm_90", {})};
    Status d = log->Append(dup, {ExperimentLog::Blob::Of(evidence)});
    CHECK(d.code() == Status::Code::kFailedPrecondition);
    CHECK(*log->LastSeq() == before);
    CHECK(log->GetBlob(h_evidence).status().IsNotFound());
    CHECK(RawCount(path, "SELECT count(*) FROM blobs") == 0);
    // Nor is it taken for stored by the next batch that carries it.
    std::vector<Event> ok{CampaignStarted("c9", "gemm", "sm_90", {})};
    REQUIRE(log->Append(ok, {ExperimentLog::Blob::Of(evidence)}).ok());
    CHECK(*log->GetBlob(h_evidence) == evidence);
  }
}

TEST_CASE("an llm_call's prompt reads back from its parts, or from one blob in older logs", "[experiment_log]") {
  TempDir dir;
  auto log = OpenOrDie(dir.File("k.db"));
  const std::vector<std::string> parts = {"{\"messages\": [{\"content\": \"# Task\\n", "## Task contract\\nrows\\n",
                                          "## Current source\\n\"}]}"};
  std::vector<ExperimentLog::Blob> blobs;
  nlohmann::json payload{{"prompt_parts", nlohmann::json::array()}};
  for (const auto& p : parts) {
    blobs.push_back(ExperimentLog::Blob::Of(p));
    payload["prompt_parts"].push_back(blobs.back().sha256);
  }
  payload["prompt_parts"].push_back(blobs[1].sha256);  // a part may repeat
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {})};
  REQUIRE(log->Append(b, blobs).ok());
  CHECK(*LlmCallPrompt(*log, payload) == parts[0] + parts[1] + parts[2] + parts[1]);
  const std::string whole = parts[0] + parts[2];
  CHECK(*LlmCallPrompt(*log, {{"prompt_blob", *log->PutBlob(whole)}}) == whole);
  CHECK(LlmCallPrompt(*log, {{"reply_blob", "x"}}).status().IsNotFound());
  payload["prompt_parts"].push_back(std::string(64, 'f'));  // not stored
  CHECK(LlmCallPrompt(*log, payload).status().IsNotFound());
  CHECK(LlmCallPrompt(*log, {{"prompt_parts", {1}}}).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("campaigns are listed with their event counts", "[experiment_log]") {
  TempDir dir;
  auto log = OpenOrDie(dir.File("k.db"));
  Populate(*log);
  std::vector<Event> b{CampaignStarted("c2", "softmax", "gfx942", {})};
  REQUIRE(log->Append(b).ok());
  auto list = log->ListCampaigns();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].campaign_id == "c1");
  CHECK((*list)[0].task == "gemm");
  CHECK((*list)[0].events == 13);
  CHECK((*list)[1].events == 1);
}

TEST_CASE("a reader sees whole batches while a writer appends", "[experiment_log][concurrency]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  auto writer = OpenOrDie(path);
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {"tiling"})};
  REQUIRE(writer->Append(b).ok());
  constexpr int kAttempts = 150;
  std::atomic<bool> done{false};
  std::thread t([&] {
    for (int i = 0; i < kAttempts; ++i) {
      auto ev = AttemptEvents("c1", {.attempt = Numbered("a", i), .parent = "seed",
                                     .axis = "tiling", .verdict = "slower", .candidate = "k"});
      REQUIRE(writer->Append(ev).ok());
    }
    done = true;
  });
  auto reader = OpenOrDie(path, {.read_only = true});
  int reads = 0;
  int64_t last_seen = 0;
  while (!done || reads < 3) {
    auto events = reader->ReadEvents();
    REQUIRE(events.ok());
    // Each attempt is 4 events; a snapshot holds whole attempts only.
    CHECK((events->size() - 1) % 4 == 0);
    CHECK(static_cast<int64_t>(events->size()) >= last_seen);
    last_seen = static_cast<int64_t>(events->size());
    for (size_t i = 0; i < events->size(); ++i) REQUIRE((*events)[i].seq == static_cast<int64_t>(i) + 1);
    ++reads;
  }
  t.join();
  CHECK(*reader->LastSeq() == 1 + 4 * kAttempts);
  CHECK(reader->Verify()->ok);
}

TEST_CASE("the dead-ends fast path equals the pure view", "[experiment_log][views]") {
  TempDir dir;
  auto log = OpenOrDie(dir.File("k.db"));
  std::mt19937 rng(42);
  const char* verdicts[] = {"compile_error{ptxas}", "incorrect{mismatch}", "incorrect{nan}", "slower",
                            "no_gain", "improved", "crash", "duplicate{source}", "infra_error"};
  const char* axes[] = {"tiling", "vectorize", "unroll"};
  std::vector<Event> all;
  int n = 0;
  for (const auto& [c, task, arch] : {std::tuple{"c1", "gemm", "sm_90"}, {"c2", "gemm", "gfx942"},
                                       {"c3", "softmax", "sm_90"}}) {
    std::vector<Event> b{CampaignStarted(c, task, arch, {})};
    REQUIRE(log->Append(b).ok());
    for (int i = 0; i < 60; ++i, ++n) {
      auto ev = AttemptEvents(c, {.attempt = Numbered("a", n), .parent = "seed",
                                  .axis = axes[rng() % 3], .verdict = verdicts[rng() % 9],
                                  .detail = Numbered("line1 ", n) + "\nline2\nline3\nline4",
                                  .stages = 0, .time_ms = 1000 + n});
      REQUIRE(log->Append(ev).ok());
    }
  }
  auto events = log->ReadEvents();
  REQUIRE(events.ok());
  Memory memory = BuildMemory(*events);
  REQUIRE(memory.dead_ends.size() > 10);
  std::vector<DeadEndFilter> filters = {{}, {.task = "gemm"}, {.arch = "sm_90"},
                                        {.axis = "unroll"}, {.failure_class = "incorrect"},
                                        {.failure_class = "compile_error{ptxas}"},
                                        {.task = "gemm", .arch = "gfx942", .axis = "tiling"}};
  for (const auto& f : filters) {
    auto fast = log->QueryDeadEnds(f);
    REQUIRE(fast.ok());
    auto slow = FilterDeadEnds(memory.dead_ends, f);
    REQUIRE(fast->size() == slow.size());
    for (size_t i = 0; i < slow.size(); ++i) CHECK(ToJson((*fast)[i]) == ToJson(slow[i]));
  }
  // since: counts only events at or after the time, as if older events did not
  // exist; checked on both query paths (recent window, counters + straddling groups).
  auto* sql_log = dynamic_cast<SqliteExperimentLog*>(log.get());
  REQUIRE(sql_log != nullptr);
  for (int64_t window_rows : {int64_t{20000}, int64_t{0}}) {
    sql_log->TEST_SetRecentWindowRows(window_rows);
    for (int64_t since_ms : {int64_t{1}, int64_t{1000}, int64_t{1050}, int64_t{1100}, int64_t{1179},
                             int64_t{5000}}) {
      INFO("window_rows " << window_rows << " since " << since_ms);
      std::vector<Event> recent;
      for (const auto& e : *events)
        if (e.kind == "campaign_started" || e.time_ms >= since_ms) recent.push_back(e);
      for (DeadEndFilter f : {DeadEndFilter{}, DeadEndFilter{.axis = "tiling"},
                              DeadEndFilter{.failure_class = "incorrect"}}) {
        f.since_ms = since_ms;
        auto fast = log->QueryDeadEnds(f);
        REQUIRE(fast.ok());
        auto slow = FilterDeadEnds(BuildMemory(recent).dead_ends, f);
        REQUIRE(fast->size() == slow.size());
        for (size_t i = 0; i < slow.size(); ++i) CHECK(ToJson((*fast)[i]) == ToJson(slow[i]));
      }
    }
  }
}

}  // namespace
}  // namespace ksearch::experiment_log
