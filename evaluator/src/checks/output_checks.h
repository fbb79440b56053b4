// Output and timing classifiers of the trusted comparison side (DESIGN.md
// section 5; HACKS.md rows 2, 3, 4, 5, 8, 14). Pure functions over values the
// trusted process already holds: candidate and reference outputs converted to
// double, and the runner's timing samples. Each returns the verdict with its
// own reason, or nullopt when the check passes.
// Thread-safety: pure.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "ksearch/core/verdict.h"

namespace ksearch::evaluator::checks {

// incorrect{constant_output}: the reference output varies (its range exceeds
// `floor`) but the candidate's output is constant (every finite element equal).
// Catches zero/constant outputs that a loose absolute tolerance would pass.
std::optional<Verdict> CheckConstantOutput(std::span<const double> candidate,
                                           std::span<const double> reference, double floor);

// incorrect{constant_output}: two trials with different inputs whose reference
// outputs differ, but whose candidate outputs are bitwise identical — the
// candidate ignored its input (a cached or precomputed answer).
// REQUIRES: a and b of equal size, ref_a and ref_b of equal size.
std::optional<Verdict> CheckRespondsToInput(std::span<const double> cand_a,
                                            std::span<const double> cand_b,
                                            std::span<const double> ref_a,
                                            std::span<const double> ref_b);

// incorrect{nondeterministic}: two runs on identical inputs disagree. Bitwise
// unless the contract allows nondeterminism, in which case elements may differ
// by the tolerance (|a-b| <= atol + rtol*|b|). NaN in either run never agrees.
std::optional<Verdict> CheckDeterminism(std::span<const double> run_a,
                                        std::span<const double> run_b, bool contract_allows,
                                        double rtol, double atol);

struct TimingSample {
  double primary_s = 0;   // sum over the timed calls by the primary timer (device events)
  double host_s = 0;      // the same calls by the host wall clock, after device-wide sync
  int calls = 0;
};

struct TimingCrossCheckOptions {
  // The primary timer must see at least this fraction of the host time that is
  // not launch overhead. Work on a side stream, a deferred thread or a callback
  // is invisible to events on the given stream but not to the host clock.
  double min_fraction = 0.5;
  // Per-call host time that is launch and synchronization overhead, not work.
  double host_overhead_s = 50e-6;
  // The primary timer may exceed the host clock by this factor (clock skew).
  double max_excess = 1.5;
};

// hack_suspected{timing_mismatch} when the primary timer accounts for much less
// than the host clock saw (work escaped the timed region), or reports more than
// the host clock could contain (a forged or tampered timer).
std::optional<Verdict> CheckTimingCrossCheck(const TimingSample& sample,
                                             const TimingCrossCheckOptions& options = {});

}  // namespace ksearch::evaluator::checks
