// ProposalEngine: turns a planner Decision into a candidate source.
//
// The daemon-side seam over the planner's proposers (built-in tuner, LLM
// endpoints, cassette replay). Every call completes exactly once, on the io
// thread, with either a new source or a typed proposal failure; LLM accounting
// rides along so it is logged even when the proposal fails.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ksearch/core/verdict.h"
#include "ksearch/planner/planner.h"

namespace ksearch::daemon {

struct ProposalInput {
  std::string campaign_id;
  std::string attempt_id;
  planner::Decision decision;
  std::string parent_source;   // text of the parent (or the failed candidate for repairs)
  std::string contract;        // the task's contract.md
  const planner::Planner* planner = nullptr;  // for context (dead ends, lineage); io thread only
  // Dead ends other campaigns of this task and arch met along the decision's
  // axis (LogFold::OtherCampaignsDeadEnds): the prompt lists them after the
  // campaign's own, so they are the first cut when it is over budget.
  std::vector<std::string> other_dead_ends;
};

struct LlmCallRecord {
  nlohmann::json payload;      // llm_call event payload without the blob fields
  std::string prompt;          // stored as its sections' blobs (prompt_parts)
  std::string reply;           // stored as reply_blob
};

struct ProposalOutput {
  bool ok = false;
  Verdict failure;             // proposal_failed{llm_error|parse_error|patch_failed|budget}
  std::string source;          // the whole new candidate source when ok
  std::string change_summary;  // one line
  std::vector<LlmCallRecord> llm_calls;
};

class ProposalEngine {
 public:
  virtual ~ProposalEngine() = default;
  virtual void Propose(ProposalInput input, std::function<void(ProposalOutput)> done) = 0;
  // Every pending proposal completes (as a failure) soon after.
  virtual void CancelAll() = 0;
  // The proposer names a campaign may list: "tuner" and every configured
  // endpoint or replay source. A campaign that names another is refused at
  // start (before, it measured its seed and then paused on llm_error).
  virtual std::vector<std::string> ProposerNames() const = 0;
};

}  // namespace ksearch::daemon
