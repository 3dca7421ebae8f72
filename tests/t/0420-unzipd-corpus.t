#!/usr/bin/env python3
# Conformance: `unzipd -x FILE | rua2kv` over every mail and every
# compressed aggregate report in ../shared/corpus, checked against the
# oracle's EXPECTED.jsonl: events == records and the sum of count ==
# messages.  A file the oracle rejects must be rejected by unzipd or
# rua2kv with a clear reason (a non-zero exit and a line saying why),
# never a crash and never events.
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from corpus import bindir, corpus, count, run_as, compressed, cases as select

unzipd = os.path.join(bindir, "unzipd")
rua2kv = os.path.join(bindir, "rua2kv")
cases = select(lambda e, path: e["file"].startswith("email/") or
               (e["file"].startswith("aggregate/") and compressed(path)))

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
    events, messages, bad_json = count(r.stdout)
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
