// Planner::Next: budget and stop checks, repair choice, parent selection
// (exploit / explore / frontier), axis bandit and cost-aware proposer bandit.
// Every random draw comes from Rng seeded by (campaign seed, events observed).
#include <algorithm>
#include <cmath>
#include <random>

#include "ksearch/planner/planner.h"
#include "planner_state.h"

namespace ksearch::planner {

namespace {

class Rng {
 public:
  Rng(uint64_t seed, int64_t events) : gen_(seed ^ (0x9E3779B97F4A7C15ULL * (events + 1))) {}
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(gen_); }
  size_t Index(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(gen_); }
  double Beta(double a, double b) {
    double x = std::gamma_distribution<double>(a, 1)(gen_);
    double y = std::gamma_distribution<double>(b, 1)(gen_);
    return x + y > 0 ? x / (x + y) : 0.5;
  }

 private:
  std::mt19937_64 gen_;
};

struct Ctx {
  const PlannerState& s;
  const CampaignSpec& spec;
  const AxisCatalogue& cat;
  bool have_tuner = false, have_llm = false;
  int64_t now_ms = 0;
  // Some LLM endpoint is not resting (PlannerState::EndpointAvailable): then
  // proposals and repairs go only to those that are not.
  bool llm_available = false;
};

bool EndpointUsable(const Ctx& c, const std::string& endpoint) {
  return !c.llm_available || c.s.EndpointAvailable(endpoint, c.now_ms);
}

bool AxisUsable(const Ctx& c, const Axis& a) { return a.tuner_only ? c.have_tuner : c.have_llm; }

std::vector<const Axis*> OpenAxes(const Ctx& c, const Member& m) {
  return c.s.OpenAxesOf(m.id, c.have_tuner, c.have_llm);
}

// Thompson sample of "this axis improves this member": the bottleneck class is
// the prior, campaign-wide axis results and this pair's own tries the evidence.
double AxisScore(const Ctx& c, const Member& m, const Axis& a, Rng& rng) {
  double alpha = 1, beta = 1;
  if (!m.bottleneck.empty()) {
    if (a.Addresses(m.bottleneck)) alpha += 1.5; else beta += 1.0;
  }
  auto it = c.s.axis_stats.find(a.name);
  if (it != c.s.axis_stats.end()) {
    alpha += it->second.successes;
    beta += 0.5 * static_cast<double>(it->second.trials - it->second.successes);
  }
  if (const PairState* ps = c.s.Pair(m.id, a.name)) beta += ps->finished + ps->inherited_penalty;
  return rng.Beta(alpha, beta);
}

struct Pick {
  const Member* member = nullptr;
  const Axis* axis = nullptr;
  double score = -1;
};

Pick BestAxisFor(const Ctx& c, const Member& m, Rng& rng, double weight) {
  Pick p;
  for (const Axis* a : OpenAxes(c, m)) {
    double sc = AxisScore(c, m, *a, rng) * weight;
    if (sc > p.score) p = {&m, a, sc};
  }
  return p;
}

// A member that can be a parent on `island`: measured, on the island, not
// waiting for a re-measurement and none of them failed.
bool ParentOn(const Member& m, int island) {
  return m.measured && !m.pending_remeasure && !m.failed_remeasure && m.islands.count(island);
}

std::vector<const Member*> IslandMembers(const Ctx& c, int island) {
  std::vector<const Member*> out;
  for (const auto& [id, m] : c.s.members)
    if (ParentOn(m, island)) out.push_back(&m);
  return out;
}

Pick Exploit(const Ctx& c, int island, Rng& rng) {
  // The island's best confirmed elite, falling through the ranks while a
  // member has no open axis. (A rank-weighted draw spent about a third of
  // exploitation on elites behind the best, whose gains rarely beat it.)
  std::vector<const Member*> order = c.s.Elites(island);
  // Provisional parents: an unconfirmed member (not an elite) whose time is
  // an unselected estimate faster than the island's best is where the
  // lineage goes on; its children are confirmed against it and against the
  // nearest confirmed ancestor (promotion.h). Its time is unselected when
  // measurements are precise (a no_gain step below the threshold), or when
  // re-measurements that could not confirm it (a gain below the test's
  // delta of two sigmas, which one step at a time rarely confirms at 1-3%
  // noise) put their mean below the best: docs/bench-planner.md, eighth pass.
  if (!order.empty()) {
    const double best_t = order.front()->time_us;
    auto provisional = [&](const Member& m) { return !m.confirmed && ParentOn(m, island) && m.time_us < best_t; };
    if (IsPrecise(c.s.Spread(order.front()->spread), c.spec.noise_threshold)) {
      for (const auto& [id, m] : c.s.members)
        if (provisional(m) && (IsPrecise(c.s.Spread(m.spread), c.spec.noise_threshold) ||
                               m.remeasures >= kMinConfirmRemeasures))
          order.push_back(&m);
    } else {
      for (const Member* m : c.s.remeasured_unconfirmed)
        if (provisional(*m)) order.push_back(m);
    }
    std::stable_sort(order.begin(), order.end(), [](const Member* a, const Member* b) {
      return a->time_us != b->time_us ? a->time_us < b->time_us : a->id < b->id;
    });
  }
  for (const Member* m : order) {
    Pick p = BestAxisFor(c, *m, rng, 1.0);
    if (p.axis) return p;
  }
  return {};
}

// A member drawn uniformly among the island's members with an open axis, then
// one of its open axes uniformly. The members are visited in a random order
// drawn as it goes (Fisher-Yates) and the first with an open axis is taken:
// that is the same distribution without asking every member for its open
// axes, which late in a campaign (thousands of members, most closed) made
// each decision cost milliseconds.
Pick Explore(const Ctx& c, int island, Rng& rng) {
  std::vector<const Member*> members = IslandMembers(c, island);
  for (size_t i = 0; i < members.size(); ++i) {
    std::swap(members[i], members[i + rng.Index(members.size() - i)]);
    auto axes = OpenAxes(c, *members[i]);
    if (!axes.empty()) return {members[i], axes[rng.Index(axes.size())], 0};
  }
  return {};
}

// The confirmed member and open axis with the highest Thompson score, each
// member's scores weighted by q = (best time / its time)^3. A score is a draw
// in [0, 1] times q, so a member whose q is not above the best score so far
// cannot win: members are visited by q, highest first, and the loop stops
// there (the argmax is the one every member would give, without a draw for
// each axis of each slow member).
Pick Frontier(const Ctx& c, int island, Rng& rng) {
  std::vector<const Member*> members;
  for (const Member* m : c.s.confirmed_members)
    if (island < 0 || ParentOn(*m, island)) members.push_back(m);
  // By id, as the members map orders them: the order of equal weights below.
  std::sort(members.begin(), members.end(), [](const Member* a, const Member* b) { return a->id < b->id; });
  double best_t = 0;
  for (const Member* m : members)
    if (best_t == 0 || m->time_us < best_t) best_t = m->time_us;
  std::vector<std::pair<double, const Member*>> by_weight;
  by_weight.reserve(members.size());
  for (const Member* m : members) by_weight.push_back({m->time_us > 0 ? std::pow(best_t / m->time_us, 3) : 0, m});
  std::stable_sort(by_weight.begin(), by_weight.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  Pick best;
  for (const auto& [q, m] : by_weight) {
    if (best.axis && q <= best.score) break;
    Pick p = BestAxisFor(c, *m, rng, q);
    if (p.axis && p.score > best.score) best = p;
  }
  return best;
}

// Last resort before declaring the campaign exhausted: every open pair is
// closed by its try cap, but the proposers are stochastic. Retry, on the best
// confirmed members first, the pair with the fewest tries that is neither
// exhausted (repeated identical failure), improved, in flight, nor at twice
// the try cap (tuner axes: at the tuner cap).
Pick Retry(const Ctx& c) {
  std::vector<const Member*> ms = c.s.confirmed_members;
  std::sort(ms.begin(), ms.end(), [](const Member* a, const Member* b) {
    return a->time_us != b->time_us ? a->time_us < b->time_us : a->id < b->id;
  });
  for (const Member* m : ms) {
    Pick best;
    int fewest = 1 << 30;
    for (const Axis& a : c.cat.axes()) {
      if (!AxisUsable(c, a)) continue;
      if (a.tuner_only && c.s.TunerUsedUp(m->id)) continue;
      const PairState* ps = c.s.Pair(m->id, a.name);
      if (ps && (ps->in_flight > 0 || ps->outcome == PairOutcome::kExhausted ||
                 ps->outcome == PairOutcome::kImproved ||
                 ps->finished >= (a.tuner_only ? kMaxTunerTries : 2 * kMaxTriesPerPair)))
        continue;
      int tries = ps ? ps->finished : 0;
      if (tries < fewest) fewest = tries, best = {m, &a, 0};
    }
    if (best.axis) return best;
  }
  return {};
}

// Cost-aware Thompson sampling over LLM endpoints: sampled improvement rate
// times the configured weight, per expected USD per call.
std::string PickEndpoint(const Ctx& c, Rng& rng) {
  double cost_sum = 0, calls = 0;
  for (const auto& [name, st] : c.s.proposer_stats) {
    cost_sum += st.cost_usd;
    calls += st.calls;
  }
  double prior_cost = calls > 0 ? cost_sum / calls : 0.01;
  std::string best;
  double best_v = -1;
  for (const ProposerSpec& p : c.spec.proposers) {
    if (p.is_tuner() || !EndpointUsable(c, p.name)) continue;
    CountStats st;
    if (auto it = c.s.proposer_stats.find(p.name); it != c.s.proposer_stats.end()) st = it->second;
    double rate = rng.Beta(1 + st.successes, 1 + static_cast<double>(st.trials - st.successes));
    double cost = std::max((st.cost_usd + prior_cost) / (st.calls + 1.0), 1e-6);
    double v = rate * p.weight / cost;
    if (v > best_v) best_v = v, best = p.name;
  }
  return best;
}

double Rate(int64_t succ, int64_t trials) { return (succ + 1.0) / (trials + 2.0); }

// A repair (issue #9) of the most recent unrepaired repairable failure whose
// lineage has repairs left, when the observed repair success rate for
// (axis, failure class) makes it worth at least a fresh proposal on that axis.
std::optional<Decision> PickRepair(const Ctx& c) {
  if (c.spec.repair.max_per_lineage <= 0 || !c.have_llm) return std::nullopt;
  // Every endpoint rests and the tuner is there: its moves first (Next); the
  // repairs wait for an endpoint that answers.
  if (c.have_tuner && !c.llm_available) return std::nullopt;
  int scanned = 0;
  for (auto it = c.s.failed_attempts.rbegin(); it != c.s.failed_attempts.rend() && scanned < 16;
       ++it, ++scanned) {
    const AttemptInfo& a = c.s.attempts.at(*it);
    if (c.s.repaired.count(a.id) || a.repair_depth >= c.spec.repair.max_per_lineage) continue;
    if (a.proposer == "tuner" || !c.s.members.count(a.parent)) continue;
    // The pair has since produced an improvement: a repaired change along
    // the same axis from the same parent would most likely repeat it.
    if (const PairState* ps = c.s.Pair(a.parent, a.axis); ps && ps->outcome == PairOutcome::kImproved)
      continue;
    bool known = false;
    for (const auto& p : c.spec.proposers) known |= p.name == a.proposer;
    if (!known || !EndpointUsable(c, a.proposer)) continue;  // a resting endpoint repairs later
    CountStats rs;
    if (auto r = c.s.repair_stats.find({a.axis, VerdictClass(a.verdict)}); r != c.s.repair_stats.end())
      rs = r->second;
    double repair_rate = Rate(rs.successes, rs.trials);
    if (repair_rate < c.spec.repair.min_success_rate) continue;
    CountStats as;
    if (auto x = c.s.axis_stats.find(a.axis); x != c.s.axis_stats.end()) as = x->second;
    double fresh_pass = Rate(as.passes, as.trials);
    if (repair_rate < fresh_pass) continue;  // a fresh try on this axis is likelier to pass
    Decision d;
    d.kind = DecisionKind::kRepair;
    d.parent = a.parent;
    d.parent_source_blob = c.s.members.at(a.parent).source_blob;
    d.axis = a.axis;
    d.proposer = a.proposer;
    d.island = a.island;
    d.repair_of = a.id;
    d.repair_source_blob = a.source_blob;
    d.repair_evidence_blob = a.evidence_blob;
    d.repair_failure = a.verdict;
    d.repair_detail = a.detail;
    d.mode = "repair";
    d.parent_bottleneck = c.s.members.at(a.parent).bottleneck;
    return d;
  }
  return std::nullopt;
}

// A parent and an axis by the selection mix (exploit until stall), with the
// fallbacks in turn: frontier on the island, on every island, explore on
// every island, then Retry. `mode` names the one that picked.
Pick SelectParent(const Ctx& c, int island, Rng& rng, std::string& mode) {
  const PlannerState& s = c.s;
  const SelectionMix& mix = c.spec.selection;
  // Exploit until stall: right after a new best, explore and frontier modes
  // get their share scaled by (attempts since the best) / kStallAttempts.
  const double other =
      mix.exploit > 0 ? std::min(1.0, static_cast<double>(s.attempts_finished - s.finished_at_last_best) /
                                          kStallAttempts)
                      : 1.0;
  double u = rng.Uniform() * (mix.exploit + other * (mix.explore + mix.frontier));
  if (u >= mix.exploit) u = mix.exploit + (u - mix.exploit) / other;  // other > 0 here
  mode = u < mix.exploit ? "exploit" : u < mix.exploit + mix.explore ? "explore" : "frontier";
  Pick p = mode == "exploit" ? Exploit(c, island, rng)
           : mode == "explore" ? Explore(c, island, rng) : Frontier(c, island, rng);
  if (!p.axis) mode = "frontier", p = Frontier(c, island, rng);
  if (!p.axis) mode = "frontier_any", p = Frontier(c, -1, rng);
  for (int i = 0; i < c.spec.islands && !p.axis; ++i)
    mode = "explore_any", p = Explore(c, (island + i) % c.spec.islands, rng);
  if (!p.axis) mode = "retry", p = Retry(c);
  return p;
}

// Work that may open tuner pairs once it ends: a tuner attempt in flight, or
// a member waiting for its re-measurement. Only asked while every LLM
// endpoint rests, so the scan over the pairs is rare.
bool TunerWorkPending(const Ctx& c) {
  for (const auto& [key, ps] : c.s.pairs) {
    if (ps.in_flight == 0) continue;
    const Axis* a = c.cat.Find(key.second);
    if (a && a->tuner_only) return true;
  }
  for (const auto& [id, m] : c.s.members)
    if (m.pending_remeasure) return true;
  return false;
}

NextStep Stop(StopReason r, std::string detail) {
  NextStep n;
  n.reason = r;
  n.detail = std::move(detail);
  return n;
}

// Attempts that count against the attempts budget.
int64_t AttemptsUsed(const PlannerState& s) {
  return s.attempts_started - s.attempts_interrupted - s.attempts_infra_error - s.attempts_llm_error;
}

// Why no attempt may start under the limits `b` (the plateau rule aside), or
// nullopt. `money_refused`: a call was refused by the money budget since the
// limits were last set.
std::optional<NextStep> BudgetStop(const PlannerState& s, const Budgets& b, bool money_refused, int64_t now_ms) {
  if (const int64_t used = AttemptsUsed(s); b.attempts > 0 && used >= b.attempts)
    return Stop(StopReason::kBudgetAttempts,
                std::to_string(used) + " attempts used (" + std::to_string(s.attempts_started) + " started, " +
                    std::to_string(s.attempts_interrupted) + " interrupted and retried, " +
                    std::to_string(s.attempts_infra_error) + " ended by infra_error, " +
                    std::to_string(s.attempts_llm_error) + " by an LLM endpoint's error)");
  if (b.money_usd > 0 && s.money_spent >= b.money_usd)
    return Stop(StopReason::kBudgetMoney, "spent " + std::to_string(s.money_spent) + " USD");
  if (money_refused)
    return Stop(StopReason::kBudgetMoney, "a call was refused by the money budget (spent " +
                                              std::to_string(s.money_spent) + " USD)");
  if (const int64_t ran_ms = s.running_time.RunningMs(now_ms); b.wall_seconds > 0 && ran_ms >= b.wall_seconds * 1000)
    return Stop(StopReason::kBudgetWall, "wall-time budget spent (" + std::to_string(ran_ms / 1000) +
                                             " s running, paused time and daemon downtime not counted)");
  return std::nullopt;
}

}  // namespace

bool Planner::HasProposerBesides(const std::string& endpoint, int64_t now_unix_ms) const {
  const PlannerState& s = *state_;
  Ctx c{s, spec_, catalogue_};
  c.now_ms = now_unix_ms;
  for (const auto& p : spec_.proposers) {
    if (p.is_tuner()) c.have_tuner = true;
    else if (p.name != endpoint && s.EndpointAvailable(p.name, now_unix_ms)) return true;
  }
  if (!c.have_tuner || !s.started || s.members.count(s.seed_candidate) == 0) return false;
  // The tuner has an open pair anywhere (the selection with its fallbacks, on
  // a draw of its own: the decision itself is Next's), or work in flight that
  // Next waits for rather than asking the resting endpoints.
  if (TunerWorkPending(c)) return true;
  Rng rng(spec_.seed ^ 0x5EEDu, s.events_seen);
  std::string mode;
  return SelectParent(c, 0, rng, mode).axis != nullptr;
}

NextStep Planner::Next(int64_t now_unix_ms) const {
  const PlannerState& s = *state_;
  Ctx c{s, spec_, catalogue_};
  c.now_ms = now_unix_ms;
  for (const auto& p : spec_.proposers) {
    (p.is_tuner() ? c.have_tuner : c.have_llm) = true;
    if (!p.is_tuner()) c.llm_available |= s.EndpointAvailable(p.name, now_unix_ms);
  }

  if (!s.started) return Stop(StopReason::kNotStarted, "no campaign_started event observed");
  if (s.campaign_state != "running")
    return Stop(StopReason::kCampaignStopped, "campaign is " + s.campaign_state);
  if (auto stop = BudgetStop(s, s.budgets, s.money_refused, now_unix_ms)) return *stop;

  const Member& seed = s.members.at(s.seed_candidate);
  if (!seed.measured && !s.seed_failure.empty())
    return Stop(StopReason::kExhausted, "seed failed: " + s.seed_failure);
  // The seed is every first-generation child's reference: measure it
  // kSeedSamples times (unselected samples, RobustTimeOf) before proposing;
  // a failure after its first pass ends the extra samples.
  if (!seed.measured || (static_cast<int>(seed.samples.size()) < kSeedSamples && s.seed_failure.empty())) {
    if (!s.seed_attempt.empty() && !s.attempts.at(s.seed_attempt).finished)
      return Stop(StopReason::kWaiting, "seed evaluation in flight");
    Decision d;
    d.kind = DecisionKind::kEvaluateSeed;
    d.parent_source_blob = s.seed_source_blob;
    d.proposer = "seed";
    d.mode = "seed";
    return {d, StopReason::kNone, ""};
  }
  if (s.plateau_window > 0 && s.AttemptsSinceProgress() >= s.plateau_window)
    return Stop(StopReason::kPlateau, std::to_string(s.AttemptsSinceProgress()) +
                                          " attempts finished without a new best" +
                                          (s.plateau_from > s.finished_at_last_best ? " since the budget was extended" : ""));

  Rng rng(spec_.seed, s.events_seen);
  if (auto r = PickRepair(c)) return {*r, StopReason::kNone, ""};

  int island = static_cast<int>(s.attempts_started % spec_.islands);
  std::string mode;
  Pick p;
  if (c.have_llm && !c.llm_available && c.have_tuner) {
    // Every LLM endpoint rests: the tuner's axes alone, when it has one open;
    // otherwise the usual choice, and the endpoints' errors pause the
    // campaign in the daemon (infra_pause_after) until one answers.
    Ctx tuner_only = c;
    tuner_only.have_llm = false;
    p = SelectParent(tuner_only, island, rng, mode);
    // Nothing open for the tuner now, but its attempts in flight (or a
    // re-measurement) may open some: wait for them rather than ask the
    // resting endpoints (each answer would be another llm_error).
    if (!p.axis && TunerWorkPending(tuner_only))
      return Stop(StopReason::kWaiting, "every LLM endpoint rests after errors; waiting for the tuner's work in flight");
  }
  if (!p.axis) p = SelectParent(c, island, rng, mode);
  if (!p.axis) {
    for (const auto& [key, ps] : s.pairs)
      if (ps.in_flight > 0) return Stop(StopReason::kWaiting, "every open pair is in flight");
    bool pending = false;
    for (const auto& [id, m] : s.members) pending |= m.pending_remeasure;
    if (pending) return Stop(StopReason::kWaiting, "waiting for a re-measurement");
    return Stop(StopReason::kExhausted, "every (candidate, axis) pair is closed");
  }
  Decision d;
  d.kind = DecisionKind::kProposal;
  d.parent = p.member->id;
  d.parent_source_blob = p.member->source_blob;
  d.axis = p.axis->name;
  d.proposer = p.axis->tuner_only ? "tuner" : PickEndpoint(c, rng);
  d.island = p.member->islands.count(island) ? island : *p.member->islands.begin();
  d.mode = mode;
  d.parent_bottleneck = p.member->bottleneck;
  return {d, StopReason::kNone, ""};
}

const Budgets& Planner::budgets() const { return state_->budgets; }
int Planner::plateau_window() const { return state_->plateau_window; }

Result<nlohmann::json> Planner::Extension(const BudgetExtension& add, int64_t now_unix_ms) const {
  const PlannerState& s = *state_;
  if (!s.started) return Status::FailedPrecondition("the campaign has not started");
  if (add.wall_seconds < 0 || add.attempts < 0 || add.money_usd < 0)
    return Status::InvalidArgument("an extension cannot take budget away");
  if (add.empty()) return Status::InvalidArgument("the extension adds nothing (give attempts, wall seconds, money or a plateau window)");
  // An increment of an unlimited limit would change nothing but restart the
  // plateau count: say so instead of answering as if it had been granted.
  const std::pair<const char*, bool> unlimited[] = {
      {"attempts", add.attempts > 0 && s.budgets.attempts <= 0},
      {"wall_seconds", add.wall_seconds > 0 && s.budgets.wall_seconds <= 0},
      {"money_usd", add.money_usd > 0 && s.budgets.money_usd <= 0}};
  for (const auto& [field, moot] : unlimited)
    if (moot) return Status::InvalidArgument(std::string(field) + ": the campaign has no such limit (unlimited); there is nothing to add to");
  // Each limit grows from the larger of itself and what is used, so a spent
  // limit gets the whole increment (an unlimited one was refused above).
  auto grow = [](auto limit, auto used, auto more) {
    return limit > 0 && more > 0 ? std::max(limit, used) + more : limit;
  };
  Budgets b = s.budgets;
  b.attempts = grow(b.attempts, AttemptsUsed(s), add.attempts);
  b.money_usd = grow(b.money_usd, s.money_spent, add.money_usd);
  b.wall_seconds = grow(b.wall_seconds, static_cast<double>(s.running_time.RunningMs(now_unix_ms)) / 1000.0, add.wall_seconds);
  // The campaign must be able to go on under the new limits (the plateau
  // count starts again at the extension, and a refusal by the money budget is
  // judged again): otherwise it would stop again at once.
  if (auto stop = BudgetStop(s, b, false, now_unix_ms))
    return Status::FailedPrecondition("the campaign would stop again at once (" +
                                      std::string(StopReasonName(stop->reason)) + ": " + stop->detail +
                                      "); extend that limit");
  nlohmann::json added = nlohmann::json::object();
  if (add.attempts > 0) added["attempts"] = add.attempts;
  if (add.wall_seconds > 0) added["wall_seconds"] = add.wall_seconds;
  if (add.money_usd > 0) added["money_usd"] = add.money_usd;
  if (add.plateau_window >= 0) added["plateau_window"] = add.plateau_window;
  return nlohmann::json{
      {"budgets", b.ToJson()},
      {"plateau_window", add.plateau_window >= 0 ? add.plateau_window : s.plateau_window},
      {"added", added}};
}

}  // namespace ksearch::planner
