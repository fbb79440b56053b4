// bench_experiment_log: append throughput and dead-ends query latency.
//
//   bench_experiment_log append   --dir DIR [--seconds S] [--full-sync]
//     Appends attempt events (started, 3 stages, finished) for S seconds per
//     batch size 1, 10, 100, each batch one committed transaction; prints events/s.
//   bench_experiment_log attempts --dir DIR [--attempts N] [--runs R] [--autocheckpoint P] [--blob-scale S]
//                                 [--prompt-parts] [--plain-vfs] [--pause-ms M [--spin]] [--thrash K]
//                                 [--start-with-end]
//     The commits of N daemon attempts (attempt_started; llm_call with a 15 KB
//     prompt and a 2 KB reply blob; the terminal batch of 3 events (two stages,
//     attempt_finished) with a 4 KB source and a 20 KB evidence packet, near the H100 replay runs'
//     sizes (docs/bench-experiment-log.md)),
//     into a fresh log per run; prints the median CPU microseconds per attempt
//     over R runs. P: PRAGMA wal_autocheckpoint (0: SQLite's 1000). S scales
//     the four blobs' sizes (0: one byte each, to see what the commits cost
//     without their blobs). --prompt-parts stores the prompt as the daemon does
//     since 2026-11-24 (llm_call.prompt_parts): 14 sections, 12 of them
//     (12.6 KB) repeating per axis and 2 (2.6 KB) new per attempt, the split
//     measured on a host replay log; without it the same 15.2 KB prompt is one
//     blob, as before. --plain-vfs opens the log through SQLite's default VFS
//     instead of "ksearch-walbuf" (OpenOptions::coalesce_wal_writes, since
//     2026-11-24), which writes each commit's WAL frames at once.
//     --pause-ms M sleeps M ms before each commit, as the daemon's io thread
//     sleeps between an attempt's three bursts; --thrash K runs K child
//     processes that stream over 64 MiB each meanwhile (as nvcc and the
//     evaluations do on a GPU machine). With either, the figure is the commits'
//     own CPU (the main thread's clock, read after each sleep), and the sleeps'
//     CPU (going to sleep and waking) is printed apart: together they say how
//     much more a commit costs between sleeps than back to back. --spin makes
//     the pause a busy wait (the thread stays on its CPU, which never idles).
//     --start-with-end commits each attempt_started with the previous
//     attempt's terminal batch (two commits per attempt, as the daemon does
//     since 2026-11-24 when a finished attempt's slot goes to the next one).
//   bench_experiment_log deadends --db PATH [--events N] [--runs R]
//     Builds a log of N events at PATH if it holds fewer, then times R runs of
//     open(read-only) + QueryDeadEnds (what `ksearch deadends` does) and prints
//     the median, min and max in milliseconds.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ksearch/experiment_log/experiment_log.h"
#include "wal_write_buffer.h"

namespace el = ksearch::experiment_log;
using Clock = std::chrono::steady_clock;

namespace {

// User + system CPU seconds of this process so far (load-independent cost).
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// This thread's CPU seconds so far (excludes the thrashing children).
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// K child processes that stream over 64 MiB each until killed: other work
// evicting this process's data and code from the caches it shares with them.
class Thrashers {
 public:
  explicit Thrashers(int k) {
    for (int i = 0; i < k; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        std::vector<uint64_t> buf(size_t(64) << 17);  // 64 MiB
        for (uint64_t round = 1;; ++round)
          for (size_t j = 0; j < buf.size(); j += 8) buf[j] += round;
      }
      if (pid > 0) pids_.push_back(pid);
    }
  }
  ~Thrashers() {
    for (pid_t p : pids_) kill(p, SIGKILL);
    for (pid_t p : pids_) waitpid(p, nullptr, 0);
  }

 private:
  std::vector<pid_t> pids_;
};

const char* kVerdicts[] = {"compile_error{ptxas}", "incorrect{mismatch}", "slower", "no_gain",
                           "improved", "crash", "timeout", "rejected_static{forbidden_import}",
                           "incorrect{nan}", "duplicate{source}"};
const char* kAxes[] = {"tiling", "vectorize", "unroll", "async_copy", "tensor_cores", "occupancy"};

ksearch::Event Make(const std::string& campaign, const std::string& attempt, const char* kind,
                    nlohmann::json payload) {
  ksearch::Event e;
  e.campaign_id = campaign;
  e.attempt_id = attempt;
  e.kind = kind;
  e.payload = std::move(payload);
  return e;
}

// One attempt: started, `stages` stages, finished (stages + 2 events).
void AddAttempt(std::vector<ksearch::Event>& out, const std::string& campaign, int64_t n,
                std::mt19937& rng, int stages) {
  std::string id = "att-" + std::to_string(n);
  const char* axis = kAxes[rng() % 6];
  out.push_back(Make(campaign, id, "attempt_started",
                     {{"parent", "cand-" + std::to_string(n / 7)}, {"axis", axis},
                      {"proposer", "llm:model-a"}, {"island", static_cast<int>(n % 4)},
                      {"repair_of", ""}, {"retry_of", ""}}));
  for (int s = 0; s < stages; ++s)
    out.push_back(Make(campaign, id, "attempt_stage",
                       {{"stage", s == 0 ? "compile" : "verify"}, {"ok", true}, {"seconds", 1.25},
                        {"detail", "stage ok"}, {"registers", 96}}));
  const char* verdict = kVerdicts[rng() % 10];
  out.push_back(Make(campaign, id, "attempt_finished",
                     {{"verdict", verdict},
                      {"detail", std::string(verdict) + " at line " + std::to_string(n % 300) +
                                     "\nnote: second line\nthird line\nfourth line"},
                      {"candidate", "cand-" + std::to_string(n)},
                      {"parent", "cand-" + std::to_string(n / 7)},
                      {"axis", axis}, {"proposer", "llm:model-a"}, {"island", 0},
                      {"repair_of", ""}, {"source_blob", std::string(64, 'a')},
                      {"evidence_blob", std::string(64, 'b')}, {"time_us", 123.5},
                      {"spread", 0.02}, {"speedup_vs_parent", 0.97}, {"speedup_vs_seed", 1.4},
                      {"cost_usd", 0.01}, {"change_summary", "one change"}}));
}

std::string Arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
bool Flag(int argc, char** argv, const char* name) {
  for (int i = 2; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

int BenchAppend(const std::string& dir, double seconds, bool full_sync) {
  std::filesystem::create_directories(dir);
  std::printf("append: sync=%s, %.1f s per batch size, attempt events of ~300-600 bytes\n",
              full_sync ? "FULL" : "NORMAL", seconds);
  for (int batch_size : {1, 10, 100}) {
    std::string path = dir + "/append-" + std::to_string(batch_size) + ".db";
    for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
    el::OpenOptions o;
    o.full_sync = full_sync;
    auto log = el::ExperimentLog::Open(path, o);
    if (!log.ok()) return std::fprintf(stderr, "%s\n", log.status().ToString().c_str()), 1;
    std::vector<ksearch::Event> start{Make("bench", "", "campaign_started",
                                           {{"task", "gemm"}, {"arch", "sm_90"}})};
    (void)(*log)->Append(start);
    std::mt19937 rng(1);
    int64_t events = 0, attempt = 0, batches = 0;
    auto t0 = Clock::now();
    double cpu0 = CpuSeconds();
    double elapsed = 0;
    std::vector<ksearch::Event> pending;
    while (elapsed < seconds) {
      while (static_cast<int>(pending.size()) < batch_size) AddAttempt(pending, "bench", attempt++, rng, 3);
      std::vector<ksearch::Event> batch(std::make_move_iterator(pending.begin()),
                                        std::make_move_iterator(pending.begin() + batch_size));
      pending.erase(pending.begin(), pending.begin() + batch_size);
      ksearch::Status s = (*log)->Append(batch);
      if (!s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
      events += batch_size;
      ++batches;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    double cpu = CpuSeconds() - cpu0;
    auto v = (*log)->Verify();
    std::printf("  batch %3d: %8.0f events/s  (%lld events, %lld commits, %.2f s wall, %.1f us CPU/event, verify %s)\n",
                batch_size, events / elapsed, static_cast<long long>(events),
                static_cast<long long>(batches), elapsed, cpu / events * 1e6,
                v.ok() && v->ok ? "ok" : "FAILED");
  }
  return 0;
}

// `n` bytes of printable text that differ per (salt, i): blobs are
// content-addressed, so each attempt's must be new to cost what a real one does.
std::string Text(size_t n, uint64_t salt) {
  std::string s(n, ' ');
  uint64_t x = salt * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s[i] = static_cast<char>(i % 80 == 79 ? '\n' : 32 + x % 95);
  }
  return s;
}

// A prompt as sections: kRepeatedSections per axis (the same text whenever
// that axis comes again: contract, notes, ISA facts) and kNewSections new per
// attempt (evidence, source), kept with the offsets where they join.
constexpr int kRepeatedSections = 12, kNewSections = 2;
struct PromptSections {
  std::string text;
  std::vector<size_t> cuts;  // the start of every section but the first
};
PromptSections Prompt(int attempt, double scale) {
  PromptSections p;
  for (int k = 0; k < kRepeatedSections + kNewSections; ++k) {
    if (k > 0) p.cuts.push_back(p.text.size());
    p.text += k < kRepeatedSections
                  ? Text(std::max<size_t>(1, size_t(1050 * scale)), 1000003ull * (attempt % 6 + 1) + k)
                  : Text(std::max<size_t>(1, size_t(1300 * scale)), 4ull * attempt + 1 + 7919ull * k);
  }
  return p;
}

struct AttemptsOptions {
  std::string dir;
  int attempts = 2000;
  int runs = 5;
  int autocheckpoint = 0;
  double scale = 1;
  bool prompt_parts = false;
  bool plain_vfs = false;
  int pause_ms = 0;
  bool spin = false;
  int thrash = 0;
  bool start_with_end = false;
};

int BenchAttempts(const AttemptsOptions& opt) {
  const std::string& dir = opt.dir;
  const int attempts = opt.attempts, runs = opt.runs, autocheckpoint = opt.autocheckpoint;
  const double scale = opt.scale;
  const bool prompt_parts = opt.prompt_parts, plain_vfs = opt.plain_vfs;
  const bool between_sleeps = opt.pause_ms > 0 || opt.thrash > 0;
  std::filesystem::create_directories(dir);
  Thrashers thrashers(opt.thrash);
  std::vector<double> us, sleep_us;
  for (int r = 0; r < runs; ++r) {
    const std::string path = dir + "/attempts.db";
    for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(path + ext);
    el::OpenOptions o;
    o.wal_autocheckpoint_pages = autocheckpoint;
    o.coalesce_wal_writes = !plain_vfs;
    auto log = el::ExperimentLog::Open(path, o);
    if (!log.ok()) return std::fprintf(stderr, "%s\n", log.status().ToString().c_str()), 1;
    std::vector<ksearch::Event> start{Make("bench", "", "campaign_started", {{"task", "softmax"}})};
    (void)(*log)->Append(start);
    // The texts are made before the clock starts: only the log's work is timed.
    std::vector<std::array<std::string, 4>> blobs(attempts);
    std::vector<PromptSections> prompts(attempts);
    for (int a = 0; a < attempts; ++a) prompts[a] = Prompt(a, scale);
    for (int a = 0; a < attempts; ++a)
      blobs[a] = {std::move(prompts[a].text),
                  Text(std::max<size_t>(1, size_t(2000 * scale)), 4 * a + 2),
                  Text(std::max<size_t>(1, size_t(4000 * scale)), 4 * a + 3),
                  Text(std::max<size_t>(1, size_t(20000 * scale)), 4 * a + 4)};
    std::mt19937 rng(static_cast<unsigned>(r + 1));
    // Between sleeps: the commits' CPU is summed from after each sleep, and
    // the sleeps' own CPU apart. Back to back: the process's CPU, as before.
    double commits_cpu = 0, sleeps_cpu = 0, mark = ThreadCpuSeconds();
    auto pause = [&] {
      if (!between_sleeps) return;
      const double before = ThreadCpuSeconds();
      commits_cpu += before - mark;
      if (opt.pause_ms > 0 && opt.spin) {  // the same pause, awake: the CPU never idles
        const auto until = Clock::now() + std::chrono::milliseconds(opt.pause_ms);
        while (Clock::now() < until) {
        }
      } else if (opt.pause_ms > 0) {
        timespec ts{opt.pause_ms / 1000, (opt.pause_ms % 1000) * 1000000L};
        nanosleep(&ts, nullptr);
      }
      mark = ThreadCpuSeconds();
      sleeps_cpu += mark - before;
    };
    const double cpu0 = CpuSeconds();
    for (int a = 0; a < attempts; ++a) {
      const std::string id = "att-" + std::to_string(a);
      auto started_event = [&](int k) {
        return Make("bench", "att-" + std::to_string(k), "attempt_started",
                    {{"parent", "cand-1"}, {"axis", kAxes[k % 6]}, {"proposer", "replay"}});
      };
      ksearch::Status s;
      if (!opt.start_with_end || a == 0) {  // else the previous terminal batch committed it
        std::vector<ksearch::Event> started{started_event(a)};
        pause();
        s = (*log)->Append(started);
      }
      std::vector<el::ExperimentLog::Blob> call_blobs;
      nlohmann::json call_payload{{"model", "replay"}, {"input_tokens", 3900}, {"output_tokens", 500}};
      if (prompt_parts) {  // as the daemon's OnProposal: a blob per section
        nlohmann::json parts = nlohmann::json::array();
        const std::string& text = blobs[a][0];
        size_t begin = 0;
        for (size_t k = 0; k <= prompts[a].cuts.size(); ++k) {
          const size_t end = k < prompts[a].cuts.size() ? prompts[a].cuts[k] : text.size();
          call_blobs.push_back(el::ExperimentLog::Blob::Of(text.substr(begin, end - begin)));
          parts.push_back(call_blobs.back().sha256);
          begin = end;
        }
        call_payload["prompt_parts"] = std::move(parts);
      } else {
        call_blobs.push_back(el::ExperimentLog::Blob::Of(std::move(blobs[a][0])));
        call_payload["prompt_blob"] = call_blobs.back().sha256;
      }
      call_blobs.push_back(el::ExperimentLog::Blob::Of(std::move(blobs[a][1])));
      call_payload["reply_blob"] = call_blobs.back().sha256;
      std::vector<ksearch::Event> call{Make("bench", id, "llm_call", std::move(call_payload))};
      pause();
      if (s.ok()) s = (*log)->Append(call, call_blobs);
      std::vector<el::ExperimentLog::Blob> end_blobs{el::ExperimentLog::Blob::Of(std::move(blobs[a][2])),
                                                     el::ExperimentLog::Blob::Of(std::move(blobs[a][3]))};
      // The terminal batch: the compile and verify stages and attempt_finished
      // (AddAttempt's attempt_started is the first commit's, so it is dropped).
      std::vector<ksearch::Event> end;
      AddAttempt(end, "bench", a, rng, 2);
      end.erase(end.begin());
      end.back().payload["source_blob"] = end_blobs[0].sha256;
      end.back().payload["evidence_blob"] = end_blobs[1].sha256;
      if (opt.start_with_end && a + 1 < attempts) end.push_back(started_event(a + 1));
      pause();
      if (s.ok()) s = (*log)->Append(end, end_blobs);
      if (!s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
    }
    if (between_sleeps) {
      commits_cpu += ThreadCpuSeconds() - mark;
      us.push_back(commits_cpu / attempts * 1e6);
      sleep_us.push_back(sleeps_cpu / attempts * 1e6);
    } else {
      us.push_back((CpuSeconds() - cpu0) / attempts * 1e6);
    }
    auto v = (*log)->Verify();
    if (!v.ok() || !v->ok) return std::fprintf(stderr, "verify failed\n"), 1;
  }
  std::vector<double> sorted = us;
  std::sort(sorted.begin(), sorted.end());
  const el::WalBufferCounters writes = el::WalBufferCountersNow();
  std::printf("attempts: %d per run, %d commits each, wal_autocheckpoint %d, blob scale %.2f, prompt %s, %s VFS: "
              "median %.1f us CPU per attempt (min %.1f, max %.1f, %d runs); WAL writes per attempt: %.1f asked, "
              "%.1f issued\n",
              attempts, opt.start_with_end ? 2 : 3, autocheckpoint > 0 ? autocheckpoint : 1000, scale,
              prompt_parts ? "in parts" : "one blob", plain_vfs ? "default" : "ksearch-walbuf", sorted[sorted.size() / 2], sorted.front(), sorted.back(), runs,
              static_cast<double>(writes.wal_writes) / (attempts * runs),
              static_cast<double>(writes.file_writes) / (attempts * runs));
  if (between_sleeps) {
    std::sort(sleep_us.begin(), sleep_us.end());
    std::printf("  between sleeps of %d ms, %d thrashing processes: the figure above is the commits' own CPU; "
                "the three sleeps cost a median %.1f us CPU per attempt more\n",
                opt.pause_ms, opt.thrash, sleep_us[sleep_us.size() / 2]);
  }
  return 0;
}

int BenchDeadEnds(const std::string& path, int64_t target, int runs) {
  {
    auto log = el::ExperimentLog::Open(path);
    if (!log.ok()) return std::fprintf(stderr, "%s\n", log.status().ToString().c_str()), 1;
    int64_t have = *(*log)->LastSeq();
    if (have < target) {
      std::printf("building log: %lld -> %lld events\n", static_cast<long long>(have),
                  static_cast<long long>(target));
      std::mt19937 rng(7);
      auto t0 = Clock::now();
      int64_t attempt = have;
      const char* tasks[] = {"gemm", "softmax", "layernorm"};
      const char* archs[] = {"sm_90", "gfx942"};
      int campaigns = 12;
      if (have == 0) {
        std::vector<ksearch::Event> starts;
        for (int c = 0; c < campaigns; ++c)
          starts.push_back(Make("camp-" + std::to_string(c), "", "campaign_started",
                                {{"task", tasks[c % 3]}, {"arch", archs[c % 2]}, {"backend", "cuda"}}));
        (void)(*log)->Append(starts);
        have = campaigns;
      }
      while (have < target) {
        std::vector<ksearch::Event> batch;
        while (batch.size() < 1000) {
          AddAttempt(batch, "camp-" + std::to_string(attempt % campaigns), attempt, rng, 2);
          ++attempt;
        }
        ksearch::Status s = (*log)->Append(batch);
        if (!s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
        have += static_cast<int64_t>(batch.size());
      }
      std::printf("  built in %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
  // since_frac >= 0: --since = the time of the event at that fraction of the log.
  struct Case { const char* name; el::DeadEndFilter f; double since_frac = -1; };
  std::vector<Case> cases(6);
  cases[0].name = "all";
  cases[1].name = "--task gemm --arch sm_90";
  cases[1].f.task = "gemm";
  cases[1].f.arch = "sm_90";
  cases[2].name = "--axis tiling --class incorrect";
  cases[2].f.axis = "tiling";
  cases[2].f.failure_class = "incorrect";
  cases[3].name = "--since (last 1%)";
  cases[3].since_frac = 0.99;
  cases[4].name = "--since (last half)";
  cases[4].since_frac = 0.5;
  cases[5].name = "--since (first event)";
  cases[5].since_frac = 0;
  for (auto& c : cases) {
    if (c.since_frac < 0) continue;
    el::OpenOptions o;
    o.read_only = true;
    auto log = el::ExperimentLog::Open(path, o);
    if (!log.ok()) return std::fprintf(stderr, "%s\n", log.status().ToString().c_str()), 1;
    ksearch::experiment_log::EventFilter ef;
    ef.after_seq = static_cast<int64_t>(*(*log)->LastSeq() * c.since_frac);
    ef.limit = 1;
    c.f.since_ms = (*(*log)->ReadEvents(ef))[0].time_ms;
  }
  for (auto& c : cases) {
    std::vector<double> ms, cpu_ms;
    size_t groups = 0;
    int64_t counted = 0;
    for (int r = 0; r < runs; ++r) {
      auto t0 = Clock::now();
      double cpu0 = CpuSeconds();
      el::OpenOptions o;
      o.read_only = true;
      auto log = el::ExperimentLog::Open(path, o);
      if (!log.ok()) return std::fprintf(stderr, "%s\n", log.status().ToString().c_str()), 1;
      auto d = (*log)->QueryDeadEnds(c.f);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      cpu_ms.push_back((CpuSeconds() - cpu0) * 1e3);
      if (!d.ok()) return std::fprintf(stderr, "%s\n", d.status().ToString().c_str()), 1;
      groups = d->size();
      counted = 0;
      for (const auto& g : *d) counted += g.count;
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu_ms.begin(), cpu_ms.end());
    std::printf("deadends %-32s median %7.1f ms  min %7.1f  max %7.1f  CPU median %6.1f ms  (%d runs, %zu groups, %lld attempts)\n",
                c.name, ms[ms.size() / 2], ms.front(), ms.back(), cpu_ms[cpu_ms.size() / 2], runs,
                groups, static_cast<long long>(counted));
  }
  {
    el::OpenOptions o;
    o.read_only = true;
    auto log = el::ExperimentLog::Open(path, o);
    auto t0 = Clock::now();
    auto v = (*log)->Verify();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!v.ok()) return std::fprintf(stderr, "%s\n", v.status().ToString().c_str()), 1;
    std::printf("verify: %lld events in %.2f s (%s)\n", static_cast<long long>(v->events_checked), s,
                v->ok ? "ok" : "FAILED");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "append")
    return BenchAppend(Arg(argc, argv, "--dir", "/tmp/ksearch-bench"),
                       std::stod(Arg(argc, argv, "--seconds", "5")), Flag(argc, argv, "--full-sync"));
  if (mode == "attempts") {
    AttemptsOptions o;
    o.dir = Arg(argc, argv, "--dir", "/tmp/ksearch-bench");
    o.attempts = std::stoi(Arg(argc, argv, "--attempts", "2000"));
    o.runs = std::stoi(Arg(argc, argv, "--runs", "5"));
    o.autocheckpoint = std::stoi(Arg(argc, argv, "--autocheckpoint", "0"));
    o.scale = std::stod(Arg(argc, argv, "--blob-scale", "1"));
    o.prompt_parts = Flag(argc, argv, "--prompt-parts");
    o.plain_vfs = Flag(argc, argv, "--plain-vfs");
    o.start_with_end = Flag(argc, argv, "--start-with-end");
    o.pause_ms = std::stoi(Arg(argc, argv, "--pause-ms", "0"));
    o.spin = Flag(argc, argv, "--spin");
    o.thrash = std::stoi(Arg(argc, argv, "--thrash", "0"));
    return BenchAttempts(o);
  }
  if (mode == "deadends")
    return BenchDeadEnds(Arg(argc, argv, "--db", "/tmp/ksearch-bench/deadends.db"),
                         std::stoll(Arg(argc, argv, "--events", "1000000")),
                         std::stoi(Arg(argc, argv, "--runs", "7")));
  std::fprintf(stderr, "usage: bench_experiment_log append --dir DIR [--seconds S] [--full-sync]\n"
                       "       bench_experiment_log attempts --dir DIR [--attempts N] [--runs R] [--autocheckpoint P] [--blob-scale S] [--prompt-parts] [--plain-vfs] [--pause-ms M [--spin]] [--thrash K]\n"
                       "       bench_experiment_log deadends --db PATH [--events N] [--runs R]\n");
  return 2;
}
