#!/usr/bin/env python3
"""Make test mails for mailfetch: DMARC aggregate report mails and mails
that only look like them, deterministic (the same arguments give the same
bytes), RFC 5322 with CRLF line ends.

    mkmail.py [OPTIONS] OUTDIR N   N mails, OUTDIR/0001-KIND.eml ..., the
                                   kinds in turn; prints a line per mail:
                                   FILE<TAB>KIND<TAB>dmarc|other<TAB>ID
                                   (dmarc: the Subject has a marker; ID
                                   "-" when no report is attached)
    mkmail.py [OPTIONS] -          one mail, to stdout
    mkmail.py --kinds              the kinds, with an example subject

Options:
  --kind K[,K...]   the kinds to make (default: all, in the order below;
                    for "-", the first one, default "domain")
  --subject S       the Subject as written in the header (no encoding is
                    done: give encoded words or raw UTF-8 as wanted); a
                    newline in S folds the header there (CRLF), "{id}"
                    becomes the report id
  --attach A        gz | zip | xml | none: the report's container,
                    instead of the kind's
  --name FILE       the attachment's file name
  --id ID           the report id; with OUTDIR N a prefix, ID.0001 ...
                    (default mkmail: mkmail.0001 ...); for "-" the whole
                    id (default mkmail.0001)
  --date D          Date header: seconds since the epoch, or a date
                    written as it should appear; the report's date range
                    is the day before it.  Default: 2023-11-14 22:13:20
                    UTC, an hour later for each further mail
  --size BYTES      the mail is exactly BYTES long: a text/plain part is
                    padded (an error when the mail is already longer)
  --records N       records in each report (default 1, 2 for every
                    second mail); source_ip from 192.0.2.0/24

Kinds (the Subject marker, and how the report travels):
  domain      Report Domain: ... Submitter: ... Report-ID: <...>, .xml.gz
  aggregate   DMARC Aggregate Report ..., .zip
  underscore  Report_Domain: ..., plain .xml
  bracket     [DMARC Report] ..., .xml.gz as application/x-gzip
  b64         =?UTF-8?B?...?=, the marker inside the first encoded word,
              .zip as application/x-zip-compressed
  qp          =?iso-8859-1?Q?Report_Domain:_...?= with a Latin-1 letter
              after, .xml.gz (raw, "Report_Domain" is a marker too: the
              b64 kinds are the ones that prove decoding)
  folded      Report Domain: example.com, folded before Submitter, .xml.gz
  foldmarker  DMARC Aggregate / Report: folded inside the marker, .zip
              (matches once unfolded, RFC 5322 2.2.3; Python's
              decode_header, which TA-dmarc uses, keeps the fold)
  b64split    UTF-8 encoded words on lines of their own, the marker
              split between the first two ("Report Dom" + "ain: ..."),
              .xml
  lunch       other: "Lunch on Friday", text only
  tricky      other: "Re: reporting domains" (no marker), a report .xml.gz
              attached all the same
  nosubject   other: no Subject header at all, a report .xml.gz attached

A report is RFC 7489 aggregate feedback: report_metadata (org_name,
email, report_id, date_range), policy_published for example.com, and its
records.  Message-IDs are <ID@mkmail.test>.  gzip and zip members carry
fixed times.
"""
import argparse
import base64
import email.utils
import gzip
import io
import os
import sys
import zipfile

DOMAIN = "example.com"
BASE_TIME = 1700000000

# kind: (dmarc?, subject template, attachment, content type, reporter)
KINDS = {
    "domain": (True, "Report Domain: {dom} Submitter: google.com "
               "Report-ID: <{id}>", "gz", "application/gzip", "google.com"),
    "aggregate": (True, "DMARC Aggregate Report for {dom} from "
                  "mx.example.org ({id})", "zip", "application/zip",
                  "example.org"),
    "underscore": (True, "Report_Domain: {dom} Submitter: yahoo.com "
                   "Report-ID: <{id}>", "xml", "application/xml",
                   "yahoo.com"),
    "bracket": (True, "[DMARC Report] {dom} from mx.example.net, id {id}",
                "gz", "application/x-gzip", "example.net"),
    "b64": (True, None, "zip", "application/x-zip-compressed", "mail.ru"),
    "qp": (True, None, "gz", "application/gzip", "gmx.de"),
    "folded": (True, "Report Domain: {dom}\nSubmitter: google.com "
               "Report-ID: <{id}>", "gz", "application/gzip", "google.com"),
    "foldmarker": (True, "DMARC Aggregate\nReport for {dom} from "
                   "mx.example.org ({id})", "zip", "application/zip",
                   "example.org"),
    "b64split": (True, None, "xml", "text/xml", "outlook.com"),
    "lunch": (False, "Lunch on Friday", "none", None, "example.org"),
    "tricky": (False, "Re: reporting domains", "gz", "application/gzip",
               "google.com"),
    "nosubject": (False, "", "gz", "application/gzip", "google.com"),
}
TYPES = {"gz": "application/gzip", "zip": "application/zip",
         "xml": "application/xml"}


def bword(text):
    """One RFC 2047 B encoded word in UTF-8."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def qword(text):
    """One RFC 2047 Q encoded word in iso-8859-1."""
    out = []
    for c in text.encode("iso-8859-1"):
        ch = chr(c)
        if ch == " ":
            out.append("_")
        elif c < 128 and ch.isalnum() or ch in ".:-<>@/":
            out.append(ch)
        else:
            out.append("=%02X" % c)
    return "=?iso-8859-1?Q?" + "".join(out) + "?="


def words(text, word):
    """text as encoded words of at most 75 characters, greedily filled;
    a newline between them (a fold: the white space between two encoded
    words is not part of the text)."""
    out, cur = [], ""
    for ch in text:
        if cur and len(word(cur + ch)) > 75:
            out.append(word(cur))
            cur = ""
        cur += ch
    out.append(word(cur))
    return "\n".join(out)


def subject_of(kind, rid):
    if kind == "b64":
        return (bword("Report Domain: %s " % DOMAIN) + "\n" +
                words("Submitter: mail.ru ✓ Report-ID: <%s>" % rid, bword))
    if kind == "qp":
        return (qword("Report Domain: %s " % DOMAIN) + "\n" +
                words("Submitter: gmx.de Report-ID: <%s> (Bericht für Sie)"
                      % rid, qword))
    if kind == "b64split":
        return (bword("Report Dom") + "\n" + words(
            "ain: %s Submitter: outlook.com Report-ID: <%s>" % (DOMAIN, rid),
            bword))
    return KINDS[kind][1].format(dom=DOMAIN, id=rid)


def report_xml(reporter, rid, begin, n, records):
    rows = []
    for i in range(records):
        ip = "192.0.2.%d" % ((n * 2 + i) % 254 + 1)
        ok = "pass" if i % 2 == 0 else "fail"
        rows.append(
            "  <record>\n"
            "    <row>\n"
            "      <source_ip>%s</source_ip><count>%d</count>\n"
            "      <policy_evaluated><disposition>none</disposition>"
            "<dkim>%s</dkim><spf>%s</spf></policy_evaluated>\n"
            "    </row>\n"
            "    <identifiers><header_from>%s</header_from></identifiers>\n"
            "    <auth_results>\n"
            "      <dkim><domain>%s</domain><result>%s</result>"
            "<selector>s%d</selector></dkim>\n"
            "      <spf><domain>%s</domain><result>%s</result></spf>\n"
            "    </auth_results>\n"
            "  </record>\n" % (ip, i + 1, ok, ok, DOMAIN, DOMAIN, ok, i + 1,
                               DOMAIN, ok))
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<feedback>\n"
            "  <version>1.0</version>\n"
            "  <report_metadata>\n"
            "    <org_name>%s</org_name>\n"
            "    <email>noreply-dmarc@%s</email>\n"
            "    <report_id>%s</report_id>\n"
            "    <date_range><begin>%d</begin><end>%d</end></date_range>\n"
            "  </report_metadata>\n"
            "  <policy_published>\n"
            "    <domain>%s</domain><adkim>r</adkim><aspf>r</aspf>"
            "<p>none</p><sp>none</sp><pct>100</pct>\n"
            "  </policy_published>\n"
            "%s"
            "</feedback>\n" % (reporter, reporter, xml_escape(rid), begin,
                               begin + 86399, DOMAIN, "".join(rows))).encode()


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def container(attach, xml, member):
    if attach == "gz":
        buf = io.BytesIO()
        with gzip.GzipFile(filename=member, mode="wb", fileobj=buf,
                           mtime=0) as g:
            g.write(xml)
        return buf.getvalue()
    if attach == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            zi = zipfile.ZipInfo(member, date_time=(2023, 11, 14, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, xml)
        return buf.getvalue()
    return xml


def b64lines(data):
    s = base64.b64encode(data).decode()
    return "".join(s[i:i + 76] + "\r\n" for i in range(0, len(s), 76))


def padding(nbytes):
    """nbytes of CRLF text lines, nbytes >= 2."""
    out = []
    line = 0
    while nbytes > 0:
        take = min(nbytes, 78)
        if nbytes - take == 1:	# no line is 1 byte long
            take -= 1
        text = ("padding line %06d " % line) * 4
        out.append(text[:take - 2] + "\r\n")
        nbytes -= take
        line += 1
    return "".join(out)


def build(kind, rid, n, a, pad=0):
    dmarc, _, attach, ctype, reporter = KINDS[kind]
    subject = a.subject if a.subject is not None else subject_of(kind, rid)
    subject = subject.replace("{id}", rid)
    if a.attach:
        attach = a.attach
        if attach != KINDS[kind][2]:
            ctype = TYPES.get(attach)
    if a.date is None:
        when = BASE_TIME + (n - 1) * 3600
        date = email.utils.formatdate(when).replace("-0000", "+0000")
    elif a.date.isdigit():
        when = int(a.date)
        date = email.utils.formatdate(when).replace("-0000", "+0000")
    else:
        date = a.date
        try:
            when = int(email.utils.parsedate_to_datetime(date).timestamp())
        except (TypeError, ValueError):
            when = BASE_TIME
    begin = when - when % 86400 - 86400
    records = a.records if a.records is not None else 2 - n % 2

    h = ["From: DMARC reporter <noreply-dmarc@%s>" % reporter,
         "To: dmarc@%s" % DOMAIN]
    if subject:
        h.append("Subject: " + subject.replace("\n", "\r\n "))
    h += ["Date: " + date,
          "Message-ID: <%s@mkmail.test>" % rid,
          "MIME-Version: 1.0"]
    if kind == "lunch":
        intro = "Shall we meet at noon? The usual place."
    else:
        intro = "This is an aggregate report from %s." % reporter
    # --size: a 1-byte gap can't be a line; the intro line takes it
    extra = "." if pad == 1 else ""
    text = intro + extra + "\r\n" + (padding(pad) if pad > 1 else "")
    if attach == "none":
        h += ["Content-Type: text/plain; charset=us-ascii",
              "Content-Transfer-Encoding: 7bit"]
        return ("\r\n".join(h) + "\r\n\r\n" + text).encode()
    xml = report_xml(reporter, rid, begin, n, records)
    stem = "%s!%s!%d!%d" % (reporter, DOMAIN, begin, begin + 86399)
    ext = {"gz": ".xml.gz", "zip": ".zip", "xml": ".xml"}[attach]
    name = a.name or stem + ext
    data = container(attach, xml, stem + ".xml")
    b = "=_mkmail_%s" % rid
    h.append('Content-Type: multipart/mixed; boundary="%s"' % b)
    body = ("This is a multi-part message in MIME format.\r\n"
            "--%s\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "%s"
            "--%s\r\n"
            "Content-Type: %s; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "\r\n"
            "%s"
            "--%s--\r\n" % (b, text, b, ctype, name, name, b64lines(data), b))
    return ("\r\n".join(h) + "\r\n\r\n" + body).encode()


def mail(kind, rid, n, a):
    m = build(kind, rid, n, a)
    if a.size is None:
        return m
    if len(m) > a.size:
        sys.exit("mkmail: a %s mail is already %d bytes, more than %d" %
                 (kind, len(m), a.size))
    m = build(kind, rid, n, a, a.size - len(m))
    assert len(m) == a.size, (len(m), a.size)
    return m


def main():
    p = argparse.ArgumentParser(
        usage="mkmail.py [OPTIONS] OUTDIR N | mkmail.py [OPTIONS] - | "
        "mkmail.py --kinds")
    p.add_argument("out", nargs="?")
    p.add_argument("n", nargs="?", type=int)
    p.add_argument("--kinds", action="store_true")
    p.add_argument("--kind")
    p.add_argument("--subject")
    p.add_argument("--attach", choices=["gz", "zip", "xml", "none"])
    p.add_argument("--name")
    p.add_argument("--id")
    p.add_argument("--date")
    p.add_argument("--size", type=int)
    p.add_argument("--records", type=int)
    a = p.parse_args()
    if a.kinds:
        for k, v in KINDS.items():
            print("%s\t%s\t%s" % (k, "dmarc" if v[0] else "other",
                                  subject_of(k, "ID").replace("\n", "\\n ")))
        return
    kinds = a.kind.split(",") if a.kind else list(KINDS)
    for k in kinds:
        if k not in KINDS:
            p.error("no kind %r (see --kinds)" % k)
    if a.out == "-" and a.n is None:
        rid = a.id or "mkmail.0001"
        if not a.kind:
            kinds = ["domain"]
        sys.stdout.buffer.write(mail(kinds[0], rid, 1, a))
        sys.stdout.flush()
        return
    if a.out is None or a.n is None or a.n < 0:
        p.error("give OUTDIR N, or -")
    os.makedirs(a.out, exist_ok=True)
    for n in range(1, a.n + 1):
        kind = kinds[(n - 1) % len(kinds)]
        rid = "%s.%04d" % (a.id or "mkmail", n)
        path = os.path.join(a.out, "%04d-%s.eml" % (n, kind))
        with open(path, "wb") as f:
            f.write(mail(kind, rid, n, a))
        report = (a.attach or KINDS[kind][2]) != "none"
        print("%s\t%s\t%s\t%s" % (path, kind,
                                  "dmarc" if KINDS[kind][0] else "other",
                                  rid if report else "-"))


if __name__ == "__main__":
    main()
