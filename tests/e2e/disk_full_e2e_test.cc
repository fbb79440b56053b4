// A real full disk under a running daemon: the experiment log lives on a small
// tmpfs that a filler file fills in the middle of a campaign, so SQLite's own
// ENOSPC path (through the log's WAL write buffer) is what the daemon meets,
// not an injected status. Mounting needs root (the CI box runs as root);
// elsewhere the test says why it did not run and checks nothing.
#include <catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>

#include "e2e_util.h"

using namespace ksearch;
using namespace ksearch::e2e;
using namespace std::chrono_literals;

namespace {

// Unmounts on every way out of the test, failed REQUIREs included.
struct TmpfsMount {
  std::string dir;
  bool mounted = false;
  std::string error;  // why the mount failed
  TmpfsMount(std::string d, const char* options) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
    mounted = mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options) == 0;
    if (!mounted) error = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted) umount2(dir.c_str(), MNT_DETACH);
  }
  // False, saying why, when the test cannot run here.
  bool Usable(const char* what) const {
    if (!mounted) WARN("not run: mounting a tmpfs for " << what << " failed (" << error << "); it needs root");
    return mounted;
  }
};

// Writes `path` until the file system refuses: the errno of the refusal.
int FillUntilFull(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t chunk : {size_t{1} << 20, size_t{4096}, size_t{1}}) {
    const std::string bytes(chunk, 'x');
    while (true) {
      if (write(fd, bytes.data(), bytes.size()) < 0) {
        err = errno;
        break;
      }
    }
  }
  close(fd);
  return err;
}

// The value of an unlabelled counter in a /metrics text; -1 when absent.
double Counter(const std::string& metrics, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(metrics, m, std::regex("\n" + name + " ([0-9.e+]+)"))) return -1;
  return std::stod(m[1]);
}

// Starts `id` (the tuner on softmax, `attempts`), lets two attempts end,
// fills `disk` and waits for the campaign to pause. Returns the status from
// before the fill and the one at the pause.
std::pair<nlohmann::json, nlohmann::json> FillMidCampaign(DaemonProcess& d, const TmpfsMount& disk,
                                                          const std::string& id, int attempts) {
  REQUIRE(d.StartCampaign(TunerCampaign(id, attempts)).status == 201);
  auto before = WaitFor(d, id, [](const nlohmann::json& s) { return s.value("attempts_finished", 0) >= 2; }, 300s);
  REQUIRE(before.value("attempts_finished", 0) >= 2);
  REQUIRE(FillUntilFull(disk.dir + "/filler") == ENOSPC);
  auto paused = WaitFor(d, id, [](const nlohmann::json& s) { return s.value("state", "") == "paused"; }, 300s);
  INFO(paused.dump(2));
  REQUIRE(paused.value("state", "") == "paused");
  return {before, paused};
}

// Frees `disk` (the filler FillMidCampaign wrote) and waits for `id` to
// finish with nobody calling resume; the last status.
nlohmann::json FreeAndFinish(DaemonProcess& d, const TmpfsMount& disk, const std::string& id) {
  std::filesystem::remove(disk.dir + "/filler");
  auto status = WaitFor(d, id, [](const nlohmann::json& s) { return s.value("state", "") == "finished"; }, 600s);
  INFO(status.dump(2));
  CHECK(status.value("state", "") == "finished");
  return status;
}

// Every event of the daemon's log (after it stopped).
std::vector<Event> LogEvents(const DaemonProcess& d) {
  auto log = experiment_log::ExperimentLog::Open(d.db(), {.read_only = true});
  REQUIRE(log.ok());
  auto events = (*log)->ReadEvents();
  REQUIRE(events.ok());
  return std::move(*events);
}

}  // namespace

TEST_CASE("a log whose disk fills up pauses its campaign, which resumes by itself once space is freed",
          "[e2e][daemon][fault][disk]") {
  DaemonProcess d("diskfull", "log_retry_s: 1\n");
  TmpfsMount disk(d.dir() + "/logfs", "size=48m,mode=0700");
  if (!disk.Usable("the log")) return;
  d.SetDatabase(disk.dir + "/ksearch.db");  // the log alone on the small disk
  REQUIRE(d.Start());
  // The disk fills: the next commit fails inside SQLite and the campaign
  // pauses, its refused events kept in memory.
  const auto [before, paused] = FillMidCampaign(d, disk, "e2e-disk", 10);
  INFO(paused.dump(2));
  CHECK(paused.value("state_reason", "").find("log write failed") != std::string::npos);
  CHECK(paused.value("state_reason", "").find("full") != std::string::npos);  // SQLite's "database or disk is full"

  // While it stays full the daemon keeps trying, once a second.
  const double refused = Counter(d.Call("GET", "/metrics").raw, "ksearch_log_refused_writes_total");
  CHECK(refused >= 1);
  std::this_thread::sleep_for(3500ms);
  CHECK(Counter(d.Call("GET", "/metrics").raw, "ksearch_log_refused_writes_total") >= refused + 2);
  CHECK(d.Call("GET", "/v1/campaigns/e2e-disk").body.value("state", "") == "paused");

  // Space comes back: nobody calls resume, and the campaign finishes.
  const auto status = FreeAndFinish(d, disk, "e2e-disk");
  INFO(status.dump(2));
  CHECK(status.value("attempts_started", 0) == status.value("attempts_finished", -1));
  CHECK(status.value("attempts_finished", 0) > before.value("attempts_finished", 0));
  CHECK(d.Stop() == 0);

  const LogAudit audit = CheckLogIntact(d);  // `ksearch log verify`; one start and one end per attempt
  CHECK(audit.finished == status.value("attempts_finished", -1));
  int resumed_by_retry = 0;
  for (const Event& e : LogEvents(d))
    resumed_by_retry += e.kind == event_kind::kCampaignState && e.payload.value("reason", "") == "log writable again";
  CHECK(resumed_by_retry == 1);
}

TEST_CASE("a full work disk pauses the campaign on infrastructure errors, not the candidates' failures",
          "[e2e][daemon][fault][disk]") {
  // The evaluations' folders (builds, runs) on a small tmpfs that fills: the
  // linker's "No space left on device" must end attempts infra_error (not
  // compile_error: the candidate did nothing wrong), pause the campaign
  // after three in a row instead of spending its budget, and the campaign
  // must go on once space is back.
  DaemonProcess d("workfull", "infra_pause_after: 3\ninfra_retry_s: 1\n");
  TmpfsMount disk(d.dir() + "/workfs", "size=200m,mode=0700");
  if (!disk.Usable("the work folder")) return;
  REQUIRE(d.EditConfigLine("work_dir: work\n", "work_dir: " + disk.dir + "\n"));
  REQUIRE(d.Start());
  const auto paused = FillMidCampaign(d, disk, "e2e-work", 8).second;
  INFO(paused.dump(2));
  CHECK(paused.value("state_reason", "").rfind("infrastructure: 3 attempts in a row failed outside the candidate", 0) == 0);
  CHECK(paused.value("state_reason", "").find("the last: infra_error{") != std::string::npos);
  CHECK(paused.value("state_reason", "").find("No space left on device") != std::string::npos);
  std::this_thread::sleep_for(4s);  // time for a retry (after 1 s) while the disk is still full

  const auto status = FreeAndFinish(d, disk, "e2e-work");
  INFO(status.dump(2));
  CHECK(d.Stop() == 0);

  const LogAudit audit = CheckLogIntact(d);
  int infra = 0, retries = 0, pauses = 0, other = 0;
  for (const Event& e : LogEvents(d)) {
    const std::string reason = e.payload.value("reason", "");
    if (e.kind == event_kind::kCampaignState) {
      pauses += e.payload.value("state", "") == "paused" && reason.rfind("infrastructure: ", 0) == 0;
      retries += reason == "retrying after infrastructure errors";
    }
    if (e.kind != event_kind::kAttemptFinished) continue;
    const std::string v = e.payload.value("verdict", "");
    if (v.rfind("infra_error", 0) == 0) {
      ++infra;
    } else if (v.rfind("interrupted", 0) != 0) {
      ++other;
      // No candidate was blamed for the disk.
      CHECK(e.payload.value("detail", "").find("No space left") == std::string::npos);
    }
  }
  CHECK(infra >= 3);
  CHECK(pauses >= 1);
  CHECK(retries >= 1);
  // The machine's failures did not use the budget: 8 attempts of the search
  // (or fewer if the tuner ran out of configurations first).
  if (status.value("state_reason", "") == "budget_attempts") CHECK(other == 8);
  CHECK(audit.finished == infra + other);
}

TEST_CASE("a full disk holding both the log and the work folder: paused, then finished once freed",
          "[e2e][daemon][fault][disk]") {
  // The layout of configs/daemon.yaml (ksearch-data/ holds both): the
  // evaluations end infra_error and the log refuses their ends, in whatever
  // order the two failures come; freeing the space must be enough.
  DaemonProcess d("bothfull", "log_retry_s: 1\ninfra_pause_after: 3\ninfra_retry_s: 1\n");
  TmpfsMount disk(d.dir() + "/datafs", "size=200m,mode=0700");
  if (!disk.Usable("the data folder")) return;
  REQUIRE(d.EditConfigLine("work_dir: work\n", "work_dir: " + disk.dir + "/work\n"));
  d.SetDatabase(disk.dir + "/ksearch.db");
  REQUIRE(d.Start());
  FillMidCampaign(d, disk, "e2e-both", 8);
  std::this_thread::sleep_for(4s);

  const auto status = FreeAndFinish(d, disk, "e2e-both");
  INFO(status.dump(2));
  CHECK(status.value("attempts_started", 0) == status.value("attempts_finished", -1));
  CHECK(d.Stop() == 0);
  CheckLogIntact(d);
}
