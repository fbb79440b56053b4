#!/usr/bin/env python3
"""A replay cassette of LLM replies for one task, for the daemon throughput bench.

    bench/daemon/cassette.py --seed configs/tasks/softmax/seed.cu --backend cuda \
                             --out softmax.cassette.jsonl [--lines 200] [--rng 7]

Issue #8 measures throughput "with the replay proposer, so LLM latency is out of
the picture": the daemon's LLM proposer builds each prompt (ISA facts, profile,
dead ends), the replay client answers at once from the cassette (in order,
whatever the prompt), and the reply goes through the same parse, patch,
normalize and dedup as a live model's. No model can be reached from these
machines, so the replies are generated here from the task's seed, and the mix
is chosen to look like a campaign's:

- most replies are whole files (one fenced block) that change the code for real:
  a value of each `ksearch:tune` define and an unroll pragma on up to three
  loops. All distinct, so each one is compiled, checked and timed;
- every 10th is a SEARCH/REPLACE block against the seed's tune line, which
  applies only while the parent still has the seed's value (else a patch
  failure, proposal_failed);
- every 13th does not compile (an undeclared call);
- every 17th compiles but returns before writing its output (incorrect).

Lines follow llm_clients/src/cassette.cc (key, ok, response.text); keys are
unused in in-order mode and set to the line number.
"""
import argparse
import itertools
import json
import random
import re

TUNE = re.compile(r"^#define\s+(\w+)\s+(\S+)\s*//\s*ksearch:tune\s*\{([^}]*)\}")
FOR = re.compile(r"^\s*for\s*\(")


def tune_space(lines):
    """[(line index, name, default, [values])] of the seed's tune defines."""
    out = []
    for i, l in enumerate(lines):
        m = TUNE.match(l)
        if m:
            out.append((i, m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
    return out


def unroll_sites(lines):
    """Loops that may take an unroll pragma: not already preceded by one."""
    sites = []
    for i, l in enumerate(lines):
        if not FOR.match(l):
            continue
        prev = lines[i - 1].strip() if i else ""
        if prev.startswith("#pragma") or prev.startswith("KS_UNROLL"):
            continue
        sites.append(i)
    return sites[:3]


def pragma(backend, k):
    return f"#pragma unroll {k}" if backend in ("cuda", "hip") else f"#pragma GCC unroll {k}"


def variant(lines, space, sites, backend, values, unrolls):
    out = list(lines)
    for (i, _, _, _), v in zip(space, values):
        out[i] = re.sub(r"^(#define\s+\w+\s+)\S+", lambda m: m.group(1) + v, out[i])
    # Insert from the bottom so earlier indices stay valid.
    for i, k in sorted(zip(sites, unrolls), reverse=True):
        if k > 1:
            indent = re.match(r"\s*", out[i]).group(0)
            out.insert(i, indent + pragma(backend, k))
    return out


def entry_line(lines):
    """Index of the line that opens ks_run's body."""
    for i, l in enumerate(lines):
        if "ks_run" in l and "extern" in l:
            j = i
            while "{" not in lines[j]:
                j += 1
            return j
    raise SystemExit("seed has no extern \"C\" ks_run")


def fenced(lang, lines, axis_note):
    body = "\n".join(lines)
    return f"{axis_note}\n\n```{lang}\n{body}\n```\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", required=True)
    p.add_argument("--backend", default="cuda")
    p.add_argument("--out", required=True)
    p.add_argument("--lines", type=int, default=200, help="at most this many replies")
    p.add_argument("--rng", type=int, default=7)
    a = p.parse_args()
    n = write_cassette(a.seed, a.backend, a.out, a.lines, a.rng)
    print(f"{a.out}: {n} replies")


def write_cassette(seed_path, backend, out_path, max_lines, rng_seed=7):
    """Writes the cassette; returns the number of replies (capped by the distinct variants)."""
    lines = open(seed_path).read().rstrip("\n").split("\n")
    space = tune_space(lines)
    sites = unroll_sites(lines)
    lang = "cuda" if backend == "cuda" else ("hip" if backend == "hip" else "cpp")
    combos = list(itertools.product(*[vals for (_, _, _, vals) in space],
                                    *[[1, 2, 4] for _ in sites]))
    rng = random.Random(rng_seed)
    rng.shuffle(combos)
    entry_line(lines)  # fails early on a seed without ks_run
    replies = []
    for c in combos:
        n = len(replies) + 1
        values, unrolls = c[:len(space)], c[len(space):]
        v = variant(lines, space, sites, backend, values, unrolls)
        note = "Tuning: " + ", ".join(f"{s[1]}={x}" for s, x in zip(space, values)) + \
               "; unroll " + ",".join(str(u) for u in unrolls) + "."
        body = entry_line(v)  # after the inserted pragmas
        if n % 13 == 0:
            v.insert(body + 1, "  ks_undeclared_helper();")
            replies.append(fenced(lang, v, note + " Also calls a helper."))
        elif n % 17 == 0:
            v.insert(body + 1, "  if (a != nullptr) return 0;  // skip the launch")
            replies.append(fenced(lang, v, note + " Also skips work."))
        elif n % 10 == 0 and space:
            i, name, default, vals = space[0]
            other = next((x for x in vals if x != default), default)
            replies.append(f"Change {name}.\n\n<<<<<<< SEARCH\n{lines[i]}\n=======\n"
                           f"{lines[i].replace(default, other, 1)}\n>>>>>>> REPLACE\n")
        else:
            replies.append(fenced(lang, v, note))
        if len(replies) >= max_lines:
            break
    with open(out_path, "w") as f:
        for k, text in enumerate(replies):
            f.write(json.dumps({"key": f"line-{k + 1}", "attempt_id": "", "endpoint": "bench", "model": "bench-replay",
                                "ok": True, "response": {"text": text, "finish_reason": "stop",
                                                         "model": "bench-replay", "input_tokens": 0,
                                                         "output_tokens": 0, "cost_usd": 0.0}}) + "\n")
    return len(replies)


if __name__ == "__main__":
    main()
