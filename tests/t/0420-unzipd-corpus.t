#!/usr/bin/env python3
# Conformance: `unzipd -x FILE | rua2kv` over every mail and every
# compressed aggregate report in ../shared/corpus, checked against the
# oracle's EXPECTED.jsonl: events == records and the sum of count ==
# messages.  A file the oracle rejects must be rejected by unzipd or
# rua2kv with a clear reason (a non-zero exit and a line saying why),
# never a crash and never events.
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
corpus = os.environ.get("DMARC_CORPUS", os.path.join(top, "..", "shared", "corpus"))
unzipd = os.path.join(top, "bin", "unzipd")
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
        path = os.path.join(corpus, e["file"])
        if e["file"].startswith("email/"):
            cases.append(e)
        elif e["file"].startswith("aggregate/"):
            with open(path, "rb") as g:
                head = g.read(4)
            if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
                cases.append(e)

print("1..%d" % len(cases))
n = 0
for e in cases:
    n += 1
    path = os.path.join(corpus, e["file"])
    u = subprocess.Popen([unzipd] + run_as + ["-x", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r = subprocess.run([rua2kv] + run_as + ["-f", "json"], stdin=u.stdout,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    u.stdout.close()
    uerr = u.stderr.read().decode("utf-8", "replace").strip()
    u.wait()
    rerr = r.stderr.decode("utf-8", "replace").strip()
    events = messages = 0
    bad_json = None
    for line in r.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError as x:
            bad_json = str(x)
            break
        events += 1
        c = ev["feedback"].get("record", {}).get("row", {}).get("count")
        if c is not None and c.strip().isdigit():
            messages += int(c)
    # A zip's top-level figures are its first good report's; all its
    # good members' reports must come out, and a bad member may make
    # the exit status non-zero.
    want = (e.get("records"), e.get("messages"))
    some_bad = False
    if e.get("members"):
        good = [m for m in e["members"] if m["ok"]]
        want = (sum(m["records"] for m in good),
                sum(m["messages"] for m in good))
        some_bad = len(good) != len(e["members"])
    why = ""
    failed = u.returncode != 0 or r.returncode != 0
    if u.returncode < 0 or r.returncode < 0:
        why = "killed by a signal: unzipd %d, rua2kv %d" % (
            u.returncode, r.returncode)
    elif bad_json:
        why = "invalid JSON line: " + bad_json
    elif e["ok"]:
        if failed and not some_bad:
            why = "refused a good report: %s %s" % (uerr, rerr)
        elif (events, messages) != want:
            why = "events/messages %d/%d, oracle %d/%d" % (
                events, messages, want[0], want[1])
    elif not failed:
        why = "accepted a file the oracle rejects (%s): %d events" % (
            e.get("error_class"), events)
    elif not (uerr or rerr):
        why = "refused without saying why"
    status = "ok" if not why else "not ok"
    detail = why or ("ok" if e["ok"] else "refused: " + (uerr or rerr))
    print("%s %d - %s: %s" % (status, n, e["file"], detail.replace("\n", " | ")))
