// PlannerProposalEngine: the ProposalEngine over the planner's proposers
// (the built-in tuner and one LlmProposer per configured endpoint), with the
// context packet assembled from the task contract, the planner's memory,
// the ISA corpus and the skills router; repair prompts carry the failure
// excerpt built by planner::RepairEvidence from the failed attempt's evidence.
//
// Money: each campaign gets an llm::MoneyBudget (limit: the planner's
// budgets().money_usd, which follows budget_extended events, or unlimited;
// starting from what the log says was spent), attached to every
// call of that campaign (CompletionRequest::budget), so HttpLlmClient reserves
// a call's worst-case cost before sending it and refuses (kBudget) a call that
// does not fit: the money spent never exceeds the budget. A refusal ends the
// attempt as proposal_failed{budget}, on which the planner stops proposing.
// Threading: io thread only; proposer callbacks are re-posted to the io thread
// so a synchronous proposer (the tuner) never re-enters the caller.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksearch/llm_clients/llm_client.h"
#include "ksearch/llm_clients/money_budget.h"
#include "ksearch/planner/proposer.h"
#include "service/proposal_engine.h"

namespace boost::asio {
class io_context;
}

namespace ksearch::daemon {

// Retrieval hooks, so the engine does not care where facts come from.
struct ContextSources {
  // (task, arch, axis, bottleneck, budget_chars) -> ISA fact passages.
  std::function<std::vector<std::string>(const std::string&, const std::string&, const std::string&,
                                         const std::string&, size_t)>
      isa_facts;
  // (axis, arch, op, budget_chars) -> routed skill text.
  std::function<std::string(const std::string&, const std::string&, const std::string&, size_t)> skill;
  // blob hash -> text ("" when missing): the failed candidate's evidence packet
  // for repair prompts.
  std::function<std::string(const std::string&)> blob;
};

class PlannerProposalEngine final : public ProposalEngine {
 public:
  // `clients` must outlive the engine; they are addressed by name().
  PlannerProposalEngine(boost::asio::io_context& io, std::vector<llm::LlmClient*> clients,
                        ContextSources sources);
  ~PlannerProposalEngine() override;

  void Propose(ProposalInput input, std::function<void(ProposalOutput)> done) override;
  void CancelAll() override;
  std::vector<std::string> ProposerNames() const override;

 private:
  boost::asio::io_context& io_;
  std::vector<llm::LlmClient*> clients_;
  ContextSources sources_;
  struct CampaignClients;  // one campaign's budget and budget-attaching proposers
  CampaignClients& ForCampaign(const std::string& campaign_id, const planner::Planner& plan);

  std::unique_ptr<planner::Proposer> tuner_;
  // Never erased: pending calls hold pointers into them.
  std::map<std::string, std::unique_ptr<CampaignClients>> campaigns_;
  uint64_t calls_ = 0;
};

}  // namespace ksearch::daemon
