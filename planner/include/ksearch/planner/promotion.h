// Promotion policy: when is a measured candidate better than its parent, and
// when may it become an elite or the campaign best?
//
// Invariants (DESIGN.md section 5, issue #6):
//  - a difference within the noise margin is never an improvement;
//  - an improvement is only tentative until a re-measurement agrees; the mean
//    of the re-measurements (free of the winner's-curse bias of the first,
//    selected measurement) is the member's time from then on;
//  - only a confirmed member can be an elite; becoming the campaign best takes
//    kBestConfirmations agreeing re-measurements in a row (one lucky outlier
//    in the re-measurement must not crown a false best).
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "ksearch/core/verdict.h"

namespace ksearch::planner {

// Relative margin two measurements must differ by to count: the larger of the
// campaign's noise threshold and either measurement's relative spread.
double NoiseMargin(double noise_threshold, double spread_a, double spread_b);

struct MeasurementJudgement {
  VerdictKind kind = VerdictKind::kNoGain;  // kImproved, kNoGain or kSlower
  bool needs_remeasure = false;             // true exactly when kind == kImproved
  double margin = 0;                        // relative margin applied
  double speedup_vs_parent = 0;             // parent_time / time
  std::string detail;                       // one line for the log
};

// REQUIRES: parent_time_us > 0, time_us > 0.
MeasurementJudgement JudgeMeasurement(double parent_time_us, double parent_spread,
                                      double time_us, double spread, double noise_threshold);

inline constexpr int kBestConfirmations = 2;

struct RemeasureJudgement {
  bool agrees = false;         // still beats the parent beyond the margin
  bool needs_another = false;  // agrees, would be a new best, needs one more re-measurement
  bool promote_best = false;   // agrees kBestConfirmations times and beats the best
  double previous_best_us = 0;
  std::string detail;
};

// `best_time_us` <= 0 means no confirmed best yet; `agreed_before` counts
// earlier agreeing re-measurements of the same candidate.
RemeasureJudgement JudgeRemeasurement(double parent_time_us, double parent_spread,
                                      double best_time_us, double best_spread,
                                      double remeasured_us, double spread,
                                      double noise_threshold, int agreed_before = 0);

}  // namespace ksearch::planner
