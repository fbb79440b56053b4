// PlannerProposalEngine: the ProposalEngine over the planner's proposers
// (the built-in tuner and one LlmProposer per configured endpoint), with the
// context packet assembled from the task contract, the planner's memory,
// the ISA corpus and the skills router.
// Threading: io thread only; proposer callbacks are re-posted to the io thread
// so a synchronous proposer (the tuner) never re-enters the caller.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ksearch/llm_clients/llm_client.h"
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
};

class PlannerProposalEngine final : public ProposalEngine {
 public:
  // `clients` must outlive the engine; they are addressed by name().
  PlannerProposalEngine(boost::asio::io_context& io, std::vector<llm::LlmClient*> clients,
                        ContextSources sources);
  ~PlannerProposalEngine() override;

  void Propose(ProposalInput input, std::function<void(ProposalOutput)> done) override;
  void CancelAll() override;

 private:
  boost::asio::io_context& io_;
  std::vector<llm::LlmClient*> clients_;
  ContextSources sources_;
  std::map<std::string, std::unique_ptr<planner::Proposer>> proposers_;
  uint64_t calls_ = 0;
};

}  // namespace ksearch::daemon
