#!/usr/bin/env python3
# Crash safety (DESIGN.md section 3): unzipd is killed with SIGKILL at
# random moments while it works through a spool of a few hundred mails,
# restarted, killed again, ... until it finishes.  At the end every mail
# is in xml/new exactly once (its report whole, byte for byte) or in
# mail/fail with a reason; nothing is lost, and nothing half-written is
# ever in xml/new.
import glob
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(os.path.dirname(here))
unzipd = os.path.join(os.environ.get("DMARCPIPE_BIN") or
                      os.path.join(top, "bin"), "unzipd")
mkfixture = os.path.join(top, "tests", "mkfixture.py")
root = os.geteuid() == 0
run_as = ["-u", "nobody"] if root else []
MAILS = 300
BAD_EVERY = 25          # every 25th mail holds an encrypted zip

print("1..6")
random.seed(int(os.environ.get("CRASH_SEED", "20261128")))
t = tempfile.mkdtemp(prefix="dmarcpipe-crash.")
os.chmod(t, 0o755)
try:
    samples = sorted(glob.glob(os.path.join(top, "samples", "*.xml")))
    fixtures = []
    for i, s in enumerate(samples):
        gz = os.path.join(t, "r%d.gz" % i)
        eml = os.path.join(t, "r%d.eml" % i)
        subprocess.run([sys.executable, mkfixture, "gz", gz, s], check=True)
        subprocess.run([sys.executable, mkfixture, "mail", eml, gz,
                        "application/gzip", "r.xml.gz", "base64"], check=True)
        with open(s, "rb") as f:
            fixtures.append((eml, f.read()))
    enc = os.path.join(t, "enc.zip")
    subprocess.run([sys.executable, mkfixture, "enczip", enc, samples[0]],
                   check=True)

    spool = os.path.join(t, "spool")
    os.mkdir(spool)
    if root:
        shutil.chown(spool, "nobody")
    subprocess.run([unzipd] + run_as + ["-d", spool], check=True)
    want = {}
    for i in range(MAILS):
        name = "1764201600.M%dP1.crash" % i
        if i % BAD_EVERY == BAD_EVERY - 1:
            src, body = enc, None
        else:
            src, body = fixtures[i % len(fixtures)]
        tmp = os.path.join(spool, "mail", "tmp", name)
        shutil.copyfile(src, tmp)
        if root:
            shutil.chown(tmp, "nobody")
        os.rename(tmp, os.path.join(spool, "mail", "new", name))
        want[name] = body

    kills = runs = 0
    while runs < 500:
        runs += 1
        p = subprocess.Popen([unzipd] + run_as + ["-l", "40", "-d", spool],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        # The n-th run lives up to 50 + 5n ms: early kills land in the
        # start-up, later ones deep in the work, and a loaded machine,
        # where the start-up alone can take 100 ms, still gets done.
        try:
            p.wait(timeout=random.uniform(0.001, 0.05 + 0.005 * runs))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            kills += 1
            continue
        if p.returncode != 0:
            print("# run %d exited %d" % (runs, p.returncode))
        if not os.listdir(os.path.join(spool, "mail", "new")) and \
           not os.listdir(os.path.join(spool, "mail", "cur")):
            break
    print("ok 1 - finished after %d runs, %d of them killed" % (runs, kills)
          if kills > 0 and runs < 500 else
          "not ok 1 - %d runs, %d killed" % (runs, kills))

    new = os.path.join(spool, "xml", "new")
    fail = os.path.join(spool, "mail", "fail")
    lost, dup, bad_bytes, bad_fail = [], [], [], []
    outputs = set(os.listdir(new))
    for name, body in want.items():
        mine = [o for o in outputs if o.startswith(name + "-")]
        if body is None:
            if not (os.path.exists(os.path.join(fail, name)) and
                    os.path.exists(os.path.join(fail, name + ".why"))):
                bad_fail.append(name)
            continue
        if not mine:
            lost.append(name)
        elif mine != [name + "-1"]:
            dup.append(name)
        else:
            with open(os.path.join(new, mine[0]), "rb") as f:
                if f.read() != body:
                    bad_bytes.append(name)
    print("%s 2 - no mail lost%s" % ("not ok" if lost else "ok",
                                    ": " + " ".join(lost[:5]) if lost else ""))
    print("%s 3 - no report twice%s" % ("not ok" if dup else "ok",
                                       ": " + " ".join(dup[:5]) if dup else ""))
    print("%s 4 - every report in xml/new whole, byte for byte%s" % (
        "not ok" if bad_bytes else "ok",
        ": " + " ".join(bad_bytes[:5]) if bad_bytes else ""))
    print("%s 5 - every bad mail in mail/fail with its reason%s" % (
        "not ok" if bad_fail else "ok",
        ": " + " ".join(bad_fail[:5]) if bad_fail else ""))
    strays = [o for o in outputs if o.split("-")[0] not in want]
    print("%s 6 - nothing else in xml/new%s" % (
        "not ok" if strays else "ok",
        ": " + " ".join(strays[:5]) if strays else ""))
finally:
    shutil.rmtree(t)
