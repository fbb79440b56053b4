#include "ksearch/planner/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "planner_state.h"

namespace ksearch::planner {

std::string_view DecisionKindName(DecisionKind k) {
  switch (k) {
    case DecisionKind::kEvaluateSeed: return "evaluate_seed";
    case DecisionKind::kProposal: return "proposal";
    case DecisionKind::kRepair: return "repair";
  }
  return "?";
}

std::string_view StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kNone: return "none";
    case StopReason::kNotStarted: return "not_started";
    case StopReason::kCampaignStopped: return "campaign_stopped";
    case StopReason::kBudgetAttempts: return "budget_attempts";
    case StopReason::kBudgetMoney: return "budget_money";
    case StopReason::kBudgetWall: return "budget_wall";
    case StopReason::kPlateau: return "plateau";
    case StopReason::kExhausted: return "exhausted";
    case StopReason::kWaiting: return "waiting";
  }
  return "?";
}

nlohmann::json Decision::ToJson() const {
  return {{"kind", DecisionKindName(kind)}, {"parent", parent},
          {"parent_source_blob", parent_source_blob}, {"axis", axis}, {"proposer", proposer},
          {"island", island}, {"repair_of", repair_of}, {"repair_source_blob", repair_source_blob},
          {"repair_evidence_blob", repair_evidence_blob}, {"repair_failure", repair_failure},
          {"repair_detail", repair_detail}, {"mode", mode},
          {"parent_bottleneck", parent_bottleneck}};
}

Planner::Planner(const CampaignSpec& spec, const AxisCatalogue& catalogue)
    : spec_(spec), catalogue_(catalogue),
      state_(std::make_unique<PlannerState>(spec_, catalogue_)) {}

Planner::~Planner() = default;

Result<std::unique_ptr<Planner>> Planner::Create(const CampaignSpec& spec,
                                                 const AxisCatalogue& catalogue) {
  KS_RETURN_IF_ERROR(spec.Validate());
  if (catalogue.axes().empty()) return Status::InvalidArgument("axis catalogue is empty");
  return std::unique_ptr<Planner>(new Planner(spec, catalogue));
}

void Planner::Observe(const Event& e) { state_->Fold(e); }

namespace {
// The nearest confirmed member among `m`'s ancestors (not `m` itself), or
// nullptr: the lineage's last point a re-measurement has vouched for.
const std::map<std::string, Member>::value_type* NearestConfirmedAncestor(const PlannerState& s, const Member& m) {
  for (auto a = s.members.find(m.parent); a != s.members.end(); a = s.members.find(a->second.parent))
    if (a->second.confirmed) return &*a;
  return nullptr;
}
}  // namespace

Result<MeasurementJudgement> Planner::JudgeMeasurement(const std::string& parent, double time_us,
                                                       double spread) const {
  if (time_us <= 0) return Status::InvalidArgument("time_us must be > 0");
  auto it = state_->members.find(parent);
  if (it == state_->members.end() || !it->second.measured)
    return Status::NotFound("parent '" + parent + "' is not a measured member");
  spread = state_->Spread(spread);
  MeasurementJudgement j = planner::JudgeMeasurement(it->second.time_us, state_->Spread(it->second.spread),
                                                     time_us, spread, spec_.noise_threshold);
  const Member& u = it->second;
  if (u.confirmed) return j;
  const auto* ancestor = NearestConfirmedAncestor(*state_, u);
  if (ancestor == nullptr) return j;
  const double ancestor_us = ancestor->second.time_us;
  if (j.needs_remeasure && time_us > ancestor_us * (1 + j.margin)) {
    // A child faster than an unconfirmed parent (a slower member, searched
    // from by exploration) but slower than the lineage's nearest confirmed
    // ancestor by more than the margin cannot pass the re-measurement's test
    // against that ancestor (JudgeRemeasurement), so it is not re-measured:
    // each such re-measurement was a whole evaluation spent on a foregone
    // refutation (5 of the 52 evaluations of the H100 run of 21:10).
    j.kind = VerdictKind::kNoGain;
    j.needs_remeasure = false;
    char buf[160];
    std::snprintf(buf, sizeof buf, "; not re-measured: %.1f%% slower than confirmed ancestor %s (%.2f us)",
                  100 * (time_us / ancestor_us - 1), ancestor->first.c_str(), ancestor_us);
    j.detail += buf;
  } else if (j.kind != VerdictKind::kImproved && time_us < u.time_us &&
             IsPrecise(std::max(spread, state_->Spread(u.spread)), spec_.noise_threshold) &&
             time_us < ancestor_us * (1 - j.margin / 2)) {
    // A provisional parent (unconfirmed; searched from only when measurements
    // are precise, see Exploit): a child faster than it and, by the screen,
    // than its nearest confirmed ancestor is worth re-measuring, even when
    // the step itself is below the screen.
    j.kind = VerdictKind::kImproved;
    j.needs_remeasure = true;
    j.detail += "; faster than confirmed ancestor " + ancestor->first;
  }
  return j;
}

namespace {
TimeEstimate EstimateOf(const PlannerState& s, const Member& m) {
  TimeEstimate e{m.time_us, 1, s.Spread(m.spread)};
  if (m.remeasures > 0) e.n = std::max(1, KeptSamples(m.samples, e.spread));
  return e;
}
}  // namespace

Result<RemeasureJudgement> Planner::JudgeRemeasurement(const std::string& candidate,
                                                       double time_us, double spread) const {
  auto it = state_->members.find(candidate);
  if (it == state_->members.end()) return Status::NotFound("candidate '" + candidate + "' unknown");
  if (!it->second.pending_remeasure)
    return Status::FailedPrecondition("candidate '" + candidate + "' is not awaiting re-measurement");
  auto pit = state_->members.find(it->second.parent);
  if (pit == state_->members.end() || !pit->second.measured)
    return Status::NotFound("parent of '" + candidate + "' is not measured");
  const Member& m = it->second;
  std::vector<double> samples = m.samples;
  samples.push_back(time_us);
  // Sigma from the root mean square of the reported spreads: the first
  // measurement's and every re-measurement's, this one included (the
  // variance of a mean is the mean of the variances over n). Until
  // 2026-11-23 it was max(this one, the first): a candidate screened in by
  // one noisy evaluation (the CPU box's make run at 19:38: a 7% spread) was
  // tested at sigma 3.5% however precise its re-measurements, and its 7%
  // gain, re-measured twice at 1.8-2.0%, was refuted as futile. In the root
  // mean square the first report weighs 1 / (n + 1). Not the re-measurements
  // alone (the first one is the selected measurement, but leaving its
  // report out confirmed more false elites when reports understate the
  // noise), and not their maximum (it grows with n: more samples, a weaker
  // test). docs/bench-planner.md, eleventh pass. Spread() still raises an
  // understated report to the campaign's measured noise.
  const double rms = std::sqrt((m.first_spread * m.first_spread + m.remeasure_spread_sq + spread * spread) /
                               (m.remeasures + 2));
  double sp = state_->Spread(rms);
  bool suspect = false;
  for (double x : samples) suspect |= OutlierSuspect(m.first_time_us, x, sp);
  TimeEstimate r{RobustTimeOf(samples, sp), static_cast<int>(samples.size()), sp};
  r.n = KeptSamples(samples, sp);
  r.clipped = static_cast<int>(samples.size()) - r.n;
  // Agreement with the first measurement counts too.
  auto [lo, hi] = std::minmax_element(samples.begin(), samples.end());
  const double range = std::max(*hi, m.first_time_us) - std::min(*lo, m.first_time_us);
  r.rel_range = r.mean_us > 0 ? range / r.mean_us : 0;
  TimeEstimate best;
  best.mean_us = 0;
  if (auto b = state_->members.find(state_->best_candidate); b != state_->members.end())
    best = EstimateOf(*state_, b->second);
  // An unconfirmed parent's time was selected (judged not improving, or
  // refuted): it may be biased slow, so the nearest confirmed ancestor is a
  // second reference.
  std::optional<TimeEstimate> ancestor;
  if (!pit->second.confirmed)
    if (const auto* a = NearestConfirmedAncestor(*state_, pit->second)) ancestor = EstimateOf(*state_, a->second);
  const Member& parent = pit->second;
  // (A parent whose sample failed is not asked for again.)
  const bool may_sample = parent.samples.size() < static_cast<size_t>(kReferenceSamples) && !parent.failed_remeasure;
  RemeasureJudgement j = planner::JudgeRemeasurement(EstimateOf(*state_, parent), best, r, spec_.noise_threshold,
                                                     suspect, ancestor ? &*ancestor : nullptr, may_sample);
  if (j.sample_parent_first) {
    j.reference_sample_of = pit->first;
    j.detail += "; parent " + pit->first + " has " + std::to_string(parent.samples.size()) +
                " unselected sample(s): measure it first";
  }
  return j;
}

Result<double> Planner::ReferenceEstimate(const std::string& candidate, double time_us, double spread) const {
  auto it = state_->members.find(candidate);
  if (it == state_->members.end()) return Status::NotFound("candidate '" + candidate + "' unknown");
  if (time_us <= 0) return Status::InvalidArgument("time_us must be > 0");
  if (!PlannerState::TakesReferenceSample(it->second))
    return Status::FailedPrecondition("candidate '" + candidate + "' takes no reference sample");
  return state_->TimeWithReferenceSample(it->second, time_us, spread);
}

std::optional<Verdict> Planner::CheckDuplicate(const std::string& source_hash,
                                               const std::string& machine_code_hash,
                                               const std::string& semantic_key) const {
  auto dup = [](const char* reason, std::string detail) {
    Verdict v;
    v.kind = VerdictKind::kDuplicate;
    v.reason = reason;
    v.detail = std::move(detail);
    return v;
  };
  if (!source_hash.empty() && state_->source_hashes.count(source_hash))
    return dup("source", "normalized source seen before: " + source_hash.substr(0, 12));
  if (!semantic_key.empty() && state_->semantic_keys.count(semantic_key))
    return dup("semantic", "same change on the same parent and axis was tried before");
  if (!machine_code_hash.empty() && state_->machine_code_hashes.count(machine_code_hash))
    return dup("machine_code", "machine code seen before: " + machine_code_hash.substr(0, 12));
  return std::nullopt;
}

const std::set<std::string>& Planner::KnownSourceHashes() const { return state_->source_hashes; }

std::vector<std::string> Planner::DeadEndLines(const std::string& axis, size_t max_lines) const {
  std::vector<std::pair<int, std::string>> rows;
  for (const auto& [key, d] : state_->dead_ends) {
    if (key.first != axis) continue;
    std::string line = key.second + " x" + std::to_string(d.count) + " (e.g. " +
                       d.example_attempt + ": " + d.example_detail + ")";
    rows.push_back({d.count, line});
  }
  std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size() && i < max_lines; ++i) out.push_back(rows[i].second);
  return out;
}

std::vector<std::string> Planner::LineageLines(const std::string& candidate, size_t n) const {
  std::vector<std::string> out;
  std::string cur = candidate;
  while (out.size() < n) {
    auto it = state_->members.find(cur);
    if (it == state_->members.end() || it->second.parent.empty()) break;
    const Member& m = it->second;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.3fx", m.speedup_vs_parent);
    out.push_back(m.parent + " -> " + m.id + " via " + m.axis + " (" + buf + ", " +
                  m.verdict + "): " + m.change_summary);
    cur = m.parent;
  }
  const nlohmann::json& origin = state_->seed_origin;
  if (out.size() < n && cur == state_->seed_candidate && origin.is_object()) {
    const std::string from_arch = origin.value("arch", "");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f us", origin.value("time_us", 0.0));
    // The ids are equal (both hash the same source) unless normalization
    // changed between the two campaigns: name the other only then.
    const std::string other = origin.value("candidate", "");
    std::string line = cur + " (the seed) comes from campaign " + origin.value("campaign", "") +
                       (origin.value("best", false) ? " (its best)" : "") +
                       (other != cur ? " as " + other : std::string()) + ", measured there at " + buf + " on " + from_arch;
    if (from_arch != state_->arch)
      line += "; this campaign targets " + state_->arch + ", so its tuning for " + from_arch + " may not carry over";
    out.push_back(line);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Planner::EvidenceSummary(const std::string& candidate) const {
  auto it = state_->members.find(candidate);
  if (it == state_->members.end() || !it->second.measured) return "";
  const Member& m = it->second;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "time %.3f us (spread %.1f%%%s), roofline fraction %.2f, bottleneck %s",
                m.time_us, 100 * m.spread, m.confirmed && m.parent.size() ? ", re-measured" : "",
                m.roofline_fraction, m.bottleneck.empty() ? "unknown" : m.bottleneck.c_str());
  return buf;
}

std::vector<RepairRate> Planner::RepairRates() const {
  std::vector<RepairRate> out;
  for (const auto& [key, st] : state_->repair_stats)
    out.push_back({key.first, key.second, st.trials, st.successes});
  return out;
}

std::string Planner::BestCandidate() const { return state_->best_candidate; }
double Planner::BestTimeUs() const { return state_->best_time_us; }

std::vector<std::string> Planner::Elites(int island) const {
  std::vector<std::string> out;
  for (const Member* m : state_->Elites(island)) out.push_back(m->id);
  return out;
}

nlohmann::json Planner::Snapshot() const { return state_->ToJson(); }

}  // namespace ksearch::planner
