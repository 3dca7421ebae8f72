#!/usr/bin/env python3
"""The fault runs of tests/t/0940-fault.t, with bin/tests/fault.so
(tests/fault.c) preloaded:

    faultrun.py spool DIR NAME INIT OUT -- CMD...
        a spool consumer: CMD with a spool's path after it, on copies of
        the spool INIT, publishing into stage OUT
    faultrun.py imap DIR NAME INIT CONF -- CMD...
        mailfetch: the same, each run with a folder of its own at the
        IMAP server of tests/mail.sh (MAIL_IMAP_PORT, MAIL_USER,
        MAIL_PASS), filled first with the mails in the directory $MAILS
        (the reports named *-dmarc.eml); CONF is a configuration in
        which @FOLDER@ stands for the folder's name, written out as
        CONF.conf for CMD to read, that moves the reports to
        Done/@FOLDER@

A clean run first counts the calls (DMARCPIPE_FAULT_LOG); then each point
of each kind runs on a fresh copy with that one call failing, is checked,
runs again without the fault, and is checked again.  The results, for
the test to assert, go to DIR/NAME.*: cleanrc (the clean run's exit),
count (its log), clean (what it made), points, missed (points no run
reached), rc (wrong exit statuses), zero (the points that exited 0), bad
(what (b), (c) or (d) found, after the point).
"""
import hashlib
import imaplib
import os
import re
import shutil
import subprocess
import sys

KINDS = ("write", "fsync", "close", "rename", "link")
ERRORS = ("ENOSPC", "EIO")
# Above this many points, every point fails with one error (taking
# turns) and every STRIDE-th with the other too.
STRIDE_OVER = 400
STRIDE = 5
EMPTY = hashlib.sha256(b"").hexdigest()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snap(spool):
    """{path: [sha256, ...]} for each file below spool; an adopted loose
    file's "<unique>,<original>" as ",<original>"."""
    out = {}
    for d, _, files in os.walk(spool):
        for name in files:
            full = os.path.join(d, name)
            rel = os.path.relpath(full, spool)
            rel = re.sub(r"[^/]*,", ",", rel, count=1)
            out.setdefault(rel, []).append(sha(full))
    return out


def fresh(init, run):
    """run: a copy of init, owned as init is."""
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(init, run, symlinks=True)
    st = os.stat(init)
    for d, dirs, files in os.walk(run):
        for name in [d] + [os.path.join(d, n) for n in dirs + files]:
            os.lchown(name, st.st_uid, st.st_gid)


class Runner:
    def __init__(self, top, cmd):
        self.cmd = cmd
        self.shim = os.path.join(os.environ.get("DMARCPIPE_BIN") or
                                 os.path.join(top, "bin"), "tests", "fault.so")

    def run(self, args, fault=None, log=None):
        """CMD ARGS: the exit status and stderr.  fault None: without the
        shim; "": with it, failing nothing; else "KIND:N:ERR"."""
        env = dict(os.environ)
        fds = ()
        if fault is not None:
            env["LD_PRELOAD"] = self.shim
            env["DMARCPIPE_FAULT"] = fault
            logfd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC |
                            os.O_APPEND, 0o644)
            env["DMARCPIPE_FAULT_LOG"] = str(logfd)
            fds = (logfd,)
        try:
            p = subprocess.run(self.cmd + args, env=env, pass_fds=fds,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        finally:
            for fd in fds:
                os.close(fd)
        return p.returncode, p.stderr.decode(errors="replace")


def points(log):
    """The fault runs: (kind, n, error)."""
    counts = {k: 0 for k in KINDS}
    for line in log:
        counts[line.split()[0]] += 1
    total = sum(counts.values())
    out = []
    for k in KINDS:
        for i in range(1, counts[k] + 1):
            if total <= STRIDE_OVER:
                out += [(k, i, e) for e in ERRORS]
                continue
            e = ERRORS[i % 2]
            out.append((k, i, e))
            if i % STRIDE == 0:
                out.append((k, i, ERRORS[1 - i % 2]))
    return out


def status_ok(rc, kind, cls):
    """(a): 75; 0 only for a close whose failure loses nothing."""
    return rc == 75 or (rc == 0 and kind == "close" and cls != "written")


# ---------------------------------------------------------- spool

class Spool:
    """A consumer: inputs in INIT, outputs into stage OUT."""

    def __init__(self, dirname, name, init, out):
        self.run = os.path.join(dirname, name + ".run")
        self.init, self.out = init, out
        self.inputs = snap(init)

    def prepare(self):
        fresh(self.init, self.run)
        return [self.run]

    def clean(self):
        self.ref = snap(self.run)
        return ["%s %s" % (p, h) for p in sorted(self.ref)
                for h in self.ref[p]]

    def where(self, s, stage, base):
        """The paths of s holding input base of stage, its reason too."""
        pat = re.compile(r"^%s/([a-z]+/)?,?%s(\.why)?$" % (
            re.escape(stage), re.escape(base)))
        return sorted(p for p in s if pat.match(p))

    def check(self):
        """(b) and (c) after a fault run."""
        s = snap(self.run)
        bad = []
        for path, (h,) in sorted(self.inputs.items()):
            stage, base = path.split("/")[0], path.split("/")[-1]
            at = self.where(s, stage, base)
            # where it was, or (from cur/, or loose) in new/
            if [h] in (s.get(path), s.get("%s/new/%s" % (stage, base)),
                       s.get("%s/new/,%s" % (stage, base))):
                continue
            failed = [p for p in at if "/fail/" in p and
                      not p.endswith(".why") and s[p] == [h]]
            if failed:
                why = s.get(failed[0] + ".why")
                if not why or why == [EMPTY]:
                    bad.append("(b) %s: in fail/ without a reason" % path)
                continue
            if at:
                bad.append("(b) %s: changed, or in cur/: %s" % (
                    path, " ".join(at)))
                continue
            # gone: as in the clean run, with every output of it there
            if self.where(self.ref, stage, base):
                bad.append("(b) %s: gone, where the clean run kept it" %
                           path)
            pat = re.compile(r"^%s/new/,?%s(-[0-9-]+)?$" % (
                re.escape(self.out), re.escape(base)))
            for o in sorted(self.ref):
                if pat.match(o) and s.get(o) != self.ref[o]:
                    bad.append("(b) %s: gone before its output %s" % (
                        path, o))
        inputs = set(h for v in self.inputs.values() for h in v)
        for p in sorted(s):
            if "/new/" not in p:
                continue
            for h in s[p]:
                if h not in self.ref.get(p, []) and h not in inputs:
                    bad.append("(c) not whole: %s" % p)
        return bad

    def recheck(self, rc):
        """(d) after the rerun: the spool as the clean run left it."""
        bad = [] if rc == 0 else ["(d) the rerun: exit %d" % rc]
        s = snap(self.run)
        for p in sorted(set(s) | set(self.ref)):
            if s.get(p) != self.ref.get(p):
                bad.append("(d) %s: %s, the clean run: %s" % (
                    p, len(s.get(p, [])), len(self.ref.get(p, []))))
        return bad


# ---------------------------------------------------------- imap

def show(box):
    """A Message-ID map, short: each ID, times the copies."""
    return " ".join("%s*%d" % (m.decode(), len(v))
                    for m, v in sorted(box.items())) or "nothing"


class Imap:
    """mailfetch: the mails in a folder of their own for each run."""

    def __init__(self, dirname, name, init, conf, mails):
        self.run = os.path.join(dirname, name + ".run")
        self.init, self.conf = init, conf
        with open(conf) as f:
            self.template = f.read()
        self.mails = {}         # Message-ID: (bytes, a report?)
        for m in sorted(os.listdir(mails)):
            with open(os.path.join(mails, m), "rb") as f:
                data = f.read()
            mid = re.search(rb"(?im)^Message-ID: *(<[^>]*>)", data).group(1)
            self.mails[mid] = (data, m.endswith("-dmarc.eml"))
        self.n = 0
        self.imap = imaplib.IMAP4("127.0.0.1",
                                  int(os.environ["MAIL_IMAP_PORT"]))
        self.imap.login(os.environ["MAIL_USER"], os.environ["MAIL_PASS"])

    def prepare(self):
        fresh(self.init, self.run)
        self.n += 1
        self.folder = "fault%d" % self.n
        self.imap.create(self.folder)
        for data, _ in self.mails.values():
            self.imap.append(self.folder, None, None, data)
        with open(self.conf + ".conf", "w") as f:
            f.write(self.template.replace("@FOLDER@", self.folder))
        return [self.run]

    def box(self, folder):
        """{Message-ID: [seen?, ...]} of folder."""
        out = {}
        typ, data = self.imap.select(folder, readonly=True)
        if typ != "OK":
            return out
        if int(data[0]) > 0:
            typ, data = self.imap.fetch(
                "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data:
                if isinstance(item, tuple):
                    mid = re.search(rb"<[^>]*>", item[1]).group(0)
                    out.setdefault(mid, []).append(b"\\Seen" in item[0])
        self.imap.close()
        return out

    def spooled(self):
        """{Message-ID: [sha256, ...]} of mail/new."""
        out = {}
        new = os.path.join(self.run, "mail", "new")
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            m = re.search(rb"(?im)^Message-ID: *(<[^>]*>)", data)
            out.setdefault(m.group(1) if m else name.encode(), []).append(
                hashlib.sha256(data).hexdigest())
        return out

    def state(self):
        return (self.spooled(), self.box(self.folder),
                self.box("Done/" + self.folder))

    def clean(self):
        self.ref = self.state()
        return ["mail/new/%s %s" % (m.decode(), h)
                for m in sorted(self.ref[0]) for h in self.ref[0][m]]

    def check(self):
        """(b): each mail in the folder as it was, or a report moved
        with its copy in mail/new; (c): each mail/new file whole."""
        bad = []
        got, inbox, done = self.state()
        for mid, (_, report) in self.mails.items():
            if inbox.get(mid) == [False]:
                continue
            if mid in inbox:
                bad.append("(b) %s: changed in the folder: %s" % (
                    mid, inbox[mid]))
            elif not report:
                bad.append("(b) %s: not in the folder as it was" % mid)
            elif done.get(mid) != [False]:
                bad.append("(b) %s: gone from the server" % mid)
            elif mid not in got:
                bad.append("(b) %s: moved, not in mail/new" % mid)
        for mid, hashes in got.items():
            for h in hashes:
                if [h] != self.ref[0].get(mid):
                    bad.append("(c) not whole in mail/new: %s" % mid)
        return bad

    def recheck(self, rc):
        """(d): mail/new and the server as the clean run left them."""
        bad = [] if rc == 0 else ["(d) the rerun: exit %d" % rc]
        for what, a, b in zip(("mail/new", "the folder", "Done/"),
                              self.state(), self.ref):
            if a != b:
                bad.append("(d) %s: %s, the clean run: %s" % (
                    what, show(a), show(b)))
        return bad


# ---------------------------------------------------------- main

def main(argv):
    mode, dirname, name, init, arg = argv[1:6]
    if argv[6] != "--" or mode not in ("spool", "imap"):
        sys.exit("usage: faultrun.py spool|imap DIR NAME INIT ARG -- CMD...")
    cmd = argv[7:]
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = Runner(top, cmd)
    if mode == "spool":
        c = Spool(dirname, name, init, arg)
    else:
        c = Imap(dirname, name, init, arg, os.environ["MAILS"])
    res = os.path.join(dirname, name)
    rc, err = r.run(c.prepare(), "", res + ".count")
    with open(res + ".cleanrc", "w") as f:
        f.write("%d\n" % rc)
    if rc != 0:
        sys.stderr.write(err)
    listing = c.clean()
    with open(res + ".count") as f:
        plist = points(f.read().splitlines())
    missed, wrong, bad, zero = [], [], [], []
    flog = res + ".flog"
    for k, i, e in plist:
        point = "%s %d %s" % (k, i, e)
        rc, err = r.run(c.prepare(), "%s:%d:%s" % (k, i, e), flog)
        with open(flog) as f:
            m = re.search(r"^%s %d ([a-z]+) fault %s$" % (k, i, e),
                          f.read(), re.M)
        if m is None:
            missed.append(point)
        elif not status_ok(rc, k, m.group(1)):
            wrong.append("%s (%s): exit %d" % (point, m.group(1), rc))
            wrong += ["#     " + x for x in err.splitlines()[:4]]
        elif rc == 0 and (k, i, m.group(1)) not in zero:
            zero.append((k, i, m.group(1)))
        found = c.check()
        rc, err = r.run([c.run])
        found += c.recheck(rc)
        if found:
            bad.append(point + ":")
            bad += found[:8]
    for suffix, lines in (("clean", listing),
                          ("points", ["%s %d %s" % p for p in plist]),
                          ("missed", missed), ("rc", wrong), ("bad", bad),
                          ("zero", ["%s %d (%s)" % z for z in zero])):
        with open(res + "." + suffix, "w") as f:
            f.write("".join(x + "\n" for x in lines))


if __name__ == "__main__":
    main(sys.argv)
