// CampaignService driven in-process: the real log, worker pool, planner and
// service, with the two seams the daemon has for its outside world replaced
// by scripts: an EvalBackend whose "kernels" run in the times their sources
// name, and a ProposalEngine that writes those sources. So a test can set up
// an exact situation of the search (which member is faster than which, by how
// much) and check what the daemon appends to the log for it.
#include <catch.hpp>
#include <fstream>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "ksearch/core/file_text.h"
#include "ksearch/core/clock.h"
#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/workers/devices.h"
#include "ksearch/workers/eval_backend.h"
#include "ksearch/workers/worker_pool.h"
#include "service/campaign_service.h"
#include "service/cpu_ledger.h"
#include "service/proposal_engine.h"

using namespace ksearch;
using namespace ksearch::daemon;
using nlohmann::json;

namespace {

// A scripted source ends with a line naming it and its times (a string, so
// source normalization, which drops comments, keeps it apart):
// `static const char kScripted[] = "scripted name=N times=T1,T2,...";`. Run k
// of it measures T_k (the last one repeats; 0 is a crash). A source without the line (the
// task's seed and baseline) measures 100 us.
struct Script {
  std::string name;
  std::vector<double> times{100.0};
};

Script ScriptOf(const std::string& source) {
  Script s;
  const auto at = source.rfind("\"scripted name=");
  if (at == std::string::npos) return s;
  std::istringstream line(source.substr(at + 15, source.find('"', at + 1) - at - 15));
  std::string times;
  line >> s.name >> times;  // "N" "times=..."
  s.times.clear();
  std::istringstream list(times.substr(6));
  for (std::string t; std::getline(list, t, ',');) s.times.push_back(std::stod(t));
  return s;
}

std::string Scripted(const std::string& parent_source, const std::string& name, const std::string& times) {
  return parent_source + "\nstatic const char kScripted[] = \"scripted name=" + name + " times=" + times + "\";\n";
}

// Builds record the source under an artifact name; runs measure it. Called
// on the pool's threads.
class ScriptedBackend final : public workers::EvalBackend {
 public:
  std::string name() const override { return "scripted"; }
  BuildResult Build(const BuildRequest& request) override {
    std::unique_lock lock(mu_);
    WaitWhileHeld(lock, ScriptOf(request.source).name, Stage::kBuild);
    BuildResult r;
    r.ok = true;
    r.artifact_path = "artifact-" + std::to_string(artifacts_.size());
    r.machine_code_hash = experiment_log::ExperimentLog::BlobHash(request.source);
    artifacts_[r.artifact_path] = request.source;
    return r;
  }
  RunResult Run(const RunRequest& request) override {
    std::unique_lock lock(mu_);
    RunResult r;
    const std::string& source = artifacts_.at(request.artifact_path);
    const Script s = ScriptOf(source);
    WaitWhileHeld(lock, s.name, Stage::kRun);
    if (infra_after > 0 && ++runs_total_ > infra_after) infra_failing = true;
    if (infra_failing) {  // the machine, not the kernel: nothing was measured
      r.verdict = {VerdictKind::kInfraError, "evaluator_failed", "scripted: no space left on device"};
      return r;
    }
    int& k = runs_[source];
    r.time_us = s.times[std::min<size_t>(k++, s.times.size() - 1)];
    r.spread = 0.004;
    r.verdict = {VerdictKind::kNoGain, "", "scripted"};
    if (r.time_us == 0) {  // a scripted crash
      r.spread = 0;
      r.verdict = {VerdictKind::kCrash, "", "scripted crash"};
    }
    r.shape_median_us = {r.time_us};
    r.bottleneck = "memory";
    runs_by_name_[s.name.empty() ? "(task source)" : s.name] += 1;
    return r;
  }
  int RunsOf(const std::string& script_name) {
    std::lock_guard lock(mu_);
    return runs_by_name_[script_name];
  }
  // While set, every run ends infra_error (a full disk, a broken evaluator).
  std::atomic<bool> infra_failing{false};
  // When > 0, infra_failing is set by the run after this many (so it starts
  // at a known point of the campaign, not when the test's thread gets there).
  std::atomic<int> infra_after{0};
  enum class Stage { kBuild, kRun };
  // Builds or runs of `script_name` wait (on the pool's thread) until
  // Release: a test can then act while one is in flight.
  void Hold(const std::string& script_name, Stage stage) {
    std::lock_guard lock(mu_);
    held_ = script_name;
    held_stage_ = stage;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_.clear();
    }
    released_.notify_all();
  }
  bool Waiting() {
    std::lock_guard lock(mu_);
    return waiting_ > 0;
  }

 private:
  void WaitWhileHeld(std::unique_lock<std::mutex>& lock, const std::string& name, Stage stage) {
    if (name.empty() || name != held_ || stage != held_stage_) return;
    ++waiting_;
    released_.wait(lock, [&] { return held_ != name; });
    --waiting_;
  }

  std::mutex mu_;
  std::condition_variable released_;
  std::string held_;                 // guarded by mu_
  Stage held_stage_ = Stage::kRun;   // guarded by mu_
  int waiting_ = 0;                  // guarded by mu_
  std::map<std::string, std::string> artifacts_;
  std::map<std::string, int> runs_;
  std::map<std::string, int> runs_by_name_;
  int runs_total_ = 0;
};

// Proposals from a table: (parent's script name, nth child of it) -> the
// child's name and times; every other proposal is a slow candidate of its own.
class ScriptedEngine final : public ProposalEngine {
 public:
  using Table = std::map<std::pair<std::string, int>, std::pair<std::string, std::string>>;
  ScriptedEngine(boost::asio::io_context& io, Table table) : io_(io), table_(std::move(table)) {}
  void Propose(ProposalInput input, std::function<void(ProposalOutput)> done) override {
    ProposalOutput out;
    if (down_after > 0 && ++proposals_ > down_after) down = true;
    if (down || down_proposers.count(input.decision.proposer)) {  // the endpoint is down: the call fails at once (an open circuit)
      out.failure = {VerdictKind::kProposalFailed, "llm_error", "scripted: endpoint down: connect: refused"};
      boost::asio::post(io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
      return;
    }
    for (const std::string& line : input.other_dead_ends) other_dead_ends[input.campaign_id].insert(line);
    const std::string parent = ScriptOf(input.parent_source).name;
    const int nth = children_[parent]++;
    out.ok = true;
    auto it = table_.find({parent, nth});
    const auto [name, times] =
        it != table_.end() ? it->second : std::pair{"slow" + std::to_string(++slow_), std::string("104")};
    auto prelude = preludes.find({parent, nth});
    out.source = Scripted(input.parent_source + (prelude == preludes.end() ? "" : prelude->second), name, times);
    out.change_summary = "scripted " + name;
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  }
  void CancelAll() override {}
  std::vector<std::string> ProposerNames() const override { return names; }
  std::vector<std::string> names{"tuner", "scripted"};  // what the "configuration" has
  // While set, every proposal fails proposal_failed{llm_error}; when
  // down_after > 0 it is set by the proposal after that many.
  bool down = false;
  int down_after = 0;
  std::set<std::string> down_proposers;  // these endpoints' proposals fail the same way
  // Text put before the scripted line of (parent's script name, nth child).
  std::map<std::pair<std::string, int>, std::string> preludes;
  // Per campaign, every line of other campaigns' dead ends its proposals were given.
  std::map<std::string, std::set<std::string>> other_dead_ends;

 private:
  boost::asio::io_context& io_;
  int proposals_ = 0;
  Table table_;
  std::map<std::string, int> children_;
  int slow_ = 0;
};

// The log as the service sees it: the real one, with the event kinds of each
// committed transaction recorded, and a fault switch: the Nth append that
// carries an event matching `fail_event` fails without writing, as on a full
// disk.
class RecordingLog final : public experiment_log::ExperimentLog {
 public:
  explicit RecordingLog(experiment_log::ExperimentLog& inner) : ExperimentLog(inner.path()), inner_(inner) {}
  using ExperimentLog::Append;
  Status Append(std::vector<Event>& events, const std::vector<Blob>& blobs) override {
    std::vector<std::string> kinds;
    for (const Event& e : events) kinds.push_back(e.kind);
    if (full) {  // a disk that stays full: every append fails
      ++full_refusals;
      return Status::IoError("injected: database or disk is full");
    }
    if (std::any_of(events.begin(), events.end(), fail_event) && ++matching_appends == fail_nth) {
      for (const Event& e : events)
        if (fail_event(e)) refused.push_back(e);
      return Status::IoError("injected: database or disk is full");
    }
    Status s = inner_.Append(events, blobs);
    if (s.ok()) transactions.push_back(std::move(kinds));
    if (s.ok() && fill_after > 0 && std::any_of(events.begin(), events.end(), [](const Event& e) {
          return e.kind == "attempt_finished";
        }) && ++ends_before_full == fill_after)
      full = true;
    return s;
  }
  Result<std::string> PutBlob(std::string_view content) override { return inner_.PutBlob(content); }
  Result<std::string> GetBlob(const std::string& sha256_hex) override { return inner_.GetBlob(sha256_hex); }
  Result<std::vector<Event>> ReadEvents(const experiment_log::EventFilter& filter) override {
    return inner_.ReadEvents(filter);
  }
  Result<std::vector<experiment_log::CampaignSummary>> ListCampaigns() override { return inner_.ListCampaigns(); }
  Result<int64_t> LastSeq() override { return inner_.LastSeq(); }
  Result<experiment_log::VerifyReport> Verify() override { return inner_.Verify(); }
  Result<std::vector<experiment_log::DeadEnd>> QueryDeadEnds(const experiment_log::DeadEndFilter& filter) override {
    return inner_.QueryDeadEnds(filter);
  }

  std::vector<std::vector<std::string>> transactions;  // committed, in order
  std::function<bool(const Event&)> fail_event = [](const Event& e) { return e.kind == "attempt_finished"; };
  int fail_nth = 0;  // the Nth append carrying a matching event fails (1-based; 0: none)
  int matching_appends = 0;
  std::vector<Event> refused;  // the matching events the failed append carried
  bool full = false;           // while set, every append fails
  int full_refusals = 0;       // appends refused while `full`
  int fill_after = 0;          // `full` is set once this many appends with an attempt_finished committed (0: never)
  int ends_before_full = 0;

 private:
  experiment_log::ExperimentLog& inner_;
};

std::string SourceDir() {
  const char* d = std::getenv("KSEARCH_SOURCE_DIR");
  return d ? d : KSEARCH_TEST_SOURCE_DIR;
}

std::string OneAxisCampaign(const std::string& id, int attempts) {
  // One LLM axis (its pair closes at the first passing candidate that does
  // not improve), threshold 2%, the scripts' spread 0.4%: precise, so a
  // no_gain member faster than the best is a parent (provisional).
  return "campaign_id: " + id +
         "\ntask: softmax\nbackend: host\narch: x86_64\naxes: [loop_unrolling]\n"
         "proposers:\n  - {name: scripted, weight: 1}\nislands: 1\n"
         "budgets:\n  attempts: " + std::to_string(attempts) +
         "\n  wall_seconds: 600\nnoise_threshold: 0.02\nseed: 5\n";
}

// The service and everything it needs, in a temporary directory.
struct Harness {
  explicit Harness(ScriptedEngine::Table table) : engine(io, std::move(table)) {
    dir = std::filesystem::temp_directory_path() /
          ("ksearch-service-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string yaml = "listen: 127.0.0.1:0\ndatabase: " + (dir / "log.db").string() +
                             "\nwork_dir: " + (dir / "work").string() + "\ntasks_dir: " + SourceDir() +
                             "/configs/tasks\naxes_file: " + SourceDir() + "/configs/axes.yaml\n";
    auto parsed = ParseDaemonConfig(yaml, (dir / "daemon.yaml").string());
    REQUIRE(parsed.ok());
    config = *parsed;
    auto opened = experiment_log::ExperimentLog::Open(config.database);
    REQUIRE(opened.ok());
    log = std::move(*opened);
    recorder = std::make_unique<RecordingLog>(*log);
    auto loaded = planner::AxisCatalogue::Load(config.axes_file);
    REQUIRE(loaded.ok());
    axes.emplace(std::move(*loaded));
    workers::PoolOptions options;
    options.compile_threads = 1;
    options.slots = workers::MakeSlots({}, 1);
    pool = std::make_unique<workers::WorkerPool>(io, backend, options);
    StartService();
  }
  ~Harness() {
    StopService();
    pool->Shutdown();
    pool.reset();
    recorder.reset();
    log.reset();
    std::filesystem::remove_all(dir);
  }
  void StartService() {
    service = std::make_unique<CampaignService>(io, config, *recorder, *pool, engine, *axes, SystemClock::Instance(),
                                                io_cpu);
    REQUIRE(service->Start().ok());
  }
  // Shuts the service down (2 s grace), runs what it posted, and destroys it.
  void StopService() {
    bool done = false;
    service->Shutdown(std::chrono::milliseconds(2000), [&done] { done = true; });
    for (int i = 0; i < 100 && !done; ++i) io.run_for(std::chrono::milliseconds(20));
    io.poll();
    service.reset();
  }
  // A daemon restart on the same log, pool and scripts.
  void RestartService() {
    StopService();
    StartService();
  }
  // The daemon's infrastructure pause (infra_pause_after, infra_retry_s) set
  // and the service restarted with it.
  void RestartWithInfraPause(int after, double retry_s) {
    config.infra_pause_after = after;
    config.infra_retry_s = retry_s;
    RestartService();
  }
  // Calls Shutdown(one hour) once the held build or run is waiting, then
  // releases it and runs the io loop until the shutdown is done (or 30 s):
  // whether it finished without its grace period.
  bool ShutdownWhileHeld() {
    for (int i = 0; i < 3000 && !backend.Waiting(); ++i) io.run_for(std::chrono::milliseconds(20));
    REQUIRE(backend.Waiting());
    bool done = false;
    service->Shutdown(std::chrono::hours(1), [&done] { done = true; });
    backend.Release();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done && std::chrono::steady_clock::now() < deadline) io.run_for(std::chrono::milliseconds(20));
    return done;
  }
  // Runs the io loop until the campaign is no longer running (or 60 s).
  json RunCampaign(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    json status;
    while (std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(20));
      auto s = service->CampaignStatus(id);
      REQUIRE(s.ok());
      status = *s;
      if (status.value("state", "") != "running" && service->Idle()) break;
    }
    return status;
  }
  std::vector<Event> Events(const std::string& campaign, const std::string& kind) {
    experiment_log::EventFilter f;
    f.campaign_id = campaign;
    f.kind = kind;
    auto events = log->ReadEvents(f);
    REQUIRE(events.ok());
    return *events;
  }

  // The scripted members of a campaign by script name: candidate ids and
  // the attempts that measured them.
  struct Members {
    std::map<std::string, std::string> id_of, attempt_of;
  };
  // Starts OneAxisCampaign(id, attempts), runs it to its end and returns its members.
  Members RunOneAxisCampaign(const std::string& id, int attempts) {
    REQUIRE(service->StartCampaign(OneAxisCampaign(id, attempts), id + ".yaml").ok());
    const json status = RunCampaign(id);
    CHECK(status.value("state", "") == "finished");
    return MembersOf(id);
  }
  Members MembersOf(const std::string& campaign) {
    std::map<std::string, std::string> id_of, attempt_of;
    for (const Event& e : Events(campaign, "attempt_finished")) {
      const std::string blob = e.payload.value("source_blob", "");
      if (blob.empty()) continue;
      auto source = log->GetBlob(blob);
      REQUIRE(source.ok());
      const std::string name = ScriptOf(*source).name;
      if (!name.empty()) {
        id_of[name] = e.payload.value("candidate", "");
        attempt_of[name] = e.attempt_id;
      }
    }
    return {id_of, attempt_of};
  }
  // The remeasured payloads of `candidate` and every reference sample, in log order.
  std::vector<json> RemeasuredFor(const std::string& campaign, const std::string& candidate) {
    std::vector<json> out;
    for (const Event& e : Events(campaign, "remeasured"))
      if (e.payload.value("candidate", "") == candidate || e.payload.value("reference", false))
        out.push_back(e.payload);
    return out;
  }

  void CheckLogVerifies() {
    auto verified = log->Verify();
    REQUIRE(verified.ok());
    CHECK(verified->ok);
  }

  static inline int counter = 0;
  std::filesystem::path dir;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  DaemonConfig config;
  std::optional<planner::AxisCatalogue> axes;
  std::unique_ptr<experiment_log::ExperimentLog> log;
  std::unique_ptr<RecordingLog> recorder;  // wraps log; what the service writes through
  ScriptedBackend backend;
  ScriptedEngine engine;
  CpuLedger io_cpu;
  std::unique_ptr<workers::WorkerPool> pool;
  std::unique_ptr<CampaignService> service;
};


// What the provisional-parent scripts ({"", 0} -> u at 99.0 then 99.2;
// {u, 0} -> c at 97.6) leave in the log: c's re-measurement is a sample
// asking for u first, u's sample (reference), then c's agreeing final
// sample, and c becomes the best.
void CheckProvisionalParentLog(Harness& h, const std::string& campaign, Harness::Members members) {
  auto& [id_of, attempt_of] = members;
  REQUIRE(id_of.count("u"));
  REQUIRE(id_of.count("c"));
  const std::vector<json> sequence = h.RemeasuredFor(campaign, id_of["c"]);
  REQUIRE(sequence.size() == 3);
  CHECK(sequence[0].value("candidate", "") == id_of["c"]);
  CHECK_FALSE(sequence[0].value("final", true));
  CHECK(sequence[0].value("detail", "").find("parent " + id_of["u"] + " has 0 unselected sample(s)") !=
        std::string::npos);
  CHECK(sequence[1].value("candidate", "") == id_of["u"]);
  CHECK(sequence[1].value("reference", false));
  CHECK(sequence[1].value("for", "") == id_of["c"]);
  CHECK(sequence[1].value("attempt", "") == attempt_of["u"]);
  CHECK(sequence[1].value("time_us", 0.0) == 99.2);
  CHECK(sequence[1].value("estimate_us", 0.0) == 99.2);
  CHECK(sequence[2].value("candidate", "") == id_of["c"]);
  CHECK(sequence[2].value("final", false));
  CHECK(sequence[2].value("agrees", false));
  CHECK(sequence[2].value("detail", "").find("vs parent 99.20 us") != std::string::npos);
  auto best = h.service->Best(campaign);
  REQUIRE(best.ok());
  CHECK(best->value("candidate", "") == id_of["c"]);
}

}  // namespace

TEST_CASE("the daemon measures a provisional parent when its child's test asks for it", "[daemon][remeasure]") {
  // u: 1% faster than the seed (no_gain), one sample 99.0, later ones 99.2.
  // c: u's child, 1.6% faster than u and 2.4% than the seed: its test against
  // u's one sample is inconclusive, so u is measured again before c's next
  // sample (planner_test has the arithmetic).
  Harness h({{{"", 0}, {"u", "99.0,99.2"}}, {{"u", 0}, {"c", "97.6"}}});
  CheckProvisionalParentLog(h, "ref", h.RunOneAxisCampaign("ref", 9));
  // u ran twice: its attempt and the reference sample.
  CHECK(h.backend.RunsOf("u") == 2);
  h.CheckLogVerifies();
}

TEST_CASE("a change proposed again under other names is a semantic duplicate and is not built", "[daemon][novelty]") {
  // The seed's first child crashes; the second is the same change with its
  // constant named differently (another source hash, the same semantic key).
  Harness h({{{"", 0}, {"x", "0"}}, {{"", 1}, {"x", "0"}}});
  h.engine.preludes = {{{"", 0}, "\nstatic const int tile_a = 4;\n"}, {{"", 1}, "\nstatic const int tile_b = 4;\n"}};
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("sem", 8) + "repair:\n  max_per_lineage: 0\n", "sem.yaml").ok());
  h.RunCampaign("sem");
  std::vector<json> proposals;
  for (const Event& e : h.Events("sem", "attempt_finished"))
    if (!e.payload.value("parent", "").empty()) proposals.push_back(e.payload);
  REQUIRE(proposals.size() >= 2);
  CHECK(proposals[0].value("verdict", "") == "crash");
  CHECK(proposals[1].value("verdict", "") == "duplicate{semantic}");
  CHECK(proposals[1].value("detail", "").find("same change on the same parent and axis") != std::string::npos);
  // Logged with every proposal, so a planner rebuilt from the log knows it
  // (planner_test); here the duplicate's key is the crashed attempt's.
  CHECK(proposals[0].value("semantic_key", "").size() == 64);
  CHECK(proposals[1].value("semantic_key", "") == proposals[0].value("semantic_key", ""));
  CHECK(proposals[0].value("source_hash", "") != proposals[1].value("source_hash", ""));
  CHECK(h.backend.RunsOf("x") == 1);
  h.CheckLogVerifies();
}

TEST_CASE("a reference sample that crashes is recorded as failed and not asked for again", "[daemon][remeasure]") {
  // As above, but u crashes when measured again: the failure is logged as
  // u's reference sample (time 0, the verdict in its detail) and c is judged
  // against u's one sample from then on.
  Harness h({{{"", 0}, {"u", "99.0,0"}}, {{"u", 0}, {"c", "97.6"}}});
  auto [id_of, attempt_of] = h.RunOneAxisCampaign("crash", 12);
  REQUIRE(id_of.count("u"));
  REQUIRE(id_of.count("c"));
  const std::vector<json> sequence = h.RemeasuredFor("crash", id_of["c"]);
  REQUIRE(sequence.size() >= 3);
  CHECK(sequence[1].value("candidate", "") == id_of["u"]);
  CHECK(sequence[1].value("reference", false));
  CHECK(sequence[1].value("time_us", -1.0) == 0.0);
  CHECK_FALSE(sequence[1].contains("estimate_us"));
  CHECK(sequence[1].value("detail", "").find("reference sample failed: crash") != std::string::npos);
  int references = 0;
  for (const json& p : sequence) references += p.value("reference", false);
  CHECK(references == 1);
  CHECK(sequence.back().value("candidate", "") == id_of["c"]);
  CHECK(sequence.back().value("final", false));
  CHECK(h.backend.RunsOf("u") == 2);
  // u is nobody's parent from then on: no attempt after the crash starts from it.
  bool after_crash = false;
  int later_attempts = 0;
  for (const Event& e : h.Events("crash", "")) {
    if (e.kind == "remeasured" && e.payload.value("reference", false)) after_crash = true;
    if (after_crash && e.kind == "attempt_started") {
      ++later_attempts;
      CHECK(e.payload.value("parent", "") != id_of["u"]);
    }
  }
  CHECK(later_attempts > 0);
  h.CheckLogVerifies();
}

TEST_CASE("a shutdown does not wait for the re-measurement of an attempt that finishes during it",
          "[daemon][remeasure][shutdown]") {
  // f measures 95 us against the seed's 100: a tentative gain, which is
  // re-measured before it can become the best. Its run is held until the
  // shutdown has begun, so the re-measurement would start during it.
  Harness h({{{"", 0}, {"f", "95"}}});
  h.backend.Hold("f", ScriptedBackend::Stage::kRun);
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("sd", 6), "sd.yaml").ok());
  CHECK(h.ShutdownWhileHeld());  // long before the hour's grace period
  // Idle when done: no re-measurement job is left behind (before the fix it
  // was: done had come from f's Finish, just before the job was made).
  CHECK(h.service->Idle());
  // f's attempt has its verdict; no re-measurement ran, and none was logged.
  const auto members = h.MembersOf("sd");
  REQUIRE(members.id_of.count("f"));
  const std::string f = members.id_of.at("f");
  CHECK(h.backend.RunsOf("f") == 1);
  CHECK(h.RemeasuredFor("sd", f).empty());
  for (const Event& e : h.Events("sd", "attempt_finished"))
    CHECK(e.payload.value("verdict", "").rfind("interrupted", 0) == std::string::npos);

  // The next start takes f's re-measurement up from the log, rebuilding it
  // first. A shutdown that begins during that rebuild ends at once too
  // (before the fix it waited its whole grace period).
  h.backend.Hold("f", ScriptedBackend::Stage::kBuild);
  h.RestartService();
  CHECK(h.ShutdownWhileHeld());
  CHECK(h.service->Idle());
  CHECK(h.backend.RunsOf("f") == 1);
  CHECK(h.RemeasuredFor("sd", f).empty());

  // And the start after that re-measures f.
  h.RestartService();
  for (int i = 0; i < 3000 && h.RemeasuredFor("sd", f).empty(); ++i) h.io.run_for(std::chrono::milliseconds(20));
  CHECK_FALSE(h.RemeasuredFor("sd", f).empty());
  CHECK(h.backend.RunsOf("f") >= 2);
  h.CheckLogVerifies();
}

namespace {

// Every attempt of `campaign` in the log has exactly one attempt_finished.
void CheckOneEndPerAttempt(Harness& h, const std::string& campaign) {
  std::map<std::string, int> ends;
  for (const Event& e : h.Events(campaign, "attempt_started")) ends[e.attempt_id] += 0;
  for (const Event& e : h.Events(campaign, "attempt_finished")) ends[e.attempt_id] += 1;
  CHECK(!ends.empty());
  for (const auto& [attempt, n] : ends) {
    INFO(attempt);
    CHECK(n == 1);
  }
}

}  // namespace

TEST_CASE("a finished attempt's last batch is committed with the start of the attempt that takes its place",
          "[daemon][log]") {
  Harness h({});
  h.RunOneAxisCampaign("tx", 10);
  const auto started = h.Events("tx", "attempt_started");
  REQUIRE(started.size() == 10);
  CheckOneEndPerAttempt(h, "tx");
  // In each transaction the finished attempt's events come before the start.
  // Every attempt but two starts in the transaction that ends another (or the
  // seed's evaluation before it): the first, and the one that takes the
  // pipeline's second place (2 per slot, one slot) once the seed is measured.
  int starts_with_an_end = 0;
  for (const auto& kinds : h.recorder->transactions) {
    const auto end = std::find(kinds.begin(), kinds.end(), "attempt_finished");
    const auto start = std::find(kinds.begin(), kinds.end(), "attempt_started");
    if (end == kinds.end() || start == kinds.end()) continue;
    CHECK(end < start);
    ++starts_with_an_end;
  }
  CHECK(starts_with_an_end == 8);
  h.CheckLogVerifies();
}

TEST_CASE("a last batch the log refuses pauses its campaign and is committed by a later append, not lost",
          "[daemon][log][fault]") {
  Harness h({});
  h.recorder->fail_nth = 5;  // after the seed's three evaluations: a proposal's end
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("full", 8), "full.yaml").ok());
  json status = json::object();
  for (int i = 0; i < 3000 && status.value("state", "") != "paused"; ++i) {
    h.io.run_for(std::chrono::milliseconds(20));
    status = *h.service->CampaignStatus("full");
  }
  CHECK(status.value("state", "") == "paused");
  // The refused transaction holds one attempt's end, or two when two attempts
  // ended before the Pump that commits them (both staged, one transaction;
  // seen in a CI run on a loaded box).
  REQUIRE(!h.recorder->refused.empty());
  REQUIRE(h.recorder->refused.size() <= 2);
  std::set<std::string> refused;
  for (const Event& e : h.recorder->refused) refused.insert(e.attempt_id);
  REQUIRE(refused.size() == h.recorder->refused.size());
  // Paused: nothing new starts (the attempt in flight may still end).
  for (int i = 0; i < 25; ++i) h.io.run_for(std::chrono::milliseconds(20));
  const size_t started_when_paused = h.Events("full", "attempt_started").size();
  for (int i = 0; i < 25; ++i) h.io.run_for(std::chrono::milliseconds(20));
  CHECK(h.Events("full", "attempt_started").size() == started_when_paused);

  REQUIRE(h.service->ResumeCampaign("full").ok());
  CHECK(h.RunCampaign("full").value("state", "") == "finished");
  CHECK(h.Events("full", "attempt_started").size() == 8);
  CheckOneEndPerAttempt(h, "full");
  // Each refused end was appended later as it was, not lost and retried.
  size_t ends_of_refused = 0;
  for (const Event& e : h.Events("full", "attempt_finished")) {
    CHECK(e.payload.value("verdict", "").rfind("interrupted", 0) == std::string::npos);
    ends_of_refused += refused.count(e.attempt_id);
  }
  CHECK(ends_of_refused == refused.size());
  h.CheckLogVerifies();
}

// Runs the io loop until `done` holds or `seconds` pass; whether it holds.
bool RunUntil(Harness& h, const std::function<bool()>& done, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done() && std::chrono::steady_clock::now() < deadline) h.io.run_for(std::chrono::milliseconds(20));
  return done();
}

std::string StateOf(Harness& h, const std::string& id) {
  auto s = h.service->CampaignStatus(id);
  REQUIRE(s.ok());
  return s->value("state", "");
}

// The campaign runs until it finishes and the service is idle, having started
// `attempts` attempts, each with one end.
void RunsToTheEnd(Harness& h, const std::string& campaign, size_t attempts) {
  REQUIRE(RunUntil(h, [&] { return StateOf(h, campaign) == "finished" && h.service->Idle(); }));
  CHECK(h.Events(campaign, "attempt_started").size() == attempts);
  CheckOneEndPerAttempt(h, campaign);
}

// Attempts of `campaign` that ended with a verdict starting with `prefix`.
size_t EndsWith(Harness& h, const std::string& campaign, const std::string& prefix) {
  size_t n = 0;
  for (const Event& e : h.Events(campaign, "attempt_finished")) n += e.payload.value("verdict", "").rfind(prefix, 0) == 0;
  return n;
}

// campaign_state events of `campaign` in the log with `state` ("": any) and a
// reason starting with `reason_prefix`.
size_t StateEvents(Harness& h, const std::string& campaign, const std::string& state,
                   const std::string& reason_prefix) {
  size_t n = 0;
  for (const Event& e : h.Events(campaign, "campaign_state"))
    n += (state.empty() || e.payload.value("state", "") == state) &&
         e.payload.value("reason", "").rfind(reason_prefix, 0) == 0;
  return n;
}

// `campaign` runs to its attempts budget: `budget` search attempts, those
// that ended with a verdict starting with `outside` (infra_error, llm_error)
// on top, each with one end, and the log verifies.
void CheckEndedAtBudget(Harness& h, const std::string& campaign, size_t budget, const std::string& outside) {
  REQUIRE(RunUntil(h, [&] { return StateOf(h, campaign) == "finished" && h.service->Idle(); }));
  CHECK(h.service->CampaignStatus(campaign)->value("state_reason", "") == "budget_attempts");
  CHECK(h.Events(campaign, "attempt_started").size() == budget + EndsWith(h, campaign, outside));
  CheckOneEndPerAttempt(h, campaign);
  h.CheckLogVerifies();
}

// The value of an unlabelled series in a /metrics text; -1 when absent.
double MetricValue(const std::string& text, const std::string& name) {
  const std::string line = "\n" + name + " ";
  const size_t at = text.find(line);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + line.size()));
}

TEST_CASE("the daemon retries a refused write on its own and resumes the campaigns the refusal paused",
          "[daemon][log][fault]") {
  Harness h({});
  h.config.log_retry_s = 0.2;
  h.RestartService();
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("held", 6), "held.yaml").ok());
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("disk", 8), "disk.yaml").ok());
  REQUIRE(h.service->PauseCampaign("held").ok());  // the user's pause: logged, kept

  // The disk fills after three attempts' ends: the next write is refused and
  // "disk" pauses in memory.
  h.recorder->fill_after = 3;
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "disk") == "paused"; }));
  const json paused = *h.service->CampaignStatus("disk");
  CHECK(paused.value("state_reason", "").find("log write failed") != std::string::npos);
  // It stays full for a while: the daemon keeps trying, and nothing starts.
  const int refusals = h.recorder->full_refusals;
  REQUIRE(RunUntil(h, [&] { return h.recorder->full_refusals >= refusals + 3; }, 10));
  CHECK(StateOf(h, "disk") == "paused");
  // Every refused append counted once (the service appends only through AppendAndObserve).
  CHECK(MetricValue(h.service->MetricsText(), "ksearch_log_refused_writes_total") == h.recorder->full_refusals);

  // Space comes back: no API call, the campaign resumes and finishes.
  h.recorder->full = false;
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "disk") == "finished" && h.service->Idle(); }));
  CHECK(h.Events("disk", "attempt_started").size() == 8);
  CheckOneEndPerAttempt(h, "disk");
  CHECK(StateEvents(h, "disk", "running", "log writable again") == 1);
  // The log never held the pause: the resume says since when the campaign
  // was not running (the in-memory pause), for the wall-time budget.
  for (const Event& e : h.Events("disk", "campaign_state"))
    if (e.payload.value("reason", "") == "log writable again") {
      const int64_t down_since = e.payload.value("down_since_ms", int64_t{0});
      CHECK(down_since >= h.Events("disk", "campaign_started").front().time_ms);
      CHECK(down_since <= e.time_ms);
    }
  // The user's pause is the user's: the retry did not resume "held".
  CHECK(StateOf(h, "held") == "paused");
  CHECK(StateEvents(h, "held", "running", "") == 0);
  h.CheckLogVerifies();
}

TEST_CASE("infra_error verdicts in a row pause the campaign, which retries with a backoff and goes on once the machine works",
          "[daemon][fault]") {
  Harness h({});
  h.RestartWithInfraPause(3, 0.2);
  h.backend.infra_after = 5;  // the seed's samples and the first attempts measure, then the machine fails
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("infra", 8), "infra.yaml").ok());
  auto infra_ends = [&] { return EndsWith(h, "infra", "infra_error"); };
  auto state_events = [&](const std::string& state, const std::string& reason_prefix) {
    return StateEvents(h, "infra", state, reason_prefix);
  };

  REQUIRE(RunUntil(h, [&] { return StateOf(h, "infra") == "paused"; }));
  const json paused = *h.service->CampaignStatus("infra");
  CHECK(paused.value("state_reason", "").rfind("infrastructure: 3 attempts in a row failed outside the candidate", 0) == 0);
  CHECK(paused.value("state_reason", "").find("the last: infra_error{evaluator_failed}") != std::string::npos);
  CHECK(paused.value("state_reason", "").find("no space left on device") != std::string::npos);
  // Three in a row, and at most the one more the pipeline had in flight.
  REQUIRE(RunUntil(h, [&] { return h.service->Idle(); }, 10));
  CHECK(infra_ends() >= 3);
  CHECK(infra_ends() <= 4);
  // Still failing: each retry (after 0.2 s, then 0.4 s, ...) is one more
  // attempt or two, and the campaign pauses again.
  REQUIRE(RunUntil(h, [&] { return state_events("paused", "infrastructure: ") >= 3; }, 20));
  CHECK(state_events("running", "retrying after infrastructure errors") >= 2);
  const size_t during = infra_ends();
  CHECK(during <= 4 + 2 * state_events("running", "retrying after infrastructure errors"));

  // A restart while it is paused for this: the new process re-arms the retry
  // (without it the campaign would stay paused until a user resumed it).
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "infra") == "paused" && h.service->Idle(); }, 20));
  h.RestartService();
  CHECK(StateOf(h, "infra") == "paused");

  // The machine works again: the next retry goes on to the end, and the
  // attempts the machine failed did not use the budget.
  h.backend.infra_after = 0;
  h.backend.infra_failing = false;
  CheckEndedAtBudget(h, "infra", 8, "infra_error");
}

TEST_CASE("an LLM endpoint that is down pauses the campaign instead of spending its budget in seconds",
          "[daemon][fault]") {
  // A probe before this: a real ksearchd whose only endpoint refused
  // connections spent a 60-attempt budget in 13 s (57 proposal_failed{llm_error}).
  Harness h({});
  h.RestartWithInfraPause(3, 0.2);
  h.engine.down_after = 2;
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("llm", 8), "llm.yaml").ok());
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "llm") == "paused" && h.service->Idle(); }));
  const json paused = *h.service->CampaignStatus("llm");
  CHECK(paused.value("state_reason", "").find("the last: proposal_failed{llm_error}") != std::string::npos);
  auto llm_errors = [&] { return EndsWith(h, "llm", "proposal_failed{llm_error}"); };
  CHECK(llm_errors() >= 3);
  CHECK(llm_errors() <= 4);
  // Down for a while: a few retries, a few attempts, not the budget.
  for (int i = 0; i < 50; ++i) h.io.run_for(std::chrono::milliseconds(20));
  CHECK(llm_errors() <= 12);
  CHECK(StateOf(h, "llm") != "finished");

  h.engine.down_after = 0;
  h.engine.down = false;
  CheckEndedAtBudget(h, "llm", 8, "proposal_failed{llm_error}");
}

TEST_CASE("an endpoint that is down while another answers rests and the campaign is not paused", "[daemon][fault]") {
  // Before, the planner kept sending half the proposals to the down endpoint
  // (llm_error does not count against it) and three errors in a row paused
  // the campaign for infra_retry_s although the other endpoint answered.
  Harness h({});
  h.RestartWithInfraPause(3, 600);  // a pause would outlast the test
  h.engine.names = {"tuner", "scripted", "scripted2"};
  h.engine.down_proposers = {"scripted2"};
  std::string yaml = OneAxisCampaign("two", 12);
  const std::string one = "  - {name: scripted, weight: 1}\n";
  yaml.replace(yaml.find(one), one.size(), one + "  - {name: scripted2, weight: 1}\n");
  REQUIRE(h.service->StartCampaign(yaml, "two.yaml").ok());
  CheckEndedAtBudget(h, "two", 12, "proposal_failed{llm_error}");
  CHECK(StateEvents(h, "two", "paused", "") == 0);
  // It rested after kEndpointErrorsToRest errors (more only from proposals
  // already in flight when it began to rest).
  const size_t errors = EndsWith(h, "two", "proposal_failed{llm_error}");
  CHECK(errors >= static_cast<size_t>(planner::kEndpointErrorsToRest));
  CHECK(errors <= static_cast<size_t>(planner::kEndpointErrorsToRest) + 2);
}

TEST_CASE("a user's resume of a campaign paused for infrastructure errors is not undone or repeated by the retry",
          "[daemon][fault]") {
  Harness h({});
  h.RestartWithInfraPause(2, 2);
  h.backend.infra_after = 5;
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("user", 6), "user.yaml").ok());
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "user") == "paused"; }));
  h.backend.infra_after = 0;
  h.backend.infra_failing = false;
  REQUIRE(h.service->ResumeCampaign("user").ok());  // before the retry's 2 s
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "user") == "finished" && h.service->Idle(); }));
  for (int i = 0; i < 120; ++i) h.io.run_for(std::chrono::milliseconds(20));  // past the retry's time
  CHECK(StateEvents(h, "user", "", "retrying after infrastructure errors") == 0);
  CHECK(StateEvents(h, "user", "", "resumed") == 1);
  CHECK(StateOf(h, "user") == "finished");
  CheckOneEndPerAttempt(h, "user");
}

TEST_CASE("a campaign that cannot be rebuilt at a start is paused; the daemon starts and runs the others",
          "[daemon][fault]") {
  // axes.yaml edited while the daemon was down: the axis a campaign is
  // restricted to is gone. Before, the daemon refused to start at all.
  Harness h({});
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("lost", 6), "lost.yaml").ok());  // loop_unrolling only
  std::string other = OneAxisCampaign("kept", 6);
  other.replace(other.find("loop_unrolling"), 14, "vectorized_access");
  REQUIRE(h.service->StartCampaign(other, "kept.yaml").ok());
  const planner::AxisCatalogue full = *h.axes;
  std::vector<planner::Axis> without;
  for (planner::Axis a : full.axes()) {
    if (a.name == "loop_unrolling") continue;
    a.neighbours.erase(std::remove(a.neighbours.begin(), a.neighbours.end(), "loop_unrolling"), a.neighbours.end());
    without.push_back(std::move(a));
  }
  auto edited = planner::AxisCatalogue::FromAxes(without);
  REQUIRE(edited.ok());
  h.axes = std::move(*edited);
  int64_t lost_last_ms = 0;  // its last event before the restart
  for (const Event& e : h.Events("lost", "")) lost_last_ms = std::max(lost_last_ms, e.time_ms);
  h.RestartService();  // Start() must succeed

  const json lost = *h.service->CampaignStatus("lost");
  CHECK(lost.value("state", "") == "paused");
  CHECK(lost.value("state_reason", "").rfind("cannot be rebuilt: ", 0) == 0);
  // Its pause says since when it was down, for the wall-time budget.
  const Event paused = h.Events("lost", "campaign_state").back();
  CHECK(paused.payload.value("down_since_ms", int64_t{0}) == lost_last_ms);
  CHECK(lost.value("state_reason", "").find("loop_unrolling") != std::string::npos);
  Status still = h.service->ResumeCampaign("lost");
  CHECK(still.code() == Status::Code::kFailedPrecondition);
  CHECK(still.message().find("loop_unrolling") != std::string::npos);
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "kept") == "finished" && h.service->Idle(); }));
  CHECK(StateOf(h, "lost") == "paused");

  // The axis is back: the next start rebuilds it and lets it go on by itself.
  h.axes = full;
  h.RestartService();
  RunsToTheEnd(h, "lost", 6);
  CheckOneEndPerAttempt(h, "kept");
  h.CheckLogVerifies();
}

TEST_CASE("a campaign that finished on its budget runs again when extended, also after a restart",
          "[daemon][budget]") {
  Harness h({});
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("more", 6), "more.yaml").ok());
  RunsToTheEnd(h, "more", 6);
  REQUIRE(h.service->CampaignStatus("more")->value("state_reason", "") == "budget_attempts");

  // More wall time cannot lift an attempts limit: refused, nothing appended.
  planner::BudgetExtension wall;
  wall.wall_seconds = 60;
  auto refused = h.service->ExtendCampaign("more", wall);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kFailedPrecondition);
  CHECK(refused.status().message().find("budget_attempts") != std::string::npos);
  CHECK(h.Events("more", "budget_extended").empty());
  CHECK(h.service->ExtendCampaign("nobody", wall).status().code() == Status::Code::kNotFound);

  planner::BudgetExtension three;
  three.attempts = 3;
  auto extended = h.service->ExtendCampaign("more", three);
  REQUIRE(extended.ok());
  CHECK((*extended)["budgets"]["attempts"] == 9);
  CHECK((*extended)["state"] == "running");
  RunsToTheEnd(h, "more", 9);
  CHECK(StateEvents(h, "more", "running", "budget extended") == 1);

  // After a restart the finished campaign is not live; the log still holds
  // its limits, and a second extension rebuilds it and runs it on.
  h.RestartService();
  json status = *h.service->CampaignStatus("more");
  CHECK(status["state"] == "finished");
  CHECK(status["budgets"]["attempts"] == 9);
  CHECK(status["last_extension"] == json{{"attempts", 3}});
  CHECK_FALSE(status.contains("planner"));  // no live planner
  auto refused_again = h.service->ExtendCampaign("more", wall);
  CHECK_FALSE(refused_again.ok());
  CHECK_FALSE(h.service->CampaignStatus("more")->contains("planner"));  // the rebuild was dropped
  planner::BudgetExtension two;
  two.attempts = 2;
  REQUIRE(h.service->ExtendCampaign("more", two).ok());
  RunsToTheEnd(h, "more", 11);
  CHECK(h.Events("more", "budget_extended").size() == 2);

  // A stopped campaign does not run again.
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("halt", 40), "halt.yaml").ok());
  REQUIRE(h.service->StopCampaign("halt").ok());
  auto stopped = h.service->ExtendCampaign("halt", three);
  CHECK(stopped.status().code() == Status::Code::kFailedPrecondition);
  CHECK(stopped.status().message().find("stopped") != std::string::npos);
  REQUIRE(RunUntil(h, [&] { return h.service->Idle(); }));
  h.CheckLogVerifies();
}

TEST_CASE("the time the daemon was down, and time paused, is not spent from the wall-time budget",
          "[daemon][budget]") {
  // f's run is held, so the campaign is running (an attempt in flight) when
  // the daemon stops.
  Harness h({{{"", 0}, {"f", "95"}}});
  h.backend.Hold("f", ScriptedBackend::Stage::kRun);
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("down", 6), "down.yaml").ok());
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("rest", 6), "rest.yaml").ok());
  REQUIRE(h.service->PauseCampaign("rest").ok());
  CHECK(h.ShutdownWhileHeld());
  int64_t last_ms = 0;  // the running campaign's last event before the daemon stopped
  for (const Event& e : h.Events("down", "")) last_ms = std::max(last_ms, e.time_ms);
  const int64_t started_ms = h.Events("down", "campaign_started").front().time_ms;
  const int64_t rest_paused_ms = h.Events("rest", "campaign_state").back().time_ms;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the daemon is down

  h.RestartService();
  // The start records, for the campaign that was running, since when it was not.
  std::vector<Event> marks;
  for (const Event& e : h.Events("down", "campaign_state"))
    if (e.payload.value("reason", "") == "daemon started") marks.push_back(e);
  REQUIRE(marks.size() == 1);
  CHECK(marks[0].payload.value("state", "") == "running");
  CHECK(marks[0].payload.value("down_since_ms", int64_t{0}) == last_ms);
  CHECK(marks[0].time_ms - last_ms >= 1500);
  // A paused campaign gets none: it was not running.
  CHECK(StateEvents(h, "rest", "running", "") == 0);

  // Status: the wall time used leaves out the 1.5 s down, and all of the
  // paused campaign's time since its pause.
  const int64_t now_ms = SystemClock::Instance().UnixMillis();
  const json status = *h.service->CampaignStatus("down");
  const double used = status.value("wall_seconds_used", -1.0);
  CHECK(used >= 0);
  CHECK(used <= static_cast<double>(now_ms - started_ms) / 1000.0 - 1.5);
  const json rest = *h.service->CampaignStatus("rest");
  CHECK(rest.value("wall_seconds_used", -1.0) ==
        static_cast<double>(rest_paused_ms - h.Events("rest", "campaign_started").front().time_ms) / 1000.0);
  RunsToTheEnd(h, "down", 6);
  h.CheckLogVerifies();
}

TEST_CASE("a campaign naming a proposer the daemon lacks is refused; one that lost it is paused at a start",
          "[daemon][fault]") {
  // Before, such a campaign was accepted, measured its seed three times, then
  // paused on proposal_failed{llm_error} "no proposer named ..." and was
  // retried every infra_retry_s, doubling, for ever.
  Harness h({});
  std::string typo = OneAxisCampaign("typo", 6);
  typo.replace(typo.find("name: scripted"), 14, "name: scriptd");
  auto refused = h.service->StartCampaign(typo, "typo.yaml");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kInvalidArgument);
  CHECK(refused.status().message() ==
        "typo.yaml: proposers[0].name: no proposer named 'scriptd' in the daemon's configuration "
        "(configured: tuner, scripted)");
  CHECK(h.service->CampaignStatus("typo").status().code() == Status::Code::kNotFound);

  // The endpoint leaves daemon.yaml while the daemon is down.
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("lost", 6), "lost.yaml").ok());
  h.engine.names = {"tuner"};
  h.RestartService();
  const json lost = *h.service->CampaignStatus("lost");
  CHECK(lost.value("state", "") == "paused");
  CHECK(lost.value("state_reason", "").rfind("cannot be rebuilt: ", 0) == 0);
  CHECK(lost.value("state_reason", "").find("no proposer named 'scripted'") != std::string::npos);
  // Back in the configuration: the next start rebuilds it and it finishes.
  h.engine.names = {"tuner", "scripted"};
  h.RestartService();
  RunsToTheEnd(h, "lost", 6);
  h.CheckLogVerifies();
}

TEST_CASE("a task folder edited across a restart pauses its campaign until it is restored", "[daemon][fault]") {
  // The log's timings were measured on the task as it was: new shapes or
  // tolerances would make every comparison with a parent meaningless.
  Harness h({});
  const std::filesystem::path tasks = h.dir / "tasks";
  std::filesystem::create_directories(tasks / "softmax");
  std::filesystem::copy(SourceDir() + "/configs/tasks/softmax", tasks / "softmax",
                        std::filesystem::copy_options::recursive);
  h.config.tasks_dir = tasks.string();
  h.RestartService();
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("edited", 6), "edited.yaml").ok());
  const std::filesystem::path yaml = tasks / "softmax" / "task.yaml";
  const std::string original = ReadFileText(yaml.string()).value();
  // Edited under the running daemon: a paused campaign does not resume.
  REQUIRE(h.service->PauseCampaign("edited").ok());
  { std::ofstream(yaml, std::ios::app) << "# edited\n"; }
  Status refused = h.service->ResumeCampaign("edited");
  CHECK(refused.code() == Status::Code::kFailedPrecondition);
  CHECK(refused.message().find("cannot resume: the task folder") != std::string::npos);
  { std::ofstream(yaml, std::ios::trunc) << original; }
  REQUIRE(h.service->ResumeCampaign("edited").ok());
  // Edited while the daemon is down.
  { std::ofstream(yaml, std::ios::app) << "# edited while the daemon was down\n"; }
  h.RestartService();
  const json paused = *h.service->CampaignStatus("edited");
  CHECK(paused.value("state", "") == "paused");
  const std::string reason = paused.value("state_reason", "");
  CHECK(reason.rfind("cannot be rebuilt: ", 0) == 0);
  CHECK(reason.find("the task folder " + (tasks / "softmax").string() + " changed since the campaign started") !=
        std::string::npos);
  Status still = h.service->ResumeCampaign("edited");
  CHECK(still.code() == Status::Code::kFailedPrecondition);
  { std::ofstream(yaml, std::ios::trunc) << original; }
  REQUIRE(h.service->ResumeCampaign("edited").ok());
  RunsToTheEnd(h, "edited", 6);
  h.CheckLogVerifies();
}

TEST_CASE("with log_retry_s 0 a refusal's pause lasts until the user resumes", "[daemon][log][fault]") {
  Harness h({});
  h.config.log_retry_s = 0;
  h.RestartService();
  h.recorder->fill_after = 2;
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("manual", 6), "manual.yaml").ok());
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "manual") == "paused"; }));
  const int refusals = h.recorder->full_refusals;
  h.recorder->full = false;
  // Five times the interval the retry test uses: no retry, no resume.
  for (int i = 0; i < 50; ++i) h.io.run_for(std::chrono::milliseconds(20));
  CHECK(h.recorder->full_refusals == refusals);
  CHECK(StateOf(h, "manual") == "paused");
  REQUIRE(h.service->ResumeCampaign("manual").ok());
  RunsToTheEnd(h, "manual", 6);
  h.CheckLogVerifies();
}

TEST_CASE("a re-measurement the log refuses is kept, acted on, and committed later in its place",
          "[daemon][log][remeasure][fault]") {
  // The scripts of the provisional-parent test: c's re-measurement asks for
  // a reference sample of u. The log refuses u's sample. It was acted on
  // (c is judged against it) and lands later, once, before c's final sample:
  // the log reads as it does without the fault.
  Harness h({{{"", 0}, {"u", "99.0,99.2"}}, {{"u", 0}, {"c", "97.6"}}});
  h.recorder->fail_event = [](const Event& e) {
    return e.kind == "remeasured" && e.payload.value("reference", false);
  };
  h.recorder->fail_nth = 1;
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("refref", 9), "refref.yaml").ok());
  json status = json::object();
  for (int i = 0; i < 3000 && status.value("state", "") != "paused"; ++i) {
    h.io.run_for(std::chrono::milliseconds(20));
    status = *h.service->CampaignStatus("refref");
  }
  REQUIRE(h.recorder->refused.size() == 1);
  CHECK(h.recorder->refused.front().payload.value("reference", false));
  CHECK(status.value("state", "") == "paused");
  REQUIRE(h.service->ResumeCampaign("refref").ok());
  CHECK(h.RunCampaign("refref").value("state", "") == "finished");

  CheckProvisionalParentLog(h, "refref", h.MembersOf("refref"));
  CHECK(h.backend.RunsOf("u") == 2);  // the refused sample was not taken again
  CheckOneEndPerAttempt(h, "refref");
  h.CheckLogVerifies();
}

TEST_CASE("a campaign starts from an earlier campaign's best, or a member of it, with its origin in the log",
          "[daemon][start_from]") {
  // "night": the task's seed (100 us), f at 80 (its best), then g, f's
  // child, at 90 (measured, slower), then slow children.
  Harness h({{{"", 0}, {"f", "80"}}, {{"f", 0}, {"g", "90"}}});
  const auto night = h.RunOneAxisCampaign("night", 6);
  const json night_status = *h.service->CampaignStatus("night");
  REQUIRE(night_status.value("best_candidate", "") == night.id_of.at("f"));

  const std::string f = night.id_of.at("f");
  std::string f_blob;
  for (const Event& e : h.Events("night", "attempt_finished"))
    if (e.payload.value("candidate", "") == f) f_blob = e.payload.value("source_blob", "");
  REQUIRE_FALSE(f_blob.empty());

  const size_t night_events = h.Events("night", "").size();
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("morning", 5) + "start_from: night\n", "morning.yaml").ok());
  const Event started = h.Events("morning", "campaign_started").front();
  CHECK(started.payload.value("seed_candidate", "") == f);  // the same source, so the same id
  CHECK(started.payload.value("seed_source_blob", "") == f_blob);
  CHECK(started.payload["started_from"] == json{{"campaign", "night"},
                                                {"candidate", f},
                                                {"attempt", night.attempt_of.at("f")},
                                                {"best", true},
                                                {"arch", "x86_64"},
                                                {"time_us", night_status["best_time_us"]}});
  RunsToTheEnd(h, "morning", 5);
  const json morning = *h.service->CampaignStatus("morning");
  CHECK(morning["started_from"] == started.payload["started_from"]);
  CHECK(morning.value("seed_time_us", 0.0) == 80.0);  // f's script, measured again as this campaign's seed
  CHECK(morning.value("best_candidate", "") == f);
  // The earlier campaign is read, not changed.
  CHECK(h.Events("night", "").size() == night_events);
  CHECK(StateOf(h, "night") == "finished");

  // A named member that is not the best: measured, and slower than its parent.
  const std::string g = night.id_of.at("g");
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("sibling", 4) + "start_from: {campaign: night, candidate: " + g + "}\n",
                                   "sibling.yaml").ok());
  const json from_g = h.Events("sibling", "campaign_started").front().payload["started_from"];
  CHECK(from_g.value("candidate", "") == g);
  CHECK(from_g.value("best", true) == false);
  CHECK(from_g.value("time_us", 0.0) == 90.0);
  RunsToTheEnd(h, "sibling", 4);

  // Refusals name the file and the key, and append nothing.
  const size_t campaigns_before = h.Events("", "campaign_started").size();
  auto refused = [&](const std::string& extra, const std::string& id) {
    auto r = h.service->StartCampaign(OneAxisCampaign(id, 4) + extra, id + ".yaml");
    REQUIRE_FALSE(r.ok());
    CHECK(h.service->CampaignStatus(id).status().code() == Status::Code::kNotFound);
    return r.status();
  };
  Status none = refused("start_from: nobody\n", "x1");
  CHECK(none.code() == Status::Code::kNotFound);
  CHECK(none.message() == "x1.yaml: start_from.campaign: no campaign 'nobody' in the log");
  Status member = refused("start_from: {campaign: night, candidate: c0123456789ab}\n", "x2");
  CHECK(member.code() == Status::Code::kNotFound);
  CHECK(member.message() == "x2.yaml: start_from.candidate: campaign 'night' measured no candidate 'c0123456789ab'");
  // A campaign whose seed has not been measured yet (its attempts wait for
  // the io loop, which this thread runs only below) has no best.
  REQUIRE(h.service->StartCampaign(OneAxisCampaign("early", 4), "early.yaml").ok());
  Status early = refused("start_from: early\n", "x5");
  CHECK(early.code() == Status::Code::kFailedPrecondition);
  CHECK(early.message() == "x5.yaml: start_from.campaign: campaign 'early' has no best yet (its seed was never measured)");
  REQUIRE(h.service->StopCampaign("early").ok());
  // A campaign of another task: its kernel does not compute this one.
  std::string gemm = OneAxisCampaign("gemm-night", 4);
  gemm.replace(gemm.find("task: softmax"), 13, "task: gemm");
  REQUIRE(h.service->StartCampaign(gemm, "gemm-night.yaml").ok());
  REQUIRE(h.service->StopCampaign("gemm-night").ok());
  Status task = refused("start_from: gemm-night\n", "x3");
  CHECK(task.code() == Status::Code::kInvalidArgument);
  CHECK(task.message() == "x3.yaml: start_from.campaign: campaign 'gemm-night' ran task 'gemm'; this campaign's task is 'softmax'");
  // A campaign of another backend (a log carried from a CUDA machine; the
  // test has no CUDA slot, so its start event is written by hand).
  Event cuda;
  cuda.campaign_id = "cuda-night";
  cuda.kind = "campaign_started";
  cuda.time_ms = SystemClock::Instance().UnixMillis();
  cuda.payload = json{{"task", "softmax"}, {"backend", "cuda"}, {"arch", "sm_90a"}};
  std::vector<Event> batch{cuda};
  REQUIRE(h.log->Append(batch, {}).ok());
  h.RestartService();  // folds it (and pauses it: it cannot be rebuilt)
  Status backend = refused("start_from: cuda-night\n", "x4");
  CHECK(backend.code() == Status::Code::kInvalidArgument);
  CHECK(backend.message() == "x4.yaml: start_from.campaign: campaign 'cuda-night' ran backend cuda; this campaign's "
                             "is host (a seed must build with this campaign's compiler)");
  CHECK(h.Events("", "campaign_started").size() == campaigns_before + 3);  // early, gemm-night and cuda-night only
  REQUIRE(RunUntil(h, [&] { return h.service->Idle(); }));
  h.CheckLogVerifies();
}

TEST_CASE("a campaign's proposals are given the dead ends earlier campaigns on its task and arch met",
          "[daemon][deadends]") {
  // "first" measures its seed and proposes slow children (104 us against
  // 100: slower) along loop_unrolling; "second", on the same task and arch,
  // proposes along the same axis and must be told; "gemm" must not.
  Harness h({});
  h.RunOneAxisCampaign("first", 6);
  CHECK(h.engine.other_dead_ends["first"].empty());  // no other campaign yet
  std::map<std::string, int> slower;                  // verdict -> count, first's
  for (const Event& e : h.Events("first", "attempt_finished")) {
    const std::string v = e.payload.value("verdict", "");
    if (v == "slower" || v == "no_gain") ++slower[v];
  }
  REQUIRE_FALSE(slower.empty());
  h.RunOneAxisCampaign("second", 5);
  const std::set<std::string>& told = h.engine.other_dead_ends["second"];
  INFO(Catch::Detail::stringify(std::vector<std::string>(told.begin(), told.end())));
  REQUIRE_FALSE(told.empty());
  bool names_first = false;
  for (const std::string& line : told) names_first |= line.find("in 1 other campaign (e.g. first-a") != std::string::npos;
  CHECK(names_first);
  // One line per verdict kind, with first's count (its own are not in them).
  for (const auto& [v, count] : slower) {
    bool found = false;
    for (const std::string& line : told) found |= line.rfind(v + " x" + std::to_string(count) + " in 1 other campaign", 0) == 0;
    CHECK(found);
  }
  std::string gemm = OneAxisCampaign("gemm", 5);
  gemm.replace(gemm.find("task: softmax"), 13, "task: gemm");
  REQUIRE(h.service->StartCampaign(gemm, "gemm.yaml").ok());
  REQUIRE(RunUntil(h, [&] { return StateOf(h, "gemm") == "finished" && h.service->Idle(); }));
  CHECK(h.engine.other_dead_ends["gemm"].empty());
  h.CheckLogVerifies();
}
