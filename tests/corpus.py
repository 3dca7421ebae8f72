"""What the corpus conformance tests (tests/t/0300, 0420) share: where
things are, the oracle's cases from EXPECTED.jsonl, and the count of
rua2kv's JSON events and messages."""
import json
import os
import sys

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bindir = os.environ.get("DMARCPIPE_BIN") or os.path.join(top, "bin")
corpus = os.environ.get("DMARC_CORPUS",
                        os.path.join(top, "..", "shared", "corpus"))
run_as = ["-u", "nobody"] if os.geteuid() == 0 else []


def compressed(path):
    """Is the file a gzip or a zip, by its first bytes?"""
    with open(path, "rb") as f:
        head = f.read(4)
    return head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04"


def cases(keep):
    """The oracle's entries for which keep(entry, path) is true; prints
    the TAP skip and exits when there is no corpus."""
    expected = os.path.join(corpus, "EXPECTED.jsonl")
    if not os.path.exists(expected):
        print("1..0 # SKIP no corpus at %s" % corpus)
        sys.exit(0)
    out = []
    with open(expected) as f:
        for line in f:
            e = json.loads(line)
            if keep(e, os.path.join(corpus, e["file"])):
                out.append(e)
    return out


def count(stdout):
    """(events, messages, the first invalid JSON line's error or None)."""
    events = messages = 0
    for line in stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError as x:
            return events, messages, str(x)
        events += 1
        c = ev["feedback"].get("record", {}).get("row", {}).get("count")
        if c is not None and c.strip().lstrip("+-").isdigit():
            messages += int(c)
    return events, messages, None
