#!/usr/bin/env python3
"""Daemon throughput: a real ksearchd running one campaign per bundled task.

    bench/daemon/throughput.py --bin DIR [--backend cuda|host] [--seconds 240]
                               [--warmup 60] [--modes pipelined,serial] [--out DIR]
                               [--proposer tuner|replay]

For each mode it starts ksearchd on a fresh data folder, starts one campaign per
task (the built-in tuner, or with --proposer replay the LLM proposer answered at
once from a generated cassette, bench/daemon/cassette.py: either way no LLM
latency is in the loop), samples /metrics and
the daemon's own CPU time once a second for --seconds, then stops the daemon with
SIGTERM and runs `ksearch log verify`.

Modes:
  pipelined  the daemon as configured for production (proposals_per_slot 2):
             compiles and static checks run ahead of the evaluation slots.
  serial     max_attempts_in_flight 1: propose, compile, evaluate, then the next
             (the same daemon, so only the overlap differs).

Figures, over the steady-state window [warmup, seconds]:
  slot busy fraction   d(ksearch_slot_busy_seconds) / d(wall) per evaluation slot:
                       the share of wall time a slot ran an evaluation process
                       (verification and timing, reference included).
  kernel-active share  the mean of nvidia-smi utilization.gpu samples in the
                       window (share of time any kernel ran); cuda only.
  evaluations/hour     d(ksearch_slot_evaluations_total) (every timed run:
                       attempts, baselines, re-measurements).
  attempts/hour        d(attempts finished, any verdict).
  daemon CPU/attempt   d(utime+stime of ksearchd) / d(attempts finished), and the
                       same from the threads' schedstat (ns; stat counts 10 ms ticks); the
                       evaluations run in child processes and are not counted.
                       /metrics is scraped every --scrape-every s (default 1),
                       and each scrape is daemon CPU too: a burst of
                       --scrape-cost-burst scrapes after the window measures
                       one, and the scrape share of the window is reported.
Output: OUT/throughput.json, OUT/throughput.md, OUT/samples-MODE.json and OUT/ksearch-MODE.db.
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TASKS = ["softmax", "rmsnorm", "reduction", "transpose", "gemm"]


_conn = {}


def metrics(url, token, keep_alive=False):
    if keep_alive:
        # One persistent connection, as Prometheus keeps: no accept/close per scrape.
        host, port = url.split("//", 1)[1].rsplit(":", 1)
        for attempt in range(2):
            conn = _conn.get(url) or http.client.HTTPConnection(host, int(port), timeout=10)
            _conn[url] = conn
            try:
                conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + token})
                text = conn.getresponse().read().decode()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                _conn.pop(url, None)
                if attempt:
                    raise
    else:
        req = urllib.request.Request(url + "/metrics", headers={"Authorization": "Bearer " + token})
        text = urllib.request.urlopen(req, timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(\w+)(\{[^}]*\})?\s+(\S+)$", line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def total(m, name, **labels):
    s = 0.0
    for k, v in m.items():
        if not (k == name or k.startswith(name + "{")):
            continue
        if all(f'{lk}="{lv}"' in k for lk, lv in labels.items()):
            s += v
    return s


def by_label(m, metric, label):
    """{label value: sample} of the series of `metric` that carry only `label`."""
    out = {}
    for k, v in m.items():
        hit = re.match(rf'^{metric}\{{{label}="([^"]+)"\}}$', k)
        if hit:
            out[hit.group(1)] = v
    return out


def io_cpu_by_activity(m):
    """The daemon's own account of its io thread's CPU seconds, by activity (ksearchd from c3c3171 on)."""
    return by_label(m, "ksearch_daemon_io_cpu_seconds_total", "activity")


def prompt_context_lookups(m):
    """The prompt-context memo's lookups by "source/result" (a miss is a retrieval)."""
    out = {}
    for k, v in m.items():
        hit = re.match(r'^ksearch_prompt_context_lookups_total\{(.*)\}$', k)
        if hit:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', hit.group(1)))
            out[f'{labels.get("source", "?")}/{labels.get("result", "?")}'] = v
    return out


def blob_cache_lookups(m):
    """The io thread's blob cache lookups by result (a miss reads the log); {} for daemons without it."""
    return by_label(m, "ksearch_blob_cache_lookups_total", "result")


def _parse_stat(text):
    """(name, fields from field 3 on) of a /proc/.../stat text; the name may hold spaces and ')'."""
    close = text.rindex(")")
    return text[text.index("(") + 1:close], text[close + 1:].split()


def _cpu_seconds(fields):
    """utime+stime of _parse_stat's fields."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_stat(pid):
    """One read of /proc/PID/stat: (utime+stime seconds, minor faults, major faults) of the whole
    process (every thread's, and a vfork child's until its execve, which runs on the daemon's
    memory)."""
    with open(f"/proc/{pid}/stat") as f:
        _, fields = _parse_stat(f.read())
    return _cpu_seconds(fields), int(fields[7]), int(fields[9])


def _thread_files(pid, *leaves):
    """For each live thread, the text of /proc/PID/task/TID/LEAF for each leaf (a thread gone
    meanwhile is skipped)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            texts = []
            for leaf in leaves:
                with open(f"/proc/{pid}/task/{tid}/{leaf}") as f:
                    texts.append(f.read())
        except OSError:
            continue
        yield texts


def _thread_group(name):
    """A thread's name without a trailing number: the pool's ks-build0..N count as one group."""
    return re.sub(r"\d+$", "", name)


def thread_cpu(pid):
    """One pass over the process's live threads: (utime+stime seconds per thread name, from stat's
    10 ms ticks; schedstat ns per thread group: ksearchd, ks-build, ks-host, ks-gpu). The groups show
    which threads the window's CPU went to at ns resolution (stat's ticks round each build thread to
    0) and sum to cpu_ns. None when the process is gone."""
    if not os.path.isdir(f"/proc/{pid}/task"):
        return None
    by_name, by_group, runs = {}, {}, {}
    for stat_text, sched in _thread_files(pid, "stat", "schedstat"):
        name, fields = _parse_stat(stat_text)
        by_name[name] = by_name.get(name, 0.0) + _cpu_seconds(fields)
        try:
            parts = sched.split()
            ns, timeslices = int(parts[0]), int(parts[2])
        except (ValueError, IndexError):
            continue
        group = _thread_group(name)
        by_group[group] = by_group.get(group, 0) + ns
        runs[group] = runs.get(group, 0) + timeslices
    return by_name, by_group, runs


def cpu_ns(pid):
    """CPU time of the process's live threads in ns, from /proc/PID/task/*/schedstat (first field: time
    on a CPU). Far finer than stat's 10 ms ticks; a thread that exited is no longer counted (the
    daemon's threads live as long as it does). None when the process is gone."""
    threads = thread_cpu(pid)
    return None if threads is None else sum(threads[1].values())


def finished_campaigns(db_path):
    """(campaign_id, task) of every campaign whose state is finished, from the log file."""
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        rows = db.execute("SELECT e.campaign_id, c.task FROM events e JOIN campaigns c USING (campaign_id) "
                          "WHERE e.kind = 'campaign_state' AND json_extract(e.payload, '$.state') = 'finished'"
                          ).fetchall()
        db.close()
        return rows
    except sqlite3.Error:
        return []


def campaign_yaml(task, backend, arch, seed, campaign_id=None, replay_lines=None):
    """The tuner on the parameter axis, or (replay_lines set) the task's replay
    source on every axis of the arch, with an attempt budget that ends the
    campaign when its cassette does (a replay miss would be a cheap attempt)."""
    if replay_lines is None:
        proposer, axes, attempts = "{name: tuner, weight: 1}", "axes: [parameter_tuning]\n", 10000
    else:
        proposer, axes, attempts = f"{{name: replay-{task}, weight: 1}}", "", replay_lines
    return (f"campaign_id: {campaign_id or 'bench-' + task}\ntask: {task}\nbackend: {backend}\narch: {arch}\n"
            f"{axes}proposers:\n  - {proposer}\nislands: 1\n"
            f"budgets:\n  attempts: {attempts}\n  wall_seconds: 86400\nplateau:\n  window: 10000\n"
            f"noise_threshold: 0.02\nseed: {seed}\n")


def write_cassettes(a, data):
    """One in-order cassette per task (bench/daemon/cassette.py); returns {task: replies}."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cassette
    ext = "cu" if a.backend == "cuda" else ("hip" if a.backend == "hip" else "cc")
    return {t: cassette.write_cassette(f"{a.tasks}/{t}/seed.{ext}", a.backend, f"{data}/{t}.cassette.jsonl",
                                       a.replay_lines)
            for t in a.tasks_list.split(",")}


def run_mode(mode, a, out_dir):
    data = tempfile.mkdtemp(prefix=f"ksearch-bench-{mode}-")
    gpus = "auto" if a.backend == "cuda" else "none"
    host_slots = 0 if a.backend == "cuda" else 1
    extra = "max_attempts_in_flight: 1\n" if mode == "serial" else ""
    replies = write_cassettes(a, data) if a.proposer == "replay" else {}
    if replies:
        extra += "replay:\n" + "".join(f"  - {{name: replay-{t}, cassette: {t}.cassette.jsonl, in_order: true}}\n"
                                       for t in replies)
    with open(f"{data}/daemon.yaml", "w") as f:
        f.write(f"""listen: 127.0.0.1:0
token_file: token
database: ksearch.db
work_dir: work
tasks_dir: {a.tasks}
axes_file: {a.axes}
isa_dir: {a.isa}
workers: {{gpus: {gpus}, host_slots: {host_slots}, compile_threads: {a.compile_threads}}}
proposals_per_slot: 2
shutdown_grace_s: 10
defaults: {{run_timeout_s: {a.run_timeout}, profile: never}}
{extra}""")
    log = open(f"{data}/ksearchd.log", "w")
    env = dict(os.environ, **dict(kv.split("=", 1) for kv in a.daemon_env))
    d = subprocess.Popen([f"{a.bin}/ksearchd", "--config", f"{data}/daemon.yaml", "--port-file", f"{data}/port"],
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        if os.path.exists(f"{data}/port") and open(f"{data}/port").read().strip():
            break
        if d.poll() is not None:
            break
        time.sleep(0.1)
    if not (os.path.exists(f"{data}/port") and open(f"{data}/port").read().strip()):
        log.flush()
        state = f"exited with {d.returncode}" if d.poll() is not None else "still running after 60 s"
        if d.poll() is None:
            d.kill()
        sys.exit(f"ksearchd did not start ({state}); the end of {data}/ksearchd.log:\n" +
                 open(f"{data}/ksearchd.log").read()[-3000:])
    port = open(f"{data}/port").read().strip()
    url = f"http://127.0.0.1:{port}"
    token = open(f"{data}/token").read().strip()
    smi = None
    smi_path = f"{data}/smi.csv"
    if a.backend == "cuda":
        smi = subprocess.Popen(["nvidia-smi", "--query-gpu=timestamp,utilization.gpu", "--format=csv,noheader,nounits",
                                "-lms", "200"], stdout=open(smi_path, "w"), stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    tasks = a.tasks_list.split(",")
    for i, task in enumerate(tasks):
        path = f"{data}/{task}.yaml"
        with open(path, "w") as f:
            f.write(campaign_yaml(task, a.backend, a.arch, 11 + i, replay_lines=replies.get(task)))
        subprocess.run([f"{a.bin}/ksearch", "campaign", "start", path, "--url", url, "--token-file", f"{data}/token"],
                       check=True, stdout=subprocess.DEVNULL)
    samples = []
    last_m, last_scrape = None, None
    restarted, next_seed, last_check = set(), 11 + len(tasks), 0.0
    while True:
        now = time.monotonic() - t0
        if a.restart_finished and not replies and now - last_check >= 5:
            # A campaign whose search space is used up (the tuner on a small
            # space) would leave the slot idle: start a fresh one on its task,
            # read from the log file (read-only; no daemon CPU).
            last_check = now
            for cid, task in finished_campaigns(f"{data}/ksearch.db"):
                if cid in restarted:
                    continue
                restarted.add(cid)
                path = f"{data}/{task}-{next_seed}.yaml"
                with open(path, "w") as f:
                    f.write(campaign_yaml(task, a.backend, a.arch, next_seed, f"bench-{task}-{next_seed}"))
                next_seed += 1
                subprocess.run([f"{a.bin}/ksearch", "campaign", "start", path, "--url", url, "--token-file",
                                f"{data}/token"], check=True, stdout=subprocess.DEVNULL)
        try:
            # /metrics every --scrape-every seconds (and at the end); the CPU
            # counters come from /proc every second and cost the daemon nothing.
            final = now >= a.seconds
            if last_m is None or final or now - last_scrape >= a.scrape_every - 0.05:
                last_m, last_scrape = metrics(url, token, a.keep_alive), now
            m = last_m
            by_name, groups, runs = thread_cpu(d.pid) or ({}, None, {})  # one read of the threads' files
            cpu_s, minflt, majflt = process_stat(d.pid)
            samples.append({"t": now, "wall_unix": time.time(), "cpu_s": cpu_s,
                            "minflt": minflt, "majflt": majflt, "thread_group_timeslices": runs,
                            "cpu_ns": None if groups is None else sum(groups.values()),
                            "thread_cpu_s": by_name,
                            "thread_group_cpu_ns": groups or {}, "scraped_at": last_scrape,
                            "busy": {k: v for k, v in m.items() if k.startswith("ksearch_slot_busy_seconds")},
                            "evals": total(m, "ksearch_slot_evaluations_total"),
                            "attempts": total(m, "ksearch_attempts_total"),
                            "by_verdict": {k: v for k, v in m.items() if k.startswith("ksearch_attempts_total")},
                            "queue_gpu": total(m, "ksearch_queue_depth", queue="gpu"),
                            "queue_host": total(m, "ksearch_queue_depth", queue="host"),
                            "queue_build": total(m, "ksearch_queue_depth", queue="build"),
                            "in_flight": total(m, "ksearch_attempts_in_flight"),
                            "io_cpu": io_cpu_by_activity(m),
                            "prompt_context": prompt_context_lookups(m),
                            "blob_cache": blob_cache_lookups(m)})
        except Exception as e:  # a slow answer is recorded, not fatal
            samples.append({"t": now, "error": str(e)})
        if now >= a.seconds:
            break
        time.sleep(1.0)
    # What one /metrics scrape costs the daemon: a burst of scrapes after the
    # window, so the scrape share of the window's CPU can be stated apart.
    n_burst = a.scrape_cost_burst
    scrape_cost_ms = None
    if n_burst > 0:
        c0 = cpu_ns(d.pid)
        for _ in range(n_burst):
            metrics(url, token, a.keep_alive)
        scrape_cost_ms = (cpu_ns(d.pid) - c0) / n_burst / 1e6
    if smi:
        smi.terminate()
        smi.wait()
    for c in _conn.values():
        c.close()
    _conn.clear()
    d.send_signal(signal.SIGTERM)
    try:
        rc = d.wait(timeout=120)
    except subprocess.TimeoutExpired:
        d.kill()
        rc = "killed after 120 s"
    verify = subprocess.run([f"{a.bin}/ksearch", "log", "verify", "--db", f"{data}/ksearch.db"],
                            capture_output=True, text=True)
    ok = [s for s in samples if "error" not in s and s.get("scraped_at") == s["t"]]
    w0 = min(ok, key=lambda s: abs(s["t"] - a.warmup))
    w1 = ok[-1]
    span = w1["t"] - w0["t"]
    busy = {k: (w1["busy"].get(k, 0) - w0["busy"].get(k, 0)) / span for k in w1["busy"]}
    attempts = w1["attempts"] - w0["attempts"]
    scrapes_in_window = sum(1 for s in ok if w0["t"] < s["t"] <= w1["t"])
    util = []
    if a.backend == "cuda" and os.path.exists(smi_path):
        for line in open(smi_path):
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 2 or not parts[1].isdigit():
                continue
            try:  # nvidia-smi prints local time, as does datetime.timestamp() read it
                ts = datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            except ValueError:
                continue
            if w0["wall_unix"] <= ts <= w1["wall_unix"]:
                util.append(int(parts[1]))
    # Campaigns can run out before --seconds (the host tuner space is small):
    # CPU per attempt up to the last attempt, and the idle rate after it.
    last = min(ok, key=lambda x: (-x["attempts"], x["t"]))
    idle_rate = (w1["cpu_s"] - last["cpu_s"]) / (w1["t"] - last["t"]) if w1["t"] > last["t"] else None
    def window_delta(key, scale=lambda d: d):
        """{label: scale(its growth over the window)} of the sample's dict `key` (labels of the window's end)."""
        end, start = w1.get(key, {}), w0.get(key, {})
        return {k: scale(end.get(k, 0) - start.get(k, 0)) for k in end}

    res = {
        "mode": mode,
        "daemon_cpu_ms_per_attempt_to_last_attempt": last["cpu_s"] / last["attempts"] * 1000 if last["attempts"] else None,
        "daemon_idle_cpu_s_per_s": idle_rate,
        "daemon_thread_cpu_s_to_last_attempt": last.get("thread_cpu_s", {}), "data_dir": data, "window_s": span, "warmup_s": w0["t"],
        "slot_busy_fraction": busy,
        "kernel_active_share": (sum(util) / len(util) / 100.0) if util else None,
        "evaluations_per_hour": (w1["evals"] - w0["evals"]) / span * 3600,
        "attempts_per_hour": attempts / span * 3600,
        "daemon_cpu_ms_per_attempt": (w1["cpu_s"] - w0["cpu_s"]) / attempts * 1000 if attempts else None,
        # The same from schedstat (ns): the figure to compare runs by; stat's ticks are 10 ms.
        "daemon_cpu_ms_per_attempt_ns": ((w1["cpu_ns"] - w0["cpu_ns"]) / attempts / 1e6
                                         if attempts and w1.get("cpu_ns") is not None and w0.get("cpu_ns") is not None
                                         else None),
        "daemon_cpu_ms_per_evaluation_ns": ((w1["cpu_ns"] - w0["cpu_ns"]) / (w1["evals"] - w0["evals"]) / 1e6
                                            if w1["evals"] > w0["evals"] and w1.get("cpu_ns") is not None
                                            and w0.get("cpu_ns") is not None else None),
        "daemon_cpu_s_window_ns": ((w1["cpu_ns"] - w0["cpu_ns"]) / 1e9
                                   if w1.get("cpu_ns") is not None and w0.get("cpu_ns") is not None else None),
        # The window's CPU includes its /metrics scrapes; this is their share,
        # from the per-scrape cost measured by the burst after the window.
        "scrape_cost_ms": scrape_cost_ms, "scrapes_in_window": scrapes_in_window,
        "scrape_share_ms_per_attempt": (scrapes_in_window * scrape_cost_ms / attempts
                                        if attempts and scrape_cost_ms is not None else None),
        "attempts_in_window": attempts,
        "thread_group_cpu_ms_per_attempt_window": (
            window_delta("thread_group_cpu_ns", lambda d: d / attempts / 1e6) if attempts else None),
        # How often each thread group was put on a CPU (schedstat's third field): every wake-up,
        # a cross-thread hand-off or a child's output, costs a switch and a cold cache.
        "thread_group_timeslices_per_attempt_window": (
            window_delta("thread_group_timeslices", lambda d: d / attempts) if attempts else None),
        "page_faults_per_attempt_window": (
            {"minor": (w1["minflt"] - w0["minflt"]) / attempts, "major": (w1["majflt"] - w0["majflt"]) / attempts}
            if attempts and "minflt" in w1 and "minflt" in w0 else None),
        "io_cpu_ms_per_attempt_window": (
            window_delta("io_cpu", lambda d: d / attempts * 1000) if attempts else None),
        # Retrievals for keys first seen in the window (memo misses) and hits;
        # the "retrieval" activity above is the misses' CPU.
        "prompt_context_lookups_window": window_delta("prompt_context"),
        "blob_cache_lookups_window": window_delta("blob_cache"),
        "thread_cpu_s_window": window_delta("thread_cpu_s"),
        # Start-up (config, log, ISA corpus open, skills) and the campaign
        # starts: the daemon's CPU at the first sample, outside every window.
        "daemon_cpu_ms_at_first_sample_ns": (ok[0]["cpu_ns"] / 1e6 if ok[0].get("cpu_ns") is not None else None),
        "daemon_cpu_s_total": w1["cpu_s"], "attempts_total": w1["attempts"], "evaluations_total": w1["evals"],
        "verdicts_total": w1["by_verdict"], "mean_gpu_queue": sum(s["queue_gpu"] for s in ok) / len(ok),
        "daemon_exit": rc, "log_verify_rc": verify.returncode, "log_verify": (verify.stdout + verify.stderr)[-400:],
    }
    # The window's figure without the first retrieval of each prompt-context
    # key (a one-time cost per key for the daemon's life; docs/bench-daemon.md):
    # what a campaign past its first hour pays per attempt, all else equal.
    first_time = (res["io_cpu_ms_per_attempt_window"] or {}).get("retrieval")
    res["daemon_cpu_ms_per_attempt_ns_without_first_retrievals"] = (
        res["daemon_cpu_ms_per_attempt_ns"] - first_time
        if res["daemon_cpu_ms_per_attempt_ns"] is not None and first_time is not None else None)
    with open(f"{out_dir}/samples-{mode}.json", "w") as f:
        json.dump(samples, f)
    shutil.copy(f"{data}/ksearch.db", f"{out_dir}/ksearch-{mode}.db")  # the whole log, for later questions
    return res


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--backend", default="cuda")
    p.add_argument("--arch", default="sm_90a")
    p.add_argument("--seconds", type=float, default=240)
    p.add_argument("--warmup", type=float, default=60)
    p.add_argument("--modes", default="pipelined,serial")
    p.add_argument("--tasks-list", default=",".join(TASKS))
    p.add_argument("--restart-finished", action="store_true",
                   help="start a fresh campaign on a task whenever one finishes (keeps the slots fed when the "
                        "tuner exhausts a small space)")
    p.add_argument("--proposer", choices=["tuner", "replay"], default="tuner",
                   help="the built-in tuner, or one replay source per task serving a generated cassette of "
                        "LLM replies (bench/daemon/cassette.py) through the LLM proposer's prompt, parse and patch")
    p.add_argument("--replay-lines", type=int, default=400, help="replies per task's cassette (at most)")
    p.add_argument("--tasks", default=f"{ROOT}/configs/tasks")
    p.add_argument("--axes", default=f"{ROOT}/configs/axes.yaml")
    p.add_argument("--isa", default=f"{ROOT}/isa_corpus")
    p.add_argument("--run-timeout", type=float, default=120)
    p.add_argument("--compile-threads", type=int, default=0,
                   help="workers.compile_threads (0: one per CPU core, the daemon's default)")
    p.add_argument("--daemon-env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment variable for ksearchd only (repeatable), e.g. GLIBC_TUNABLES=...")
    p.add_argument("--out", default="/tmp/ksearch-daemon-bench")
    p.add_argument("--keep-alive", action="store_true",
                   help="scrape over one persistent HTTP connection (as Prometheus does)")
    p.add_argument("--scrape-cost-burst", type=int, default=1000,
                   help="scrapes in a burst after the window to measure what one costs the daemon (0: none)")
    p.add_argument("--scrape-every", type=float, default=1.0,
                   help="seconds between /metrics scrapes (each costs the daemon 0.05-0.1 ms of CPU back to back, "
                        "about 0.3 ms spread out: docs/bench-daemon.md)")
    a = p.parse_args()
    if a.backend == "host" and a.arch == "sm_90a":
        a.arch = "x86_64"
    os.makedirs(a.out, exist_ok=True)
    results = [run_mode(m, a, a.out) for m in a.modes.split(",")]
    with open(f"{a.out}/throughput.json", "w") as f:
        json.dump({"date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "args": vars(a),
                   "results": results}, f, indent=1)
    lines = ["| mode | window s | slot busy | kernel-active (nvidia-smi) | evaluations/h | attempts/h | "
             "daemon CPU ms/attempt | mean GPU queue | log verify |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        busy = ", ".join(f"{v:.1%}" for v in r["slot_busy_fraction"].values())
        kas = f'{r["kernel_active_share"]:.1%}' if r["kernel_active_share"] is not None else "n/a"
        cpu = f'{r["daemon_cpu_ms_per_attempt"]:.2f}' if r["daemon_cpu_ms_per_attempt"] is not None else "n/a"
        lines.append(f'| {r["mode"]} | {r["window_s"]:.0f} | {busy} | {kas} | {r["evaluations_per_hour"]:.0f} | '
                     f'{r["attempts_per_hour"]:.0f} | {cpu} | {r["mean_gpu_queue"]:.2f} | '
                     f'{"ok" if r["log_verify_rc"] == 0 else "FAILED"} |')
    text = "\n".join(lines) + "\n"
    with open(f"{a.out}/throughput.md", "w") as f:
        f.write(text)
    print(text)
    for r in results:
        print(r["mode"], "verdicts:", json.dumps(r["verdicts_total"]))
        per = r["daemon_cpu_ms_per_attempt_to_last_attempt"]
        print(r["mode"], "daemon CPU ms/attempt to the last attempt:", f"{per:.2f}" if per else "n/a",
              "idle CPU s/s:", r["daemon_idle_cpu_s_per_s"],
              "by thread (s):", json.dumps(r["daemon_thread_cpu_s_to_last_attempt"]))
        if r["daemon_cpu_ms_per_attempt_ns"] is not None:
            print(r["mode"], f'window (schedstat): {r["daemon_cpu_s_window_ns"]:.4f} s of daemon CPU, '
                  f'{r["daemon_cpu_ms_per_attempt_ns"]:.3f} ms per attempt, '
                  f'{r["daemon_cpu_ms_per_evaluation_ns"] or 0:.3f} ms per evaluation')
        if r["scrape_share_ms_per_attempt"] is not None:
            print(r["mode"], f'window: {r["attempts_in_window"]:.0f} attempts, {r["scrapes_in_window"]} scrapes at '
                  f'{r["scrape_cost_ms"]:.3f} ms each (a burst: a lower bound) = {r["scrape_share_ms_per_attempt"]:.3f} ms per attempt of the '
                  f'window\'s {r["daemon_cpu_ms_per_attempt"]:.2f}; by thread group (schedstat, ms per attempt):',
                  json.dumps({k: round(v, 3) for k, v in (r["thread_group_cpu_ms_per_attempt_window"] or {}).items()}))
        if r.get("daemon_cpu_ms_at_first_sample_ns") is not None:
            print(r["mode"], f'start-up and campaign starts (CPU at the first sample, outside the window): '
                  f'{r["daemon_cpu_ms_at_first_sample_ns"]:.1f} ms')
        if r.get("io_cpu_ms_per_attempt_window"):
            print(r["mode"], "io thread by activity (the daemon's ledger, ms per attempt):",
                  json.dumps({k: round(v, 3) for k, v in sorted(r["io_cpu_ms_per_attempt_window"].items(),
                                                                key=lambda kv: -kv[1])}))
        if r.get("prompt_context_lookups_window"):
            print(r["mode"], "prompt-context lookups in the window (a miss retrieves):",
                  json.dumps(r["prompt_context_lookups_window"], sort_keys=True))
        if r.get("blob_cache_lookups_window"):
            print(r["mode"], "blob cache lookups in the window (a miss reads the log):",
                  json.dumps(r["blob_cache_lookups_window"], sort_keys=True))
        if r.get("thread_group_timeslices_per_attempt_window"):
            print(r["mode"], "times each thread group was put on a CPU, per attempt:",
                  json.dumps({k: round(v, 1) for k, v in r["thread_group_timeslices_per_attempt_window"].items()}),
                  "page faults per attempt:", json.dumps(r["page_faults_per_attempt_window"]))
        if r.get("daemon_cpu_ms_per_attempt_ns_without_first_retrievals") is not None:
            print(r["mode"], "window (schedstat) without the first retrieval of each key: "
                  f'{r["daemon_cpu_ms_per_attempt_ns_without_first_retrievals"]:.3f} ms per attempt')
    return 0 if all(r["log_verify_rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
