// Faults: disk full, corrupt file, read-only file and directory. Each gives a
// Status naming the database file and the cause; no event is half-written or lost.
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch.hpp>
#include <filesystem>
#include <fstream>

#include "ksearch/experiment_log/experiment_log.h"
#include "sqlite_experiment_log.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::CampaignStarted;
using testing::TempDir;

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A new log at `path` holding campaign c1 (and `blobs`), capped a few pages
// above its size: SQLITE_FULL follows soon.
Result<std::unique_ptr<SqliteExperimentLog>> OpenNearlyFull(const std::string& path,
                                                            const std::vector<ExperimentLog::Blob>& blobs = {}) {
  auto log = SqliteExperimentLog::OpenFile(path, {});
  REQUIRE(log.ok());
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {})};
  REQUIRE((*log)->Append(b, blobs).ok());
  REQUIRE((*log)->TEST_Exec("PRAGMA max_page_count = 40").ok());
  return log;
}

TEST_CASE("a full disk fails the batch whole, names the file, and loses nothing committed",
          "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  auto log = OpenNearlyFull(path);
  std::string detail(3000, 'e');
  int committed_attempts = 0;
  Status failure;
  for (int i = 0; i < 1000 && failure.ok(); ++i) {
    auto ev = AttemptEvents("c1", {.attempt = "a" + std::to_string(i), .parent = "seed",
                                   .axis = "tiling", .verdict = "compile_error", .detail = detail});
    failure = (*log)->Append(ev);
    if (failure.ok()) {
      ++committed_attempts;
    } else {
      CHECK(ev[0].seq == 0);  // the failed batch got no seqs
    }
  }
  REQUIRE_FALSE(failure.ok());
  CHECK(Contains(failure.message(), path));
  CHECK(Contains(failure.message(), "disk full"));
  REQUIRE(committed_attempts > 0);
  CHECK(*(*log)->LastSeq() == 1 + 4 * committed_attempts);
  CHECK((*log)->Verify()->ok);
  log->reset();

  // Reopened without the cap, the log continues the chain.
  auto again = ExperimentLog::Open(path);
  REQUIRE(again.ok());
  auto ev = AttemptEvents("c1", {.attempt = "after", .parent = "seed", .axis = "x", .verdict = "crash"});
  REQUIRE((*again)->Append(ev).ok());
  CHECK(ev[0].seq == 2 + 4 * committed_attempts);
  CHECK((*again)->Verify()->ok);
}

TEST_CASE("a blob of a batch that failed is stored by the next batch that carries it",
          "[experiment_log][fault]") {
  // Append skips the INSERT of blobs it knows committed; a blob whose batch
  // rolled back must not count as known.
  TempDir dir;
  std::string path = dir.File("k.db");
  const auto known = ExperimentLog::Blob::Of("a source committed once");
  auto log = OpenNearlyFull(path, {known});
  Status failure;
  std::vector<ExperimentLog::Blob> lost;
  for (int i = 0; i < 1000 && failure.ok(); ++i) {
    auto ev = AttemptEvents("c1", {.attempt = "a" + std::to_string(i), .parent = "seed", .axis = "tiling",
                                   .verdict = "compile_error"});
    lost = {known, ExperimentLog::Blob::Of(std::string(2000, 'p') + std::to_string(i))};
    failure = (*log)->Append(ev, lost);
  }
  REQUIRE_FALSE(failure.ok());
  CHECK_FALSE((*log)->GetBlob(lost[1].sha256).ok());  // rolled back with its batch
  REQUIRE((*log)->TEST_Exec("PRAGMA max_page_count = 100000").ok());
  std::vector<Event> retry{CampaignStarted("c2", "gemm", "sm_90", {})};
  REQUIRE((*log)->Append(retry, lost).ok());
  auto stored = (*log)->GetBlob(lost[1].sha256);
  REQUIRE(stored.ok());
  CHECK(*stored == lost[1].content);
  CHECK(*(*log)->GetBlob(known.sha256) == known.content);
  // A fresh connection reads both: they are in the file, not only known.
  log->reset();
  auto again = ExperimentLog::Open(path, {.read_only = true});
  REQUIRE(again.ok());
  CHECK(*(*again)->GetBlob(lost[1].sha256) == lost[1].content);
  CHECK(*(*again)->GetBlob(known.sha256) == known.content);
}

TEST_CASE("a corrupt file is reported as corrupt with its path", "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  {
    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {})};
    REQUIRE((*log)->Append(b).ok());
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string garbage(100, '\x5a');
    f.write(garbage.data(), garbage.size());
  }
  for (bool read_only : {false, true}) {
    auto log = ExperimentLog::Open(path, {.read_only = read_only});
    REQUIRE_FALSE(log.ok());
    CHECK(log.status().IsCorruption());
    CHECK(Contains(log.status().message(), path));
    CHECK(Contains(log.status().message(), "not an SQLite database"));
  }
}

TEST_CASE("garbage inside the file is reported by verify or as corruption, never a crash",
          "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  {
    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {})};
    REQUIRE((*log)->Append(b).ok());
    for (int i = 0; i < 200; ++i) {
      auto ev = AttemptEvents("c1", {.attempt = "a" + std::to_string(i), .parent = "seed", .axis = "x",
                                     .verdict = "crash", .detail = std::string(200, 'z')});
      REQUIRE((*log)->Append(ev).ok());
    }
  }
  auto size = std::filesystem::file_size(path);
  REQUIRE(size > 64 * 1024);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    std::string garbage(8192, '\x5a');
    f.write(garbage.data(), garbage.size());
  }
  auto log = ExperimentLog::Open(path);
  if (!log.ok()) {
    CHECK(Contains(log.status().message(), path));
    return;
  }
  auto report = (*log)->Verify();
  if (report.ok()) {
    CHECK_FALSE(report->ok);
    CHECK(report->first_bad_seq > 0);
  } else {
    CHECK(report.status().IsCorruption());
    CHECK(Contains(report.status().message(), path));
  }
}

TEST_CASE("an SQLite file that is not a ksearch log is refused for reading", "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("other.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto log = ExperimentLog::Open(path, {.read_only = true});
  REQUIRE_FALSE(log.ok());
  CHECK(Contains(log.status().message(), path));
  CHECK(Contains(log.status().message(), "not a ksearch experiment log"));
  CHECK(ExperimentLog::Open(dir.File("missing.db"), {.read_only = true}).status().IsNotFound());
}

TEST_CASE("appending through a read-only connection fails with the path", "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  REQUIRE(ExperimentLog::Open(path).ok());
  auto log = ExperimentLog::Open(path, {.read_only = true});
  REQUIRE(log.ok());
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {})};
  Status s = (*log)->Append(b);
  REQUIRE_FALSE(s.ok());
  CHECK(Contains(s.message(), path));
  CHECK(Contains(s.message(), "read-only"));
  CHECK(*(*log)->LastSeq() == 0);
}

// Runs `body` in a child process as an unprivileged user (root ignores file
// permissions); returns the child's exit status.
template <typename Fn>
int AsUnprivilegedChild(Fn body) {
  struct passwd* nobody = getpwnam("nobody");
  if (!nobody) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0)) _exit(90);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST_CASE("a read-only file or directory gives a clear error, not a crash", "[experiment_log][fault]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  REQUIRE(ExperimentLog::Open(path).ok());
  // Directory and file readable but not writable by others.
  REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  int rc = AsUnprivilegedChild([&] {
    auto log = ExperimentLog::Open(path);
    if (log.ok()) return 10;
    const std::string& m = log.status().message();
    if (!Contains(m, path)) return 11;
    if (!Contains(m, "read-only") && !Contains(m, "cannot open")) return 12;
    auto fresh = ExperimentLog::Open(dir.File("new.db"));
    if (fresh.ok()) return 13;
    if (!Contains(fresh.status().message(), dir.File("new.db"))) return 14;
    if (!Contains(fresh.status().message(), "cannot open")) return 15;
    return 0;
  });
  CHECK(rc == 0);
}

}  // namespace
}  // namespace ksearch::experiment_log
