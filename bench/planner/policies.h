// The four search policies compared by planner_bench, all on one Landscape,
// each with the same budget in evaluation units (one per attempt, one per
// re-measurement). A policy's result is the true speedup of the candidate it
// declares best after each unit, and how often a declared best was false.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "landscape.h"

namespace bench {

// Budget accounting is in ticks: one attempt = kTicksPerUnit ticks; a
// re-measurement (benchmark step only) costs `remeasure_ticks`.
inline constexpr int kTicksPerUnit = 4;

struct RunResult {
  std::vector<double> best_speedup;  // [tick] = true speedup of the declared best
  double claimed_speedup = 1;        // the declared best's speedup by the policy's own measurements
  int promotions = 0;                // declared-best changes
  int false_bests = 0;               // promotions whose true time >= previous best's
  int false_elites = 0;              // admitted elites with true time >= their parent's
  // Admitted elites with true time >= the confirmed member they were tested
  // against: the parent, or for an unconfirmed (provisional) parent its
  // nearest confirmed ancestor. -1: the same as false_elites (the baselines).
  int false_elites_ref = -1;
  std::map<std::string, double> units;  // where the units went (by category)
};

// A change's true effect, `rel` = child / parent true time - 1, as a units category.
inline const char* EffectClass(double rel) {
  return rel < -0.05 ? "gain5+" : rel < -0.02 ? "gain2-5" : rel < -0.005 ? "gain<2" : rel > 0.005 ? "loss" : "null";
}

RunResult RunRandomParent(const Landscape& L, int units, uint64_t seed);
RunResult RunGreedy(const Landscape& L, int units, uint64_t seed);
RunResult RunOpenEvolve(const Landscape& L, int units, uint64_t seed);
// A reference, not a baseline: greedy with the hidden truth choosing the axis.
RunResult RunOracle(const Landscape& L, int units, uint64_t seed);
// Campaign settings of the planner run; exploit < 0 keeps the default mix.
struct PlannerKnobs {
  int islands = 2;
  double exploit = -1, explore = 0, frontier = 0;
  bool repairs = true;  // --planner-repairs 0: the campaign's repair.max_per_lineage = 0
  // --reported-spread X: the simulated evaluator reports X times the true
  // spread (2 x noise); below 1 it understates the noise, as a busy host's
  // within-process interval does.
  double reported_spread = 1;
  // --noise-threshold X: the campaign's noise_threshold (its smallest gain
  // worth having); a larger measured spread still sets the margin.
  double noise_threshold = 0.005;
};

RunResult RunPlanner(const Landscape& L, const ksearch::planner::AxisCatalogue& cat, int units,
                     uint64_t seed, int remeasure_ticks, const PlannerKnobs& knobs);

}  // namespace bench
