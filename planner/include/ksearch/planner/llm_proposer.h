// LlmProposer: proposals from one LLM endpoint (ksearch::llm::LlmClient).
//
// Builds the prompt from request.packet (BuildPrompt), calls Complete, parses
// SEARCH/REPLACE blocks or a whole file (ParseReply) and applies them to
// request.parent_source (ApplyReply). A reply that cannot be parsed gets
// exactly one follow-up call that asks only to fix the format; if that reply
// cannot be parsed either the proposal fails with parse_error. An LLM error on
// either call fails with llm_error; a patch that does not apply with
// patch_failed. Every call, failed or not, is in Proposal::llm_calls.
// Threading: Propose() must be called on the client's io_context thread;
// `done` runs there. Ownership: `client` must outlive the proposer and every
// pending call.
#pragma once

#include <string>

#include "ksearch/llm_clients/llm_client.h"
#include "ksearch/planner/proposer.h"

namespace ksearch::planner {

// The text an LLM call's prompt is recorded as (its log blob): the request's
// system prompt and messages, the same bytes as
// json{{"system", ...}, {"messages", [{"role", ...}, {"content", ...}]}}.dump(1)
// but written directly (core/json_text.h), as one of the daemon's per-attempt
// costs. Text that is not UTF-8 is recorded with U+FFFD in its place.
std::string PromptRecordText(const llm::CompletionRequest& request);

class LlmProposer final : public Proposer {
 public:
  explicit LlmProposer(llm::LlmClient& client) : client_(client) {}

  const std::string& name() const override { return client_.name(); }
  void Propose(ProposalRequest request, ProposalCallback done) override;

 private:
  llm::LlmClient& client_;
};

}  // namespace ksearch::planner
