// DaemonConfig: the typed, validated form of configs/daemon.yaml.
//
// Errors name the file, the line and the key: "configs/daemon.yaml:7: workers.host_slots:
// must be >= 0". Unknown keys are errors (a typo must not silently change behaviour).
// Relative paths are resolved against the config file's folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksearch/core/status.h"

namespace ksearch::daemon {

struct WorkersConfig {
  // "auto": every GPU nvidia-smi lists; "none": no GPU slots; or a comma list
  // of indices/UUIDs ("0,2") pinned through CUDA_VISIBLE_DEVICES.
  std::string gpus = "auto";
  int host_slots = 1;
  int compile_threads = 0;          // 0: one per CPU core
  // The canary (docs/daemon.md): the seed of `canary_task` evaluated on each
  // GPU slot at start and again after `canary_every` evaluations or
  // `canary_interval_s` seconds, whichever comes first; a failing or drifting
  // slot goes out of service. canary_task "" runs no canary.
  int canary_every = 200;           // evaluations between canaries per slot
  double canary_max_drift = 0.15;   // relative, against the slot's first canary
  double canary_interval_s = 1800;  // 0: only every canary_every evaluations
  std::string canary_task = "softmax";  // a folder under tasks_dir
  std::string canary_arch;          // GPU arch for the canary build ("": the evaluator's default)
  bool canary_host = false;         // host slots run the canary too (host backend)
};

struct EvalDefaults {
  double compile_timeout_s = 120;
  double run_timeout_s = 60;
  std::string profile = "new_best";  // never | new_best | always
  double audit_speedup_factor = 3.0;
};

// A proposer that serves a recorded cassette (campaign reproduction offline).
struct ReplaySource {
  std::string name;      // the proposer name campaigns refer to
  std::string cassette;  // JSONL path (resolved against the config folder)
  bool in_order = false; // serve in file order instead of by request key
};

struct DaemonConfig {
  std::string source_path;          // the file it came from
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 7431;
  std::string token_file = "ksearch.token";
  std::string database = "ksearch.db";
  std::string work_dir = "ksearch-work";
  std::string campaigns_dir = "campaigns";
  std::string tasks_dir = "tasks";
  std::string endpoints_file;       // optional YAML with an `endpoints:` list
  std::string axes_file = "axes.yaml";  // the axis catalogue
  std::string isa_dir;              // ISA corpus root ("" = built-in location)
  std::string skills_dir;           // skills tree ("" = built-in location)
  double shutdown_grace_s = 20;
  // After the log refuses a write (disk full, a read-only file), the daemon
  // tries again every log_retry_s seconds and resumes the campaigns the
  // refusal paused once a write succeeds; 0: only `ksearch campaign resume`
  // (or a restart) does.
  double log_retry_s = 30;
  // Attempts in a row that failed outside the candidate (infra_error: a full
  // work disk, a broken evaluator, no slot in service; proposal_failed{
  // llm_error}: an LLM endpoint down) that pause a campaign, so a failing
  // machine or endpoint does not churn through attempts all night; 0: never.
  // The pause is logged, and the campaign is resumed after infra_retry_s
  // seconds, doubling with each pause in a row up to 30 minutes (0: only a
  // user's resume).
  int infra_pause_after = 3;
  double infra_retry_s = 60;
  size_t max_request_bytes = 1 << 20;
  WorkersConfig workers;
  std::vector<ReplaySource> replay;
  // The `endpoints:` list is parsed by llm_clients (ParseEndpointsYaml) from
  // the same text; kept here verbatim so the daemon can hand it over.
  std::string yaml_text;
  bool has_endpoints = false;  // the text has a top-level `endpoints:` key
  EvalDefaults defaults;
  // Proposals kept in flight per free evaluation slot (the pipeline depth).
  int proposals_per_slot = 2;
  // Attempts in flight across all campaigns; 0 = no cap beyond the per-campaign
  // depth. 1 turns the daemon into a serial loop (propose, compile, evaluate,
  // then the next), the comparison point of bench/daemon.
  int max_attempts_in_flight = 0;
};

Result<DaemonConfig> ParseDaemonConfig(const std::string& yaml_text, const std::string& source_path);
Result<DaemonConfig> LoadDaemonConfig(const std::string& path);

}  // namespace ksearch::daemon
