#include "ksearch/planner/promotion.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

namespace ksearch::planner {

double NoiseMargin(double noise_threshold, double spread_a, double spread_b) {
  return std::max({noise_threshold, spread_a, spread_b});
}

MeasurementJudgement JudgeMeasurement(double parent_time_us, double parent_spread,
                                      double time_us, double spread, double noise_threshold) {
  MeasurementJudgement j;
  j.margin = NoiseMargin(noise_threshold, parent_spread, spread);
  j.speedup_vs_parent = parent_time_us / time_us;
  char buf[160];
  if (time_us < parent_time_us * (1 - j.margin / 2)) {  // screen; re-measurements decide
    j.kind = VerdictKind::kImproved;
    j.needs_remeasure = true;
  } else if (time_us > parent_time_us * (1 + j.margin)) {
    j.kind = VerdictKind::kSlower;
  } else {
    j.kind = VerdictKind::kNoGain;
  }
  std::snprintf(buf, sizeof buf, "%.3fx vs parent (%.2f us vs %.2f us), margin %.1f%%",
                j.speedup_vs_parent, time_us, parent_time_us, 100 * j.margin);
  j.detail = buf;
  return j;
}

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t n = v.size();
  // Linear selection, not a sort: the pooled noise takes the median of every
  // sample pair in the campaign at each re-measurement.
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (n % 2) return *mid;
  return 0.5 * (*std::max_element(v.begin(), mid) + *mid);
}

bool OutlierSuspect(double first_us, double remeasured_us, double spread) {
  double sigma = spread / 2;
  return remeasured_us < first_us * (1 - kSuspectZ * sigma * std::sqrt(2.0));
}

namespace {
// Sum and count of the samples within kClipSigmas of `med`.
std::pair<double, int> KeptSum(const std::vector<double>& samples, double med, double spread) {
  double sum = 0;
  int n = 0;
  for (double x : samples)
    if (std::abs(x / med - 1) <= kClipSigmas * spread / 2) sum += x, ++n;
  return {sum, n};
}
}  // namespace

double RobustTimeOf(const std::vector<double>& samples, double spread) {
  double med = MedianOf(samples);
  if (samples.size() < 3 || med <= 0) return med;
  auto [sum, n] = KeptSum(samples, med, spread);
  return n > 0 ? sum / n : med;
}

int KeptSamples(const std::vector<double>& samples, double spread) {
  double med = MedianOf(samples);
  if (samples.size() < 3 || med <= 0) return static_cast<int>(samples.size());
  return KeptSum(samples, med, spread).second;
}

// |log a - log b| over the pairs of one source's samples: each is the
// absolute value of a normal with variance 2 sigma^2, whatever the source's
// time, and a pair with an outlier in it does not move the others (a
// deviation from the set's mean would: one outlier among four samples drags
// the mean and every deviation with it).
void PooledNoiseAccumulator::Add(std::span<const double> earlier, double x) {
  if (earlier.empty()) return;
  const double lx = std::log(std::max(x, 1e-12));
  for (double e : earlier) diffs_.push_back(std::abs(lx - std::log(std::max(e, 1e-12))));
  ++dof_;
}

PooledNoise PooledNoiseAccumulator::Estimate() const {
  PooledNoise r;
  r.dof = dof_;
  if (dof_ < kNoiseFloorMinDof) return r;
  r.spread = 2 * MedianOf(diffs_) / (std::sqrt(2.0) * 0.6745);
  r.lower_bound = r.spread * std::max(0.0, 1 - kNoiseFloorZ * 1.166 / std::sqrt(static_cast<double>(dof_)));
  return r;
}

PooledNoise PooledSpread(const std::vector<const std::vector<double>*>& sample_sets) {
  PooledNoiseAccumulator acc;
  for (const std::vector<double>* set : sample_sets)
    for (size_t i = 1; i < set->size(); ++i)
      acc.Add(std::span<const double>(set->data(), i), (*set)[i]);
  return acc.Estimate();
}

namespace {

struct Sprt {
  double log_a, log_b;  // confirm at LLR >= log_a, refute at LLR <= log_b
  double sigma, delta, threshold;
};

// One sequential test of `a` against the reference `ref`.
struct TestResult {
  double d = 0, llr = 0;
  bool confirmed = false;  // LLR >= log_a and d >= threshold
  bool refuted = false;    // LLR <= log_b, or futile
};

TestResult Test(const Sprt& t, const TimeEstimate& a, const TimeEstimate& ref) {
  TestResult r;
  const int na = std::max(a.n, 1), nr = std::max(ref.n, 1);
  r.d = 1 - a.mean_us / ref.mean_us;
  const double s2 = t.sigma * t.sigma;
  const double v = s2 * (1.0 / na + 1.0 / nr);
  r.llr = t.delta / v * (r.d - t.delta / 2);
  r.confirmed = r.llr >= t.log_a && r.d >= t.threshold && r.d > 0;
  // Futility: with kMaxRemeasures samples and a gain kFutilitySe standard
  // errors better than the estimate so far, the test would still not confirm.
  const double d_opt = r.d + kFutilitySe * t.sigma / std::sqrt(static_cast<double>(na));
  const double v_cap = s2 * (1.0 / std::max(kMaxRemeasures, na) + 1.0 / nr);
  const bool futile = t.delta / v_cap * (d_opt - t.delta / 2) < t.log_a || d_opt < t.threshold || d_opt <= 0;
  r.refuted = !r.confirmed && (r.llr <= t.log_b || futile);
  return r;
}

// Samples for a relative standard error of `precision` (at most kMaxRemeasures).
int SamplesFor(double sigma, double precision) {
  return std::min(kMaxRemeasures, static_cast<int>(std::ceil(sigma * sigma / (precision * precision) - 1e-9)));
}

}  // namespace

RemeasureJudgement JudgeRemeasurement(const TimeEstimate& parent, const TimeEstimate& best,
                                      const TimeEstimate& r, double noise_threshold, bool suspect,
                                      const TimeEstimate* ancestor, bool parent_may_be_sampled) {
  RemeasureJudgement j;
  j.previous_best_us = best.mean_us;
  j.estimate_us = r.mean_us;
  const double sigma = std::max(r.spread, parent.spread) / 2;
  Sprt t;
  t.log_a = std::log(1 / kFalseElitePerTest);
  t.log_b = std::log(kMissRate / (1 - kFalseElitePerTest));
  // A floor keeps the test defined at zero spread (one re-measurement then decides).
  t.sigma = std::max({sigma, noise_threshold / 20, 1e-6});
  t.delta = std::max(noise_threshold, kDeltaSigmas * sigma);
  t.threshold = noise_threshold;

  TestResult vp;
  std::optional<TestResult> va;  // against the confirmed ancestor, when the parent is unconfirmed
  if (ancestor && ancestor->mean_us > 0) {
    // The gain worth having is measured against the confirmed ancestor; the
    // unconfirmed parent only has to be beaten at all (each step may be
    // below the threshold while the lineage's sum is not).
    Sprt tp = t;
    tp.threshold = 0;
    tp.delta = std::max(noise_threshold / 4, kDeltaSigmas * sigma);
    vp = Test(tp, r, parent);
    va = Test(t, r, *ancestor);
    vp.confirmed = vp.confirmed && va->confirmed;
    vp.refuted = vp.refuted || va->refuted;
  } else {
    vp = Test(t, r, parent);
  }
  bool beats_best = best.mean_us <= 0, best_open = false;
  if (!beats_best) {
    TestResult vb = Test(t, r, best);
    beats_best = vb.confirmed;
    best_open = !vb.confirmed && !vb.refuted;
  }
  const bool precise = IsPrecise(2 * sigma, noise_threshold);
  const bool agree = r.rel_range <= std::max(kAgreeSigmas * sigma, noise_threshold / 2);
  const bool quick = precise && agree && !suspect && r.clipped == 0;
  int needed = quick ? kPreciseMinRemeasures
                     : std::max(kMinConfirmRemeasures, SamplesFor(sigma, kElitePrecision));
  if (suspect || r.clipped > 0) needed = std::max(needed, kSuspectRemeasures + 2 * r.clipped);
  const int needed_best =
      quick ? needed : std::max({needed, kMinBestRemeasures, SamplesFor(sigma, kBestPrecision)});
  const int taken = r.n + r.clipped;  // re-measurements so far
  const bool last = taken >= kMaxRemeasures;
  if (vp.confirmed && beats_best && (taken >= needed_best || last)) {
    j.agrees = true;
    j.promote_best = true;
  } else if (vp.confirmed && beats_best) {
    j.needs_another = true;
  } else if (vp.confirmed && best_open && !last) {
    j.needs_another = true;  // an elite already; it may still become the best
  } else if (vp.confirmed && (taken >= needed || last)) {
    j.agrees = true;
  } else if (!vp.refuted && !last) {
    j.needs_another = true;
  }
  if (ancestor && parent_may_be_sampled && !j.agrees) {
    // The parent's few samples may be what stops the test: judged as if it
    // had kReferenceSamples at its current mean, could the candidate pass?
    TimeEstimate sampled = parent;
    sampled.n = kReferenceSamples;
    const RemeasureJudgement could = JudgeRemeasurement(sampled, best, r, noise_threshold, suspect, ancestor);
    if (could.agrees || could.needs_another) j.needs_another = j.sample_parent_first = true;
  }
  // With an unconfirmed parent the verdict is the conjunction of both tests,
  // so the detail names both: a child far faster than a slow parent can still
  // be refuted by its confirmed ancestor.
  char against_ancestor[120] = "";
  if (va)
    std::snprintf(against_ancestor, sizeof against_ancestor, "; vs confirmed ancestor %.2f us (%.1f%%, LLR %.1f)",
                  ancestor->mean_us, 100 * va->d, va->llr);
  char buf[360];
  std::snprintf(buf, sizeof buf,
                "%d re-measurements: %.2f us vs parent %.2f us (%.1f%%, LLR %.1f of %.1f, delta %.1f%%)%s: %s",
                taken, r.mean_us, parent.mean_us, 100 * vp.d, vp.llr, t.log_a, 100 * t.delta, against_ancestor,
                j.promote_best ? "confirmed, new best" : j.agrees ? "confirmed"
                : j.needs_another ? "re-measure again" : "refuted");
  j.detail = buf;
  return j;
}

}  // namespace ksearch::planner
