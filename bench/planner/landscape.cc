#include "landscape.h"

#include <algorithm>
#include <cmath>

namespace bench {

std::string SimState::Key() const {
  std::string k;
  for (int l : levels) k += std::to_string(l) + ",";
  return k + "t" + std::to_string(tune) + "v" + std::to_string(variant);
}

Landscape::Landscape(const ksearch::planner::AxisCatalogue& cat, uint64_t seed, SimConfig cfg)
    : cfg_(cfg) {
  std::mt19937_64 rng(seed * 7919 + 17);
  std::uniform_real_distribution<double> u(0, 1);
  base_[0] = 100;
  base_[1] = 50 + 50 * u(rng);
  base_[2] = 40 + 50 * u(rng);
  base_[3] = 10 + 20 * u(rng);
  tune_opt_ = static_cast<int>(u(rng) * 5);
  for (const auto& a : cat.axes()) {
    SimAxis s;
    s.name = a.name;
    s.tuner = a.tuner_only;
    int claimed = 0;
    if (!a.bottlenecks.empty())
      for (int c = 0; c < 4; ++c)
        if (a.bottlenecks[static_cast<size_t>(u(rng) * a.bottlenecks.size())] == kClasses[c]) claimed = c;
    s.true_class = u(rng) < 0.8 ? claimed : static_cast<int>(u(rng) * 4);
    s.max_level = 1 + static_cast<int>(u(rng) * 3);
    s.gain = u(rng) < 0.2 ? -0.15 * u(rng) : 0.05 + 0.25 * u(rng);
    s.fail_rate = std::min(0.9, (0.05 + 0.4 * u(rng)) * cfg.fail_scale);
    axes_.push_back(s);
  }
  if (cfg.interactions > 0) {
    for (size_t i = 0; i < axes_.size(); ++i) {
      const auto* a = cat.Find(axes_[i].name);
      if (axes_[i].tuner || a->neighbours.empty() || u(rng) >= cfg.interactions) continue;
      int e = AxisIndex(a->neighbours[static_cast<size_t>(u(rng) * a->neighbours.size())]);
      if (e < 0 || axes_[e].tuner || axes_[e].enabler == static_cast<int>(i)) continue;
      axes_[i].enabler = e;
      axes_[i].gain = std::abs(axes_[i].gain) * 1.5;
      axes_[e].gain = -0.03;
      axes_[e].max_level = 1;
    }
  }
}

int Landscape::AxisIndex(const std::string& name) const {
  for (size_t i = 0; i < axes_.size(); ++i)
    if (axes_[i].name == name) return static_cast<int>(i);
  return -1;
}

SimState Landscape::Seed() const {
  SimState s;
  s.levels.assign(axes_.size(), 0);
  s.tune = 2;
  return s;
}

namespace {
void ClassTimes(const std::vector<SimAxis>& axes, const double* base, const SimState& s, double* t) {
  for (int c = 0; c < 4; ++c) t[c] = base[c];
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i].tuner) continue;
    bool enabled = axes[i].enabler < 0 || s.levels[axes[i].enabler] > 0;
    double g = enabled ? axes[i].gain : -0.05;
    t[axes[i].true_class] *= std::pow(1 - std::min(g, 0.9), s.levels[i]);
  }
}

// The states one tuner step from `s` (the tunable's five values, 0 to 4), lower first.
std::vector<SimState> TunerNeighbours(const SimState& s) {
  std::vector<SimState> out;
  for (int d : {-1, 1}) {
    SimState c = s;
    c.tune += d;
    if (c.tune >= 0 && c.tune <= 4) out.push_back(c);
  }
  return out;
}
}  // namespace

double Landscape::TrueTime(const SimState& s) const {
  double t[4];
  ClassTimes(axes_, base_, s, t);
  double mx = *std::max_element(t, t + 4), sum = t[0] + t[1] + t[2] + t[3];
  return (mx + 0.1 * sum) * (1 + 0.06 * std::abs(s.tune - tune_opt_));
}

double Landscape::OptimumTime() const {
  std::vector<int> enablers;
  for (const auto& a : axes_)
    if (a.enabler >= 0 && std::find(enablers.begin(), enablers.end(), a.enabler) == enablers.end())
      enablers.push_back(a.enabler);
  double best = 0;
  for (uint32_t mask = 0; mask < (1u << enablers.size()); ++mask) {
    SimState s = Seed();
    s.tune = tune_opt_;
    for (size_t k = 0; k < enablers.size(); ++k) s.levels[enablers[k]] = (mask >> k) & 1;
    for (size_t i = 0; i < axes_.size(); ++i) {
      if (axes_[i].tuner || std::find(enablers.begin(), enablers.end(), static_cast<int>(i)) != enablers.end())
        continue;
      bool enabled = axes_[i].enabler < 0 || s.levels[axes_[i].enabler] > 0;
      double g = enabled ? axes_[i].gain : -0.05;
      s.levels[i] = g > 0 ? axes_[i].max_level : 0;  // class time is a product of per-axis factors
    }
    double t = TrueTime(s);
    if (best == 0 || t < best) best = t;
  }
  return best;
}

int Landscape::Bottleneck(const SimState& s) const {
  double t[4];
  ClassTimes(axes_, base_, s, t);
  return static_cast<int>(std::max_element(t, t + 4) - t);
}

double Landscape::Measure(const SimState& s, std::mt19937_64& rng, double* noise_scale) const {
  double k = 1;
  if (cfg_.noise_scatter > 0) k = std::exp(cfg_.noise_scatter * std::normal_distribution<double>(0, 1)(rng));
  if (noise_scale) *noise_scale = k;
  double t = TrueTime(s) * (1 + cfg_.noise * k * std::normal_distribution<double>(0, 1)(rng));
  if (std::uniform_real_distribution<double>(0, 1)(rng) < cfg_.outlier_rate) t *= 1 - cfg_.outlier_size;
  return std::max(t, 1e-6);
}

std::vector<std::string> Landscape::TunerNeighbourKeys(const SimState& s) const {
  std::vector<std::string> out;
  for (const SimState& c : TunerNeighbours(s)) out.push_back(c.Key());
  return out;
}

ProposalResult Landscape::Propose(const SimState& parent, int axis, std::mt19937_64& rng,
                                  const std::vector<std::string>& tried, int* variant) const {
  std::uniform_real_distribution<double> u(0, 1);
  ProposalResult r;
  r.child = parent;
  const SimAxis& a = axes_[axis];
  if (a.tuner) {
    std::vector<int> opts;
    for (const SimState& c : TunerNeighbours(parent))
      if (std::find(tried.begin(), tried.end(), c.Key()) == tried.end()) opts.push_back(c.tune);
    if (opts.empty()) return {Outcome::kExhaustedTuner, parent};
    r.child.tune = opts[static_cast<size_t>(u(rng) * opts.size())];
    return r;
  }
  if (u(rng) < a.fail_rate) {
    r.outcome = u(rng) < 0.5 ? Outcome::kCompileError : Outcome::kIncorrect;
    return r;
  }
  if (u(rng) < cfg_.no_effect_rate || parent.levels[axis] >= a.max_level) {
    r.child.variant = ++*variant;  // a different source with the same speed
    return r;
  }
  r.child.levels[axis] += 1;
  r.child.variant = 0;
  return r;
}

}  // namespace bench
