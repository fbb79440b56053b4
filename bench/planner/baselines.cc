// Baseline policies. They trust a single measurement (as the public systems
// they model do) and choose the axis uniformly at random (the LLM decides;
// it does not see a bottleneck prior or frontier history).
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "policies.h"

namespace bench {

namespace {

struct Member {
  SimState state;
  double measured = 0;
  int island = 0;
  int parent = -1;
};

// Shared bookkeeping: units, seen states, the declared best and the curve.
class Tracker {
 public:
  Tracker(const Landscape& L, int units) : L_(L), units_(units) {
    seed_true_ = L.TrueTime(L.Seed());
    best_true_ = seed_true_;
    r.best_speedup.push_back(1.0);
  }
  bool Done() const { return static_cast<int>(r.best_speedup.size()) > units_ * kTicksPerUnit; }
  void Spend() {
    for (int i = 0; i < kTicksPerUnit; ++i) r.best_speedup.push_back(seed_true_ / best_true_);
    r.claimed_speedup = seed_measured_ / best_measured_;
  }
  // Declares `m` best if its measurement beats the declared best's.
  void Offer(const Member& m) {
    if (best_measured_ > 0 && m.measured >= best_measured_) return;
    double t = L_.TrueTime(m.state);
    if (best_measured_ > 0) {
      ++r.promotions;
      if (t >= best_true_) ++r.false_bests;
    }
    best_measured_ = m.measured;
    best_true_ = t;
  }
  void Init(const Member& seed) {
    seed_measured_ = seed.measured;
    best_measured_ = seed.measured;
    best_true_ = L_.TrueTime(seed.state);
  }
  RunResult r;
  std::set<std::string> seen;
  int variants = 0;

 private:
  const Landscape& L_;
  int units_;
  double seed_true_ = 1, best_true_ = 1, best_measured_ = 0, seed_measured_ = 1;
};

// One attempt from `parent`: returns the new member, or nullopt (failure or
// duplicate). Costs one unit.
std::optional<Member> Attempt(const Landscape& L, Tracker& tr, const Member& parent, int pidx,
                              std::mt19937_64& rng) {
  int axis = static_cast<int>(std::uniform_int_distribution<size_t>(0, L.axes().size() - 1)(rng));
  std::vector<std::string> tried(tr.seen.begin(), tr.seen.end());
  ProposalResult p = L.Propose(parent.state, axis, rng, tried, &tr.variants);
  tr.Spend();
  if (p.outcome != Outcome::kOk) tr.r.units["failed"] += 1;
  else if (tr.seen.count(p.child.Key())) tr.r.units["duplicate"] += 1;
  else tr.r.units[EffectClass(L.TrueTime(p.child) / L.TrueTime(parent.state) - 1)] += 1;
  if (p.outcome != Outcome::kOk || !tr.seen.insert(p.child.Key()).second) return std::nullopt;
  Member m{p.child, L.Measure(p.child, rng), parent.island, pidx};
  return m;
}

Member SeedMember(const Landscape& L, Tracker& tr, std::mt19937_64& rng) {
  Member s{L.Seed(), 0, 0, -1};
  s.measured = L.Measure(s.state, rng);
  tr.seen.insert(s.state.Key());
  tr.Init(s);
  tr.Spend();
  return s;
}

}  // namespace

RunResult RunRandomParent(const Landscape& L, int units, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tracker tr(L, units);
  std::vector<Member> pop = {SeedMember(L, tr, rng)};
  while (!tr.Done()) {
    size_t i = std::uniform_int_distribution<size_t>(0, pop.size() - 1)(rng);
    if (auto m = Attempt(L, tr, pop[i], static_cast<int>(i), rng)) {
      pop.push_back(*m);
      tr.Offer(*m);
    }
  }
  return tr.r;
}

RunResult RunGreedy(const Landscape& L, int units, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tracker tr(L, units);
  Member best = SeedMember(L, tr, rng);
  while (!tr.Done()) {
    if (auto m = Attempt(L, tr, best, 0, rng)) {
      if (m->measured < best.measured) {
        if (L.TrueTime(m->state) >= L.TrueTime(best.state)) ++tr.r.false_elites;
        best = *m;
        tr.Offer(*m);
      }
    }
  }
  return tr.r;
}

// Oracle hill climber (a reference for the headroom, not a baseline and not
// part of the target): the best-measured program, and the axis whose attempt
// has the largest expected true gain by the landscape's hidden truth (failure
// rate, no-effect rate, the exact child time). Myopic and trusting one
// measurement like greedy, so under noise it also promotes false bests; at
// noise 0 it shows how many units a perfect choice of axis would save.
RunResult RunOracle(const Landscape& L, int units, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tracker tr(L, units);
  Member best = SeedMember(L, tr, rng);
  while (!tr.Done()) {
    const double t0 = L.TrueTime(best.state);
    int pick = -1;
    double pick_v = 0;
    for (size_t a = 0; a < L.axes().size(); ++a) {
      const SimAxis& ax = L.axes()[a];
      double v = 0;
      if (ax.tuner) {
        for (int d : {-1, 1}) {
          SimState c = best.state;
          c.tune += d;
          if (c.tune < 0 || c.tune > 4 || tr.seen.count(c.Key())) continue;
          v = std::max(v, 0.5 * (t0 - L.TrueTime(c)) / t0);
        }
      } else if (best.state.levels[a] < ax.max_level) {
        SimState c = best.state;
        c.levels[a] += 1;
        c.variant = 0;
        if (!tr.seen.count(c.Key()))
          v = (1 - ax.fail_rate) * (1 - L.config().no_effect_rate) * (t0 - L.TrueTime(c)) / t0;
      }
      if (v > pick_v) pick_v = v, pick = static_cast<int>(a);
    }
    if (pick < 0) { tr.Spend(); continue; }  // at a local optimum: nothing left to gain
    std::vector<std::string> tried(tr.seen.begin(), tr.seen.end());
    ProposalResult p = L.Propose(best.state, pick, rng, tried, &tr.variants);
    tr.Spend();
    if (p.outcome != Outcome::kOk || !tr.seen.insert(p.child.Key()).second) continue;
    Member m{p.child, L.Measure(p.child, rng), 0, 0};
    if (m.measured < best.measured) {
      if (L.TrueTime(m.state) >= L.TrueTime(best.state)) ++tr.r.false_elites;
      best = m;
      tr.Offer(m);
    }
  }
  return tr.r;
}

// OpenEvolve-style: 4 islands, each a MAP-Elites grid over (complexity bin,
// measured bottleneck class) keeping the best-measured program per cell; an
// elite archive (top 20% of the island by measurement); parents 70% from the
// archive, 20% a random cell of the island (exploration), 10% any program;
// islands visited in turn; every 20 iterations each island's best migrates to
// the next island (ring).
RunResult RunOpenEvolve(const Landscape& L, int units, uint64_t seed) {
  constexpr int kIslands = 4, kMigrate = 20;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Tracker tr(L, units);
  std::vector<Member> all = {SeedMember(L, tr, rng)};
  auto cell_of = [&](const Member& m) {
    int c = 0;
    for (int l : m.state.levels) c += l;
    return std::make_pair(std::min(c / 2, 4), L.Bottleneck(m.state));
  };
  std::vector<std::map<std::pair<int, int>, int>> grid(kIslands);
  for (int i = 0; i < kIslands; ++i) grid[i][cell_of(all[0])] = 0;
  int iter = 0;
  while (!tr.Done()) {
    int island = iter % kIslands;
    std::vector<int> occ;
    for (const auto& [k, idx] : grid[island]) occ.push_back(idx);
    std::sort(occ.begin(), occ.end(), [&](int a, int b) { return all[a].measured < all[b].measured; });
    double r = u(rng);
    int parent;
    if (r < 0.7) {
      size_t archive = std::max<size_t>(1, occ.size() / 5);
      parent = occ[std::uniform_int_distribution<size_t>(0, archive - 1)(rng)];
    } else if (r < 0.9) {
      parent = occ[std::uniform_int_distribution<size_t>(0, occ.size() - 1)(rng)];
    } else {
      parent = static_cast<int>(std::uniform_int_distribution<size_t>(0, all.size() - 1)(rng));
    }
    Member p = all[parent];
    p.island = island;
    if (auto m = Attempt(L, tr, p, parent, rng)) {
      all.push_back(*m);
      int idx = static_cast<int>(all.size() - 1);
      auto key = cell_of(*m);
      auto it = grid[island].find(key);
      if (it == grid[island].end() || m->measured < all[it->second].measured) {
        if (L.TrueTime(m->state) >= L.TrueTime(all[parent].state) &&
            m->measured < all[parent].measured)
          ++tr.r.false_elites;
        grid[island][key] = idx;
      }
      tr.Offer(*m);
    }
    if (++iter % kMigrate == 0) {
      for (int i = 0; i < kIslands; ++i) {
        int best = -1;
        for (const auto& [k, idx] : grid[i])
          if (best < 0 || all[idx].measured < all[best].measured) best = idx;
        auto key = cell_of(all[best]);
        auto& dst = grid[(i + 1) % kIslands];
        auto it = dst.find(key);
        if (it == dst.end() || all[best].measured < all[it->second].measured) dst[key] = best;
      }
    }
  }
  return tr.r;
}

}  // namespace bench
