#include "ksearch/planner/promotion.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

namespace {
// Relative advantage of `a` over `b` and its standard error.
void Compare(const TimeEstimate& a, const TimeEstimate& b, double* d, double* se) {
  double sigma = std::max(a.spread, b.spread) / 2;
  *d = 1 - a.mean_us / b.mean_us;
  *se = sigma * std::sqrt(1.0 / std::max(a.n, 1) + 1.0 / std::max(b.n, 1));
}
}  // namespace

double MedianOf(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool OutlierSuspect(double first_us, double remeasured_us, double spread) {
  double sigma = spread / 2;
  return remeasured_us < first_us * (1 - kConfirmZ * sigma * std::sqrt(2.0));
}

double RobustTimeOf(const std::vector<double>& samples, double spread) {
  double med = MedianOf(samples);
  if (samples.size() < 3 || med <= 0) return med;
  double sigma = spread / 2, sum = 0;
  int n = 0;
  for (double x : samples)
    if (std::abs(x / med - 1) <= kClipSigmas * sigma) sum += x, ++n;
  return n > 0 ? sum / n : med;
}

RemeasureJudgement JudgeRemeasurement(const TimeEstimate& parent, const TimeEstimate& best,
                                      const TimeEstimate& r, double noise_threshold, bool suspect) {
  RemeasureJudgement j;
  j.previous_best_us = best.mean_us;
  double d, se;
  Compare(r, parent, &d, &se);
  bool faster = d > std::max(noise_threshold, kConfirmZ * se);
  bool not_faster = d < kRefuteZ * se;
  bool last = r.n >= kMaxRemeasures;
  bool beats_best = best.mean_us <= 0;
  if (!beats_best) {
    double db, seb;
    Compare(r, best, &db, &seb);
    beats_best = db > std::max(noise_threshold, kConfirmZ * seb);
  }
  const double sigma = std::max(r.spread, parent.spread) / 2;
  const bool precise = sigma <= noise_threshold / 3;
  if (precise && d + kConfirmZ * se < noise_threshold) not_faster = true;
  const bool agree = r.rel_range <= std::max(kAgreeSigmas * sigma, noise_threshold / 2);
  int needed = precise && agree && !suspect
                   ? kPreciseMinRemeasures
                   : std::max({kMinConfirmRemeasures, suspect ? kSuspectRemeasures : 1,
                               beats_best ? kMinBestRemeasures : 1});
  if (faster && r.n < needed) {
    j.needs_another = true;
  } else if (faster) {
    j.agrees = true;
    j.promote_best = beats_best;
  } else if (!not_faster && !last) {
    j.needs_another = true;
  }
  char buf[200];
  std::snprintf(buf, sizeof buf, "%d re-measurements: %.2f us vs parent %.2f us (%.1f%%, se %.1f%%): %s",
                r.n, r.mean_us, parent.mean_us, 100 * d, 100 * se,
                j.promote_best ? "confirmed, new best" : j.agrees ? "confirmed"
                : j.needs_another ? "re-measure again" : "refuted");
  j.detail = buf;
  return j;
}

}  // namespace ksearch::planner
