// Drives the real ksearch::planner::Planner on the landscape, writing the
// events the daemon would write (campaign_started, attempt_started,
// attempt_finished, remeasured, best_promoted) and following its decisions,
// promotion judgements and duplicate checks.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "ksearch/core/clock.h"
#include "ksearch/core/event.h"
#include "ksearch/planner/planner.h"
#include "policies.h"

namespace bench {

using namespace ksearch;
using namespace ksearch::planner;

namespace {

class Driver {
 public:
  Driver(const Landscape& L, Planner& p, int units, uint64_t seed, int remeasure_ticks, double reported_scale)
      : L_(L), p_(p), units_(units), remeasure_ticks_(remeasure_ticks), reported_scale_(reported_scale),
        seed_(seed), rng_(seed) {
    seed_true_ = L.TrueTime(L.Seed());
    best_true_ = seed_true_;
    r_.best_speedup.push_back(1.0);
  }

  RunResult Run() {
    Emit("campaign_started", "", {{"task", "sim"}, {"arch", "sm_90"}, {"backend", "cuda"},
                                  {"seed_candidate", "seed"}, {"seed_source_blob", "b_seed"}});
    states_["seed"] = L_.Seed();
    while (!Done()) {
      const int64_t t0 = ThreadCpuNanos();
      NextStep n = p_.Next(0);
      Charge(t0);
      if (!n.decision) {  // stopped: the budget is simply not used
        ++counts_["stop_" + std::string(StopReasonName(n.reason))];
        counts_["stop_at_unit"] = static_cast<int>(r_.best_speedup.size()) / kTicksPerUnit;
        r_.units["idle_after_stop"] +=
            (units_ * kTicksPerUnit + 1 - static_cast<double>(r_.best_speedup.size())) / kTicksPerUnit;
        while (!Done()) Spend();
        break;
      }
      Step(*n.decision);
    }
    if (report_cost_) {  // the planner's CPU per decision as the campaign grows
      std::fprintf(stderr, "COST seed=%llu decisions=%lld", static_cast<unsigned long long>(seed_),
                   static_cast<long long>(decisions_));
      for (size_t b = 0; b < cost_ns_.size(); ++b)
        std::fprintf(stderr, " [%zu-%zu):%.1fus", b * kCostBucket, (b + 1) * kCostBucket,
                     cost_ns_[b] / 1e3 / static_cast<double>(std::max<int64_t>(1, cost_n_[b])));
      std::fprintf(stderr, "\n");
    }
    if (report_missing_) {  // what the declared best still lacks
      // The frontier's record of each axis on the declared best: tries and outcome.
      std::map<std::string, std::string> tried_on_best;
      const nlohmann::json snap = p_.Snapshot();  // named: the loop below must not outlive it
      for (const auto& f : snap["frontier"])
        if (f["candidate"] == p_.BestCandidate())
          tried_on_best[f["axis"].get<std::string>()] =
              f["outcome"].get<std::string>() + "#" + std::to_string(f["finished"].get<int>());
      const SimState& b = states_.at(p_.BestCandidate());
      double bt = L_.TrueTime(b), opt = L_.OptimumTime();
      std::fprintf(stderr, "MISSING seed=%llu best/opt=%.4f tune_off=%d", static_cast<unsigned long long>(seed_),
                   bt / opt, std::abs(b.tune - L_.TuneOpt()));
      for (size_t i = 0; i < L_.axes().size(); ++i) {
        const SimAxis& ax = L_.axes()[i];
        if (ax.tuner || ax.gain <= 0 || b.levels[i] >= ax.max_level) continue;
        // axis:level/max:gain of every remaining level:gain of the next
        // one:the best's pair (outcome#finished tries, "-" if none)
        SimState all = b, next = b;
        all.levels[i] = ax.max_level;
        ++next.levels[i];
        auto t = tried_on_best.find(ax.name);
        std::fprintf(stderr, " %s:%d/%d:%.2f%%:%.2f%%:%s", ax.name.c_str(), b.levels[i], ax.max_level,
                     100 * (1 - L_.TrueTime(all) / bt), 100 * (1 - L_.TrueTime(next) / bt),
                     t == tried_on_best.end() ? "-" : t->second.c_str());
      }
      std::fprintf(stderr, "\n");
    }
    return r_;
  }

 private:
  // Charges the planner's CPU since t0 (a Next or an Observe; the judgements
  // and duplicate checks are not timed) to the bucket of the decision in
  // progress; PLANNER_BENCH_COST prints them.
  static constexpr size_t kCostBucket = 500;
  void Charge(int64_t t0, bool decision = true) {
    if (!report_cost_) return;
    const size_t b = static_cast<size_t>(decisions_) / kCostBucket;
    if (cost_ns_.size() <= b) cost_ns_.resize(b + 1), cost_n_.resize(b + 1);
    cost_ns_[b] += static_cast<double>(ThreadCpuNanos() - t0);
    if (decision) ++cost_n_[b], ++decisions_;
  }

  bool Done() const { return static_cast<int>(r_.best_speedup.size()) > units_ * kTicksPerUnit; }
  void Spend(int ticks = kTicksPerUnit) {
    for (int i = 0; i < ticks; ++i) r_.best_speedup.push_back(seed_true_ / best_true_);
  }

  void Emit(const char* kind, const std::string& attempt, nlohmann::json payload) {
    Event e;
    e.seq = ++seq_;
    e.time_ms = seq_;
    e.campaign_id = p_.spec().campaign_id;
    e.attempt_id = attempt;
    e.kind = kind;
    e.payload = std::move(payload);
    const int64_t t0 = ThreadCpuNanos();
    p_.Observe(e);
    Charge(t0, false);
  }

  // `s`, `t` and `spread`: the measured state, its time and the spread the
  // evaluator reported with it (nullptr, 0, 0 for an attempt without one).
  void Finish(const std::string& a, const std::string& verdict, const std::string& cand,
              const SimState* s, double t, double spread) {
    nlohmann::json j = {{"verdict", verdict}, {"detail", verdict}, {"candidate", cand}};
    if (s) {
      j["source_hash"] = s->Key();
      j["source_blob"] = "b_" + cand;
      j["time_us"] = t;
      j["spread"] = spread;
      j["bottleneck"] = kClasses[L_.Bottleneck(*s)];
      // As ksearchd records it for a campaign with the tuner
      // (TunerNeighbourHashes); PLANNER_BENCH_NO_TUNER_NEIGHBOURS=1 leaves it
      // out, as logs before it did.
      if (list_tuner_neighbours_) j["tuner_neighbours"] = L_.TunerNeighbourKeys(*s);
    }
    Emit("attempt_finished", a, j);
    if (trace_) std::fprintf(stderr, "  = %s\n", verdict.c_str());
    ++counts_[verdict];
  }

  void Step(const Decision& d) {
    // Per proposal: the parent's standing (declared best, confirmed, time
    // relative to the best). Slow (a Snapshot per decision); diagnostics only.
    if (trace_parents_ && d.kind == DecisionKind::kProposal) {
      auto snap = p_.Snapshot();
      const auto& m = snap["members"][d.parent];
      double bt = p_.BestTimeUs();
      std::fprintf(stderr, "PARENT unit=%zu mode=%s best=%d confirmed=%d rel=%.4f\n", r_.best_speedup.size() / kTicksPerUnit,
                   d.mode.c_str(), d.parent == p_.BestCandidate(), m["confirmed"].get<bool>() ? 1 : 0,
                   m["time_us"].get<double>() / bt - 1);
    }
    if (trace_) std::fprintf(stderr, "%s %s %s %s best=%s unit=%zu\n", d.mode.c_str(), d.parent.c_str(), d.axis.c_str(), d.proposer.c_str(), p_.BestCandidate().c_str(), r_.best_speedup.size() / kTicksPerUnit);
    ++counts_[d.mode];
    Unit("mode_" + d.mode);
    Unit(d.parent == p_.BestCandidate() ? "parent_best" : "parent_other");
    std::string a = "a" + std::to_string(++attempts_);
    Emit("attempt_started", a, {{"parent", d.parent}, {"axis", d.axis}, {"proposer", d.proposer},
                                {"island", d.island}, {"repair_of", d.repair_of}});
    Spend();
    if (d.kind == DecisionKind::kEvaluateSeed) {
      double k = 1;
      double t = L_.Measure(states_["seed"], rng_, &k);
      seed_samples_.push_back(t);
      // As the planner reads the seed.
      seed_measured_ = RobustTimeOf(seed_samples_, ReportedSpread());
      Unit("seed");
      by_key_[states_["seed"].Key()] = "seed";
      status_["seed"] = "confirmed";
      Finish(a, "no_gain", "seed", &states_["seed"], t, ReportedSpread() * k);
      return;
    }
    const SimState& parent = states_.at(d.parent);
    int axis = L_.AxisIndex(d.axis);
    ProposalResult pr;
    if (d.kind == DecisionKind::kRepair) {
      bool fixed = std::uniform_real_distribution<double>(0, 1)(rng_) < L_.config().repair_success;
      pr.outcome = fixed ? Outcome::kOk : Outcome::kCompileError;
      pr.child = intended_.count(d.repair_of) ? intended_[d.repair_of] : parent;
    } else {
      std::vector<std::string> tried(p_.KnownSourceHashes().begin(), p_.KnownSourceHashes().end());
      pr = L_.Propose(parent, axis, rng_, tried, &variants_);
      if (pr.outcome != Outcome::kOk) {  // what the change would have been, for a repair
        // As Propose() would have made it: one level more, or (the axis
        // already at its last useful level) a new source with the same speed,
        // never the parent's own source.
        SimState want = parent;
        if (!L_.axes()[axis].tuner && want.levels[axis] < L_.axes()[axis].max_level) ++want.levels[axis], want.variant = 0;
        else want.variant = ++variants_;
        intended_[a] = want;
      }
    }
    const bool repair = d.kind == DecisionKind::kRepair;
    if (pr.outcome == Outcome::kExhaustedTuner) {
      Unit("tuner_exhausted");
      return Finish(a, "proposal_failed{patch_failed}", "", nullptr, 0, 0);
    }
    if (pr.outcome != Outcome::kOk) Unit(repair ? "repair_failed" : "failed");
    if (pr.outcome == Outcome::kCompileError) return Finish(a, "compile_error", "", nullptr, 0, 0);
    if (pr.outcome == Outcome::kIncorrect) return Finish(a, "incorrect{mismatch}", "", nullptr, 0, 0);
    if (auto dup = p_.CheckDuplicate(pr.child.Key(), "", "")) {
      auto k = by_key_.find(pr.child.Key());
      std::string of = k == by_key_.end() ? "unknown" : status_[k->second];
      Unit(std::string(repair ? "repair_" : "") + "duplicate_of_" + of);
      return Finish(a, dup->ToString(), "", nullptr, 0, 0);
    }

    std::string cand = "c" + std::to_string(attempts_);
    states_[cand] = pr.child;
    parent_of_[cand] = d.parent;
    by_key_[pr.child.Key()] = cand;
    double k = 1;
    double t = L_.Measure(pr.child, rng_, &k);
    const double spread = ReportedSpread() * k;
    auto j = p_.JudgeMeasurement(d.parent, t, spread);
    Finish(a, std::string(VerdictKindName(j->kind)), cand, &pr.child, t, spread);
    if (trace_) std::fprintf(stderr, "  -> %s true %.2f parent_true %.2f meas %.2f (%s)\n", VerdictKindName(j->kind).data(), L_.TrueTime(pr.child), L_.TrueTime(parent), t, j->detail.c_str());
    double child_true = L_.TrueTime(pr.child);
    const std::string effect = EffectClass(child_true / L_.TrueTime(parent) - 1);
    status_[cand] = j->needs_remeasure ? "pending" : "rejected";
    bool confirmed = false;
    int remeasures = 0;
    for (bool again = j->needs_remeasure; again && !Done();) {
      Spend(remeasure_ticks_);  // a re-measurement reruns only the benchmark step
      ++counts_["remeasure"];
      ++remeasures;
      double k2 = 1;
      double t2 = L_.Measure(pr.child, rng_, &k2);
      const double spread2 = ReportedSpread() * k2;
      auto rj = p_.JudgeRemeasurement(cand, t2, spread2);
      again = rj->needs_another;
      if (trace_) std::fprintf(stderr, "  remeasure %s %.2f: %s\n", cand.c_str(), t2, rj->detail.c_str());
      Emit("remeasured", "", {{"candidate", cand}, {"time_us", t2}, {"spread", spread2},
                              {"agrees", rj->agrees}, {"final", !again}, {"attempt", a}});
      if (again && !rj->reference_sample_of.empty() && !Done()) {
        // The parent's sample the test asked for, before the child's next.
        const std::string& ref = rj->reference_sample_of;
        Spend(remeasure_ticks_);
        ++counts_["reference_remeasure"];
        r_.units["reference_remeasure"] += remeasure_ticks_ / double(kTicksPerUnit);
        double k3 = 1;
        const double t3 = L_.Measure(states_.at(ref), rng_, &k3);
        if (trace_) std::fprintf(stderr, "  reference sample %s %.2f\n", ref.c_str(), t3);
        Emit("remeasured", "", {{"candidate", ref}, {"time_us", t3}, {"spread", ReportedSpread() * k3},
                                {"reference", true}});
      }
      if (rj->agrees && !again) {
        // The confirmed member the test was against: the parent, or its
        // nearest confirmed ancestor (by this driver's own record).
        std::string ref = d.parent;
        for (auto st = status_.find(ref); (st == status_.end() || st->second != "confirmed") && parent_of_.count(ref);
             st = status_.find(ref))
          ref = parent_of_.at(ref);
        if (r_.false_elites_ref < 0) r_.false_elites_ref = 0;
        if (child_true >= L_.TrueTime(states_.at(ref))) ++r_.false_elites_ref;
        if (child_true >= L_.TrueTime(parent)) {
          ++r_.false_elites;
          if (false_elites_) std::fprintf(stderr, "FALSE ELITE rng_seed=%llu %s mode=%s parent=%s n=%d first=%.2f true=%.2f ptrue=%.2f: %s\n", static_cast<unsigned long long>(seed_), cand.c_str(), d.mode.c_str(), d.parent.c_str(), remeasures, t, child_true, L_.TrueTime(parent), rj->detail.c_str());
        }
      }
      if (!again) confirmed = rj->agrees;
      if (rj->promote_best) {
        Emit("best_promoted", "", {{"candidate", cand}, {"time_us", t2}});
        r_.claimed_speedup = seed_measured_ / p_.BestTimeUs();
        ++r_.promotions;
        if (child_true >= best_true_) ++r_.false_bests;
        best_true_ = child_true;
      }
    }
    if (j->needs_remeasure) status_[cand] = confirmed ? "confirmed" : "refuted";
    std::string verdict = !j->needs_remeasure ? "screened_out" : confirmed ? "confirmed" : "refuted";
    Unit(std::string(repair ? "repair_" : "") + effect + "_" + verdict);
    if (confirmed) Unit("mode_" + d.mode + "_confirmed");
    if (effect == "null" && !L_.axes()[axis].tuner)
      Unit(parent.levels[axis] >= L_.axes()[axis].max_level ? "null_why_saturated" : "null_why_noeffect");
    r_.units["remeasure_" + effect] += remeasures * remeasure_ticks_ / double(kTicksPerUnit);
  }

  void Unit(const std::string& category) { r_.units[category] += 1; }

  // The simulated evaluator reports spread as the relative half-width of a
  // ~95% interval of its reported time (2 sd).
  static constexpr double kSpreadPerNoise = 2.0;
  double ReportedSpread() const { return reported_scale_ * kSpreadPerNoise * L_.config().noise; }

  const Landscape& L_;
  Planner& p_;
  int units_;
  int remeasure_ticks_;
  double reported_scale_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  // Diagnostics on stderr, chosen by the environment once per run (not per step).
  const bool trace_ = std::getenv("PLANNER_BENCH_TRACE") != nullptr;
  const bool report_cost_ = std::getenv("PLANNER_BENCH_COST") != nullptr;
  std::vector<double> cost_ns_;
  std::vector<int64_t> cost_n_;
  int64_t decisions_ = 0;
  const bool report_missing_ = std::getenv("PLANNER_BENCH_MISSING") != nullptr;
  const bool trace_parents_ = std::getenv("PLANNER_BENCH_PARENT") != nullptr;
  const bool list_tuner_neighbours_ = std::getenv("PLANNER_BENCH_NO_TUNER_NEIGHBOURS") == nullptr;
  const bool false_elites_ = std::getenv("PLANNER_BENCH_FE") != nullptr;
  double seed_measured_ = 1;
  std::vector<double> seed_samples_;
  RunResult r_;
  double seed_true_ = 1, best_true_ = 1;
  int64_t seq_ = 0;
  int attempts_ = 0, variants_ = 0;
  std::map<std::string, SimState> states_;
  std::map<std::string, std::string> parent_of_;
  std::map<std::string, SimState> intended_;
  std::map<std::string, std::string> by_key_;  // state key -> candidate
  std::map<std::string, std::string> status_;  // candidate -> pending|rejected|confirmed|refuted

 public:
  std::map<std::string, int> counts_;  // decisions by mode, verdicts, re-measurements
};

}  // namespace

RunResult RunPlanner(const Landscape& L, const AxisCatalogue& cat, int units, uint64_t seed,
                     int remeasure_ticks, const PlannerKnobs& knobs) {
  CampaignSpec spec;
  spec.campaign_id = "bench";
  spec.task = "sim";
  spec.backend = "cuda";
  spec.arch = "sm_90";
  spec.islands = knobs.islands;
  spec.elites_per_island = 4;
  spec.migration_interval = 20;
  spec.noise_threshold = knobs.noise_threshold;  // a larger measured spread sets the margin
  spec.proposers = {{"tuner", 1}, {"sim_llm", 1}};
  spec.seed = seed;
  if (!knobs.repairs) spec.repair.max_per_lineage = 0;
  if (knobs.exploit >= 0) spec.selection = {knobs.exploit, knobs.explore, knobs.frontier};
  auto p = Planner::Create(spec, cat);
  if (!p.ok()) std::abort();
  Driver d(L, **p, units, seed, remeasure_ticks, knobs.reported_spread);
  RunResult r = d.Run();
  if (std::getenv("PLANNER_BENCH_STATS")) {
    for (const auto& [k, v] : d.counts_) std::fprintf(stderr, "%s=%d ", k.c_str(), v);
    std::fprintf(stderr, "\n");
  }
  return r;
}

}  // namespace bench
