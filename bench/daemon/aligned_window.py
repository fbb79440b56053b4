#!/usr/bin/env python3
"""The daemon's CPU per attempt over a window aligned to attempt ends, and its CPU while nothing happens.

    bench/daemon/aligned_window.py SAMPLES.json[.gz] KSEARCH.db[.gz] [--warmup 60] [--seconds S]

throughput.py divides a fixed window's CPU by the attempts that ended in it. With 13-15 attempts
of 10-12 s each in a 170 s window, one attempt more or less is 7% of the figure, whatever the
daemon's code. This reads the run's per-second samples (throughput.py's samples-MODE.json: wall
time and the daemon's CPU from schedstat) and its log, and prints:

- the CPU of the seconds in which no event was logged and /metrics was not scraped (is any cost
  paid per second rather than per attempt?);
- the CPU from the sample that follows the window's first attempt_finished to the one that
  follows its last, divided by the attempts that ended in between: a window that starts and ends
  on an attempt's end, so no part-attempt is counted.

The aligned figure includes the first retrieval of each prompt-context key, which the daemon's
ledger reports only at scrapes (every 15 s), so it cannot be taken out here.
"""
import argparse
import gzip
import json
import os
import shutil
import sqlite3
import sys
import tempfile


def open_text(path):
    return gzip.open(path, "rt") if path.endswith(".gz") else open(path)


def event_times(db_path):
    """(wall seconds, kind) of every event, in log order."""
    tmp = None
    if db_path.endswith(".gz"):
        tmp = tempfile.NamedTemporaryFile(suffix=".db", delete=False)
        with gzip.open(db_path, "rb") as f:
            shutil.copyfileobj(f, tmp)
        tmp.close()
        db_path = tmp.name
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        rows = db.execute("SELECT time_ms / 1000.0, kind FROM events ORDER BY seq").fetchall()
        db.close()
        return rows
    finally:
        if tmp:
            os.unlink(tmp.name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("samples")
    p.add_argument("db")
    p.add_argument("--warmup", type=float, default=60, help="seconds after the first sample where the window starts")
    p.add_argument("--seconds", type=float, default=None,
                   help="seconds after the first sample where it ends (default: the last sample, so the "
                        "whole run after the warm-up; a fixed default once cut 420 s runs to 170 s)")
    a = p.parse_args()
    with open_text(a.samples) as f:
        samples = [s for s in json.load(f) if "error" not in s and s.get("cpu_ns") is not None]
    if len(samples) < 2:
        sys.exit("aligned_window: fewer than two samples with the daemon's CPU")
    events = event_times(a.db)
    start = samples[0]["wall_unix"] - samples[0]["t"]  # wall time of throughput.py's t = 0
    seconds = a.seconds if a.seconds is not None else samples[-1]["t"]

    quiet_ms, quiet_n, other_ms, other_n = 0.0, 0, 0.0, 0
    for before, after in zip(samples, samples[1:]):
        cpu_ms = (after["cpu_ns"] - before["cpu_ns"]) / 1e6
        logged = any(before["wall_unix"] < t <= after["wall_unix"] for t, _ in events)
        scraped = after.get("scraped_at") == after["t"]
        if logged or scraped:
            other_ms, other_n = other_ms + cpu_ms, other_n + 1
        else:
            quiet_ms, quiet_n = quiet_ms + cpu_ms, quiet_n + 1
    print(f"seconds with no event logged and no scrape: {quiet_n}, {quiet_ms:.3f} ms of CPU in all "
          f"({quiet_ms / max(quiet_n, 1) * 1000:.1f} us per second); the other {other_n} seconds: {other_ms:.2f} ms")

    ends = [t for t, kind in events if kind == "attempt_finished" and start + a.warmup < t <= start + seconds]
    if len(ends) < 2:
        sys.exit("aligned_window: fewer than two attempts ended in the window")

    def cpu_ms_after(t):
        for s in samples:
            if s["wall_unix"] >= t:
                return s["cpu_ns"] / 1e6
        return None

    first, last = cpu_ms_after(ends[0]), cpu_ms_after(ends[-1])
    if first is None or last is None:
        sys.exit("aligned_window: no sample after the window's last attempt end")
    n = len(ends) - 1
    print(f"aligned window: {n} attempts ended in {ends[-1] - ends[0]:.1f} s after the first one; "
          f"{last - first:.2f} ms of CPU = {(last - first) / n:.3f} ms per attempt (first retrievals included)")


if __name__ == "__main__":
    main()
