// Promotion policy: when is a measured candidate better than its parent, and
// when may it become an elite or the campaign best?
//
// Invariants (DESIGN.md section 5, issue #6):
//  - a difference within the noise margin is never an improvement;
//  - an improvement is only tentative until re-measurements confirm it; the
//    mean of the re-measurements (free of the winner's-curse bias of the
//    first, selected measurement) is the member's time from then on;
//  - confirmation is a sequential test on that mean against the parent's
//    mean: confirm when faster by kConfirmZ standard errors (and by the noise
//    threshold), refute when not faster by kRefuteZ standard errors, else
//    re-measure again, at most kMaxRemeasures times;
//  - only a confirmed member can be an elite; a new best needs at least
//    kMinBestRemeasures re-measurements (one lucky outlier must not crown it).
// `spread` is the evaluator's relative spread of one measurement, read as
// about two standard deviations (the half-width of a ~95% interval).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "ksearch/core/verdict.h"

namespace ksearch::planner {

// Relative margin two measurements must differ by to count: the larger of the
// campaign's noise threshold and either measurement's relative spread.
double NoiseMargin(double noise_threshold, double spread_a, double spread_b);

struct MeasurementJudgement {
  // kImproved: faster than the parent by at least half the margin; tentative
  // (needs_remeasure) until the re-measurements confirm it. kSlower: slower by
  // more than the margin. kNoGain otherwise.
  VerdictKind kind = VerdictKind::kNoGain;
  bool needs_remeasure = false;             // true exactly when kind == kImproved
  double margin = 0;                        // relative margin applied
  double speedup_vs_parent = 0;             // parent_time / time
  std::string detail;                       // one line for the log
};

// REQUIRES: parent_time_us > 0, time_us > 0.
MeasurementJudgement JudgeMeasurement(double parent_time_us, double parent_spread,
                                      double time_us, double spread, double noise_threshold);

// Evaluations of the seed before the first proposal: it is the reference of
// every first-generation child, so its time is the robust mean of these.
inline constexpr int kSeedSamples = 3;
// Re-measurements before a confirmation (a median of three resists one lucky
// outlier), before a new best (the best is the parent of most attempts: its
// precision pays off in every test of its children), and at most.
inline constexpr int kMinConfirmRemeasures = 3;
inline constexpr int kMinBestRemeasures = 5;
inline constexpr int kMaxRemeasures = 8;
inline constexpr double kConfirmZ = 3.0;
inline constexpr double kRefuteZ = 0.5;
// RobustTimeOf drops samples farther than this many standard deviations
// from the median.
inline constexpr double kClipSigmas = 3.5;

// A time estimate from `n` unbiased measurements (their median).
struct TimeEstimate {
  double mean_us = 0;  // <= 0: none (e.g. no best yet)
  int n = 1;
  double spread = 0;   // relative spread of one measurement
  double rel_range = 0;  // (max - min) / mean of the samples and the first measurement
};

// Precise measurements: one standard deviation (spread / 2) is at most a
// third of the noise threshold, so sample counts no longer buy precision that
// matters. Then a re-measurement that agrees with the first measurement
// (every sample within kAgreeSigmas standard deviations, or half the
// threshold, of each other; a lucky outlier makes them disagree) confirms,
// also a new best, and a candidate whose gain cannot clear the threshold
// (d + kConfirmZ se < threshold) is refuted at once instead of re-measured
// kMaxRemeasures times. Disagreeing or suspect samples take the usual path.
inline constexpr int kPreciseMinRemeasures = 1;
inline constexpr double kAgreeSigmas = 4.0;

// Median (mean of the middle two for an even count); 0 for none.
double MedianOf(std::vector<double> v);
// The time of a member from its unselected samples: with three or more, the
// mean of those within kClipSigmas standard deviations (spread / 2) of their
// median (an outlier is dropped, the rest averaged: more precise than the
// median); with fewer, the median.
double RobustTimeOf(const std::vector<double>& samples, double spread);

// A re-measurement faster than the first measurement by more than
// kConfirmZ standard errors of a difference is an outlier suspect: the test
// then needs at least kSuspectRemeasures samples (their median resists one).
inline constexpr int kSuspectRemeasures = 3;

struct RemeasureJudgement {
  bool agrees = false;         // final and confirmed faster than the parent
  bool needs_another = false;  // inconclusive (or a new best below kMinBestRemeasures)
  bool promote_best = false;   // confirmed and faster than the best by the same test
  double previous_best_us = 0;
  std::string detail;
};

// `remeasured` summarizes every re-measurement so far, the new one included;
// `suspect` is true when any of them was an outlier suspect.
RemeasureJudgement JudgeRemeasurement(const TimeEstimate& parent, const TimeEstimate& best,
                                      const TimeEstimate& remeasured, double noise_threshold,
                                      bool suspect = false);
// True when `remeasured_us` is suspiciously faster than `first_us`.
bool OutlierSuspect(double first_us, double remeasured_us, double spread);

}  // namespace ksearch::planner
