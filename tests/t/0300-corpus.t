#!/usr/bin/env python3
# Conformance: rua2kv over every plain aggregate report in ../shared/corpus
# (gzip, zip and mail files wait for unzipd), checked against the oracle's
# EXPECTED.jsonl: events == records and the sum of count == messages.
# For a file the oracle can't parse strictly, rua2kv must either recover
# the oracle's lenient figures or refuse it with one clear line, a
# non-zero exit and no events; it must never crash.
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
corpus = os.environ.get("DMARC_CORPUS", os.path.join(top, "..", "shared", "corpus"))
rua2kv = os.path.join(top, "bin", "rua2kv")
run_as = ["-u", "nobody"] if os.geteuid() == 0 else []

expected_path = os.path.join(corpus, "EXPECTED.jsonl")
if not os.path.exists(expected_path):
    print("1..0 # SKIP no corpus at %s" % corpus)
    sys.exit(0)

cases = []
with open(expected_path) as f:
    for line in f:
        e = json.loads(line)
        if not e["file"].startswith("aggregate/"):
            continue
        with open(os.path.join(corpus, e["file"]), "rb") as g:
            head = g.read(4)
        if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
            continue            # compressed: unzipd's job
        cases.append(e)

print("1..%d" % len(cases))
n = 0
for e in cases:
    n += 1
    path = os.path.join(corpus, e["file"])
    p = subprocess.run([rua2kv] + run_as + ["-f", "json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace").strip()
    events = 0
    messages = 0
    bad_json = None
    for line in p.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError as x:
            bad_json = str(x)
            break
        events += 1
        c = ev["feedback"].get("record", {}).get("row", {}).get("count")
        if c is not None and c.strip().lstrip("+-").isdigit():
            messages += int(c)
    want = e if e["ok"] else e.get("lenient") or {}
    why = ""
    if p.returncode < 0:
        why = "killed by signal %d" % -p.returncode
    elif bad_json:
        why = "invalid JSON line: " + bad_json
    elif p.returncode == 0:
        if "records" not in want:
            why = "accepted a file the oracle can't read: %d events" % events
        elif (events, messages) != (want["records"], want["messages"]):
            why = "events/messages %d/%d, oracle %d/%d" % (
                events, messages, want["records"], want["messages"])
    else:
        if e["ok"]:
            why = "refused a good report (exit %d): %s" % (p.returncode, err)
        elif events != 0 and p.returncode != 65:
            why = "exit %d" % p.returncode
        elif not err or "\n" in err or path not in err:
            why = "no clear one-line reason naming the file: %r" % err
    status = "ok" if not why else "not ok"
    detail = ("ok" if e["ok"] else "lenient") if not why else why
    note = " (refused: %s)" % err if p.returncode != 0 and not why else ""
    print("%s %d - %s: %s%s" % (status, n, e["file"], detail, note))
