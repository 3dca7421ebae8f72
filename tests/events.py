#!/usr/bin/env python3
"""What a chain's events should say, and what they do say, as sorted
tab-separated lines a test can compare:

    events.py expect [--ptr FILE] FILE...   from report mails (or bare
        zip, gzip or XML reports), read here with Python's own email,
        gzip, zipfile and ElementTree: one line per <record>
    events.py got FILE...                   from event files (JSON or kv
        lines, as ptrresolve leaves them): one line per event

A line is report_id, source_ip, count, disposition, dkim, spf,
header_from, source_hostname.  With --ptr, FILE maps an address to the
source_hostname expected ("ADDR NAME" lines; an address not listed
expects "-"); without it "-" is expected everywhere.  `got` exits 1 when
an event_id repeats or a line is neither JSON nor kv.
"""
import email
import email.policy
import gzip
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile


def reports(data):
    """The XML reports in a file's bytes: a mail, a zip, a gzip or XML."""
    if data[:2] == b"\x1f\x8b":
        yield from reports(gzip.decompress(data))
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                yield from reports(z.read(n))
    elif data.lstrip()[:1] == b"<":
        yield data
    else:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        for part in msg.walk():
            if part.is_multipart():
                continue
            body = part.get_payload(decode=True) or b""
            if body[:2] == b"\x1f\x8b" or body[:4] == b"PK\x03\x04" or \
                    body.lstrip()[:5] in (b"<?xml", b"<feed"):
                yield from reports(body)


def text(node, path):
    found = node.find(path)
    return "" if found is None or found.text is None else found.text.strip()


def expect(files, ptr):
    out = []
    for f in files:
        with open(f, "rb") as fh:
            for xml in reports(fh.read()):
                root = ET.fromstring(xml)
                for el in root.iter():  # RFC 9990's namespace
                    el.tag = el.tag.rsplit("}", 1)[-1]
                rid = text(root, "report_metadata/report_id")
                for rec in root.findall("record"):
                    ip = text(rec, "row/source_ip")
                    out.append("\t".join([
                        rid, ip, text(rec, "row/count"),
                        text(rec, "row/policy_evaluated/disposition"),
                        text(rec, "row/policy_evaluated/dkim"),
                        text(rec, "row/policy_evaluated/spf"),
                        text(rec, "identifiers/header_from"),
                        ptr.get(ip, "-")]))
    return out


KV = re.compile(r'([a-z0-9_]+)="((?:[^"\\]|\\.)*)"(?:, |$)')


def got(files):
    out, ids, bad = [], set(), 0
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if line.startswith("{"):
                    j = json.loads(line)["feedback"]
                    r, m = j["record"], j["report_metadata"]
                    pe = r["row"]["policy_evaluated"]
                    v = [m["report_id"], r["row"]["source_ip"],
                         r["row"]["count"], pe.get("disposition", ""),
                         pe.get("dkim", ""), pe.get("spf", ""),
                         r["identifiers"].get("header_from", ""),
                         r["row"]["source_hostname"]]
                    eid = j["event_id"]
                else:
                    kv = {k: re.sub(r"\\(.)", r"\1", val)
                          for k, val in KV.findall(line)}
                    if not kv:
                        print("not an event: %r" % line, file=sys.stderr)
                        bad = 1
                        continue
                    v = [kv.get(k, "") for k in (
                        "report_id", "source_ip", "count",
                        "evaluated_disposition", "evaluated_dkim",
                        "evaluated_spf", "header_from", "source_hostname")]
                    eid = kv.get("event_id")
                if eid in ids:
                    print("event_id %s twice" % eid, file=sys.stderr)
                    bad = 1
                ids.add(eid)
                out.append("\t".join(v))
    return out, bad


def main():
    a = sys.argv[1:]
    if a[:1] == ["expect"]:
        ptr, a = {}, a[1:]
        if a[:1] == ["--ptr"]:
            with open(a[1]) as fh:
                ptr = dict(line.split() for line in fh if line.strip())
            a = a[2:]
        lines, rc = expect(a, ptr), 0
    elif a[:1] == ["got"]:
        lines, rc = got(a[1:])
    else:
        sys.exit(__doc__)
    for line in sorted(lines):
        print(line)
    sys.exit(rc)


if __name__ == "__main__":
    main()
