#!/usr/bin/env python3
"""WAL frames per commit of a daemon attempt, with the log's own schema.

Replays the three commits ksearchd makes for one LLM attempt (attempt_started;
llm_call with its prompt and reply blobs; the terminal batch: two stages,
attempt_finished, its outcome row and dead-end counter, the source and evidence
blobs) through Python's sqlite3 (the system SQLite, as ksearchd links it) into a
fresh WAL database whose schema is copied from an existing ksearch log, and
counts the frames each commit appends to the -wal file (autocheckpoint off).
Each frame is one page (4096 bytes) plus a 24-byte header, written with its
own pwrite, so frames are what a commit costs in WAL writes.

Variants drop or change one index or table of the schema, to see what each costs.

The prompt is one new blob per attempt, as ksearchd stored it before c2529da;
since then it stores a prompt as its sections, most of them blobs already in
the file, which this replay does not model.

  wal_frames.py --schema-from LOG.db [--blob-scale S] [--variant NAME]

LOG.db: any log of the current schema (for example the attempts.db that
`bench_experiment_log attempts --dir D --attempts 1 --runs 1` leaves in D).
Not a timing: frame counts only, the same on every machine.
"""
import argparse
import hashlib
import os
import random
import sqlite3
import tempfile

VARIANTS = {
    "base": lambda s: s,
    "no_events_by_campaign": lambda s: s.replace("CREATE INDEX events_by_campaign ON events(campaign_id, seq);", ""),
    "no_events_by_attempt": lambda s: s.replace(
        "CREATE INDEX events_by_attempt ON events(attempt_id, seq) WHERE attempt_id != '';", ""),
    "no_outcomes_dead_ends": lambda s: s.replace(
        "CREATE INDEX outcomes_dead_ends\n  ON attempt_outcomes(campaign_id, axis, verdict, verdict_kind, time_ms) "
        "WHERE dead_end = 1;", ""),
    "blobs_without_rowid": lambda s: s.replace("content BLOB NOT NULL\n)", "content BLOB NOT NULL\n) WITHOUT ROWID"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema-from", required=True)
    ap.add_argument("--blob-scale", type=float, default=1.0,
                    help="scales the blobs (1: prompt 15.5 KB, reply 1.7, source 1.7, packet 18.9, the H100/H200 "
                         "replay runs' means; 0: one byte each)")
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="base")
    ap.add_argument("--attempts", type=int, default=600, help="the second half is counted")
    a = ap.parse_args()

    src = sqlite3.connect(f"file:{a.schema_from}?mode=ro", uri=True)
    schema = ";\n".join(r[0] for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")) + ";"
    src.close()
    changed = VARIANTS[a.variant](schema)
    if a.variant != "base" and changed == schema:
        raise SystemExit(f"variant {a.variant}: its statement is not in the schema of {a.schema_from}")

    path = os.path.join(tempfile.mkdtemp(prefix="wal-frames-"), "log.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.executescript(changed)
    rnd = random.Random(1)
    seq = 0

    def event(camp, att, kind, payload_bytes):
        nonlocal seq
        seq += 1
        db.execute("INSERT INTO events(seq,time_ms,campaign_id,attempt_id,kind,payload,prev_hash,hash) "
                   "VALUES(?,?,?,?,?,?,?,?)",
                   (seq, 1_700_000_000_000 + seq, camp, att, kind, "x" * payload_bytes, "0" * 64,
                    hashlib.sha256(str(seq).encode()).hexdigest()))

    def blob(size):
        content = rnd.randbytes(max(1, int(size * a.blob_scale)))  # new bytes: never deduplicated
        db.execute("INSERT OR IGNORE INTO blobs(sha256,size,content) VALUES(?,?,?)",
                   (hashlib.sha256(content).hexdigest(), len(content), content))

    def frames():
        return (os.path.getsize(path + "-wal") - 32) // 4120 if os.path.exists(path + "-wal") else 0

    camps = ["bench-softmax", "bench-rmsnorm"]
    axes = ["tiling", "vectorized_access", "loop_unrolling", "occupancy", "fusion", "warp_reduction"]
    counted = {"attempt_started": [], "llm_call": [], "terminal batch": []}
    for n in range(a.attempts):
        camp = camps[n % 2]
        att = f"{camp}-a{n:05d}"
        f0 = frames()
        db.execute("BEGIN IMMEDIATE"); event(camp, att, "attempt_started", 180); db.execute("COMMIT")
        f1 = frames()
        db.execute("BEGIN IMMEDIATE"); blob(15500); blob(1700); event(camp, att, "llm_call", 320)
        db.execute("COMMIT")
        f2 = frames()
        db.execute("BEGIN IMMEDIATE")
        blob(1700); blob(18900)
        event(camp, att, "attempt_stage", 150); event(camp, att, "attempt_stage", 150)
        event(camp, att, "attempt_finished", 780)
        verdict = rnd.choice(["slower"] * 6 + ["no_gain"] * 2 + ["improved", "compile_error"])
        dead = verdict != "improved"
        axis = rnd.choice(axes)
        db.execute("INSERT INTO attempt_outcomes(seq,campaign_id,attempt_id,axis,verdict,verdict_kind,dead_end,"
                   "time_ms) VALUES(?,?,?,?,?,?,?,?)",
                   (seq, camp, att, axis, verdict, verdict, int(dead), 1_700_000_000_000 + seq))
        if dead:
            db.execute("INSERT INTO dead_end_counts(campaign_id,axis,verdict,verdict_kind,count,first_ms,last_ms,"
                       "first_seq) VALUES(?,?,?,?,1,?,?,?) ON CONFLICT(campaign_id,axis,verdict) DO UPDATE SET "
                       "count=count+1, last_ms=max(last_ms,excluded.last_ms)",
                       (camp, axis, verdict, verdict, seq, seq, seq))
        db.execute("COMMIT")
        f3 = frames()
        if n >= a.attempts // 2:
            counted["attempt_started"].append(f1 - f0)
            counted["llm_call"].append(f2 - f1)
            counted["terminal batch"].append(f3 - f2)
    means = {k: sum(v) / len(v) for k, v in counted.items()}
    print(f"variant {a.variant}, blob scale {a.blob_scale:g}: WAL frames per commit "
          + ", ".join(f"{k} {v:.2f}" for k, v in means.items()) + f"; per attempt {sum(means.values()):.2f}")


if __name__ == "__main__":
    main()
