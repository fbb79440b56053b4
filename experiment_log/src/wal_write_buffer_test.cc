// The "ksearch-walbuf" VFS (wal_write_buffer.h): a commit's WAL frames reach
// the file as a few writes, other connections see a commit once it returns,
// batches larger than the base VFS's largest write are stored whole, and a
// SIGKILL right after a commit returned loses nothing.
#include "wal_write_buffer.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch.hpp>
#include <filesystem>
#include <random>
#include <set>

#include "ksearch/experiment_log/experiment_log.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::CampaignStarted;
using testing::TempDir;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

// The number of events another connection (SQLite's default VFS) sees.
int64_t EventsSeenByPlainConnection(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

std::vector<Event> Attempt(int i) {
  return AttemptEvents("c1", {.attempt = "a" + std::to_string(i), .parent = "seed", .axis = "tiling",
                              .verdict = "compile_error", .detail = Bytes(300, i), .stages = 3,
                              .time_ms = 1000 + i});
}

std::vector<Event> Start() { return {CampaignStarted("c1", "gemm", "sm_90", {"tiling"})}; }

TEST_CASE("a commit's WAL frames reach the file as a few writes, seen by other connections at once",
          "[experiment_log][walbuf]") {
  TempDir dir;
  const std::string path = dir.File("w.db");
  auto log = ExperimentLog::Open(path);
  REQUIRE(log.ok());
  auto start = Start();
  REQUIRE((*log)->Append(start).ok());
  int64_t expected = 1;
  for (int i = 0; i < 20; ++i) {
    const WalBufferCounters before = WalBufferCountersNow();
    auto batch = Attempt(i);
    std::vector<ExperimentLog::Blob> blobs{ExperimentLog::Blob::Of(Bytes(40000, i))};
    REQUIRE((*log)->Append(batch, blobs).ok());
    const WalBufferCounters after = WalBufferCountersNow();
    // Ten or more pages, each asked as a header and a page; written as one piece.
    CHECK(after.wal_writes - before.wal_writes >= 20);
    CHECK(after.file_writes - before.file_writes == 1);
    expected += static_cast<int64_t>(batch.size());
    CHECK(EventsSeenByPlainConnection(path) == expected);
  }
}

TEST_CASE("the default VFS writes every frame itself (coalesce_wal_writes off)", "[experiment_log][walbuf]") {
  TempDir dir;
  auto log = ExperimentLog::Open(dir.File("p.db"), {.coalesce_wal_writes = false});
  REQUIRE(log.ok());
  const WalBufferCounters before = WalBufferCountersNow();
  auto start = Start();
  REQUIRE((*log)->Append(start).ok());
  auto batch = Attempt(0);
  REQUIRE((*log)->Append(batch).ok());
  const WalBufferCounters after = WalBufferCountersNow();
  CHECK(after.wal_writes == before.wal_writes);
  CHECK(after.file_writes == before.file_writes);
}

TEST_CASE("batches larger than one base write, across checkpoints, are stored whole", "[experiment_log][walbuf]") {
  TempDir dir;
  const std::string path = dir.File("big.db");
  std::vector<std::string> contents;
  {
    // A short checkpoint interval: the WAL restarts from its start several times.
    auto log = ExperimentLog::Open(path, {.wal_autocheckpoint_pages = 200});
    REQUIRE(log.ok());
    auto start = Start();
    REQUIRE((*log)->Append(start).ok());
    for (int i = 0; i < 12; ++i) {
      // 1.5 MB and 300 KB: past the buffer's 1 MiB and the base VFS's 128 KiB write.
      contents.push_back(Bytes(i % 2 == 0 ? 1500000 : 300000, 100 + i));
      auto batch = Attempt(i);
      std::vector<ExperimentLog::Blob> blobs{ExperimentLog::Blob::Of(contents.back()),
                                            ExperimentLog::Blob::Of(Bytes(131072, 200 + i))};
      const WalBufferCounters before = WalBufferCountersNow();
      REQUIRE((*log)->Append(batch, blobs).ok());
      CHECK(WalBufferCountersNow().file_writes - before.file_writes >= 2);
    }
  }
  auto log = ExperimentLog::Open(path);
  REQUIRE(log.ok());
  for (const std::string& c : contents) {
    auto got = (*log)->GetBlob(ExperimentLog::BlobHash(c));
    REQUIRE(got.ok());
    CHECK(*got == c);
  }
  auto report = (*log)->Verify();
  REQUIRE(report.ok());
  CHECK(report->ok);
  CHECK(EventsSeenByPlainConnection(path) == 1 + 12 * 5);
}

TEST_CASE("the same appends through either VFS give the same chain", "[experiment_log][walbuf]") {
  TempDir dir;
  std::vector<std::string> last_hash;
  std::vector<std::vector<std::string>> hashes;
  for (bool coalesce : {true, false}) {
    const std::string path = dir.File(coalesce ? "a.db" : "b.db");
    {
      auto log = ExperimentLog::Open(path, {.coalesce_wal_writes = coalesce});
      REQUIRE(log.ok());
      auto start = Start();
      start[0].time_ms = 999;
      REQUIRE((*log)->Append(start).ok());
      for (int i = 0; i < 30; ++i) {
        auto batch = Attempt(i);
        std::vector<ExperimentLog::Blob> blobs{ExperimentLog::Blob::Of(Bytes(5000 + 997 * i, i))};
        REQUIRE((*log)->Append(batch, blobs).ok());
      }
    }
    // Read back through a new connection, from the file (not the writer's page cache).
    auto log = ExperimentLog::Open(path, {.read_only = true});
    REQUIRE(log.ok());
    auto events = (*log)->ReadEvents();
    REQUIRE(events.ok());
    REQUIRE(events->size() == 1 + 30 * 5);
    last_hash.push_back(events->back().hash);
    hashes.emplace_back();
    for (const Event& e : *events) hashes.back().push_back(e.hash);
    for (int i = 0; i < 30; ++i) {
      auto blob = (*log)->GetBlob(ExperimentLog::BlobHash(Bytes(5000 + 997 * i, i)));
      CHECK(blob.ok());
    }
  }
  CHECK(last_hash[0] == last_hash[1]);
  CHECK(hashes[0] == hashes[1]);
}

// The child appends batches and, after each Append returned, reports its
// number through `fd`; it is killed (by the parent, or by itself at `stop`).
[[noreturn]] void AppendAndReport(const std::string& path, int fd, int stop) {
  auto log = ExperimentLog::Open(path);
  if (!log.ok()) _exit(3);
  for (int i = 0;; ++i) {
    auto batch = Attempt(i);
    std::vector<ExperimentLog::Blob> blobs{ExperimentLog::Blob::Of(Bytes(20000, 7000 + i))};
    if (!(*log)->Append(batch, blobs).ok()) _exit(4);
    if (i == stop) raise(SIGKILL);  // no close, no destructor: only what the file holds
    if (write(fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

TEST_CASE("a SIGKILL right after a commit returned loses nothing it recorded", "[experiment_log][walbuf][crash]") {
  TempDir dir;
  const std::string path = dir.File("k.db");
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 4; ++round) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    {
      auto log = ExperimentLog::Open(path);
      REQUIRE(log.ok());
      auto start = Start();
      REQUIRE((*log)->Append(start).ok());
    }
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    // Rounds 0-1: the child kills itself right after its 25th commit returns.
    // Rounds 2-3: the parent kills it after a random number of reported commits.
    const bool self = round < 2;
    const int parent_stop = 5 + static_cast<int>(rng() % 30);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      AppendAndReport(path, fds[1], self ? 24 : -1);
    }
    close(fds[1]);
    int reported = -1, got = 0;
    while (read(fds[0], &got, sizeof got) == sizeof got) {
      reported = got;
      if (!self && reported + 1 >= parent_stop) {
        REQUIRE(kill(pid, SIGKILL) == 0);
        break;
      }
    }
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    const int must_hold = self ? 25 : reported + 1;  // batches whose Append had returned

    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    auto report = (*log)->Verify();
    REQUIRE(report.ok());
    CHECK(report->ok);
    auto events = (*log)->ReadEvents();
    REQUIRE(events.ok());
    std::set<std::string> finished;
    for (const Event& e : *events)
      if (e.kind == "attempt_finished") finished.insert(e.attempt_id);
    for (int i = 0; i < must_hold; ++i) {
      INFO("round " << round << ", batch " << i << " of " << must_hold);
      CHECK(finished.count("a" + std::to_string(i)) == 1);
      auto blob = (*log)->GetBlob(ExperimentLog::BlobHash(Bytes(20000, 7000 + i)));
      CHECK(blob.ok());
    }
  }
}

}  // namespace
}  // namespace ksearch::experiment_log
