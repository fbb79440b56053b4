// Promotion policy: when is a measured candidate better than its parent, and
// when may it become an elite or the campaign best?
//
// Invariants (DESIGN.md section 5, issue #6):
//  - a difference within the noise margin is never an improvement;
//  - an improvement is only tentative until re-measurements confirm it; the
//    mean of the re-measurements (free of the winner's-curse bias of the
//    first, selected measurement) is the member's time from then on;
//  - confirmation is a sequential probability ratio test (below) on that
//    mean against the reference's mean, with the reference's own error in
//    the variance, bounding the chance of a false confirmation per test;
//  - only a confirmed member can be an elite; a new best is re-measured until
//    its time is precise (kBestPrecision; it is the reference of most tests).
// `spread` is the evaluator's relative spread of one measurement, read as
// about two standard deviations (the half-width of a ~95% interval).
// Thread-safety: pure functions.
#pragma once

#include <span>
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

// Confirmation is a Wald sequential probability ratio test (SPRT) of
//   H0: the candidate is no faster than its reference (relative gain d <= 0)
//   H1: it is faster by the smallest gain worth testing for,
//       delta = max(noise threshold, kDeltaSigmas x sigma of one measurement),
// on D = 1 - candidate / reference, where the candidate's time is the robust
// mean of its n unselected re-measurements and the reference's the robust
// mean of its own n_ref unselected samples. The reference's error is shared
// by every test against it, so it stays in the variance:
//   v = sigma^2 (1/n + 1/n_ref),  LLR = delta / v x (D - delta / 2).
// With the reference's true time integrated out this is the likelihood ratio
// of all the data seen so far, a martingale under H0, so confirming when
// LLR >= log(1 / kFalseElitePerTest) bounds the chance that a test that
// peeks after every sample ever confirms a candidate that is not faster by
// kFalseElitePerTest (Ville's inequality), whatever the sample count.
// Refute when LLR <= log(kMissRate), or when even kMaxRemeasures samples
// could not confirm a candidate 1 standard error faster than it looks now
// (futility): a promising gain buys the samples it needs, a hopeless one
// stops at once. A confirmation also needs D >= the noise threshold (ties
// within the threshold are not improvements).
inline constexpr double kFalseElitePerTest = 1e-4;
inline constexpr double kMissRate = 0.2;
inline constexpr double kDeltaSigmas = 2.0;
inline constexpr double kFutilitySe = 1.0;  // the futility rule's optimism, in standard errors
// Re-measurements before a confirmation (a median of three resists one lucky
// outlier) and before a new best, and at most (the daemon's cap too).
inline constexpr int kMinConfirmRemeasures = 3;
inline constexpr int kMinBestRemeasures = 5;
inline constexpr int kMaxRemeasures = 24;
// Precision targets, as a relative standard error of the member's mean
// (sigma / sqrt(n)): an elite's time is the reference of its children's
// tests, and the best's of most tests, so a noisy one is re-measured until
// its mean is this precise (at most kMaxRemeasures samples). A reference
// with too few samples makes every child's test unable to confirm a gain of
// a few sigma however often the child is measured.
inline constexpr double kElitePrecision = 0.01;
inline constexpr double kBestPrecision = 0.0075;
// RobustTimeOf drops samples farther than this many standard deviations
// from the median.
inline constexpr double kClipSigmas = 3.5;

// A time estimate from `n` unbiased measurements (their robust mean; n
// counts the samples it kept).
struct TimeEstimate {
  double mean_us = 0;  // <= 0: none (e.g. no best yet)
  int n = 1;
  double spread = 0;   // relative spread of one measurement
  double rel_range = 0;  // (max - min) / mean of the samples and the first measurement
  int clipped = 0;     // samples RobustTimeOf dropped (not counted in n)
};

// Precise measurements: one standard deviation (spread / 2) is at most a
// third of the noise threshold, so sample counts no longer buy precision that
// matters. Then two re-measurements that agree with the first measurement
// (every sample within kAgreeSigmas standard deviations, or half the
// threshold, of each other) confirm, also a new best, without the precision
// targets; disagreeing or suspect samples take the usual path. Two, not one:
// the Gaussian test cannot see a lucky outlier (a measurement far too fast,
// at some rate p); one outlier makes the samples disagree, but a selected
// outlier followed by a second one agrees, so with one re-measurement a
// precise campaign confirmed a false elite with probability p^2 per screened
// candidate (planner_bench at sigma 0.15% and 1% outliers: 1 per 100
// campaigns, 3 per 200; docs/bench-planner.md, tenth pass). Two make it p^3.
inline constexpr int kPreciseMinRemeasures = 2;
inline constexpr double kAgreeSigmas = 4.0;
// True when measurements of relative spread `spread` are precise in the sense
// above (sigma = spread / 2 at most a third of the noise threshold). Also the
// condition for provisional parents (selection.cc, JudgeMeasurement).
inline bool IsPrecise(double spread, double noise_threshold) { return spread / 2 <= noise_threshold / 3; }

// Median (mean of the middle two for an even count); 0 for none.
double MedianOf(std::vector<double> v);
// The time of a member from its unselected samples: with three or more, the
// mean of those within kClipSigmas standard deviations (spread / 2) of their
// median (an outlier is dropped, the rest averaged: more precise than the
// median); with fewer, the median.
double RobustTimeOf(const std::vector<double>& samples, double spread);
// How many samples RobustTimeOf averages: all of them below three; else those
// within kClipSigmas of the median, 0 when it keeps none (two clusters, e.g.
// two lucky outliers among four: the estimate is then the median and no test
// may rely on it).
int KeptSamples(const std::vector<double>& samples, double spread);

// Between-evaluation noise from repeated evaluations of several sources,
// as a spread (two standard deviations, relative): sigma is the median of
// |log a - log b| over every pair of samples of one source, pooled over the
// sources, / (sqrt(2) x 0.6745) (robust to a minority of outliers, even one
// in a small set). Its standard error is taken as 1.166 sigma / sqrt(dof)
// (that of a median absolute deviation; dof = the sum of (n - 1)); the lower
// bound is one-sided at kNoiseFloorZ. The planner replaces a reported spread
// by the estimate only when the lower bound exceeds it
// (PlannerState::Spread): the repeats show clearly more noise than reported.
inline constexpr int kNoiseFloorMinDof = 4;
inline constexpr double kNoiseFloorZ = 1.645;
struct PooledNoise {
  double spread = 0;       // the estimate; 0 below kNoiseFloorMinDof
  double lower_bound = 0;  // its one-sided lower confidence bound
  int dof = 0;
};
PooledNoise PooledSpread(const std::vector<const std::vector<double>*>& sample_sets);
// The same estimate kept up to date one sample at a time (the planner's fold:
// O(samples of that source) per new sample instead of every pair again).
class PooledNoiseAccumulator {
 public:
  // `x` is a new sample of the source whose earlier samples are `earlier`.
  void Add(std::span<const double> earlier, double x);
  PooledNoise Estimate() const;

 private:
  std::vector<double> diffs_;  // |log a - log b| of every pair within a source
  int dof_ = 0;                // sum over sources of (samples - 1)
};

// A re-measurement faster than the first measurement by more than
// kSuspectZ standard errors of a difference is an outlier suspect: the test
// then needs at least kSuspectRemeasures samples (their median resists one),
// and two more for every sample RobustTimeOf drops.
inline constexpr double kSuspectZ = 3.0;
inline constexpr int kSuspectRemeasures = 3;

struct RemeasureJudgement {
  bool agrees = false;         // final and confirmed faster than the parent
  bool needs_another = false;  // inconclusive (or a new best below kMinBestRemeasures)
  bool promote_best = false;   // confirmed and faster than the best by the same test
  double previous_best_us = 0;
  double estimate_us = 0;      // the candidate's time from its re-measurements (RobustTimeOf)
  // Set with needs_another when `parent_may_be_sampled` and the parent's few
  // samples may be what keeps the test from confirming: measure the parent
  // once before the candidate's next sample.
  bool sample_parent_first = false;
  // The member to measure then (Planner::JudgeRemeasurement names the parent
  // when sample_parent_first); "" otherwise.
  std::string reference_sample_of;
  std::string detail;
};

// An unconfirmed parent (a provisional one: a precise no_gain step) often
// has a single sample, and a test against one sample cannot confirm a step
// of a few sigma however often the child is measured (v >= sigma^2). When
// such a parent's child is re-measured, the parent is re-measured too, up to
// this many samples, as long as a parent this precise could let the child
// pass (docs/bench-planner.md, thirteenth pass and after).
inline constexpr int kReferenceSamples = 3;

// `remeasured` summarizes every re-measurement so far, the new one included;
// `suspect` is true when any of them was an outlier suspect. `ancestor`, when
// given (the parent is not confirmed, so its estimate may be biased slow: it
// was selected as not improving), is the nearest confirmed ancestor: the
// candidate must pass the test against both; against the parent any
// significant gain will do (H1: max(threshold / 4, kDeltaSigmas sigma)),
// the threshold applies against the ancestor, so a lineage of steps each
// below the threshold is confirmed once their sum clears it.
// `parent_may_be_sampled` (with an ancestor: the parent is unconfirmed, has
// fewer than kReferenceSamples unselected samples and never failed one): when
// the test does not confirm, it is run again as if the parent had
// kReferenceSamples samples at its current mean; if that could confirm or is
// undecided, the judgement is "re-measure again" with sample_parent_first.
RemeasureJudgement JudgeRemeasurement(const TimeEstimate& parent, const TimeEstimate& best,
                                      const TimeEstimate& remeasured, double noise_threshold,
                                      bool suspect = false, const TimeEstimate* ancestor = nullptr,
                                      bool parent_may_be_sampled = false);
// True when `remeasured_us` is suspiciously faster than `first_us`.
bool OutlierSuspect(double first_us, double remeasured_us, double spread);

}  // namespace ksearch::planner
