#include "service/cpu_ledger.h"

#include "ksearch/core/clock.h"

namespace ksearch::daemon {

std::string_view CpuActivityName(CpuActivity a) {
  switch (a) {
    case CpuActivity::kPlanner: return "planner";
    case CpuActivity::kProposal: return "proposal";
    case CpuActivity::kBuildResult: return "build_result";
    case CpuActivity::kRunResult: return "run_result";
    case CpuActivity::kFinish: return "finish";
    case CpuActivity::kRemeasure: return "remeasure";
    case CpuActivity::kLogAppend: return "log_append";
    case CpuActivity::kCampaignStart: return "campaign_start";
    case CpuActivity::kHttp: return "http";
    case CpuActivity::kRetrieval: return "retrieval";
    case CpuActivity::kCount: break;
  }
  return "unknown";
}

void CpuLedger::Charge(int64_t now_ns) {
  if (current_ != kNone) ns_[static_cast<size_t>(current_)] += now_ns - since_ns_;
  since_ns_ = now_ns;
}

CpuLedger::Snapshot CpuLedger::Take() const {
  const int64_t now = ThreadCpuNanos();
  Snapshot s;
  for (size_t i = 0; i < ns_.size(); ++i) s.seconds[i] = double(ns_[i]) * 1e-9;
  if (current_ != kNone) s.seconds[static_cast<size_t>(current_)] += double(now - since_ns_) * 1e-9;
  s.thread_seconds = double(now) * 1e-9;
  return s;
}

CpuScope::CpuScope(CpuLedger& ledger, CpuActivity activity) : ledger_(ledger), outer_(ledger.current_) {
  ledger_.Charge(ThreadCpuNanos());
  ledger_.current_ = static_cast<int>(activity);
}

CpuScope::~CpuScope() {
  ledger_.Charge(ThreadCpuNanos());
  ledger_.current_ = outer_;
}

}  // namespace ksearch::daemon
