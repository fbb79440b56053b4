// Proposer: one source of single-step modifications (LLM endpoint or tuner).
//
// Propose() hands back exactly one Proposal through `done`, also on failure.
// LLM proposers complete on the llm::LlmClient's io_context thread and must be
// called there; the tuner completes synchronously, before Propose() returns.
// The daemon turns a failed Proposal into attempt_finished with
// proposal_failed{<reason>} and stores prompt/reply texts of every call as blobs.
// Ownership: a proposer holds no per-request state after `done` has run.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ksearch/core/verdict.h"
#include "ksearch/planner/context_packet.h"

namespace ksearch::planner {

enum class ProposalFailureKind { kNone, kLlmError, kParseError, kPatchFailed, kPromptTooLarge };
// Verdict reason: "llm_error", "parse_error", "patch_failed", "prompt_too_large".
std::string_view ProposalFailureReason(ProposalFailureKind k);

// One LLM call, for the llm_call event and the prompt/reply blobs.
struct LlmCallRecord {
  std::string endpoint, model;
  int64_t input_tokens = 0, output_tokens = 0;
  double latency_ms = 0, cost_usd = 0;
  int retries = 0;
  std::string prompt_text;  // JSON {system, messages} as sent
  std::string reply_text;   // the completion text ("" on error)
  std::string error;        // "" on success, else "<kind>: <message>"
  std::string error_kind;   // "" on success, else <kind> (e.g. "budget": the money budget refused it)
  bool format_fix = false;  // the one format-fix retry
};

struct ProposalRequest {
  std::string attempt_id;
  std::string parent_candidate;
  std::string axis;
  std::string parent_source;  // the source the change applies to
  ContextPacket packet;       // LLM proposers; packet.source is usually parent_source
  size_t prompt_budget_chars = 48000;
  int max_tokens = 8192;
  // Tuner: normalized-source hashes already produced in this campaign
  // (Planner::KnownSourceHashes()), and the seed for its choice. Not owned:
  // the set is read only inside Propose() by a proposer that completes
  // synchronously (the tuner); one that completes later must not keep it.
  // (A copy grew with the campaign: one string per evaluated source, copied
  // for every proposal.) Null: none known.
  const std::set<std::string>* known_source_hashes = nullptr;
  uint64_t seed = 0;
};

struct Proposal {
  ProposalFailureKind failure = ProposalFailureKind::kNone;
  std::string failure_reason;  // one line: why (parse error, non-matching block, LLM error)
  std::string source;          // the new candidate source when ok()
  std::string change_summary;  // one line
  std::vector<LlmCallRecord> llm_calls;
  bool ok() const { return failure == ProposalFailureKind::kNone; }
  double cost_usd() const;
  // proposal_failed{<reason>} with failure_reason as detail. REQUIRES: !ok().
  Verdict ToVerdict() const;
};

using ProposalCallback = std::function<void(Proposal)>;

class Proposer {
 public:
  Proposer() = default;
  Proposer(const Proposer&) = delete;
  Proposer& operator=(const Proposer&) = delete;
  virtual ~Proposer() = default;

  virtual const std::string& name() const = 0;
  virtual void Propose(ProposalRequest request, ProposalCallback done) = 0;
};

}  // namespace ksearch::planner
