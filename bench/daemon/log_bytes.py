#!/usr/bin/env python3
"""What an experiment log holds per attempt, by role: the bytes every attempt
commits (event payloads and the blobs its events name), from a ksearch.db.

    log_bytes.py DB [--packet-out FILE]

Reads the database read-only (python's sqlite3, no ksearch code). A blob is
counted under the role of the first event that names it (prompt_parts, or in
older logs prompt_blob, and reply_blob of llm_call; source_blob and
evidence_blob of attempt_finished); a blob named again (a repeated prompt or
prompt section, a duplicate source) is counted once, as the log stores it once.
"prompt (named)" is the prompts' bytes as sent, repeats included. --packet-out writes the largest evidence packet, to
see what its bytes are.
"""
import argparse
import json
import sqlite3
import sys

ROLES = {"llm_call": ("prompt_parts", "prompt_blob", "reply_blob"),
         "attempt_finished": ("source_blob", "evidence_blob")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--packet-out")
    a = ap.parse_args()
    con = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True)
    sizes = dict(con.execute("SELECT sha256, size FROM blobs"))
    attempts = set()
    payload_bytes, events = {}, {}
    role_bytes = {r: 0 for names in ROLES.values() for r in names}
    role_count = dict.fromkeys(role_bytes, 0)
    seen = set()
    biggest = ("", 0)
    prompt_named = [0, 0]  # bytes of the prompts as sent (repeats included), prompts
    for kind, attempt, payload in con.execute("SELECT kind, attempt_id, payload FROM events ORDER BY seq"):
        if attempt:
            attempts.add(attempt)
        payload_bytes[kind] = payload_bytes.get(kind, 0) + len(payload)
        events[kind] = events.get(kind, 0) + 1
        fields = json.loads(payload) if kind in ROLES else {}
        for role in ROLES.get(kind, ()):
            named = fields.get(role) or []
            hashes = named if isinstance(named, list) else [named]
            if role.startswith("prompt") and hashes:
                prompt_named[0] += sum(sizes.get(h, 0) for h in hashes)
                prompt_named[1] += 1
            for h in hashes:
                if not h or h in seen or h not in sizes:
                    continue
                seen.add(h)
                role_bytes[role] += sizes[h]
                role_count[role] += 1
                if role == "evidence_blob" and sizes[h] > biggest[1]:
                    biggest = (h, sizes[h])
    n = len(attempts)
    if n == 0:
        print(f"{a.db}: no attempts")
        return 1
    finished = events.get("attempt_finished", 0)
    print(f"{a.db}: {n} attempts ({finished} finished), {sum(events.values())} events")
    print("per attempt (bytes): event payloads by kind:",
          json.dumps({k: round(v / n) for k, v in sorted(payload_bytes.items(), key=lambda kv: -kv[1])}))
    print("per attempt (bytes): blobs by role (stored once):",
          json.dumps({k: round(v / n) for k, v in role_bytes.items()}),
          "mean size:", json.dumps({k: round(role_bytes[k] / c) for k, c in role_count.items() if c}))
    if prompt_named[1]:
        print(f"prompt (named): {round(prompt_named[0] / prompt_named[1])} bytes mean over {prompt_named[1]} prompts, "
              f"{round(prompt_named[0] / n)} per attempt; stored {round((role_bytes['prompt_parts'] + role_bytes['prompt_blob']) / n)}")
    total = sum(payload_bytes.values()) + sum(role_bytes.values())
    print(f"per attempt (bytes): total {round(total / n)}; every blob in the log: {sum(sizes.values())} bytes")
    if a.packet_out and biggest[0]:
        (content,) = con.execute("SELECT content FROM blobs WHERE sha256 = ?", (biggest[0],)).fetchone()
        packet = json.loads(content)
        with open(a.packet_out, "w") as f:
            json.dump(packet, f, indent=1)
        print(f"largest evidence packet ({biggest[1]} bytes) -> {a.packet_out}; bytes by member:",
              json.dumps({k: len(json.dumps(v)) for k, v in sorted(packet.items(), key=lambda kv: -len(json.dumps(kv[1])))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
