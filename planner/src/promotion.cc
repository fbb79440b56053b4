#include "ksearch/planner/promotion.h"

#include <algorithm>
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
  if (time_us < parent_time_us * (1 - j.margin)) {
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

RemeasureJudgement JudgeRemeasurement(double parent_time_us, double parent_spread,
                                      double best_time_us, double best_spread,
                                      double remeasured_us, double spread,
                                      double noise_threshold, int agreed_before) {
  RemeasureJudgement j;
  double m = NoiseMargin(noise_threshold, parent_spread, spread);
  j.agrees = remeasured_us < parent_time_us * (1 - m);
  j.previous_best_us = best_time_us;
  double mb = NoiseMargin(noise_threshold, best_spread, spread);
  bool beats_best = j.agrees && (best_time_us <= 0 || remeasured_us < best_time_us * (1 - mb));
  j.needs_another = beats_best && agreed_before + 1 < kBestConfirmations;
  j.promote_best = beats_best && !j.needs_another;
  char buf[160];
  std::snprintf(buf, sizeof buf, "re-measured %.2f us vs parent %.2f us: %s%s", remeasured_us,
                parent_time_us, j.agrees ? "confirmed" : "refuted",
                j.promote_best ? ", new best" : j.needs_another ? ", re-measure again" : "");
  j.detail = buf;
  return j;
}

}  // namespace ksearch::planner
