// SIGKILL crash test: a child process appends attempt batches in a loop; the
// parent kills it at a random moment, reopens the log and checks that the chain
// verifies and every attempt is whole (attempt_started .. attempt_finished) or absent.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch.hpp>
#include <map>
#include <random>

#include "ksearch/experiment_log/experiment_log.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::CampaignStarted;
using testing::TempDir;

constexpr int kStages = 6;  // events per attempt = kStages + 2

[[noreturn]] void AppendForever(const std::string& path, int round) {
  auto log = ExperimentLog::Open(path);
  if (!log.ok()) _exit(3);
  std::string detail(4000, 'd');
  for (int i = 0;; ++i) {
    auto ev = AttemptEvents("c1", {.attempt = "r" + std::to_string(round) + "-" + std::to_string(i),
                                   .parent = "seed", .axis = "tiling", .verdict = "compile_error",
                                   .detail = detail, .stages = kStages});
    if (!(*log)->Append(ev).ok()) _exit(4);
  }
}

TEST_CASE("SIGKILL in the middle of appends leaves whole attempts and a valid chain",
          "[experiment_log][fault][crash]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  {
    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {"tiling"})};
    REQUIRE((*log)->Append(b).ok());
  }
  std::mt19937 rng(std::random_device{}());
  int64_t last_total = 1;
  for (int round = 0; round < 5; ++round) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) AppendForever(path, round);
    // Wait until the child has committed at least one batch (the machine may be
    // loaded), then let it run a random while longer and kill it.
    {
      auto reader = ExperimentLog::Open(path, {.read_only = true});
      REQUIRE(reader.ok());
      for (int waited_ms = 0; *(*reader)->LastSeq() <= last_total; waited_ms += 5) {
        if (waited_ms > 120000) kill(pid, SIGKILL);
        REQUIRE(waited_ms <= 120000);
        usleep(5000);
      }
    }
    usleep(rng() % 200000);
    REQUIRE(kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));  // it was still appending, not failed early
    CHECK(WTERMSIG(status) == SIGKILL);

    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    auto report = (*log)->Verify();
    REQUIRE(report.ok());
    CHECK(report->ok);
    auto events = (*log)->ReadEvents();
    REQUIRE(events.ok());
    std::map<std::string, std::vector<std::string>> kinds;
    for (const auto& e : *events)
      if (!e.attempt_id.empty()) kinds[e.attempt_id].push_back(e.kind);
    for (const auto& [attempt, k] : kinds) {
      INFO("attempt " << attempt);
      REQUIRE(k.size() == kStages + 2);
      CHECK(k.front() == "attempt_started");
      CHECK(k.back() == "attempt_finished");
    }
    CHECK(static_cast<int64_t>(events->size()) > last_total);  // the child made progress
    last_total = static_cast<int64_t>(events->size());
    // The log stays writable after the crash.
    auto ev = AttemptEvents("c1", {.attempt = "parent-" + std::to_string(round), .parent = "seed",
                                   .axis = "tiling", .verdict = "crash", .stages = kStages});
    REQUIRE((*log)->Append(ev).ok());
    last_total += kStages + 2;
  }
}

TEST_CASE("writers in several processes interleave whole batches on one chain",
          "[experiment_log][concurrency]") {
  TempDir dir;
  std::string path = dir.File("k.db");
  {
    auto log = ExperimentLog::Open(path);
    REQUIRE(log.ok());
    std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {"tiling"})};
    REQUIRE((*log)->Append(b).ok());
  }
  constexpr int kWriters = 3, kAttempts = 40;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      auto log = ExperimentLog::Open(path);
      if (!log.ok()) _exit(3);
      for (int i = 0; i < kAttempts; ++i) {
        auto ev = AttemptEvents("c1", {.attempt = "w" + std::to_string(w) + "-" + std::to_string(i),
                                       .parent = "seed", .axis = "tiling", .verdict = "slower",
                                       .candidate = "k", .stages = kStages});
        if (!(*log)->Append(ev).ok()) _exit(4);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  auto log = ExperimentLog::Open(path);
  REQUIRE(log.ok());
  CHECK(*(*log)->LastSeq() == 1 + kWriters * kAttempts * (kStages + 2));
  CHECK((*log)->Verify()->ok);
  // Each batch is contiguous in seq order: attempt ids change only at batch boundaries.
  auto events = (*log)->ReadEvents();
  for (size_t i = 1; i + 1 < events->size(); i += kStages + 2) {
    for (int k = 1; k < kStages + 2; ++k) REQUIRE((*events)[i + k].attempt_id == (*events)[i].attempt_id);
  }
}

}  // namespace
}  // namespace ksearch::experiment_log
