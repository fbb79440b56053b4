// The log commands of the `ksearch` binary (daemon/src/cli/cmd_{log,export,deadends}.cc):
// exit codes 0 (ok), 1 (operation failed), 2 (usage), and their output.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ksearch/experiment_log/experiment_log.h"
#include "test_events.h"

namespace ksearch::experiment_log {
namespace {

using testing::AttemptEvents;
using testing::CampaignStarted;
using testing::TempDir;

std::string KsearchBinary() {
  if (const char* d = std::getenv("KSEARCH_BIN_DIR"); d && *d) return std::string(d) + "/ksearch";
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "ksearch").string();
}

struct Run {
  int code;
  std::string out;
};

// Runs `ksearch ARGS` with stdout captured and stderr appended to it.
Run Ksearch(const std::string& args) {
  std::string cmd = KsearchBinary() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string MakeLog(const TempDir& dir) {
  std::string path = dir.File("k.db");
  auto log = ExperimentLog::Open(path);
  REQUIRE(log.ok());
  std::vector<Event> b{CampaignStarted("c1", "gemm", "sm_90", {"tiling", "unroll"}, "s0"),
                       CampaignStarted("c2", "softmax", "gfx942", {"unroll"}, "t0")};
  REQUIRE((*log)->Append(b).ok());
  int n = 0;
  for (const auto& [c, parent, axis, verdict] :
       {std::tuple{"c1", "s0", "tiling", "compile_error{ptxas}"}, {"c1", "s0", "tiling", "compile_error{ptxas}"},
        {"c1", "s0", "unroll", "improved"}, {"c2", "t0", "unroll", "incorrect{mismatch}"}}) {
    auto ev = AttemptEvents(c, {.attempt = "a" + std::to_string(++n), .parent = parent, .axis = axis,
                                .verdict = verdict, .candidate = "k" + std::to_string(n),
                                .detail = std::string(verdict) + " detail\nsecond"});
    REQUIRE((*log)->Append(ev).ok());
  }
  return path;
}

TEST_CASE("ksearch log verify exits 0 on an intact chain and 1 on a tampered one", "[experiment_log][cli]") {
  TempDir dir;
  std::string db = MakeLog(dir);
  Run ok = Ksearch("log verify --db " + db);
  CHECK(ok.code == 0);
  CHECK(ok.out.find("ok, 18 events") != std::string::npos);
  Run js = Ksearch("log verify --json --db " + db);
  REQUIRE(js.code == 0);
  CHECK(nlohmann::json::parse(js.out)["events_checked"] == 18);

  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "DROP TRIGGER events_no_update; UPDATE events SET time_ms = 5 WHERE seq = 11",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(raw);
  Run bad = Ksearch("log verify --db " + db);
  CHECK(bad.code == 1);
  CHECK(bad.out.find("FAILED at seq 11") != std::string::npos);

  CHECK(Ksearch("log verify --db " + dir.File("missing.db")).code == 1);
  CHECK(Ksearch("log verify --db " + db + " --bogus 1").code == 2);
}

TEST_CASE("ksearch deadends filters and prints a table or JSON", "[experiment_log][cli]") {
  TempDir dir;
  std::string db = MakeLog(dir);
  Run table = Ksearch("deadends --db " + db);
  REQUIRE(table.code == 0);
  CHECK(table.out.rfind("COUNT", 0) == 0);
  CHECK(table.out.find("compile_error{ptxas}") != std::string::npos);
  CHECK(table.out.find("improved") == std::string::npos);

  Run js = Ksearch("deadends --json --db " + db + " --arch sm_90");
  REQUIRE(js.code == 0);
  auto j = nlohmann::json::parse(js.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["count"] == 2);
  CHECK(j[0]["example_excerpt"] == "compile_error{ptxas} detail\nsecond");

  CHECK(nlohmann::json::parse(Ksearch("deadends --json --db " + db + " --class incorrect").out).size() == 1);
  CHECK(nlohmann::json::parse(Ksearch("deadends --json --db " + db + " --since 2001-01-01").out).size() == 2);
  CHECK(nlohmann::json::parse(Ksearch("deadends --json --db " + db + " --since 4102444800000").out).empty());
  Run bad_since = Ksearch("deadends --db " + db + " --since yesterday");
  CHECK(bad_since.code == 2);
  CHECK(bad_since.out.find("--since") != std::string::npos);
  CHECK(Ksearch("deadends --db " + dir.File("missing.db")).code == 1);
}

TEST_CASE("ksearch export writes the three files", "[experiment_log][cli][export]") {
  TempDir dir;
  std::string db = MakeLog(dir);
  std::string out = dir.File("out");
  Run r = Ksearch("export --db " + db + " --campaign c1 --out " + out);
  REQUIRE(r.code == 0);
  for (const char* f : {"history.jsonl", "memory.json", "frontier.csv"})
    CHECK(std::filesystem::exists(out + "/" + f));
  std::ifstream h(out + "/history.jsonl");
  int lines = 0;
  for (std::string line; std::getline(h, line);) ++lines;
  CHECK(lines == 3);
  CHECK(Ksearch("export --db " + db + " --campaign nope --out " + out).code == 1);
  CHECK(Ksearch("export --db " + db + " --out " + out).code == 2);
}

}  // namespace
}  // namespace ksearch::experiment_log
