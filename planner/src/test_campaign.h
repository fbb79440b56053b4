// Test helper (planner tests only): writes the events the daemon would append,
// feeds them to a Planner and keeps them for replay.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksearch/core/event.h"
#include "ksearch/planner/planner.h"

namespace ksearch::planner::testing {

inline Result<AxisCatalogue> TestAxes() {
  auto ax = [](std::string n, std::vector<std::string> b, std::vector<std::string> nb,
               bool tuner = false) {
    Axis a;
    a.name = std::move(n);
    a.description = "test axis " + a.name;
    a.bottlenecks = std::move(b);
    a.archs = {"*"};
    a.neighbours = std::move(nb);
    a.tuner_only = tuner;
    return a;
  };
  return AxisCatalogue::FromAxes({ax("coalesce", {"memory"}, {"vectorize"}),
                                  ax("vectorize", {"memory"}, {"coalesce"}),
                                  ax("unroll", {"compute"}, {}),
                                  ax("occupancy", {"latency"}, {"unroll"}),
                                  ax("tune", {"memory", "compute", "latency"}, {}, true)});
}

inline CampaignSpec TestSpec() {
  CampaignSpec s;
  s.campaign_id = "c1";
  s.task = "softmax";
  s.backend = "cuda";
  s.arch = "sm_90";
  s.islands = 2;
  s.elites_per_island = 3;
  s.migration_interval = 10;
  s.proposers = {{"tuner", 1}, {"llm_a", 1}};
  s.seed = 7;
  return s;
}

// A fresh proposal along `axis` from `parent`.
inline Decision Fresh(const std::string& parent, const std::string& axis,
                      const std::string& proposer = "llm_a") {
  Decision d;
  d.parent = parent;
  d.axis = axis;
  d.proposer = proposer;
  return d;
}

class Script {
 public:
  explicit Script(Planner* p) : p_(p) {}

  // > 0: the time of every event emitted from now on; 0: one second apart.
  int64_t time_ms = 0;

  void Emit(std::string kind, std::string attempt, nlohmann::json payload) {
    Event e;
    e.seq = ++seq_;
    e.time_ms = time_ms > 0 ? time_ms : 1000000 + seq_ * 1000;
    e.campaign_id = p_->spec().campaign_id;
    e.attempt_id = std::move(attempt);
    e.kind = std::move(kind);
    e.payload = std::move(payload);
    events.push_back(e);
    p_->Observe(e);
  }
  void StartCampaign(const std::string& seed = "seed") {
    Emit("campaign_started", "", {{"task", "softmax"}, {"arch", "sm_90"}, {"backend", "cuda"},
                                  {"seed_candidate", seed}, {"seed_source_blob", "blob_" + seed}});
  }
  std::string Start(const Decision& d) {
    std::string id = "a" + std::to_string(++attempts_);
    Emit("attempt_started", id, {{"parent", d.parent}, {"axis", d.axis}, {"proposer", d.proposer},
                                 {"island", d.island}, {"repair_of", d.repair_of}, {"retry_of", ""}});
    return id;
  }
  // Finishes `attempt`; for passing verdicts `candidate` and `time_us` matter.
  void Finish(const std::string& attempt, const std::string& verdict, const std::string& candidate,
              double time_us, const std::string& bottleneck = "memory", double spread = 0.005) {
    Emit("attempt_finished", attempt,
         {{"verdict", verdict}, {"detail", "d " + verdict}, {"candidate", candidate},
          {"source_blob", candidate.empty() ? "" : "blob_" + candidate},
          {"source_hash", candidate.empty() ? "" : "h_" + candidate},
          {"machine_code_hash", candidate.empty() ? "" : "m_" + candidate},
          {"time_us", time_us}, {"spread", spread}, {"bottleneck", bottleneck}});
  }
  void Remeasure(const std::string& cand, double t, bool agrees, bool final = true, double spread = 0.005) {
    Emit("remeasured", "", {{"candidate", cand}, {"time_us", t}, {"spread", spread},
                            {"agrees", agrees}, {"final", final}});
  }
  // A sample of `cand` taken as a child's reference (RemeasureJudgement::reference_sample_of).
  void ReferenceSample(const std::string& cand, double t, double spread = 0.005) {
    Emit("remeasured", "", {{"candidate", cand}, {"time_us", t}, {"spread", spread}, {"reference", true}});
  }
  void Promote(const std::string& cand, double t) {
    Emit("best_promoted", "", {{"candidate", cand}, {"time_us", t}});
  }
  // kMinBestRemeasures agreeing re-measurements at `t`, then the promotion.
  void ConfirmBest(const std::string& cand, double t) {
    for (int i = 0; i < kMinBestRemeasures; ++i) Remeasure(cand, t, true, i + 1 == kMinBestRemeasures);
    Promote(cand, t);
  }
  void LlmCall(const std::string& attempt, const std::string& endpoint, double cost) {
    Emit("llm_call", attempt, {{"endpoint", endpoint}, {"cost_usd", cost}});
  }
  // The campaign started and its seed measured at `t`: where most tests begin.
  void StartWithSeed(double t) {
    StartCampaign();
    MeasureSeed(t);
  }
  // Seed evaluated kSeedSamples times, each measured at `t`.
  void MeasureSeed(double t, const std::string& bottleneck = "memory") {
    for (int i = 0; i < kSeedSamples; ++i) {
      NextStep n = p_->Next(0);
      std::string id = Start(*n.decision);
      Finish(id, "no_gain", "seed", t, bottleneck);
    }
  }

  std::vector<Event> events;

 private:
  Planner* p_;
  int64_t seq_ = 0;
  int attempts_ = 0;
};

inline std::unique_ptr<Planner> MakePlanner(CampaignSpec spec = TestSpec()) {
  auto cat = TestAxes();
  auto p = Planner::Create(spec, *cat);
  return std::move(*p);
}

}  // namespace ksearch::planner::testing
