#include "service/planner_proposal_engine.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>

#include "ksearch/planner/context_packet.h"
#include "ksearch/planner/llm_proposer.h"
#include "ksearch/planner/repair.h"
#include "ksearch/planner/tuner_proposer.h"

namespace ksearch::daemon {

using nlohmann::json;

namespace {

// Forwards to a shared client with the campaign's budget attached to each call.
class BudgetedClient final : public llm::LlmClient {
 public:
  BudgetedClient(llm::LlmClient& inner, llm::MoneyBudget* budget) : inner_(inner), budget_(budget) {}
  const std::string& name() const override { return inner_.name(); }
  void Complete(llm::CompletionRequest request, llm::CompletionCallback done) override {
    request.budget = budget_;
    inner_.Complete(std::move(request), std::move(done));
  }
  void CancelAll() override { inner_.CancelAll(); }
  double PriceUsd(int64_t in, int64_t out) const override { return inner_.PriceUsd(in, out); }

 private:
  llm::LlmClient& inner_;
  llm::MoneyBudget* const budget_;
};

constexpr size_t kRepairEvidenceBudget = 6000;

// The evaluator's validation evidence is one object per shape with nested
// trials[].outputs[], timed_checks[].outputs[] and repeat_outputs[] (fields
// rel_norm, max_abs_err, nonfinite, unwritten, ok); planner::MismatchExcerpt
// reads flat records (shape, seed, rel_error_norm, max_abs_error, nan_count,
// unwritten_count, input_mutated, ok, worst). One flat record per checked output.
json FlatValidation(const json& validation) {
  if (!validation.is_array()) return validation;
  json out = json::array();
  auto add = [&](const json& o, const std::string& where, const json& seed, const json& mutated) {
    if (!o.is_object()) return;
    json r{{"ok", o.value("ok", false)}, {"shape", where + " output " + o.value("output", std::string("?"))}};
    if (!seed.is_null()) r["seed"] = seed;
    if (o.contains("max_abs_err")) r["max_abs_error"] = o["max_abs_err"];
    if (o.contains("rel_norm")) r["rel_error_norm"] = o["rel_norm"];
    if (o.contains("nonfinite")) r["nan_count"] = o["nonfinite"];
    if (o.contains("unwritten")) r["unwritten_count"] = o["unwritten"];
    if (o.contains("worst")) r["worst"] = o["worst"];  // the elements a repair can look at
    if (!mutated.is_null()) r["input_mutated"] = mutated;
    out.push_back(std::move(r));
  };
  for (const auto& s : validation) {
    if (!s.is_object() || !s.contains("trials")) {
      out.push_back(s);  // already flat (or unknown): as is
      continue;
    }
    const std::string shape = s.value("shape", std::string("?"));
    for (const auto& t : s["trials"]) {
      std::string where = shape + " trial " + std::to_string(t.value("trial", 0)) + " " + t.value("dist", std::string());
      for (const auto& o : t.value("outputs", json::array())) add(o, where, t.value("seed", json()), t.value("input_mutated", json()));
    }
    for (const auto& t : s.value("timed_checks", json::array())) {
      std::string where = shape + " timed set " + std::to_string(t.value("set", 0));
      for (const auto& o : t.value("outputs", json::array())) add(o, where, t.value("seed", json()), t.value("input_mutated", json()));
    }
    for (const auto& o : s.value("repeat_outputs", json::array())) add(o, shape + " repeated call", json(), json());
  }
  return out;
}

// The failure excerpt for a repair prompt: compiler diagnostics on the failed
// source's own lines, the validation mismatch, or the tail of the run log,
// from the failed attempt's evidence packet (planner::RepairEvidence).
std::string RepairExcerpt(const planner::Decision& d, const std::string& failed_source,
                          const std::function<std::string(const std::string&)>& blob) {
  json evidence = json::object();
  if (blob && !d.repair_evidence_blob.empty()) {
    json parsed = json::parse(blob(d.repair_evidence_blob), nullptr, false);
    if (parsed.is_object()) evidence = std::move(parsed);
  }
  std::string log;
  const std::string cls = d.repair_failure.substr(0, d.repair_failure.find('{'));
  if (cls == "compile_error") {
    const json& compile = evidence.contains("compile") ? evidence["compile"] : json::object();
    if (compile.is_object() && compile.contains("log") && compile["log"].is_string()) log = compile["log"];
  } else if (evidence.contains("runner_log") && evidence["runner_log"].is_string()) {
    log = evidence["runner_log"];
  }
  if (log.empty() && cls == "compile_error") log = d.repair_detail;  // the verdict's own excerpt
  if (evidence.contains("validation")) evidence["validation"] = FlatValidation(evidence["validation"]);
  return planner::RepairEvidence(d.repair_failure, d.repair_detail, log, failed_source, evidence,
                                 kRepairEvidenceBudget);
}

}  // namespace

struct PlannerProposalEngine::CampaignClients {
  std::unique_ptr<llm::MoneyBudget> budget;
  std::vector<std::unique_ptr<BudgetedClient>> clients;
  std::map<std::string, std::unique_ptr<planner::Proposer>> proposers;
};

PlannerProposalEngine::PlannerProposalEngine(boost::asio::io_context& io,
                                             std::vector<llm::LlmClient*> clients,
                                             ContextSources sources)
    : io_(io),
      clients_(std::move(clients)),
      sources_(std::move(sources)),
      tuner_(std::make_unique<planner::TunerProposer>()) {}

PlannerProposalEngine::~PlannerProposalEngine() = default;

std::vector<std::string> PlannerProposalEngine::ProposerNames() const {
  std::vector<std::string> names{"tuner"};
  for (const auto* c : clients_) names.push_back(c->name());
  return names;
}

void PlannerProposalEngine::CancelAll() {
  for (auto* c : clients_) c->CancelAll();
}

PlannerProposalEngine::CampaignClients& PlannerProposalEngine::ForCampaign(const std::string& campaign_id,
                                                                           const planner::Planner& plan) {
  auto& slot = campaigns_[campaign_id];
  // The limit in force (a budget_extended event may have raised it since).
  const double limit = plan.budgets().money_usd > 0 ? plan.budgets().money_usd : -1.0;
  if (slot) {
    slot->budget->SetLimit(limit);
    return *slot;
  }
  slot = std::make_unique<CampaignClients>();
  slot->budget = std::make_unique<llm::MoneyBudget>(limit);
  // What the log says this campaign already spent (a restarted daemon).
  slot->budget->Settle(0, plan.Snapshot().value("money_spent", 0.0));
  for (auto* c : clients_) {
    slot->clients.push_back(std::make_unique<BudgetedClient>(*c, slot->budget.get()));
    slot->proposers[c->name()] = std::make_unique<planner::LlmProposer>(*slot->clients.back());
  }
  return *slot;
}

void PlannerProposalEngine::Propose(ProposalInput input, std::function<void(ProposalOutput)> done) {
  const planner::Planner& plan = *input.planner;
  const planner::Decision& d = input.decision;
  planner::Proposer* proposer = nullptr;
  if (d.proposer == "tuner") {
    proposer = tuner_.get();
  } else {
    CampaignClients& cc = ForCampaign(input.campaign_id, plan);
    auto it = cc.proposers.find(d.proposer);
    if (it != cc.proposers.end()) proposer = it->second.get();
  }
  if (proposer == nullptr) {
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
  req.seed = spec.seed * 1000003ull + (++calls_);
  if (d.proposer == "tuner") {
    // The tuner reads the parent, the seed and the campaign's known sources
    // (synchronously, inside Propose), nothing of the prompt context.
    req.known_source_hashes = &plan.KnownSourceHashes();
  } else {
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
    for (std::string& line : input.other_dead_ends) p.dead_ends.push_back(std::move(line));
    p.lineage = plan.LineageLines(d.parent, 5);
    p.repair_failure = d.repair_failure;
    if (d.kind == planner::DecisionKind::kRepair) p.repair_evidence = RepairExcerpt(d, input.parent_source, sources_.blob);
    if (sources_.skill) p.skill = sources_.skill(d.axis, spec.arch, spec.task, 6000);
    if (sources_.isa_facts) p.isa_facts = sources_.isa_facts(spec.task, spec.arch, d.axis, d.parent_bottleneck, 6000);
  }
  proposer->Propose(std::move(req), [this, done = std::move(done)](planner::Proposal prop) mutable {
    ProposalOutput out;
    out.ok = prop.ok();
    if (!out.ok) {
      out.failure = prop.ToVerdict();
      // A call the money budget refused is not an endpoint failure: the
      // planner stops proposing on proposal_failed{budget}.
      if (prop.failure == planner::ProposalFailureKind::kLlmError && !prop.llm_calls.empty() &&
          prop.llm_calls.back().error_kind == "budget")
        out.failure.reason = "budget";
    }
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
