// Campaign exports (ksearch export): history.jsonl, memory.json, frontier.csv.
// Each file is written to a temporary name and renamed, so a reader never sees
// a half-written export. Errors name the file and the cause.
// Thread-safety: as ExperimentLog.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/status.h"
#include "ksearch/experiment_log/experiment_log.h"
#include "ksearch/experiment_log/views.h"

namespace ksearch::experiment_log {

struct ExportSummary {
  int64_t events = 0;
  size_t attempts = 0;        // rows in history.jsonl
  size_t frontier_rows = 0;   // rows in frontier.csv (header excluded)
  std::vector<std::string> files;  // paths written
};

// Writes the three files for `campaign_id` into `out_dir` (created if missing).
// NotFound when the log has no such campaign.
Result<ExportSummary> ExportCampaign(ExperimentLog& log, const std::string& campaign_id,
                                     const std::string& out_dir);

// The CSV text of frontier.csv: header "candidate,axis,state,failure_kind,attempts,failures",
// RFC 4180 quoting.
std::string FrontierCsv(const std::vector<FrontierEntry>& frontier);

}  // namespace ksearch::experiment_log
