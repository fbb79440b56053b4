// The pipeline of one attempt; see campaign_service.h for the picture.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <cstdio>
#include <utility>

#include "ksearch/core/sha256.h"
#include "ksearch/evaluator/evaluator.h"
#include "ksearch/planner/llm_proposer.h"
#include "ksearch/planner/novelty.h"
#include "ksearch/planner/promotion.h"
#include "ksearch/planner/tuner_proposer.h"
#include "service/campaign_live.h"
#include "service/events.h"

namespace ksearch::daemon {

using nlohmann::json;
using Blob = experiment_log::ExperimentLog::Blob;

namespace {

std::string CandidateId(const std::string& source_hash) { return "c" + source_hash.substr(0, 12); }

// Lines of other campaigns' dead ends a prompt gets (after the campaign's own
// 12; the prompt cuts dead ends from the last when over budget).
constexpr size_t kOtherDeadEndLines = 6;

// What a re-measurement records when the rebuild before its run failed: the
// build's verdict, no time.
RunResult RunOfFailedBuild(const BuildResult& built) {
  RunResult failed;
  failed.verdict = built.verdict;
  return failed;
}

json ShapesJson(const RunResult& run) {
  if (!run.shapes.empty()) return run.shapes;
  // An evaluator older than RunResult::shapes: its performance section, which
  // names a shape by "shape" (evaluator/src/run.cc).
  json shapes = json::array();
  const json* perf = run.evidence.contains("performance") ? &run.evidence["performance"] : nullptr;
  if (perf && perf->contains("shapes") && (*perf)["shapes"].is_array()) {
    for (const auto& s : (*perf)["shapes"])
      shapes.push_back({{"name", s.value("shape", "")},
                        {"median_us", s.value("median_us", 0.0)},
                        {"p10_us", s.value("p10_us", 0.0)},
                        {"p90_us", s.value("p90_us", 0.0)}});
    if (!shapes.empty()) return shapes;
  }
  for (size_t i = 0; i < run.shape_median_us.size(); ++i)
    shapes.push_back({{"name", "shape" + std::to_string(i)}, {"median_us", run.shape_median_us[i]}});
  return shapes;
}

}  // namespace

BuildRequest CampaignService::MakeBuildRequest(const Live& live, std::string source) const {
  BuildRequest b;
  b.task_dir = live.task_dir;
  b.source = std::move(source);
  b.backend = live.backend;
  b.arch = live.backend == Backend::kHost ? "" : live.spec.arch;
  b.work_dir = config_.work_dir + "/" + live.id;
  b.compile_timeout_s = config_.defaults.compile_timeout_s;
  return b;
}

RunRequest CampaignService::MakeRunRequest(const Live& live, const std::string& artifact,
                                           const std::string& work_leaf, bool profile) {
  RunRequest r;
  r.task_dir = live.task_dir;
  r.artifact_path = artifact;
  r.backend = live.backend;
  r.arch = live.backend == Backend::kHost ? "" : live.spec.arch;
  r.seed = seed_rng_();  // chosen by the trusted side at evaluation time
  r.profile = profile;
  r.run_timeout_s = config_.defaults.run_timeout_s;
  r.noise_threshold = live.spec.noise_threshold;
  r.audit_speedup_factor = config_.defaults.audit_speedup_factor;
  r.work_dir = config_.work_dir + "/" + live.id + "/" + work_leaf;
  r.task_hash = live.task_hash;
  return r;
}

std::string CampaignService::NextAttemptId(const std::string& campaign_id) const {
  const CampaignFacts* c = fold_.campaign(campaign_id);
  char buf[32];
  std::snprintf(buf, sizeof buf, "-a%05lld", static_cast<long long>((c ? c->attempts_started : 0) + 1));
  return campaign_id + buf;
}

void CampaignService::RecordVerdictMetric(const Verdict& v) {
  metrics_.Add("ksearch_attempts_total", 1, {{"verdict", std::string(VerdictKindName(v.kind))}});
}

void CampaignService::Pump() {
  PumpCampaigns();
  // An attempt that finished and had no successor started is committed now,
  // before the io thread waits again.
  CommitStaged();
}

void CampaignService::PumpCampaigns() {
  CpuScope cpu(io_cpu_, CpuActivity::kPlanner);
  if (shutting_down_ || live_.empty()) return;
  // Round robin, one attempt per campaign per round, with the head of the
  // round rotating between calls: campaigns on the same slots share the
  // pipeline depth and the max_attempts_in_flight cap fairly.
  std::vector<Live*> order;
  for (auto& [id, live] : live_) order.push_back(live.get());
  const size_t first = pump_turn_++ % order.size();
  for (bool started = true; started && !shutting_down_;) {
    started = false;
    for (size_t i = 0; i < order.size(); ++i) started |= PumpCampaign(*order[(first + i) % order.size()]);
  }
}

bool CampaignService::GlobalRoomForAttempt() const {
  if (config_.max_attempts_in_flight <= 0) return true;
  size_t in_flight = 0;
  for (const auto& [id, live] : live_) in_flight += live->in_flight.size();
  return in_flight < static_cast<size_t>(config_.max_attempts_in_flight);
}

size_t CampaignService::InFlightOn(Backend backend) const {
  size_t n = 0;
  for (const auto& [id, live] : live_)
    if (live->backend == backend) n += live->in_flight.size();
  return n;
}

bool CampaignService::PumpCampaign(Live& live) {
  const CampaignFacts* facts = fold_.campaign(live.id);
  if (!facts || facts->state != "running") return false;
  // Every slot of this kind out of service (failed canary): nothing starts; the
  // campaign waits rather than ending attempt after attempt in infra_error.
  if (!pool_.HasSlotFor(live.backend)) return false;
  // The baseline waits for the seed's verdict: the seed unlocks proposals, the
  // baseline only labels speedups, so the seed gets the slot first.
  if (facts->baseline.is_null() && !live.baseline_in_flight && facts->seed_time_us > 0) MeasureBaseline(live);
  // The pipeline depth belongs to the backend's slots, shared by every
  // campaign on them: enough proposals to keep each slot fed, no more, so no
  // proposer is asked for work that would wait hours in the queue.
  const size_t depth = std::max<size_t>(1, SlotsFor(live.backend)) *
                       static_cast<size_t>(config_.proposals_per_slot);
  if (shutting_down_ || InFlightOn(live.backend) >= depth || !GlobalRoomForAttempt()) return false;
  while (!live.retries.empty()) {
    std::string retry_of = live.retries.front();
    live.retries.pop_front();
    const AttemptFacts* old = fold_.attempt(retry_of);
    if (!old) continue;
    planner::Decision d;
    d.parent = old->started.value("parent", "");
    d.axis = old->started.value("axis", "");
    d.proposer = old->started.value("proposer", "");
    d.island = old->started.value("island", 0);
    d.mode = "retry";
    if (d.proposer == "seed") {
      d.kind = planner::DecisionKind::kEvaluateSeed;
      d.parent_source_blob = live.seed_source_blob;
    } else {
      const CandidateFacts* parent = fold_.candidate(live.id, d.parent);
      if (!parent || !old->started.value("repair_of", "").empty()) continue;  // planner decides
      d.kind = planner::DecisionKind::kProposal;
      d.parent_source_blob = parent->source_blob;
    }
    StartAttempt(live, d, retry_of);
    return true;
  }
  planner::NextStep step = live.planner->Next(clock_.UnixMillis());
  if (!step.decision) {
    MaybeFinishCampaign(live, step);
    return false;
  }
  StartAttempt(live, *step.decision, "");
  return true;
}

void CampaignService::MaybeFinishCampaign(Live& live, const planner::NextStep& step) {
  if (step.reason == planner::StopReason::kWaiting || step.reason == planner::StopReason::kNone ||
      step.reason == planner::StopReason::kNotStarted)
    return;
  if (!live.in_flight.empty() || live.baseline_in_flight || !live.remeasures.empty()) return;
  std::vector<Event> batch{MakeEvent(live.id, "", event_kind::kCampaignState,
                                     json{{"state", "finished"},
                                          {"reason", std::string(planner::StopReasonName(step.reason))},
                                          {"detail", step.detail}})};
  // Refused, it is not observed either: the campaign stays running and the
  // next Pump comes here again.
  (void)AppendAndObserve(batch);
}

void CampaignService::StartAttempt(Live& live, const planner::Decision& d, const std::string& retry_of) {
  auto a = std::make_shared<Attempt>();
  a->live = &live;
  a->id = NextAttemptId(live.id);
  a->decision = d;
  a->retry_of = retry_of;
  a->started_ms = clock_.UnixMillis();
  a->started_payload = json{{"parent", d.parent},       {"axis", d.axis},
                            {"proposer", d.proposer},   {"island", d.island},
                            {"repair_of", d.repair_of}, {"retry_of", retry_of},
                            {"mode", d.mode},
                            {"kind", std::string(planner::DecisionKindName(d.kind))}};
  std::vector<Event> batch{MakeEvent(live.id, a->id, event_kind::kAttemptStarted, a->started_payload)};
  if (Status s = AppendAndObserve(batch); !s.ok()) {
    // The log refused the start: nothing was recorded, so nothing is lost;
    // stop proposing for this campaign until the next pump.
    return;
  }
  live.in_flight[a->id] = a;
  if (d.kind == planner::DecisionKind::kEvaluateSeed) {
    a->source = BlobOrEmpty(d.parent_source_blob);
    a->change_summary = "seed";
    SubmitBuild(a);
    return;
  }
  ProposalInput in;
  in.campaign_id = live.id;
  in.attempt_id = a->id;
  in.decision = d;
  const bool reads_parent = !(d.kind == planner::DecisionKind::kRepair && !d.repair_source_blob.empty());
  in.parent_source = BlobOrEmpty(reads_parent ? d.parent_source_blob : d.repair_source_blob);
  if (reads_parent) a->parent_source = in.parent_source;
  in.planner = live.planner.get();
  in.contract = live.contract;
  if (d.proposer != "tuner") in.other_dead_ends = fold_.OtherCampaignsDeadEnds(live.id, d.axis, kOtherDeadEndLines);
  engine_.Propose(std::move(in), [this, a](ProposalOutput out) { OnProposal(a, std::move(out)); });
}

void CampaignService::OnProposal(std::shared_ptr<Attempt> a, ProposalOutput out) {
  CpuScope cpu(io_cpu_, CpuActivity::kProposal);
  if (a->finished) return;
  std::vector<Event> calls;
  std::vector<Blob> blobs;  // prompts' parts and replies, committed with their llm_call events
  for (auto& call : out.llm_calls) {
    json p = call.payload;
    // A prompt is stored as its sections (planner::PromptRecordParts): most
    // of them repeat from earlier prompts, and the log keeps each blob once.
    json parts = json::array();
    for (std::string_view part : planner::PromptRecordParts(call.prompt)) {
      blobs.push_back(Blob::Of(std::string(part)));
      parts.push_back(blobs.back().sha256);
    }
    p["prompt_parts"] = std::move(parts);
    blobs.push_back(Blob::Of(std::move(call.reply)));
    p["reply_blob"] = blobs.back().sha256;
    a->cost_usd += p.value("cost_usd", 0.0);
    metrics_.Add("ksearch_llm_tokens_total", p.value("input_tokens", 0.0), {{"direction", "input"}});
    metrics_.Add("ksearch_llm_tokens_total", p.value("output_tokens", 0.0), {{"direction", "output"}});
    metrics_.Add("ksearch_llm_cost_usd_total", p.value("cost_usd", 0.0));
    calls.push_back(MakeEvent(a->live->id, a->id, event_kind::kLlmCall, std::move(p)));
  }
  if (!calls.empty()) Record(std::move(calls), std::move(blobs));
  if (!out.ok) {
    Finish(a, out.failure);
    return;
  }
  a->source = std::move(out.source);
  a->change_summary = out.change_summary;
  SubmitBuild(a);
}

void CampaignService::SubmitBuild(std::shared_ptr<Attempt> a) {
  Live& live = *a->live;
  const std::string normalized = planner::NormalizeSource(a->source);
  a->source_hash = planner::HashOfNormalizedSource(normalized);  // = NormalizedSourceHash(a->source)
  if (a->decision.kind != planner::DecisionKind::kEvaluateSeed) {
    std::string parent_source =
        a->parent_source ? std::move(*a->parent_source) : BlobOrEmpty(a->decision.parent_source_blob);
    a->parent_source.reset();
    a->semantic_key = planner::SemanticChangeKeyOfNormalized(a->decision.parent, a->decision.axis,
                                                             planner::NormalizeSource(parent_source), normalized);
    if (auto dup = live.planner->CheckDuplicate(a->source_hash, "", a->semantic_key)) {
      Finish(a, *dup);
      return;
    }
  }
  a->source_blob = experiment_log::ExperimentLog::BlobHash(a->source);
  a->build_request = MakeBuildRequest(live, a->source);
  pool_.SubmitBuild(a->build_request, [this, a](BuildResult built) { OnBuilt(a, std::move(built)); });
}

void CampaignService::OnBuilt(std::shared_ptr<Attempt> a, BuildResult built) {
  CpuScope cpu(io_cpu_, CpuActivity::kBuildResult);
  if (a->finished) return;
  a->build = std::move(built);
  a->pending_stages.push_back(MakeEvent(a->live->id, a->id, event_kind::kAttemptStage,
                                        json{{"stage", "compile"},
                                             {"ok", a->build.ok},
                                             {"detail", a->build.ok ? "" : a->build.verdict.ToString()},
                                             {"machine_code_hash", a->build.machine_code_hash}}));
  a->pending_stages.back().time_ms = clock_.UnixMillis();
  if (!a->build.ok) {
    Finish(a, a->build.verdict);
    return;
  }
  if (!a->build.machine_code_hash.empty() && a->decision.kind != planner::DecisionKind::kEvaluateSeed) {
    if (auto dup = a->live->planner->CheckDuplicate("", a->build.machine_code_hash, "")) {
      Finish(a, *dup);
      return;
    }
  }
  SubmitRun(a);
}

void CampaignService::SubmitRun(std::shared_ptr<Attempt> a) {
  Live& live = *a->live;
  RunRequest r = MakeRunRequest(live, a->build.artifact_path, a->id, config_.defaults.profile == "always");
  if (const CandidateFacts* p = fold_.candidate(live.id, a->decision.parent)) {
    r.parent.candidate_id = a->decision.parent;
    r.parent.time_us = p->time_us;
    r.parent.shape_median_us = p->shape_median_us;
  }
  if (const CampaignFacts* c = fold_.campaign(live.id); c && c->baseline.is_object()) {
    r.baseline.candidate_id = "baseline";
    r.baseline.time_us = c->baseline.value("time_us", 0.0);
    r.baseline.shape_median_us = c->baseline.value("shape_median_us", std::vector<double>{});
  }
  a->run_request = r;
  pool_.SubmitRun(r, [this, a](RunResult run, const workers::SlotStatus&) { OnRun(a, std::move(run)); });
}

void CampaignService::OnRun(std::shared_ptr<Attempt> a, RunResult result) {
  CpuScope cpu(io_cpu_, CpuActivity::kRunResult);
  if (a->finished) return;
  Live& live = *a->live;
  // Moved, not copied: the evidence is tens of kilobytes of JSON.
  a->first_run = std::move(result);
  const RunResult& run = a->first_run;
  a->pending_stages.push_back(MakeEvent(live.id, a->id, event_kind::kAttemptStage,
                                        json{{"stage", "verify_benchmark"},
                                             {"ok", IsPassingVerdict(run.verdict.kind)},
                                             {"detail", run.verdict.ToString()},
                                             {"time_us", run.time_us},
                                             {"spread", run.spread}}));
  a->pending_stages.back().time_ms = clock_.UnixMillis();
  if (!IsPassingVerdict(run.verdict.kind) || !(run.time_us > 0)) {
    Finish(a, run.verdict);
    return;
  }
  if (a->decision.kind == planner::DecisionKind::kEvaluateSeed) {
    // The seed's measurement is the campaign's starting point: it is the best
    // by definition (the planner confirms it on attempt_finished).
    const std::string candidate = CandidateId(a->source_hash);
    const std::string attempt_id = a->id;
    const double sample_us = run.time_us;
    Finish(a, {VerdictKind::kNewBest, "seed", "the seed's measurement starts the campaign"});
    // The seed's time is the planner's robust mean of its samples so far
    // (it has observed this one), not this single sample.
    const double seed_us = live.planner->BestCandidate() == candidate && live.planner->BestTimeUs() > 0
                               ? live.planner->BestTimeUs()
                               : sample_us;
    std::vector<Event> best{MakeEvent(live.id, attempt_id, event_kind::kBestPromoted,
                                      json{{"candidate", candidate}, {"attempt", attempt_id},
                                           {"time_us", seed_us}, {"sample_us", sample_us}, {"previous_best", ""},
                                           {"previous_best_us", 0.0}, {"speedup_vs_seed", 1.0}})};
    Stage(std::move(best), {}, false);  // committed with the seed's last batch
    return;
  }
  // The planner's noise policy judges against the parent.
  auto j = live.planner->JudgeMeasurement(a->decision.parent, run.time_us, run.spread);
  if (!j.ok()) {
    Finish(a, {VerdictKind::kInfraError, "planner", j.status().ToString()});
    return;
  }
  const bool needs_remeasure = j->needs_remeasure;
  const std::string artifact = a->build.artifact_path;
  const std::string candidate = CandidateId(a->source_hash);
  const std::string source_blob = a->source_blob;
  const std::string attempt_id = a->id;
  Finish(a, {j->kind, "", j->detail});
  // A tentative improvement is re-measured (fresh seeds, no selection bias)
  // until the planner's test is conclusive; only then can it become the best.
  if (needs_remeasure) StartRemeasure(live, candidate, attempt_id, source_blob, artifact);
}

void CampaignService::StartRemeasure(Live& live, const std::string& candidate, const std::string& attempt_id,
                                     const std::string& source_blob, const std::string& artifact) {
  if (live.remeasures.count(candidate)) return;
  auto job = std::make_shared<Remeasure>();
  job->candidate = candidate;
  job->attempt_id = attempt_id;
  job->source_blob = source_blob;
  job->artifact_path = artifact;
  live.remeasures[candidate] = job;
  RunRemeasure(live.id, job);
}

void CampaignService::RunRemeasure(const std::string& campaign_id, std::shared_ptr<Remeasure> job) {
  CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
  Live* live = FindLive(campaign_id);
  if (!live) return;
  if (shutting_down_) {
    // No new run during a shutdown. The log still holds the candidate as
    // unconfirmed, so the next start re-measures it; the job leaves now so
    // that the shutdown does not wait its whole grace period for it.
    live->remeasures.erase(job->candidate);
    NotifyIfIdle();
    return;
  }
  if (!job->reference.empty()) {
    RunReferenceSample(campaign_id, job);
    return;
  }
  if (job->artifact_path.empty()) {
    // After a restart the artifact is rebuilt (a cache hit in the evaluator).
    BuildRequest b = MakeBuildRequest(*live, BlobOrEmpty(job->source_blob));
    pool_.SubmitBuild(b, [this, campaign_id, job](BuildResult built) {
      Live* l = FindLive(campaign_id);
      if (!l) return;
      if (!built.ok) {
        RecordRemeasure(*l, job, RunOfFailedBuild(built));
        return;
      }
      job->artifact_path = built.artifact_path;
      RunRemeasure(campaign_id, job);
    });
    return;
  }
  RunRequest r = MakeRunRequest(*live, job->artifact_path,
                                job->attempt_id + "-remeasure" + std::to_string(job->samples.size() + 1),
                                config_.defaults.profile != "never");
  pool_.SubmitRun(r, [this, campaign_id, job](RunResult run, const workers::SlotStatus&) {
    if (Live* l = FindLive(campaign_id)) RecordRemeasure(*l, job, std::move(run));
  });
}

void CampaignService::RecordRemeasure(Live& live, std::shared_ptr<Remeasure> job, RunResult run) {
  CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
  std::vector<Event> batch;
  bool again = false;
  if (!IsPassingVerdict(run.verdict.kind) || !(run.time_us > 0)) {
    // A candidate that passed once and then fails is not confirmed, ever.
    batch.push_back(MakeEvent(live.id, "", event_kind::kRemeasured,
                              json{{"candidate", job->candidate}, {"attempt", job->attempt_id},
                                   {"time_us", 0.0}, {"spread", 0.0}, {"agrees", false}, {"final", true},
                                   {"detail", "re-measurement failed: " + run.verdict.ToString() + " " +
                                                  run.verdict.detail}}));
  } else {
    job->samples.push_back(run.time_us);
    // JudgeRemeasurement counts the new sample itself: judge before observing.
    auto rj = live.planner->JudgeRemeasurement(job->candidate, run.time_us, run.spread);
    if (!rj.ok()) {
      batch.push_back(MakeEvent(live.id, "", event_kind::kRemeasured,
                                json{{"candidate", job->candidate}, {"attempt", job->attempt_id},
                                     {"time_us", run.time_us}, {"spread", run.spread}, {"agrees", false},
                                     {"final", true}, {"detail", rj.status().ToString()}}));
    } else {
      again = rj->needs_another && job->samples.size() < static_cast<size_t>(planner::kMaxRemeasures);
      if (again) job->reference = rj->reference_sample_of;
      json payload{{"candidate", job->candidate}, {"attempt", job->attempt_id},
                   {"time_us", run.time_us}, {"spread", run.spread},
                   {"agrees", rj->agrees && !again}, {"final", !again},
                   {"detail", rj->detail}};
      // The candidate's time from now on, as the planner computes it.
      if (!again && rj->estimate_us > 0) payload["estimate_us"] = rj->estimate_us;
      batch.push_back(MakeEvent(live.id, "", event_kind::kRemeasured, std::move(payload)));
      if (!again && rj->agrees && rj->promote_best) {
        const CampaignFacts* facts = fold_.campaign(live.id);
        const double t = rj->estimate_us;  // as the planner estimates it
        double seed_time = facts && facts->seed_time_us > 0 ? facts->seed_time_us : t;
        batch.push_back(MakeEvent(live.id, "", event_kind::kBestPromoted,
                                  json{{"candidate", job->candidate}, {"attempt", job->attempt_id},
                                       {"time_us", t}, {"previous_best", facts ? facts->best_candidate : ""},
                                       {"previous_best_us", rj->previous_best_us},
                                       {"speedup_vs_seed", seed_time / t}}));
      }
    }
  }
  Record(std::move(batch));
  ContinueRemeasure(live, job, again);
}

void CampaignService::ContinueRemeasure(Live& live, std::shared_ptr<Remeasure> job, bool again) {
  if (again) {  // during a shutdown RunRemeasure drops the job instead
    RunRemeasure(live.id, job);
    return;
  }
  live.remeasures.erase(job->candidate);
  NotifyIfIdle();
  boost::asio::post(io_, [this] { Pump(); });
}

void CampaignService::RunReferenceSample(const std::string& campaign_id, std::shared_ptr<Remeasure> job) {
  CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
  Live* live = FindLive(campaign_id);
  if (!live) return;
  const CandidateFacts* member = fold_.candidate(campaign_id, job->reference);
  std::string source = member ? BlobOrEmpty(member->source_blob) : std::string();
  if (source.empty()) {
    // Nothing to measure (not a member of the log's campaign, or its source
    // is missing): the candidate goes on against the samples there are.
    job->reference.clear();
    RunRemeasure(campaign_id, job);
    return;
  }
  pool_.SubmitBuild(MakeBuildRequest(*live, std::move(source)), [this, campaign_id, job](BuildResult built) {
    Live* l = FindLive(campaign_id);
    if (!l) return;
    if (!built.ok) {
      RecordReferenceSample(*l, job, RunOfFailedBuild(built));
      return;
    }
    // At most one reference run follows each of the candidate's samples.
    RunRequest r = MakeRunRequest(*l, built.artifact_path,
                                  job->attempt_id + "-reference" + std::to_string(job->samples.size()), false);
    pool_.SubmitRun(r, [this, campaign_id, job](RunResult run, const workers::SlotStatus&) {
      if (Live* l2 = FindLive(campaign_id)) RecordReferenceSample(*l2, job, std::move(run));
    });
  });
}

void CampaignService::RecordReferenceSample(Live& live, std::shared_ptr<Remeasure> job, RunResult run) {
  CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
  const std::string member = std::exchange(job->reference, std::string());
  const VerdictKind kind = run.verdict.kind;
  if (kind == VerdictKind::kInterrupted || kind == VerdictKind::kInfraError) {
    // Says nothing about the member: no sample (the next judgement may ask
    // again; the candidate's own samples are bounded by kMaxRemeasures).
    ContinueRemeasure(live, job, true);
    return;
  }
  const CandidateFacts* facts = fold_.candidate(live.id, member);
  json payload{{"candidate", member}, {"attempt", facts ? facts->attempt_id : std::string()},
               {"reference", true}, {"for", job->candidate}};
  if (IsPassingVerdict(kind) && run.time_us > 0) {
    payload["time_us"] = run.time_us;
    payload["spread"] = run.spread;
    // The member's time from now on, as the planner computes it.
    if (auto t = live.planner->ReferenceEstimate(member, run.time_us, run.spread); t.ok() && *t > 0)
      payload["estimate_us"] = *t;
  } else {
    // Passed once, not again: the planner takes it as nobody's parent.
    payload["time_us"] = 0.0;
    payload["spread"] = 0.0;
    payload["detail"] = "reference sample failed: " + run.verdict.ToString() + " " + run.verdict.detail;
  }
  std::vector<Event> batch{MakeEvent(live.id, "", event_kind::kRemeasured, std::move(payload))};
  Record(std::move(batch));
  ContinueRemeasure(live, job, true);
}

void CampaignService::NotifyIfIdle() {
  if (!shutting_down_ || !on_idle_) return;
  CommitStaged();  // idle includes nothing left to write
  if (!Idle()) return;
  auto cb = std::move(on_idle_);
  on_idle_ = nullptr;
  boost::asio::post(io_, std::move(cb));
}

void CampaignService::Finish(std::shared_ptr<Attempt> a, Verdict verdict) {
  CpuScope cpu(io_cpu_, CpuActivity::kFinish);
  if (a->finished) return;
  Live& live = *a->live;
  const RunResult& run = a->first_run;
  const bool measured = IsPassingVerdict(verdict.kind) && run.time_us > 0;
  json payload{{"verdict", verdict.ToString()},
               {"detail", verdict.detail},
               {"parent", a->decision.parent},
               {"axis", a->decision.axis},
               {"proposer", a->decision.proposer},
               {"island", a->decision.island},
               {"repair_of", a->decision.repair_of},
               {"retry_of", a->retry_of},
               {"source_blob", a->source_blob},
               {"source_hash", a->source_hash},
               {"semantic_key", a->semantic_key},
               {"machine_code_hash", a->build.machine_code_hash},
               {"change_summary", a->change_summary},
               {"cost_usd", a->cost_usd},
               {"time_us", measured ? run.time_us : 0.0},
               {"spread", measured ? run.spread : 0.0}};
  if (!a->source_hash.empty() && (measured || a->build.ok))
    payload["candidate"] = CandidateId(a->source_hash);
  if (measured) {
    payload["shapes"] = ShapesJson(run);
    payload["roofline_fraction"] = run.roofline_fraction;
    payload["bottleneck"] = run.bottleneck;
    const CampaignFacts* c = fold_.campaign(live.id);
    if (const CandidateFacts* p = fold_.candidate(live.id, a->decision.parent))
      payload["speedup_vs_parent"] = p->time_us / run.time_us;
    if (c && c->seed_time_us > 0) payload["speedup_vs_seed"] = c->seed_time_us / run.time_us;
    if (c && c->baseline.is_object() && c->baseline.value("time_us", 0.0) > 0)
      payload["speedup_vs_baseline"] = c->baseline.value("time_us", 0.0) / run.time_us;
    // A member's tuner neighbourhood, so the planner closes its tuner pair
    // once the campaign has every neighbour (planner_state.h, tuner_untried)
    // instead of learning it from a patch_failed attempt.
    if (live.spec.HasTuner()) payload["tuner_neighbours"] = planner::TunerNeighbourHashes(a->source);
  }
  // The source and the evidence packet are committed with the terminal batch.
  // (The source is no longer needed: this is the attempt's last step.)
  std::vector<Blob> blobs;
  const bool has_source = !a->source_blob.empty();
  if (has_source) blobs.push_back({a->source_blob, std::move(a->source)});
  if (!a->build_request.task_dir.empty()) {
    // A run that failed (wrong result, crash) keeps its evidence too: the
    // validation records and the runner log are what a repair prompt quotes.
    // The run's evidence is moved into the packet (payload above is built);
    // the sections the child wrote as text go in as its bytes, unparsed.
    // The candidate section replaces the evaluator's whole: it keeps its
    // machine-code hash (what `ksearch replay` compares) and names the source
    // by the hash of its normalized text, as attempt_finished does.
    json members{{"candidate", {{"source_hash", a->source_hash}, {"machine_code_hash", a->build.machine_code_hash},
                                {"parent", a->decision.parent},
                                {"axis", a->decision.axis}, {"proposer", a->decision.proposer},
                                {"change_summary", a->change_summary}, {"attempt", a->id}}},
                 {"verdict", {{"verdict", verdict.ToString()}, {"detail", verdict.detail}}},
                 {"replay", "ksearch replay " + a->id}};
    blobs.push_back(Blob::Of(evaluator::EvidencePacketText(
        a->build_request, a->build, a->run_request,
        run.evidence.is_null() && run.evidence_text.empty() ? nullptr : &a->first_run, members)));
    payload["evidence_blob"] = blobs.back().sha256;
  }
  std::vector<Event> batch = std::move(a->pending_stages);
  batch.push_back(MakeEvent(live.id, a->id, event_kind::kAttemptFinished, std::move(payload)));
  // Failures outside the candidate in a row (infra_error: the machine;
  // proposal_failed{llm_error}: an LLM endpoint down) pause the campaign (in
  // the same batch), so it does not churn through attempts, instantly when an
  // endpoint's circuit is open; ArmInfraRetry resumes it later to see whether
  // it works again.
  bool infra_pause = false;
  const bool outside_failure = verdict.kind == VerdictKind::kInfraError ||
                               (verdict.kind == VerdictKind::kProposalFailed && verdict.reason == "llm_error");
  if (outside_failure) {
    // An endpoint's error while the planner can send proposals elsewhere
    // (another endpoint, the tuner) is not churn: the planner rests the
    // endpoint (kEndpointErrorsToRest) and the campaign goes on without it.
    const bool routed_around = verdict.kind == VerdictKind::kProposalFailed &&
                               live.planner->HasProposerBesides(a->decision.proposer, clock_.UnixMillis());
    if (!routed_around) ++live.infra_errors_in_row;
  } else if (verdict.kind != VerdictKind::kInterrupted) {
    live.infra_errors_in_row = 0;
    live.infra_pauses_in_row = 0;
  }
  if (config_.infra_pause_after > 0 && live.infra_errors_in_row >= config_.infra_pause_after) {
    const CampaignFacts* c = fold_.campaign(live.id);
    if (c != nullptr && c->state == "running") {
      infra_pause = true;
      ++live.infra_pauses_in_row;
      std::string detail = verdict.detail.size() > 300 ? verdict.detail.substr(0, 300) + "..." : verdict.detail;
      batch.push_back(StateEvent(live.id, "paused",
                                 std::string(kInfraPauseReason) + std::to_string(live.infra_errors_in_row) +
                                     " attempts in a row failed outside the candidate (the machine or an LLM "
                                     "endpoint); the last: " + verdict.ToString() + " " + detail));
    }
  }
  a->finished = true;
  live.in_flight.erase(a->id);
  // Committed by the Pump posted below, with the start of the attempt that
  // takes this one's place (Stage). A built source may become a member, and
  // then the parent of the attempts to come: it is cached once the log holds it.
  Stage(std::move(batch), std::move(blobs), has_source && a->build.ok);
  if (infra_pause) ArmInfraRetry(live);
  RecordVerdictMetric(verdict);
  NotifyIfIdle();
  boost::asio::post(io_, [this] { Pump(); });
}

void CampaignService::MeasureBaseline(Live& live) {
  CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
  live.baseline_in_flight = true;
  BuildRequest b = MakeBuildRequest(live, BlobOrEmpty(live.baseline_source_blob));
  const std::string id = live.id;
  auto record = [this, id](json payload) {
    CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
    Live* l = FindLive(id);
    if (!l) return;
    l->baseline_in_flight = false;
    Record({MakeEvent(id, "", kBaselineMeasured, std::move(payload))});
    NotifyIfIdle();
    // The campaign may have been waiting only for the baseline to end.
    boost::asio::post(io_, [this] { Pump(); });
  };
  pool_.SubmitBuild(b, [this, id, record](BuildResult built) {
    CpuScope cpu(io_cpu_, CpuActivity::kRemeasure);
    Live* l = FindLive(id);
    if (!l || shutting_down_) {
      if (l) l->baseline_in_flight = false;
      return;
    }
    if (!built.ok) {
      record(json{{"time_us", 0.0}, {"verdict", built.verdict.ToString()}, {"detail", built.verdict.detail}});
      return;
    }
    RunRequest r = MakeRunRequest(*l, built.artifact_path, "baseline", /*profile=*/false);
    pool_.SubmitRun(r, [record](RunResult run, const workers::SlotStatus&) {
      record(json{{"time_us", IsPassingVerdict(run.verdict.kind) ? run.time_us : 0.0},
                  {"spread", run.spread},
                  {"shape_median_us", run.shape_median_us},
                  {"verdict", run.verdict.ToString()},
                  {"detail", run.verdict.detail}});
    });
  });
}

}  // namespace ksearch::daemon
