#!/usr/bin/env python3
"""What the planner's final best still lacks on the seeds where a baseline ended higher.

Reads planner_bench's stderr with PLANNER_BENCH_MISSING=1 and PLANNER_BENCH_PER_SEED=1:

    PLANNER_BENCH_MISSING=1 PLANNER_BENCH_PER_SEED=1 planner_bench --seeds 100 --units 200 \\
        --noise 0.0015 --outliers 0.01 2>&1 >/dev/null | bench/planner/near_threshold.py [--threshold 0.005]

For each seed it takes the planner's declared best at the end and, per axis with useful levels
left, the true gain of the next level (MISSING's last field). A seed is
- `at optimum`: nothing left;
- `sub-threshold only`: every next step is smaller than the threshold (the campaign's smallest
  gain worth having: the planner calls such a step a tie by design);
- `a step >= threshold`: at least one next step the planner could confirm was left.
It prints the counts over all seeds, over the seeds where the strongest baseline (greedy,
OpenEvolve-style or random parent) ended strictly higher than the planner, and for the steps of
at least the threshold left on those seeds, what the frontier recorded for their axis on the
planner's final best (never tried, or the pair's outcome).
"""
import argparse
import re
import sys
from collections import Counter

BASELINES = ("random_parent", "greedy", "openevolve_style")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threshold", type=float, default=0.005, help="the campaign's noise threshold (relative)")
    a = ap.parse_args()
    steps, finals = {}, {}
    for line in sys.stdin:
        if line.startswith("MISSING "):
            seed = re.search(r"seed=(\d+)", line).group(1)
            # axis:level/max:all remaining levels%:next level%:the best's pair (outcome#tries, or -)
            steps[seed] = [(m[0], float(m[2]), m[3])
                           for m in re.findall(r" (\w+):(\d+/\d+):[-\d.]+%:([-\d.]+)%:(\S+)", line)]
        elif line.startswith("PER_SEED "):
            fields = dict(f.split("=", 1) for f in line.split()[1:])
            finals[fields["seed"]] = {k: float(v) for k, v in fields.items() if k != "seed"}
    if not steps or not finals:
        sys.exit("near_threshold.py: no MISSING or PER_SEED lines on stdin (set PLANNER_BENCH_MISSING=1 "
                 "and PLANNER_BENCH_PER_SEED=1, and pipe planner_bench's stderr)")
    pct = 100 * a.threshold

    def kind(s):
        if not s:
            return "at optimum"
        return f"a step >= {pct:g}%" if max(g for _, g, _ in s) >= pct else f"sub-threshold only (< {pct:g}%)"

    every, behind, behind_steps = Counter(), Counter(), []
    for seed, s in steps.items():
        every[kind(s)] += 1
        f = finals.get(seed)
        if f is not None and f["planner"] < max(f[b] for b in BASELINES):
            behind[kind(s)] += 1
            behind_steps += s
    print(f"seeds: {len(steps)}; the planner's final best, by what its next steps would gain:")
    for k, n in sorted(every.items()):
        print(f"  {k}: {n}")
    print(f"seeds where the strongest baseline ended higher: {sum(behind.values())}")
    for k, n in sorted(behind.items()):
        print(f"  {k}: {n}")
    big = sorted((g, pair) for _, g, pair in behind_steps if g >= pct)
    if big:
        print(f"  next steps >= {pct:g}% left on those seeds: {len(big)}, median {big[len(big) // 2][0]:.2f}%, "
              f"largest {big[-1][0]:.2f}%; {sum(g < 1.0 for g, _ in big)} of them below 1%")

        # What the planner did with those axes on its final best.
        def record(pair):
            outcome = pair.split("#")[0]
            return ("no record on the best" if pair == "-"
                    else "inherited marks only on the best" if outcome == "untried"
                    else f"{outcome} on the best")

        for k, n in sorted(Counter(record(pair) for _, pair in big).items()):
            print(f"    {k}: {n}")

if __name__ == "__main__":
    main()
