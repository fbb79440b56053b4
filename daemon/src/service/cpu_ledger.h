#pragma once
// CpuLedger: where the io thread's CPU time goes, by activity, for /metrics
// (ksearch_daemon_io_cpu_seconds_total{activity}) and the throughput bench.
//
// A CpuScope charges the thread CPU time (CLOCK_THREAD_CPUTIME_ID) spent while
// it is open to its activity. Attribution is exclusive: while a nested scope is
// open, only the nested activity is charged, and the enclosing one resumes when
// it closes, so the activities add up to the scoped time and nothing is counted
// twice. Opening and closing a scope costs two clock reads (a system call each,
// well under a microsecond).
//
// Threading: a ledger belongs to one thread (the daemon's io thread); every
// scope on it and every Take() must run on that thread.
#include <array>
#include <cstdint>
#include <string_view>

namespace ksearch::daemon {

enum class CpuActivity {
  kPlanner,        // Pump: the planner's next decision and starting the attempt
  kProposal,       // a proposer's output: duplicate checks, the build request
  kBuildResult,    // a build's result: static checks, the run request
  kRunResult,      // a run's result: the measurement's judgement
  kFinish,         // an attempt's terminal batch: the evidence packet and its events
  kRemeasure,      // re-measurements and baselines: their requests and records
  kLogAppend,      // ExperimentLog::Append (SQLite) and folding the events in
  kCampaignStart,  // starting or recovering a campaign (YAML, task, planner)
  kHttp,           // control API requests, /metrics included
  kRetrieval,      // prompt context (ISA facts, technique notes) for a key not seen before
  kCount,
};

std::string_view CpuActivityName(CpuActivity a);

class CpuLedger {
 public:
  struct Snapshot {
    std::array<double, static_cast<size_t>(CpuActivity::kCount)> seconds{};
    double thread_seconds = 0;  // the thread's whole CPU time so far
  };
  // Totals up to now, the open scopes' time included.
  Snapshot Take() const;

 private:
  friend class CpuScope;
  static constexpr int kNone = -1;
  void Charge(int64_t now_ns);

  std::array<int64_t, static_cast<size_t>(CpuActivity::kCount)> ns_{};
  int current_ = kNone;    // the innermost open scope's activity
  int64_t since_ns_ = 0;   // thread CPU time when `current_` was last charged
};

class CpuScope {
 public:
  CpuScope(CpuLedger& ledger, CpuActivity activity);
  ~CpuScope();
  CpuScope(const CpuScope&) = delete;
  CpuScope& operator=(const CpuScope&) = delete;

 private:
  CpuLedger& ledger_;
  int outer_;  // the activity to resume when this scope closes
};

}  // namespace ksearch::daemon
