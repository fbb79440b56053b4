// Event: one row of the append-only experiment log, and the event vocabulary.
//
// The log is the truth (DESIGN.md principle 3): every component that records
// what happened does it by appending Events, and every piece of derived state
// (population, frontier, memory, history, planner state) is a pure function of
// the ordered event stream. Payloads are JSON objects whose fields are listed
// per kind below; readers must ignore unknown fields (forward compatibility).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ksearch {

struct Event {
  // Assigned by the log on append: 1, 2, 3... with no gaps.
  int64_t seq = 0;
  // Wall-clock time of the append, Unix milliseconds (assigned by the writer).
  int64_t time_ms = 0;
  std::string campaign_id;  // never empty
  std::string attempt_id;   // empty for campaign-level events
  std::string kind;         // one of the event_kind constants
  nlohmann::json payload = nlohmann::json::object();
  // Hash chain, assigned by the log: hex sha256.
  std::string prev_hash;
  std::string hash;
};

// Event kinds and their payload fields. "blob" fields hold the sha256 hex of a
// content-addressed blob stored in the same log.
namespace event_kind {
// {task, task_dir, task_hash, backend, arch, config (object, with the resolved `axes`),
//  spec_yaml_blob, seed_candidate, seed_source_blob, baseline_source_blob, contract_blob,
//  baseline_name}
inline constexpr std::string_view kCampaignStarted = "campaign_started";
// {state: "running"|"paused"|"stopped"|"finished", reason}
inline constexpr std::string_view kCampaignState = "campaign_state";
// {parent (candidate id, "" for the seed), axis, proposer, island (int),
//  repair_of (attempt id or ""), retry_of (attempt id or "")}
inline constexpr std::string_view kAttemptStarted = "attempt_started";
// {stage: proposal|patch|dedupe|compile|static|machine_code|verify|benchmark|profile|audit,
//  ok (bool), seconds, detail (string), plus stage-specific fields; blobs as *_blob}
inline constexpr std::string_view kAttemptStage = "attempt_stage";
// {endpoint, model, protocol, input_tokens, output_tokens, latency_ms, cost_usd,
//  prompt_parts (the prompt's sections as blob hashes, in order; logs before
//  them hold one prompt_blob), reply_blob, error (string, "" on success), retries}
inline constexpr std::string_view kLlmCall = "llm_call";
// The one terminal event of an attempt:
// {verdict (wire form, e.g. "incorrect{mismatch}"), detail, candidate (id), parent, axis,
//  proposer, island, repair_of, source_blob, evidence_blob, source_hash, machine_code_hash,
//  time_us (geomean of per-shape medians, 0 when not measured), spread (relative),
//  shapes: [{name, median_us, p10_us, p90_us}], speedup_vs_parent, speedup_vs_seed,
//  speedup_vs_baseline, roofline_fraction, bottleneck, cost_usd, change_summary}
inline constexpr std::string_view kAttemptFinished = "attempt_finished";
// A re-measurement that confirms or refutes a candidate before promotion:
// {candidate, time_us, spread, agrees (bool), final (bool, default true: false means another
//  re-measurement follows), attempt (the attempt that produced it), detail}
inline constexpr std::string_view kRemeasured = "remeasured";
// {candidate, time_us, previous_best, speedup_vs_seed}
inline constexpr std::string_view kBestPromoted = "best_promoted";
// {candidate, from_island, to_island}
inline constexpr std::string_view kMigration = "migration";
// More budget for a campaign (`ksearch campaign extend`): the limits in force
// from this event on, absolute, 0 = unlimited, as the planner computed them
// from the request: {budgets: {wall_seconds, attempts, money_usd},
// plateau_window, added: {the request's increments}}. The plateau count
// starts again here. A finished campaign's extension is followed by a
// campaign_state "running" in the same append.
inline constexpr std::string_view kBudgetExtended = "budget_extended";
}  // namespace event_kind

void to_json(nlohmann::json& j, const Event& e);
void from_json(const nlohmann::json& j, Event& e);

}  // namespace ksearch
