#!/usr/bin/env python3
# Conformance: rua2kv over every plain aggregate report in ../shared/corpus
# (gzip, zip and mail files wait for unzipd), checked against the oracle's
# EXPECTED.jsonl: events == records and the sum of count == messages.
# For a file the oracle can't parse strictly, rua2kv must either recover
# the oracle's lenient figures or refuse it with one clear line, a
# non-zero exit and no events; it must never crash.
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from corpus import bindir, corpus, count, run_as, compressed, cases as select

rua2kv = os.path.join(bindir, "rua2kv")
# compressed ones are unzipd's (0420)
cases = select(lambda e, path: e["file"].startswith("aggregate/") and
               not compressed(path))

print("1..%d" % len(cases))
n = 0
for e in cases:
    n += 1
    path = os.path.join(corpus, e["file"])
    p = subprocess.run([rua2kv] + run_as + ["-f", "json", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace").strip()
    events, messages, bad_json = count(p.stdout)
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
