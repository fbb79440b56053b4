// Synthetic fitness landscape for the planner benchmark (no compiler, no GPU).
//
// A candidate is a vector of per-axis "levels" (how far an optimization has
// been applied) plus a tunable index. Each axis truly acts on one bottleneck
// class (usually, not always, the class the catalogue claims), has a number of
// useful levels, a per-level gain (negative for trap axes) and a failure rate.
// True time = max over classes of class time + 10% of their sum, times a
// tuning penalty, so work on a non-bottleneck class barely helps.
// With cfg.interactions > 0 some axes need an enabler first (deceptive: the
// enabler alone is slower). Measurements add Gaussian noise and rare "lucky" outliers (the source of
// false elites for policies that trust one measurement).
// Thread-safety: one landscape per thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ksearch/planner/axis_catalogue.h"

namespace bench {

struct SimAxis {
  std::string name;
  int true_class = 0;     // index into kClasses
  int max_level = 1;
  double gain = 0.1;      // per level; < 0 for traps
  double fail_rate = 0.2;
  bool tuner = false;
  int enabler = -1;       // --interactions: gains only once this axis is applied
};

struct SimState {
  std::vector<int> levels;  // per axis (tuner axis unused)
  int tune = 2;             // index 0..4
  int variant = 0;          // distinguishes no-effect edits (different source, same speed)
  std::string Key() const;
};

struct SimConfig {
  double noise = 0.03;          // relative sd of one measurement
  double outlier_rate = 0.03;   // chance a measurement is `outlier_size` too fast
  double outlier_size = 0.15;
  double no_effect_rate = 0.15; // an edit that compiles but changes nothing
  double fail_scale = 1.0;      // multiplies every axis' failure rate
  double repair_success = 0.5;  // chance a repair turn fixes the failure
  // Chance that an axis depends on one of its catalogue neighbours (an
  // enabler): without it the axis costs 5% per level, with it the gain is 1.5x;
  // an enabler that enables something is 3% slower on its own.
  double interactions = 0;
  // Evaluations that differ in quality (a busy host, a clock change): each
  // measurement's noise is k x `noise` with log k ~ N(0, noise_scatter^2),
  // and the evaluator reports k x its usual spread, so a noisy measurement
  // says so. 0: every measurement alike (and no extra random draw).
  double noise_scatter = 0;
};

inline constexpr const char* kClasses[] = {"memory", "compute", "latency", "launch"};

enum class Outcome { kOk, kCompileError, kIncorrect, kExhaustedTuner };

struct ProposalResult {
  Outcome outcome = Outcome::kOk;
  SimState child;
};

class Landscape {
 public:
  Landscape(const ksearch::planner::AxisCatalogue& cat, uint64_t seed, SimConfig cfg);

  const std::vector<SimAxis>& axes() const { return axes_; }
  int AxisIndex(const std::string& name) const;
  const SimConfig& config() const { return cfg_; }
  SimState Seed() const;

  double TrueTime(const SimState& s) const;
  // The fastest reachable state's true time (exact: every axis at 0 or its
  // best level, enablers enumerated).
  double OptimumTime() const;
  int Bottleneck(const SimState& s) const;
  int TuneOpt() const { return tune_opt_; }
  // One noisy measurement (relative spread reported as cfg.noise). With
  // cfg.noise_scatter, `noise_scale` (when given) receives this
  // measurement's k (see SimConfig); otherwise it is 1.
  double Measure(const SimState& s, std::mt19937_64& rng, double* noise_scale = nullptr) const;
  // Applies one edit along `axis` to `parent` (the "LLM" or tuner).
  // `tried` holds state keys already produced (the tuner never repeats one).
  // Keys of the states one tuner step from `s` (what the daemon lists as an
  // attempt_finished's tuner_neighbours; a campaign has the tuner).
  std::vector<std::string> TunerNeighbourKeys(const SimState& s) const;
  ProposalResult Propose(const SimState& parent, int axis, std::mt19937_64& rng,
                         const std::vector<std::string>& tried_keys, int* variant_counter) const;

 private:
  std::vector<SimAxis> axes_;
  double base_[4];
  int tune_opt_ = 2;
  SimConfig cfg_;
};

}  // namespace bench
