#include "service/planner_proposal_engine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>

#include "ksearch/planner/context_packet.h"
#include "ksearch/planner/llm_proposer.h"
#include "ksearch/planner/tuner_proposer.h"

namespace ksearch::daemon {

using nlohmann::json;

PlannerProposalEngine::PlannerProposalEngine(boost::asio::io_context& io,
                                             std::vector<llm::LlmClient*> clients,
                                             ContextSources sources)
    : io_(io), clients_(std::move(clients)), sources_(std::move(sources)) {
  proposers_["tuner"] = std::make_unique<planner::TunerProposer>();
  for (auto* c : clients_) proposers_[c->name()] = std::make_unique<planner::LlmProposer>(*c);
}

PlannerProposalEngine::~PlannerProposalEngine() = default;

void PlannerProposalEngine::CancelAll() {
  for (auto* c : clients_) c->CancelAll();
}

void PlannerProposalEngine::Propose(ProposalInput input, std::function<void(ProposalOutput)> done) {
  const planner::Planner& plan = *input.planner;
  const planner::Decision& d = input.decision;
  auto it = proposers_.find(d.proposer);
  if (it == proposers_.end()) {
    ProposalOutput out;
    out.failure = {VerdictKind::kProposalFailed, "llm_error",
                   "no proposer named '" + d.proposer + "' is configured"};
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
    return;
  }
  const auto& spec = plan.spec();
  planner::ProposalRequest req;
  req.attempt_id = input.attempt_id;
  req.parent_candidate = d.parent;
  req.axis = d.axis;
  req.parent_source = input.parent_source;
  req.known_source_hashes = plan.KnownSourceHashes();
  req.seed = spec.seed * 1000003ull + (++calls_);
  planner::ContextPacket& p = req.packet;
  p.task = spec.task;
  p.arch = spec.arch;
  p.backend = spec.backend;
  p.axis = d.axis;
  if (const auto* axis = plan.catalogue().Find(d.axis)) p.axis_description = axis->description;
  p.source = input.parent_source;
  p.contract = input.contract;
  p.source_name = spec.backend == "host" ? "kernel.cc" : (spec.backend == "hip" ? "kernel.hip" : "kernel.cu");
  p.evidence = plan.EvidenceSummary(d.parent);
  p.dead_ends = plan.DeadEndLines(d.axis, 12);
  p.lineage = plan.LineageLines(d.parent, 5);
  p.repair_failure = d.repair_failure;
  p.repair_evidence = d.repair_detail;
  if (d.proposer != "tuner") {
    if (sources_.skill) p.skill = sources_.skill(d.axis, spec.arch, spec.task, 6000);
    if (sources_.isa_facts) p.isa_facts = sources_.isa_facts(spec.task, spec.arch, d.axis, d.parent_bottleneck, 6000);
  }
  it->second->Propose(std::move(req), [this, done = std::move(done)](planner::Proposal prop) mutable {
    ProposalOutput out;
    out.ok = prop.ok();
    if (!out.ok) out.failure = prop.ToVerdict();
    out.source = std::move(prop.source);
    out.change_summary = prop.change_summary;
    for (auto& call : prop.llm_calls) {
      LlmCallRecord rec;
      rec.payload = json{{"endpoint", call.endpoint},       {"model", call.model},
                         {"input_tokens", call.input_tokens}, {"output_tokens", call.output_tokens},
                         {"latency_ms", call.latency_ms},   {"cost_usd", call.cost_usd},
                         {"retries", call.retries},         {"error", call.error},
                         {"format_fix", call.format_fix}};
      rec.prompt = std::move(call.prompt_text);
      rec.reply = std::move(call.reply_text);
      out.llm_calls.push_back(std::move(rec));
    }
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
  });
}

}  // namespace ksearch::daemon
