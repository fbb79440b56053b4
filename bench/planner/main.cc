// planner_bench: compares the planner with random-parent selection, greedy
// hill climbing and an OpenEvolve-style MAP-Elites policy on synthetic
// landscapes, over many seeds, at an equal budget of evaluation units.
//
// Usage: planner_bench [--seeds N] [--first-seed S] [--units U] [--noise X] [--outliers X]
//                      [--fail-scale X] [--remeasure-cost X] [--islands N] [--interactions P]
//                      [--mix exploit,explore,frontier] [--planner-repairs 0|1] [--reported-spread X]
//                      [--noise-scatter S] [--noise-threshold X] [--axes PATH]
// Prints markdown tables (docs/bench-planner.md records them): best true
// fitness at N units, units to reach X% of the landscape optimum, units to
// reach each baseline's final fitness, and where each policy's units went.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "policies.h"

using namespace bench;

namespace {

int FirstReach(const std::vector<double>& curve, double target) {
  for (size_t u = 0; u < curve.size(); ++u)
    if (curve[u] >= target - 1e-12) return static_cast<int>(u);
  return -1;
}

// The random seed of seed number `s`'s runs (every policy's; the driver
// prints it as `seed=` in its diagnostics).
uint64_t RunSeedOf(int s) { return 1000003ULL * static_cast<uint64_t>(s); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// A unit count for a table; >= 1e8 stands for "not reached within `units`".
std::string UnitsText(double v, int units) {
  if (v <= 1e8) return std::to_string(static_cast<int>(v + 0.5));
  std::string over(">");  // appended: GCC 12 warns falsely (-Wrestrict) on ">" + std::to_string(...)
  return over += std::to_string(units);
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 100, units = 200, first_seed = 1;
  double remeasure_cost = 0.25;  // of an attempt
  PlannerKnobs knobs;
  SimConfig cfg;
  std::string axes_path = std::string(KSEARCH_SOURCE_DIR_DEFAULT) + "/configs/axes.yaml";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    double v = std::atof(argv[i + 1]);
    if (k == "--seeds") seeds = static_cast<int>(v);
    else if (k == "--first-seed") first_seed = static_cast<int>(v);
    else if (k == "--units") units = static_cast<int>(v);
    else if (k == "--noise") cfg.noise = v;
    else if (k == "--outliers") cfg.outlier_rate = v;
    else if (k == "--fail-scale") cfg.fail_scale = v;
    else if (k == "--remeasure-cost") remeasure_cost = v;
    else if (k == "--interactions") cfg.interactions = v;
    else if (k == "--noise-scatter") cfg.noise_scatter = v;
    else if (k == "--islands") knobs.islands = static_cast<int>(v);
    else if (k == "--planner-repairs") knobs.repairs = v != 0;
    else if (k == "--reported-spread") knobs.reported_spread = v;
    else if (k == "--noise-threshold") knobs.noise_threshold = v;
    else if (k == "--mix") {
      if (std::sscanf(argv[i + 1], "%lf,%lf,%lf", &knobs.exploit, &knobs.explore, &knobs.frontier) != 3) {
        std::fprintf(stderr, "--mix wants exploit,explore,frontier\n");
        return 2;
      }
    }
    else if (k == "--axes") axes_path = argv[i + 1];
    else { std::fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  auto loaded = ksearch::planner::AxisCatalogue::Load(axes_path);
  if (!loaded.ok()) { std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str()); return 1; }
  auto cat = loaded->Restrict({}, {}, "sm_90");
  if (!cat.ok()) { std::fprintf(stderr, "%s\n", cat.status().ToString().c_str()); return 1; }

  // Rows 1-3 are the baselines (the target); row 4, the oracle, is a
  // reference for what is possible and never a target.
  const char* names[] = {"planner", "random_parent", "greedy", "openevolve_style", "oracle_reference"};
  constexpr int kRows = 5;
  std::vector<std::vector<RunResult>> runs(kRows);
  std::vector<double> optimum;  // per seed: the landscape's best reachable speedup
  for (int s = first_seed; s < first_seed + seeds; ++s) {
    Landscape L(*cat, static_cast<uint64_t>(s), cfg);
    optimum.push_back(L.TrueTime(L.Seed()) / L.OptimumTime());
    const uint64_t rs = RunSeedOf(s);
    runs[0].push_back(RunPlanner(L, *cat, units, rs,
                                 static_cast<int>(remeasure_cost * kTicksPerUnit + 0.5), knobs));
    runs[1].push_back(RunRandomParent(L, units, rs));
    runs[2].push_back(RunGreedy(L, units, rs));
    runs[3].push_back(RunOpenEvolve(L, units, rs));
    runs[4].push_back(RunOracle(L, units, rs));
  }
  // PLANNER_BENCH_PER_SEED=1: each seed's optimum and final true fitness per
  // policy on stderr (bench/planner/near_threshold.py reads them beside the
  // driver's PLANNER_BENCH_MISSING lines; `seed=` is RunSeedOf, as there).
  if (std::getenv("PLANNER_BENCH_PER_SEED"))
    for (int i = 0; i < seeds; ++i) {
      std::fprintf(stderr, "PER_SEED seed=%llu optimum=%.6f",
                   static_cast<unsigned long long>(RunSeedOf(first_seed + i)), optimum[i]);
      for (int p = 0; p < kRows; ++p) std::fprintf(stderr, " %s=%.6f", names[p], runs[p][i].best_speedup.back());
      std::fprintf(stderr, "\n");
    }
  double opt_mean = 0;
  for (double o : optimum) opt_mean += o / seeds;
  std::printf("seeds=%d units=%d noise=%.4f outliers=%.3f fail_scale=%.2f remeasure_cost=%.2f "
              "interactions=%.2f noise_scatter=%.2f planner_islands=%d reported_spread=%.2f noise_threshold=%.4f "
              "axes=%zu mean_optimum_speedup=%.3f\n\n", seeds,
              units, cfg.noise, cfg.outlier_rate, cfg.fail_scale, remeasure_cost, cfg.interactions,
              cfg.noise_scatter, knobs.islands, knobs.reported_spread, knobs.noise_threshold, cat->axes().size(),
              opt_mean);
  // Best true fitness at N units (mean true speedup of the declared best).
  std::vector<int> marks;
  for (int m = 25; m < units; m += 25) marks.push_back(m);
  marks.push_back(units);
  std::printf("| policy | ");
  for (int m : marks) std::printf("best@%d | ", m);
  std::printf("claimed/true best | promotions | false bests | false elites: vs the confirmed member tested against (vs the direct parent) |\n|---|");
  for (size_t i = 0; i < marks.size() + 4; ++i) std::printf("---|");
  std::printf("\n");
  for (int p = 0; p < kRows; ++p) {
    std::printf("| %s | ", names[p]);
    for (int m : marks) {
      double sum = 0;
      for (const auto& r : runs[p])
        sum += r.best_speedup[std::min<size_t>(m * kTicksPerUnit, r.best_speedup.size() - 1)];
      std::printf("%.3f | ", sum / seeds);
    }
    double claim = 0;
    for (const auto& r : runs[p]) claim += r.claimed_speedup / r.best_speedup.back();
    std::printf("%.3f | ", claim / seeds);
    int prom = 0, fb = 0, fe = 0, fe_ref = 0;
    for (const auto& r : runs[p])
      prom += r.promotions, fb += r.false_bests, fe += r.false_elites,
          fe_ref += r.false_elites_ref < 0 ? r.false_elites : r.false_elites_ref;
    std::printf("%d | %d | %d (%d) |\n", prom, fb, fe_ref, fe);
  }
  // Evaluations to reach X% of the landscape's optimum speedup: median units
  // over the seeds (a seed that never reaches it counts as more than the
  // budget), and on how many seeds it was reached.
  const int pcts[] = {50, 60, 70, 80, 90};
  std::printf("\n| policy |");
  for (int x : pcts) std::printf(" units to %d%% of optimum (reached) |", x);
  std::printf("\n|---|");
  for (size_t i = 0; i < std::size(pcts); ++i) std::printf("---|");
  std::printf("\n");
  for (int p = 0; p < kRows; ++p) {
    std::printf("| %s |", names[p]);
    for (int x : pcts) {
      std::vector<double> u;
      int reached = 0;
      for (int s = 0; s < seeds; ++s) {
        int t = FirstReach(runs[p][s].best_speedup, optimum[s] * x / 100.0);
        reached += t >= 0;
        u.push_back(t >= 0 ? static_cast<double>(t) / kTicksPerUnit : 1e9);
      }
      double med = Median(u);
      if (med > 1e8) std::printf(" >%d (%d) |", units, reached);
      else std::printf(" %.0f (%d) |", med, reached);
    }
    std::printf("\n");
  }
  // "The same best fitness in fewer evaluations": per seed the target is the
  // final true fitness of the strongest baseline (the highest best@units of
  // the three); every policy's units to first reach it (a seed where it never
  // does counts as more than the budget), median over seeds.
  {
    std::vector<double> target(seeds, 0);
    for (int s = 0; s < seeds; ++s)
      for (int b = 1; b < 4; ++b) target[s] = std::max(target[s], runs[b][s].best_speedup.back());
    double tmean = 0;
    for (double t : target) tmean += t / seeds;
    // Strict: at least the target. Within-threshold (second block of
    // columns): within the planner's noise threshold (--noise-threshold,
    // 0.5% by default: the campaign's smallest gain worth having) below the target, i.e. a
    // fitness the planner would call a tie with it.
    std::printf("\n| policy | strict: units to the strongest baseline's final fitness (mean target %.3f): median | "
                "25th percentile | reached (seeds) | fewer units than every baseline (seeds) | "
                "within %.1f%% of it: median units | reached (seeds) | fewer units than every baseline (seeds) |\n"
                "|---|---|---|---|---|---|---|---|\n",
                tmean, 100 * knobs.noise_threshold);
    std::vector<std::vector<double>> u(kRows), w(kRows);
    for (int p = 0; p < kRows; ++p)
      for (int s = 0; s < seeds; ++s) {
        int t = FirstReach(runs[p][s].best_speedup, target[s]);
        u[p].push_back(t >= 0 ? static_cast<double>(t) / kTicksPerUnit : 1e9);
        int tw = FirstReach(runs[p][s].best_speedup, target[s] / (1 + knobs.noise_threshold));
        w[p].push_back(tw >= 0 ? static_cast<double>(tw) / kTicksPerUnit : 1e9);
      }
    for (int p = 0; p < kRows; ++p) {
      std::vector<double> sorted = u[p];
      std::sort(sorted.begin(), sorted.end());
      int reached = 0, wins = 0, reached_w = 0, wins_w = 0;  // wins: the planner's only
      for (int s = 0; s < seeds; ++s) {
        reached += u[p][s] < 1e8;
        reached_w += w[p][s] < 1e8;
        if (p == 0) {
          wins += u[0][s] < 1e8 && u[0][s] < u[1][s] && u[0][s] < u[2][s] && u[0][s] < u[3][s];
          wins_w += w[0][s] < 1e8 && w[0][s] < w[1][s] && w[0][s] < w[2][s] && w[0][s] < w[3][s];
        }
      }
      std::printf("| %s | %s | %s | %d | %s | %s | %d | %s |\n", names[p], UnitsText(Median(u[p]), units).c_str(),
                  UnitsText(sorted[seeds / 4], units).c_str(), reached, p == 0 ? std::to_string(wins).c_str() : "",
                  UnitsText(Median(w[p]), units).c_str(), reached_w, p == 0 ? std::to_string(wins_w).c_str() : "");
    }
  }
  // Units for the planner to reach each baseline's final fitness, vs the
  // units that baseline itself needed to first reach it.
  std::printf("\n| baseline | its median units to its final best | planner median units to the same "
              "fitness | planner reached it (seeds) | median ratio planner/baseline |\n|---|---|---|---|---|\n");
  for (int b = 1; b < 4; ++b) {
    std::vector<double> own, mine, ratio;
    int reached = 0;
    for (int s = 0; s < seeds; ++s) {
      const auto& bc = runs[b][s].best_speedup;
      double target = bc.back();
      int bu = FirstReach(bc, target), pu = FirstReach(runs[0][s].best_speedup, target);
      own.push_back(static_cast<double>(bu) / kTicksPerUnit);
      mine.push_back(pu >= 0 ? static_cast<double>(pu) / kTicksPerUnit : 1e9);  // unreached: > budget
      if (pu >= 0) {
        ++reached;
        ratio.push_back(bu > 0 ? static_cast<double>(pu) / bu : 1.0);
      } else {
        ratio.push_back(1e9);  // counts as worse than any reached seed
      }
    }
    std::printf("| %s | %.0f | %s | %d/%d | %s |\n", names[b], Median(own),
                UnitsText(Median(mine), units).c_str(), reached, seeds, Median(ratio) > 1e8 ? "not reached" : std::to_string(Median(ratio)).substr(0, 5).c_str());
  }
  // The same comparison on the mean curves ("the best fitness reached per N
  // evaluations", averaged over the seeds): the units at which each
  // baseline's mean curve first reaches its own final mean, and the units at
  // which the planner's mean curve reaches that value. A reading beside the
  // per-seed rows above, not a replacement: a mean can hide seeds where the
  // planner ends lower (the strict row counts those).
  {
    auto mean_curve = [&](int p) {
      size_t n = runs[p][0].best_speedup.size();
      for (const auto& r : runs[p]) n = std::min(n, r.best_speedup.size());
      std::vector<double> c(n, 0);
      for (const auto& r : runs[p])
        for (size_t i = 0; i < n; ++i) c[i] += r.best_speedup[i] / seeds;
      return c;
    };
    const std::vector<double> planner_curve = mean_curve(0);
    std::printf("\n| baseline (mean curves over the seeds) | its final mean best | units for its mean curve to "
                "reach it | units for the planner's mean curve | planner/baseline |\n|---|---|---|---|---|\n");
    for (int b = 1; b < 4; ++b) {
      const std::vector<double> c = mean_curve(b);
      const double final_mean = c.back();
      const int bu = FirstReach(c, final_mean), pu = FirstReach(planner_curve, final_mean);
      char planner_units[32] = "", ratio[32] = "-";
      if (pu >= 0) std::snprintf(planner_units, sizeof planner_units, "%.0f", static_cast<double>(pu) / kTicksPerUnit);
      else std::snprintf(planner_units, sizeof planner_units, ">%d", units);
      if (pu >= 0 && bu > 0) std::snprintf(ratio, sizeof ratio, "%.2f", static_cast<double>(pu) / bu);
      std::printf("| %s | %.3f | %.0f | %s | %s |\n", names[b], final_mean, static_cast<double>(bu) / kTicksPerUnit,
                  planner_units, ratio);
    }
  }
  // Where each policy's units went (mean per campaign).
  for (int p = 0; p < kRows; ++p) {
    std::map<std::string, double> cats;
    for (const auto& r : runs[p])
      for (const auto& [k, v] : r.units) cats[k] += v / seeds;
    std::printf("\n%s units per campaign:", names[p]);
    for (const auto& [k, v] : cats) std::printf(" %s=%.1f", k.c_str(), v);
  }
  std::printf("\n");
  return 0;
}
