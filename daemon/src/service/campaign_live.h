// Private runtime structs of CampaignService (not a public header).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "service/campaign_service.h"

namespace ksearch::daemon {

struct CampaignService::Live {
  std::string id;
  planner::CampaignSpec spec;
  std::unique_ptr<planner::Planner> planner;
  std::string task_dir;
  std::string task_hash;  // campaign_started's: every run checks the task against it
  Backend backend = Backend::kHost;
  std::string seed_source_blob;
  std::string baseline_source_blob;
  std::string contract;  // the task's contract.md, for prompts
  std::map<std::string, std::shared_ptr<Attempt>> in_flight;  // attempt id -> attempt
  bool baseline_in_flight = false;
  std::deque<std::string> retries;  // interrupted attempts to retry before new work
  std::map<std::string, std::shared_ptr<Remeasure>> remeasures;  // candidate -> job in flight
  // Attempts in a row that ended infra_error or proposal_failed{llm_error}
  // (an interrupted one neither counts nor breaks the run), and the
  // infrastructure pauses in a row since the last attempt that got any other
  // verdict (the retry's backoff).
  int infra_errors_in_row = 0;
  int infra_pauses_in_row = 0;
  // The pending resume of ArmInfraRetry; owned here, so it dies with the campaign.
  std::shared_ptr<boost::asio::steady_timer> infra_retry_timer;
};

struct CampaignService::Remeasure {
  std::string candidate;
  std::string attempt_id;     // the attempt that produced the candidate
  std::string source_blob;
  std::string artifact_path;  // "" after a restart: rebuilt first
  std::vector<double> samples;
  // Set from a judgement's reference_sample_of: the candidate's unconfirmed
  // parent, measured once before the candidate's next sample; cleared when
  // its remeasured{reference} event is appended (or the sample is skipped).
  // A restart forgets it (the next judgement may ask again).
  std::string reference;
};

struct CampaignService::Attempt {
  Live* live = nullptr;  // owned by live_; outlives the attempt
  std::string id;
  planner::Decision decision;
  std::string retry_of;
  int64_t started_ms = 0;
  nlohmann::json started_payload;  // as appended in attempt_started
  bool finished = false;  // set once attempt_finished is appended
  // Filled as the attempt moves through the pipeline. `source_blob` is the
  // name the source will have in the log: the content is stored with the
  // attempt's terminal batch (nothing reads it from the log before that).
  std::string source, source_blob, source_hash, semantic_key, change_summary;
  // The parent's source as read from the log for the proposal, kept until the
  // build is submitted (the duplicate check compares against it): one read of
  // the blob per attempt, not two. Unset for a repair (its proposal reads the
  // failed source) and for a seed.
  std::optional<std::string> parent_source;
  double cost_usd = 0;
  BuildRequest build_request;
  BuildResult build;
  RunRequest run_request;
  RunResult first_run;
  // attempt_stage events (compile, verify_benchmark) wait here, stamped with
  // the time they happened, and go into the attempt's terminal transaction:
  // one SQLite commit per attempt instead of three (docs/bench-daemon.md).
  std::vector<Event> pending_stages;
};

}  // namespace ksearch::daemon
