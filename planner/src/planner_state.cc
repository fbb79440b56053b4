#include "planner_state.h"

#include <algorithm>
#include <cmath>

#include "ksearch/core/verdict.h"
#include "ksearch/planner/planner.h"

namespace ksearch::planner {

namespace {

std::string Str(const nlohmann::json& p, const char* k) {
  auto it = p.find(k);
  return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}
double Num(const nlohmann::json& p, const char* k) {
  auto it = p.find(k);
  return it != p.end() && it->is_number() ? it->get<double>() : 0.0;
}
int Int(const nlohmann::json& p, const char* k) {
  auto it = p.find(k);
  return it != p.end() && it->is_number_integer() ? it->get<int>() : 0;
}
bool Bool(const nlohmann::json& p, const char* k) {
  auto it = p.find(k);
  return it != p.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

std::string VerdictClass(const std::string& w) { return w.substr(0, w.find('{')); }

bool IsRepairableFailure(const std::string& w) {
  std::string c = VerdictClass(w);
  return c == "compile_error" || c == "incorrect" || c == "crash" ||
         w == "proposal_failed{patch_failed}";
}

void PlannerState::Fold(const Event& e) {
  if (started && e.campaign_id != spec_.campaign_id) return;
  if (!started && e.kind != event_kind::kCampaignStarted) return;
  if (e.campaign_id != spec_.campaign_id) return;
  ++events_seen;
  last_event_ms = std::max(last_event_ms, e.time_ms);
  running_time.Observe(e);
  const std::string& k = e.kind;
  if (k == event_kind::kCampaignStarted) OnCampaignStarted(e);
  else if (k == event_kind::kCampaignState) campaign_state = Str(e.payload, "state");
  else if (k == event_kind::kAttemptStarted) OnAttemptStarted(e);
  else if (k == event_kind::kLlmCall) OnLlmCall(e);
  else if (k == event_kind::kAttemptFinished) OnAttemptFinished(e);
  else if (k == event_kind::kRemeasured) OnRemeasured(e);
  else if (k == event_kind::kBestPromoted) OnBestPromoted(e);
  else if (k == event_kind::kMigration) OnMigration(e);
  else if (k == event_kind::kBudgetExtended) OnBudgetExtended(e);
  else if (k == event_kind::kAttemptStage) {
    // Semantic keys may be reported by the dedupe/patch stage.
    std::string key = Str(e.payload, "semantic_key");
    if (!key.empty()) semantic_keys.insert(key);
  }
}

void PlannerState::OnCampaignStarted(const Event& e) {
  if (started) return;  // a second campaign_started is ignored
  started = true;
  task = Str(e.payload, "task");
  arch = Str(e.payload, "arch");
  backend = Str(e.payload, "backend");
  seed_candidate = Str(e.payload, "seed_candidate");
  seed_source_blob = Str(e.payload, "seed_source_blob");
  if (auto it = e.payload.find("started_from"); it != e.payload.end() && it->is_object()) seed_origin = *it;
  Member seed;
  seed.id = seed_candidate;
  seed.source_blob = seed_source_blob;
  for (int i = 0; i < spec_.islands; ++i) seed.islands.insert(i);
  members[seed.id] = seed;
}

// Limits the payload does not give (or gives malformed) stay as they were.
void PlannerState::OnBudgetExtended(const Event& e) {
  const nlohmann::json& p = e.payload;
  if (auto b = p.find("budgets"); b != p.end() && b->is_object()) {
    auto get = [&](const char* k, auto& field) {
      auto it = b->find(k);
      if (it != b->end() && it->is_number() && it->template get<double>() >= 0)
        field = it->template get<std::remove_reference_t<decltype(field)>>();
    };
    get("wall_seconds", budgets.wall_seconds);
    get("attempts", budgets.attempts);
    get("money_usd", budgets.money_usd);
  }
  if (auto w = p.find("plateau_window"); w != p.end() && w->is_number_integer() && w->get<int>() >= 0)
    plateau_window = w->get<int>();
  plateau_from = attempts_finished;
  // The refusal was against the old limit; the next call is judged against the new one.
  money_refused = false;
}

void PlannerState::OnAttemptStarted(const Event& e) {
  AttemptInfo a;
  a.id = e.attempt_id;
  a.parent = Str(e.payload, "parent");
  a.axis = Str(e.payload, "axis");
  a.proposer = Str(e.payload, "proposer");
  a.island = std::clamp(Int(e.payload, "island"), 0, spec_.islands - 1);
  a.repair_of = Str(e.payload, "repair_of");
  a.started_ms = e.time_ms;
  if (!a.repair_of.empty()) {
    repaired.insert(a.repair_of);
    auto it = attempts.find(a.repair_of);
    a.repair_depth = it == attempts.end() ? 1 : it->second.repair_depth + 1;
  }
  ++attempts_started;
  if (a.parent.empty()) seed_attempt = a.id;
  else if (a.repair_of.empty()) ++PairForUpdate(a.parent, a.axis).in_flight;
  attempts[a.id] = a;
}

void PlannerState::OnLlmCall(const Event& e) {
  double cost = Num(e.payload, "cost_usd");
  money_spent += cost;
  std::string endpoint = Str(e.payload, "endpoint");
  auto it = attempts.find(e.attempt_id);
  std::string who = it != attempts.end() ? it->second.proposer : endpoint;
  if (who.empty()) return;
  proposer_stats[who].cost_usd += cost;
  proposer_stats[who].calls += 1;
}

void PlannerState::OnAttemptFinished(const Event& e) {
  const auto& p = e.payload;
  auto ait = attempts.find(e.attempt_id);
  if (ait == attempts.end() || ait->second.finished) return;  // unknown or duplicate terminal
  AttemptInfo& a = ait->second;
  a.finished = true;
  a.verdict = Str(p, "verdict");
  a.candidate = Str(p, "candidate");
  a.detail = Str(p, "detail");
  a.source_blob = Str(p, "source_blob");
  a.evidence_blob = Str(p, "evidence_blob");
  ++attempts_finished;
  a.finish_index = attempts_finished;
  std::string sh = Str(p, "source_hash"), mh = Str(p, "machine_code_hash");

  auto kind = Verdict::Parse(a.verdict);
  bool passing = kind.ok() && IsPassingVerdict(kind->kind);
  bool failure = kind.ok() && IsFailureVerdict(kind->kind);
  const bool interrupted = kind.ok() && kind->kind == VerdictKind::kInterrupted;
  const bool infra_error = kind.ok() && kind->kind == VerdictKind::kInfraError;
  const bool llm_error = a.verdict == "proposal_failed{llm_error}";
  const bool money_refusal = a.verdict == "proposal_failed{budget}";  // no call was made
  if (interrupted) ++attempts_interrupted;
  if (infra_error) ++attempts_infra_error;
  if (llm_error) ++attempts_llm_error;
  if (money_refusal) money_refused = true;
  // An LLM endpoint's health: its error, or an end that shows it answered
  // (every verdict but llm_error, interrupted and the money budget's refusal,
  // which made no call) of an attempt started after its last error. An
  // attempt started earlier was answered before the endpoint failed, however
  // late it ends (a build and a run take minutes).
  if (!a.proposer.empty() && a.proposer != "tuner" && a.proposer != "seed") {
    if (llm_error) {
      EndpointHealth& h = endpoint_health[a.proposer];
      ++h.errors_in_row;
      h.last_error_ms = e.time_ms;
    } else if (kind.ok() && !interrupted && !money_refusal) {
      if (auto h = endpoint_health.find(a.proposer); h != endpoint_health.end() && a.started_ms > h->second.last_error_ms)
        h->second.errors_in_row = 0;
    }
  }
  bool not_counted = !kind.ok() || interrupted || infra_error || llm_error || money_refusal;
  // Novelty: a source is "seen" once the candidate itself got a verdict. One
  // that ended for the machine's sake (infra_error: a full disk, a changed
  // task) or was interrupted was never judged, so proposing it again is not a
  // duplicate: before, such an attempt made the tuner's next try of the same
  // neighbour a duplicate, and a campaign whose tuner had produced its last
  // neighbours into infra errors ended "exhausted".
  if (!not_counted) {
    if (!sh.empty()) AddSourceHash(sh);
    if (!mh.empty()) machine_code_hashes.insert(mh);
    if (std::string sk = Str(p, "semantic_key"); !sk.empty()) semantic_keys.insert(sk);
  }

  if (a.parent.empty()) {  // the seed's own evaluation
    Member& seed = members[seed_candidate];
    if (passing && seed.measured) {
      // A further evaluation of the seed (Next asks for kSeedSamples): its
      // time is the robust mean (RobustTimeOf) of every sample, none of them selected.
      AddSample(seed, Num(p, "time_us"));
      seed.remeasures = static_cast<int>(seed.samples.size());
      seed.spread = std::max(seed.spread, Num(p, "spread"));
      seed.time_us = RobustTimeOf(seed.samples, Spread(seed.spread));
      if (best_candidate == seed.id) {
        best_time_us = seed.time_us;
        finished_at_last_best = attempts_finished;  // the plateau counts from the last seed sample
      }
    } else if (passing) {
      seed.measured = true;
      MarkConfirmed(seed);
      seed.time_us = seed.first_time_us = Num(p, "time_us");
      seed.samples = {seed.time_us};
      seed.remeasures = 1;
      seed.spread = seed.first_spread = Num(p, "spread");
      seed.bottleneck = Str(p, "bottleneck");
      seed.roofline_fraction = Num(p, "roofline_fraction");
      seed.attempt_id = a.id;
      seed.evidence_blob = a.evidence_blob;
      seed.source_hash = sh;
      NoteTunerNeighbours(seed, p);
      best_candidate = seed.id;
      best_time_us = seed.time_us;
      finished_at_last_best = attempts_finished;
      seed_failure.clear();
    } else if (!not_counted) {
      seed_failure = a.verdict;  // after a first pass: no more seed evaluations
    }
    MigrateIfDue();
    return;
  }

  if (!a.repair_of.empty()) {
    auto rit = attempts.find(a.repair_of);
    std::string cls = rit == attempts.end() ? "" : VerdictClass(rit->second.verdict);
    if (!not_counted) {
      CountStats& rs = repair_stats[{a.axis, cls}];
      ++rs.trials;
      if (passing) ++rs.successes;
    }
  } else {
    PairState& ps = PairForUpdate(a.parent, a.axis);
    ps.in_flight = std::max(0, ps.in_flight - 1);
    if (!not_counted) {
      ++ps.finished;
      if (passing) {
        if (kind->kind == VerdictKind::kImproved || kind->kind == VerdictKind::kNewBest) {
          ps.outcome = PairOutcome::kImproved;  // tentative until re-measured
        } else {
          ++ps.no_gains;
          if (ps.outcome != PairOutcome::kImproved) ps.outcome = PairOutcome::kNoGain;
        }
      } else {
        ++ps.failures;
        ps.last_failure = a.verdict;
        int n = ++ps.failure_counts[a.verdict];
        // The tuner is deterministic: patch_failed means every neighbouring
        // configuration of this parent was tried (or it has no marks), so
        // asking again can only fail the same way.
        bool hopeless = a.proposer == "tuner" && a.verdict == "proposal_failed{patch_failed}";
        if (ps.outcome != PairOutcome::kImproved)
          ps.outcome = n >= kExhaustAfter || hopeless ? PairOutcome::kExhausted : PairOutcome::kFailed;
      }
    }
  }
  if (!not_counted) {
    CountStats& as = axis_stats[a.axis];
    ++as.trials;
    if (passing) ++as.passes;
    ++proposer_stats[a.proposer].trials;
    bool tentative_gain = passing && (kind->kind == VerdictKind::kImproved ||
                                      kind->kind == VerdictKind::kNewBest);
    if (!tentative_gain) {
      DeadEndStat& d = dead_ends[{a.axis, a.verdict}];
      if (d.count++ == 0) {
        d.example_attempt = a.id;
        d.example_detail = a.detail.substr(0, 200);
      }
    }
  }
  if (failure && IsRepairableFailure(a.verdict)) failed_attempts.push_back(a.id);

  if (passing && !a.candidate.empty() && !members.count(a.candidate)) {
    Member m;
    m.id = a.candidate;
    m.parent = a.parent;
    m.axis = a.axis;
    m.attempt_id = a.id;
    m.proposer = a.proposer;
    m.source_blob = a.source_blob;
    m.evidence_blob = a.evidence_blob;
    m.source_hash = sh;
    m.verdict = a.verdict;
    m.bottleneck = Str(p, "bottleneck");
    m.change_summary = Str(p, "change_summary");
    m.islands.insert(a.island);
    m.time_us = m.first_time_us = Num(p, "time_us");
    m.spread = m.first_spread = Num(p, "spread");
    m.roofline_fraction = Num(p, "roofline_fraction");
    m.speedup_vs_parent = Num(p, "speedup_vs_parent");
    m.measured = true;
    m.pending_remeasure = kind->kind == VerdictKind::kImproved || kind->kind == VerdictKind::kNewBest;
    auto pit = members.find(a.parent);
    m.depth = pit == members.end() ? 1 : pit->second.depth + 1;
    NoteTunerNeighbours(m, p);
    members[m.id] = m;
    // A precisely measured member that did not improve (a provisional
    // parent, see Exploit) starts from its parent's closed pairs, as a
    // confirmed child does.
    if (!m.pending_remeasure && pit != members.end() &&
        IsPrecise(Spread(std::max(m.spread, pit->second.spread)), spec_.noise_threshold))
      Inherit(pit->second, members[m.id]);
  }
  MigrateIfDue();
}

// remeasured{candidate, time_us, spread, agrees, final}: every event adds a
// sample; `final` (default true) false means the daemon re-measures again.
// remeasured{candidate, time_us, spread, reference: true}: a sample of an
// unconfirmed parent taken as its child's reference
// (RemeasureJudgement::reference_sample_of); it changes no verdict.
void PlannerState::OnRemeasured(const Event& e) {
  auto it = members.find(Str(e.payload, "candidate"));
  if (it == members.end()) return;
  if (Bool(e.payload, "reference")) {
    OnReferenceSample(it->second, e);
    return;
  }
  if (!it->second.pending_remeasure) return;
  Member& m = it->second;
  auto fin = e.payload.find("final");
  bool final = fin == e.payload.end() || !fin->is_boolean() || fin->get<bool>();
  // A re-measurement that failed (time_us 0: crash, wrong result) is final
  // and refutes; it is not a sample of the candidate's time.
  if (const double t = Num(e.payload, "time_us"); t > 0) {
    ++m.remeasures;
    m.remeasure_sum += t;
    AddSample(m, t);
    m.spread = Num(e.payload, "spread");
    m.remeasure_spread_sq += m.spread * m.spread;
  } else {
    m.failed_remeasure = true;
  }
  if (!final) return;  // still pending
  m.pending_remeasure = false;
  if (!m.samples.empty()) m.time_us = RobustTimeOf(m.samples, Spread(m.spread));  // unbiased: not the selected one
  PairState& ps = PairForUpdate(m.parent, m.axis);
  if (Bool(e.payload, "agrees")) {
    MarkConfirmed(m);
    auto pit = members.find(m.parent);
    double gain = pit != members.end() && m.time_us > 0 ? std::log(pit->second.time_us / m.time_us) : 0;
    CountStats& as = axis_stats[m.axis];
    ++as.successes;
    as.gain_sum += gain;
    CountStats& ps_stats = proposer_stats[m.proposer];
    ++ps_stats.successes;
    ps_stats.gain_sum += gain;
    if (pit != members.end()) Inherit(pit->second, m);
  } else {
    if (m.remeasures >= kMinConfirmRemeasures) remeasured_unconfirmed.push_back(&m);
    ++ps.no_gains;
    if (ps.outcome == PairOutcome::kImproved) ps.outcome = PairOutcome::kNoGain;
    DeadEndStat& d = dead_ends[{m.axis, "no_gain"}];
    if (d.count++ == 0) {
      d.example_attempt = m.attempt_id;
      d.example_detail = "improvement refuted by re-measurement";
    }
  }
}

void PlannerState::OnReferenceSample(Member& m, const Event& e) {
  if (!TakesReferenceSample(m)) return;
  const double t = Num(e.payload, "time_us");
  if (t <= 0) {
    m.failed_remeasure = true;  // passed once, not again: nobody's parent
    return;
  }
  const double spread = Num(e.payload, "spread");
  // Unselected samples only: the first measurement was selected (the member
  // became a parent because it read fast).
  const double time_us = TimeWithReferenceSample(m, t, spread);
  ++m.remeasures;
  m.remeasure_sum += t;
  AddSample(m, t);
  m.spread = spread;
  m.remeasure_spread_sq += spread * spread;
  m.time_us = time_us;
}

double PlannerState::TimeWithReferenceSample(const Member& m, double t, double spread) const {
  std::vector<double> samples = m.samples;
  samples.push_back(t);
  // The spread as it reads before the sample joins the pooled noise estimate,
  // so Planner::ReferenceEstimate (called before the event) gives this figure.
  return RobustTimeOf(samples, Spread(spread));
}

void PlannerState::AddSample(Member& m, double t) {
  noise_samples.Add(m.samples, t);
  m.samples.push_back(t);
  noise = noise_samples.Estimate();
}

void PlannerState::Inherit(const Member& parent, const Member& child) {
  std::set<std::string> reopen = {child.axis};
  if (const Axis* ax = catalogue_.Find(child.axis))
    reopen.insert(ax->neighbours.begin(), ax->neighbours.end());
  // A child whose bottleneck class moved: axes that address its new class
  // (they may have helped little while another class dominated) reopen.
  if (!child.bottleneck.empty() && child.bottleneck != parent.bottleneck)
    for (const Axis& ax : catalogue_.axes())
      if (ax.Addresses(child.bottleneck)) reopen.insert(ax.name);
  for (const Axis& ax : catalogue_.axes()) {
    // Tuner pairs belong to one source: the child's neighbouring
    // configurations are new sources, whatever happened on the parent's.
    if (reopen.count(ax.name) || ax.tuner_only) continue;
    auto it = pairs.find(PairKeyLess::View{parent.id, ax.name});
    if (it == pairs.end()) continue;
    PairState& cs = PairForUpdate(child.id, ax.name);
    if (it->second.outcome == PairOutcome::kExhausted) {
      cs.outcome = PairOutcome::kExhausted;
      cs.last_failure = it->second.last_failure;
    } else if (it->second.outcome == PairOutcome::kNoGain ||
               it->second.outcome == PairOutcome::kFailed) {
      cs.inherited_penalty = it->second.finished;
      cs.no_gains = it->second.no_gains;  // closed on the child too (see PairOpen)
    }
  }
}

void PlannerState::OnBestPromoted(const Event& e) {
  auto it = members.find(Str(e.payload, "candidate"));
  if (it == members.end() || !it->second.confirmed) return;  // never a false elite
  best_candidate = it->second.id;
  best_time_us = it->second.time_us;
  finished_at_last_best = attempts_finished;
  // The campaign's best joins every island at once: with the budgets of a
  // real campaign (hundreds of attempts) an island that works on a stale
  // lineage until the next periodic migration wastes half the budget.
  // Islands still differ in their other elites.
  for (int i = 0; i < spec_.islands; ++i) it->second.islands.insert(i);
}

void PlannerState::OnMigration(const Event& e) {
  auto it = members.find(Str(e.payload, "candidate"));
  int to = Int(e.payload, "to_island");
  if (it == members.end() || to < 0 || to >= spec_.islands) return;
  it->second.islands.insert(to);
}

// Every migration_interval finished attempts, each island's best elite is
// copied to the next island (ring). Deterministic, so no event is needed; a
// `migration` event written by the daemon is applied idempotently.
void PlannerState::MigrateIfDue() {
  int n = spec_.migration_interval;
  if (n <= 0 || spec_.islands < 2 || attempts_finished % n != 0) return;
  std::vector<std::string> movers;
  for (int i = 0; i < spec_.islands; ++i) {
    auto el = Elites(i);
    movers.push_back(el.empty() ? "" : el.front()->id);
  }
  for (int i = 0; i < spec_.islands; ++i)
    if (!movers[i].empty()) members[movers[i]].islands.insert((i + 1) % spec_.islands);
  ++migrations;
}

PairState& PlannerState::PairForUpdate(const std::string& cand, const std::string& axis) {
  ++pair_versions_[cand];
  return pairs[{cand, axis}];
}

const std::vector<const Axis*>& PlannerState::OpenAxesOf(const std::string& cand, bool tuner_usable,
                                                           bool llm_usable) const {
  auto v = pair_versions_.find(cand);
  const uint64_t version = v == pair_versions_.end() ? 0 : v->second;
  OpenAxesEntry& e = open_axes_[cand];
  if (e.valid && e.version == version && e.tuner_usable == tuner_usable && e.llm_usable == llm_usable) return e.axes;
  e.axes.clear();
  for (const Axis& a : catalogue_.axes())
    if ((a.tuner_only ? tuner_usable : llm_usable) && PairOpen(cand, a)) e.axes.push_back(&a);
  e.valid = true;
  e.version = version;
  e.tuner_usable = tuner_usable;
  e.llm_usable = llm_usable;
  return e.axes;
}

void PlannerState::MarkConfirmed(Member& m) {
  if (m.confirmed) return;
  m.confirmed = true;
  confirmed_members.push_back(&m);
}

std::vector<const Member*> PlannerState::Elites(int island) const {
  std::vector<const Member*> out;
  for (const Member* m : confirmed_members)
    if (m->islands.count(island)) out.push_back(m);
  std::sort(out.begin(), out.end(), [](const Member* a, const Member* b) {
    return a->time_us != b->time_us ? a->time_us < b->time_us : a->id < b->id;
  });
  if (out.size() > static_cast<size_t>(spec_.elites_per_island))
    out.resize(spec_.elites_per_island);
  return out;
}

const PairState* PlannerState::Pair(const std::string& cand, const std::string& axis) const {
  auto it = pairs.find(PairKeyLess::View{cand, axis});
  return it == pairs.end() ? nullptr : &it->second;
}

void PlannerState::AddSourceHash(const std::string& hash) {
  if (!source_hashes.insert(hash).second) return;
  auto w = tuner_waiters_.find(hash);
  if (w == tuner_waiters_.end()) return;
  for (const std::string& id : w->second) {
    auto m = members.find(id);
    if (m == members.end() || m->second.tuner_untried <= 0) continue;
    --m->second.tuner_untried;
    ++pair_versions_[id];  // its tuner pair may have closed
  }
  tuner_waiters_.erase(w);
}

void PlannerState::NoteTunerNeighbours(Member& m, const nlohmann::json& payload) {
  auto it = payload.find("tuner_neighbours");
  if (it == payload.end() || !it->is_array()) return;
  std::set<std::string> untried;
  for (const auto& h : *it)
    if (h.is_string() && !source_hashes.count(h.get<std::string>())) untried.insert(h.get<std::string>());
  m.tuner_untried = static_cast<int>(untried.size());
  for (const std::string& h : untried) tuner_waiters_[h].push_back(m.id);
  ++pair_versions_[m.id];
}

bool PlannerState::TunerUsedUp(const std::string& cand) const {
  auto m = members.find(cand);
  return m != members.end() && m->second.tuner_untried == 0;
}

bool PlannerState::EndpointAvailable(const std::string& endpoint, int64_t now_ms) const {
  auto it = endpoint_health.find(endpoint);
  if (it == endpoint_health.end() || it->second.errors_in_row < kEndpointErrorsToRest) return true;
  const int doublings = std::min(it->second.errors_in_row - kEndpointErrorsToRest, 16);
  const int64_t rest = std::min(kEndpointMaxRestMs, kEndpointRestMs << doublings);
  return now_ms - it->second.last_error_ms >= rest;
}

bool PlannerState::PairOpen(const std::string& cand, const Axis& axis) const {
  // The log lists every source the tuner could make from this one, and the
  // campaign has them all: asking would only fail with patch_failed.
  if (axis.tuner_only && TunerUsedUp(cand)) return false;
  const PairState* ps = Pair(cand, axis.name);
  if (!ps) return true;
  if (ps->in_flight > 0) return false;
  if (ps->outcome == PairOutcome::kExhausted || ps->outcome == PairOutcome::kImproved) return false;
  // A duplicate means the proposer re-derived a change already evaluated:
  // this pair's obvious change is known, so it closes (Retry may reopen it
  // when nothing else is left).
  for (const auto& [verdict, n] : ps->failure_counts)
    if (VerdictClass(verdict) == "duplicate") return false;
  // An LLM axis closes at its first passing candidate that did not improve:
  // the proposer's idea along the axis was measured and did not help (in
  // practice the axis is used up on this source, or the change is neutral);
  // more tries mostly return the same idea. Failed tries leave it open.
  if (!axis.tuner_only && ps->no_gains > 0) return false;
  int cap = axis.tuner_only ? kMaxTunerTries : kMaxTriesPerPair;
  return ps->finished < cap;
}

}  // namespace ksearch::planner
