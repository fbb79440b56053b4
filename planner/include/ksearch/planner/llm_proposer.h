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
#include <string_view>
#include <vector>

#include "ksearch/llm_clients/llm_client.h"
#include "ksearch/planner/proposer.h"

namespace ksearch::planner {

// The text an LLM call's prompt is recorded as (its log blob): the request's
// system prompt and messages, the same bytes as
// json{{"system", ...}, {"messages", [{"role", ...}, {"content", ...}]}}.dump(1)
// but written directly (core/json_text.h), as one of the daemon's per-attempt
// costs. Text that is not UTF-8 is recorded with U+FFFD in its place.
std::string PromptRecordText(const llm::CompletionRequest& request);

// A recorded prompt cut into the parts the log stores it as: joined, the parts
// are `record` byte for byte. A cut falls before each markdown section heading
// ("## " at the start of a message line: in the record's JSON, a backslash and
// 'n', then "## "). So each section of the prompt (the contract, the technique
// notes, the ISA facts, a parent's evidence, lineage and source) is a part of
// its own, and the log, whose blobs are content-addressed, stores a section
// once however many prompts repeat it: on a host replay log, 12.8 of a
// prompt's 15.4 KB were such repeats (docs/bench-experiment-log.md). The
// parts are views into `record`.
std::vector<std::string_view> PromptRecordParts(std::string_view record);

class LlmProposer final : public Proposer {
 public:
  explicit LlmProposer(llm::LlmClient& client) : client_(client) {}

  const std::string& name() const override { return client_.name(); }
  void Propose(ProposalRequest request, ProposalCallback done) override;

 private:
  llm::LlmClient& client_;
};

}  // namespace ksearch::planner
