#!/usr/bin/env python3
"""Prints an experiment log's timeline (read-only): verdicts, re-measurements,
promotions, baselines and campaign states, one line each, with the seconds since
the first event, the reported time and spread, and the detail line.

Usage: log_timeline.py ksearch.db
(docs/gpu-runs/*-daemon-events*.txt are its output for the device runs.)
"""
import json
import sqlite3
import sys

KINDS = ("attempt_finished", "remeasured", "best_promoted", "baseline_measured", "campaign_state")


def main():
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    t0 = None
    for tms, cid, aid, kind, payload in db.execute(
            "SELECT time_ms, campaign_id, attempt_id, kind, payload FROM events ORDER BY seq"):
        t0 = tms if t0 is None else t0
        if kind not in KINDS:
            continue
        p = json.loads(payload)
        what = p.get("verdict", p.get("state", ""))
        extra = ""
        if "time_us" in p:
            extra = f'time {p.get("time_us") or 0:.3f} spread {100 * (p.get("spread") or 0):.2f}%'
        if kind == "remeasured" and p.get("reference"):
            extra += f' reference sample for {p.get("for")}'
        elif kind == "remeasured":
            extra += f' agrees {p.get("agrees")} final {p.get("final")}'
        detail = str(p.get("detail", p.get("reason", "")))[:160]
        print(f'{(tms - t0) / 1000:8.1f} {cid} {aid or "-"} {kind} {what} {extra} | {detail}')


if __name__ == "__main__":
    main()
