#!/usr/bin/env python3
"""How well does the evaluator's reported spread describe the real noise?

Reads an experiment log (ksearch.db, read-only) and, per task, compares the
spread the evaluations reported with the scatter of repeated evaluations of one
source: the seed's evaluations (every campaign of a task evaluates the same seed
source kSeedSamples times) and each candidate's re-measurements (never its
first, selected measurement).

The planner reads `spread` as two standard deviations of one evaluation's
relative error (docs/planner.md, "Noise policy"), so a calibrated evaluator has
reported sigma (spread / 2) close to the measured sigma, and a ratio near 1.
The measured sigma is given two ways: the plain pooled standard deviation of the
log times, and the planner's robust estimate (median of |log a - log b| over
each source's pairs / (sqrt(2) x 0.6745), planner/src/promotion.cc).

Usage: spread_calibration.py DB [DB...] [--json]
"""
import argparse
import json
import math
import sqlite3
import statistics
from collections import defaultdict


def groups_of(db_path):
    """{task: {source_key: [(time_us, reported_spread), ...]}} of unselected repeats."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    tasks = {}
    for cid, payload in db.execute("SELECT campaign_id, payload FROM events WHERE kind='campaign_started'"):
        tasks[cid] = json.loads(payload).get("task", "?")
    out = defaultdict(lambda: defaultdict(list))
    for cid, payload in db.execute(
            "SELECT campaign_id, payload FROM events WHERE kind='attempt_finished' ORDER BY seq"):
        p = json.loads(payload)
        if p.get("parent", "") != "" or p.get("proposer") != "seed":
            continue
        t = p.get("time_us", 0) or 0
        if t > 0:
            out[tasks.get(cid, "?")]["seed:" + p.get("source_hash", "")].append((t, p.get("spread", 0) or 0))
    for cid, payload in db.execute("SELECT campaign_id, payload FROM events WHERE kind='remeasured' ORDER BY seq"):
        p = json.loads(payload)
        t = p.get("time_us", 0) or 0
        if t > 0:
            out[tasks.get(cid, "?")][cid + ":" + p.get("candidate", "")].append((t, p.get("spread", 0) or 0))
    db.close()
    return out


def summarize(task, groups):
    logs = [[math.log(t) for t, _ in g] for g in groups.values() if len(g) >= 2]
    reported = [s for g in groups.values() if len(g) >= 2 for _, s in g]
    dof = sum(len(g) - 1 for g in logs)
    if dof == 0:
        return None
    ss = sum(sum((x - statistics.fmean(g)) ** 2 for x in g) for g in logs)
    sd = math.sqrt(ss / dof)
    diffs = [abs(a - b) for g in logs for i, a in enumerate(g) for b in g[i + 1:]]
    robust = statistics.median(diffs) / (math.sqrt(2) * 0.6745)
    rep_sigma = statistics.fmean(reported) / 2
    return {
        "task": task, "sources": len(logs), "samples": sum(len(g) for g in logs), "dof": dof,
        "measured_sigma_sd": sd, "measured_sigma_robust": robust,
        "reported_spread_mean": statistics.fmean(reported),
        "reported_spread_min": min(reported), "reported_spread_max": max(reported),
        "reported_sigma_over_measured": rep_sigma / robust if robust > 0 else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", nargs="+")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    merged = defaultdict(lambda: defaultdict(list))
    for i, path in enumerate(a.db):
        for task, gs in groups_of(path).items():
            for k, v in gs.items():
                merged[task][f"{i}:{k}"].extend(v)
    rows = [r for r in (summarize(t, g) for t, g in sorted(merged.items())) if r]
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    print("| task | sources | samples | dof | measured sigma (sd / robust) | reported spread (mean, min-max) "
          "| reported sigma / measured (robust) |\n|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["reported_sigma_over_measured"]
        print(f'| {r["task"]} | {r["sources"]} | {r["samples"]} | {r["dof"]} | '
              f'{100 * r["measured_sigma_sd"]:.2f}% / {100 * r["measured_sigma_robust"]:.2f}% | '
              f'{100 * r["reported_spread_mean"]:.2f}% ({100 * r["reported_spread_min"]:.2f}-'
              f'{100 * r["reported_spread_max"]:.2f}%) | {"n/a" if ratio is None else f"{ratio:.2f}"} |')


if __name__ == "__main__":
    main()
