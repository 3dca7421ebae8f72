#!/usr/bin/env python3
"""What tests/t/0820-splunk.t checks of scripts/splunk/*.conf, done the way
Splunk would do it, on real output lines.

    splunk.py OUTDIR DATA SPOOL PUBLISHED CONFDIR LABEL=CHECK[@CONFDIR]...

DATA holds json/NAME and kv/NAME: the lines of one report each, as
rua2kv -f json and -f kv wrote them (through ptrresolve -N), the record
order the same in both.  SPOOL is a spool a real run filled, PUBLISHED
the list of the files it put in out/new.  Each check writes "# " lines
saying what is wrong to OUTDIR/LABEL, and 1 (wrong) or 0 to
OUTDIR/LABEL.rc.

Nothing here repeats a value of the .conf files: the regexes, time
settings, aliases and EVALs are read from them and applied as Splunk
does: conf values taken as written (PCRE gets them as they are), a
TIME_PREFIX match then TIME_FORMAT within MAX_TIMESTAMP_LOOKAHEAD,
LINE_BREAKER's first group as the cut, search-time REPORT transforms
applied again and again along the event, KV_MODE = json's field names
(keys joined by ".", arrays as "{}"), FIELDALIAS, then the EVALs, all at
once on the fields as they were before.  What is written here is what
Splunk and SA-dmarc are (ta-dmarc.md section 7) and what our formats are
(output.md): the names SA-dmarc reads, and which JSON path is which kv
name.
"""
import contextlib
import fnmatch
import functools
import io
import json
import os
import re
import sys
import traceback

# SA-dmarc (ta-dmarc.md 7.2).  Its FIELDALIAS-json_to_kv_names3 targets:
SA_NAMES3 = """published_adkim published_aspf published_domain published_p
published_pct published_sp published_fo dkim_domain dkim_result dkim_selector
dkim_human_result spf_domain spf_result spf_scope header_from envelope_from
envelope_to count source_ip source_hostname evaluated_disposition
evaluated_dkim evaluated_spf evaluated_reason_type evaluated_reason_comment
date_range_begin date_range_end email extra_contact_info org_name
report_id""".split()
# the names its EVALs make X_1 and X_2 of (X_2 "not_set" unless multivalue)
SA_EVAL_BASES = """dkim_domain dkim_result dkim_selector dkim_human_result
spf_domain spf_result spf_scope evaluated_reason_type
evaluated_reason_comment""".split()
# what its dashboards and the spf_dkim_dmarc_checks macro read from the
# events (published_dmarc_* come from stats, mail_server_group from a
# lookup, dkim_selector1/2 never exist: fillnull)
SA_DASHBOARDS = """published_p published_adkim published_aspf spf_domain_1
spf_domain_2 spf_result_1 spf_result_2 spf_scope_1 spf_scope_2 dkim_domain_1
dkim_domain_2 dkim_result_1 dkim_result_2 dkim_selector source_ip header_from
org_name evaluated_disposition source_hostname count""".split()
SPLUNK_TRUNCATE_DEFAULT = 10000

failures = []


def fail(msg):
    if len(failures) < 20:
        print("# " + msg)
    failures.append(msg)


# --- .conf files ---------------------------------------------------------

def read_conf(path, strict=True):
    """[(stanza, {key: value})] in file order.  Splunk's reading: '#'
    lines are comments, a value runs from after '=' to the end of the
    line, blanks around it dropped, a '\\' at the end continues the line.
    A stanza or key given twice would merge or override without a word:
    an error here, when STRICT."""
    out, seen, cur = [], set(), None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line, no = lines[i], i + 1
        while line.endswith("\\") and not line.endswith("\\\\") and \
                i + 1 < len(lines):
            i += 1
            line = line[:-1] + "\n" + lines[i]
        i += 1
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^\[(.*)\]$", s)
        if m:
            if m.group(1) in seen and strict:
                fail("%s:%d: stanza [%s] twice" % (path, no, m.group(1)))
            seen.add(m.group(1))
            cur = {}
            out.append((m.group(1), cur))
            continue
        if "=" not in s or cur is None:
            if strict:
                fail("%s:%d: not a stanza or key = value: %s" %
                     (path, no, s))
            continue
        k, v = s.split("=", 1)
        k, v = k.strip(), v.strip()
        if k in cur and strict:
            fail("%s:%d: %s twice in its stanza" % (path, no, k))
        cur[k] = v
    return out


_confs = {}


def confs(d):
    """The three files of D, read once (the caches below go by id());
    check_syntax says what is wrong with them."""
    if d not in _confs:
        _confs[d] = {n: dict(read_conf(os.path.join(d, n + ".conf"),
                                       strict=False))
                     for n in ("inputs", "props", "transforms")}
    return _confs[d]


@functools.lru_cache(maxsize=None)
def pcre(rx):
    """A PCRE as Python's re takes it: (?<name>...) is (?P<name>...)."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", rx))


_classes = {}


def classes(stanza, kind):
    """Values of KIND-<class> settings, in the ASCII order of the class,
    the order Splunk applies them in."""
    key = (id(stanza), kind)
    if key not in _classes:
        _classes[key] = [(k[len(kind) + 1:], stanza[k])
                         for k in sorted(stanza) if k.startswith(kind + "-")]
    return _classes[key]


def is_true(v):
    return v.strip().lower() in ("1", "true", "t", "yes", "y")


# --- Splunk's event processing -------------------------------------------

def break_events(text, stanza):
    """Events as LINE_BREAKER cuts TEXT: its first group is thrown away,
    what is before it ends an event, what is after it starts the next."""
    rx = pcre(stanza["LINE_BREAKER"])
    out, start = [], 0
    for m in rx.finditer(text):
        if m.start(1) == m.end(1):
            continue
        out.append(text[start:m.start(1)])
        start = m.end(1)
    if start < len(text):
        out.append(text[start:])
    return out


def extract_time(event, stanza):
    """(matched, epoch or None): TIME_PREFIX's first match, then
    TIME_FORMAT (only %s is ours) on the next MAX_TIMESTAMP_LOOKAHEAD
    characters."""
    m = pcre(stanza["TIME_PREFIX"]).search(event)
    if m is None:
        return False, None
    if stanza.get("TIME_FORMAT") != "%s":
        fail("TIME_FORMAT %r: only %%s is understood here" %
             stanza.get("TIME_FORMAT"))
        return True, None
    window = event[m.end():m.end() + int(stanza["MAX_TIMESTAMP_LOOKAHEAD"])]
    d = re.match(r"[0-9]+", window)
    return True, int(d.group(0)) if d else None


def flatten(obj, path="", out=None):
    """KV_MODE = json's fields: {name: [values]}."""
    if out is None:
        out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten(v, path + "." + k if path else k, out)
    elif isinstance(obj, list):
        for v in obj:
            flatten(v, path + "{}", out)
    else:
        out.setdefault(path, []).append(obj)
    return out


_aliases = {}


def aliases(stanza):
    """[(source, AS|ASNEW, target)] of every FIELDALIAS, in order."""
    if id(stanza) not in _aliases:
        _aliases[id(stanza)] = read_aliases(stanza)
    return _aliases[id(stanza)]


def read_aliases(stanza):
    out = []
    for cls, v in classes(stanza, "FIELDALIAS"):
        t = v.split()
        if len(t) % 3 != 0 or not t:
            fail("FIELDALIAS-%s: not SOURCE AS|ASNEW TARGET ...: %s" %
                 (cls, v))
            continue
        for i in range(0, len(t), 3):
            if t[i + 1].upper() not in ("AS", "ASNEW"):
                fail("FIELDALIAS-%s: %s is not AS or ASNEW" % (cls, t[i + 1]))
            out.append((t[i], t[i + 1].upper(), t[i + 2]))
    return out


def apply_aliases(fields, al):
    """FIELDALIAS as Splunk 7.2.4 and later does it: AS sets the target
    and empties it when the source is missing; ASNEW sets it only when
    the target is not there yet."""
    for src, how, dst in al:
        if how == "ASNEW":
            if src in fields and dst not in fields:
                fields[dst] = list(fields[src])
        elif src in fields:
            fields[dst] = list(fields[src])
        else:
            fields.pop(dst, None)
    return fields


def report(event, stanza, transforms):
    """Search-time REPORT transforms on EVENT: {name: [values]}."""
    fields = {}
    for cls, names in classes(stanza, "REPORT"):
        for name in [n.strip() for n in names.split(",")]:
            t = transforms.get(name)
            if t is None:
                fail("REPORT-%s: no [%s] in transforms.conf" % (cls, name))
                continue
            fmt = re.fullmatch(r"\$(\d+)::\$(\d+)", t.get("FORMAT", ""))
            if not fmt:
                fail("[%s]: FORMAT %r is not $n::$m" % (name, t.get("FORMAT")))
                continue
            kg, vg = int(fmt.group(1)), int(fmt.group(2))
            mv = is_true(t.get("MV_ADD", "false"))
            keep = is_true(t.get("KEEP_EMPTY_VALS", "false"))
            for m in pcre(t["REGEX"]).finditer(event):
                k, v = m.group(kg), m.group(vg)
                if v == "" and not keep:
                    continue
                if k in fields:
                    if mv:
                        fields[k].append(v)
                else:
                    fields[k] = [v]
    return fields


# A calculated field: the few eval functions our EVALs use, and string
# literals as eval reads them ("\\" a backslash, "\"" a quote).
@functools.lru_cache(maxsize=None)
def eval_parse(s):
    pos = [0]

    def ws():
        while pos[0] < len(s) and s[pos[0]] == " ":
            pos[0] += 1

    def expr():
        ws()
        if s[pos[0]] == '"':
            pos[0] += 1
            out = ""
            while s[pos[0]] != '"':
                if s[pos[0]] == "\\" and s[pos[0] + 1] in '\\"':
                    out += s[pos[0] + 1]
                    pos[0] += 2
                else:
                    out += s[pos[0]]
                    pos[0] += 1
            pos[0] += 1
            return ("str", out)
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*").match(s, pos[0])
        if not m:
            raise ValueError("eval: cannot read %r" % s[pos[0]:])
        pos[0] = m.end()
        ws()
        if pos[0] < len(s) and s[pos[0]] == "(":
            pos[0] += 1
            args = []
            while True:
                args.append(expr())
                ws()
                c = s[pos[0]]
                pos[0] += 1
                if c == ")":
                    break
                if c != ",":
                    raise ValueError("eval: %r at %d" % (c, pos[0]))
            return ("call", m.group(0), args)
        return ("field", m.group(0))

    e = expr()
    ws()
    if pos[0] != len(s):
        raise ValueError("eval: trailing %r" % s[pos[0]:])
    return e


def eval_run(e, fields, bound=None):
    """The value: None (null), a string, or a list (multivalue)."""
    if e[0] == "str":
        return e[1]
    if e[0] == "field":
        if bound is not None and e[1] == bound[0]:
            return bound[1]
        v = fields.get(e[1])
        if v is None:
            return None
        return v[0] if len(v) == 1 else list(v)
    fn, args = e[1], e[2]
    if fn == "replace" and len(args) == 3:
        x = eval_run(args[0], fields, bound)
        if x is None:
            return None
        if isinstance(x, list):
            raise ValueError("replace() on a multivalue field")
        rx = pcre(eval_run(args[1], fields, bound))
        rep = eval_run(args[2], fields, bound)
        return rx.sub(lambda m: re.sub(r"\\(\d)",
                                       lambda g: m.group(int(g.group(1))),
                                       rep), x)
    if fn == "coalesce":
        for a in args:
            x = eval_run(a, fields, bound)
            if x is not None:
                return x
        return None
    if fn == "mvmap" and len(args) == 2 and args[0][0] == "field":
        x = eval_run(args[0], fields, bound)
        if x is None:
            return None
        vals = x if isinstance(x, list) else [x]
        out = [eval_run(args[1], fields, (args[0][1], v)) for v in vals]
        return out if len(out) > 1 else out[0]
    raise ValueError("eval: %s() is not understood here" % fn)


def apply_evals(fields, stanza):
    """Every EVAL on the fields as they were before any of them."""
    new = {}
    for name, expr in classes(stanza, "EVAL"):
        v = eval_run(eval_parse(expr), fields)
        new[name] = v
    for name, v in new.items():
        if v is None:
            fields.pop(name, None)
        else:
            fields[name] = v if isinstance(v, list) else [v]
    return fields


def json_fields(line, props):
    st = props["dmarc:json"]
    if st.get("KV_MODE") != "json":
        fail("[dmarc:json] KV_MODE is %r, not json" % st.get("KV_MODE"))
    f = flatten(json.loads(line))
    apply_aliases(f, aliases(st))
    apply_evals(f, st)
    return f


def kv_fields(line, props, transforms):
    st = props["dmarc"]
    if st.get("KV_MODE", "auto") != "none":
        fail("[dmarc] KV_MODE is %r: automatic extraction would read the "
             "pairs again, without the escapes" % st.get("KV_MODE", "auto"))
    f = report(line, st, transforms)
    apply_evals(f, st)
    return f


def sa_evals(f):
    """SA-dmarc's EVALs on an event's fields (dmarc:json only):
    X_1 = if(mvcount(X)>1, mvindex(X,0), X) and
    X_2 = if(mvcount(X)>1, mvindex(X,1), "not_set"), so X_2 is "not_set"
    also when X is missing (a null condition is false)."""
    for b in SA_EVAL_BASES:
        x = f.get(b)
        if x is not None:
            f[b + "_1"] = [x[0]]
        f[b + "_2"] = [x[1] if x is not None and len(x) > 1 else "not_set"]
    return f


# --- our formats (output.md) ---------------------------------------------

def ctl_escaped(v):
    """A tab, CR or LF as Splunk shows it from kv: kv writes \\t, \\r,
    \\n, and only \\" and \\\\ are taken back."""
    return v.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def kv_escaped(v):
    """How kv writes a value."""
    return (v.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))


def kv_expected(obj):
    """{kv name: value} for a JSON event: the kv line of the same record
    must hold exactly these.  Parts of the JSON this does not know are
    reported: a field the kv mapping has not caught up with."""
    out = {}

    def put(name, v):
        if not isinstance(v, str):
            fail("JSON %s: not a string: %r" % (name, v))
            return
        out[name] = v

    def group(prefix, v, path):
        # one result is an object, several an array of objects
        items = v if isinstance(v, list) else [v]
        for n, it in enumerate(items, 1):
            if not isinstance(it, dict):
                fail("JSON %s: element %r" % (path, it))
                continue
            for k, x in it.items():
                put("%s_%s_%d" % (prefix, k, n), x)

    fb = obj.get("feedback", {})
    for k, v in fb.items():
        if k == "report_metadata":
            for k2, v2 in v.items():
                if k2 == "date_range":
                    for k3, v3 in v2.items():
                        put("date_range_" + k3, v3)
                elif k2 in ("error", "error_lang"):
                    for n, x in enumerate(v2 if isinstance(v2, list)
                                          else [v2], 1):
                        # error_lang runs beside error, "" for none
                        if x != "" or k2 == "error":
                            put("%s_%d" % (k2, n), x)
                else:
                    put(k2, v2)
        elif k == "policy_published":
            for k2, v2 in v.items():
                put("published_" + k2, v2)
        elif k == "record":
            for k2, v2 in v.items():
                if k2 == "identifiers":
                    for k3, v3 in v2.items():
                        put(k3, v3)
                elif k2 == "auth_results":
                    for k3, v3 in v2.items():
                        group(k3, v3, "auth_results." + k3)
                elif k2 == "row":
                    for k3, v3 in v2.items():
                        if k3 != "policy_evaluated":
                            put(k3, v3)
                            continue
                        for k4, v4 in v3.items():
                            if k4 == "reason":
                                group("evaluated_reason", v4, "reason")
                            else:
                                put("evaluated_" + k4, v4)
                else:
                    fail("JSON feedback.record.%s: no kv name known" % k2)
        elif k == "xml_namespace" and v == "":
            pass    # JSON says "" for no namespace, kv leaves it out
        else:
            put(k, v)
    return out


def load(data):
    """[(name, [json lines], [kv lines])], and the raw texts."""
    out = []
    for name in sorted(os.listdir(os.path.join(data, "json"))):
        with open(os.path.join(data, "json", name), encoding="utf-8",
                  newline="") as f:
            jt = f.read()
        with open(os.path.join(data, "kv", name), encoding="utf-8",
                  newline="") as f:
            kt = f.read()
        jl, kl = jt.split("\n"), kt.split("\n")
        for t, ls in ((jt, jl), (kt, kl)):
            if t and not t.endswith("\n"):
                fail("%s: last line without its newline" % name)
            if ls and ls[-1] == "":
                ls.pop()
        if len(jl) != len(kl):
            fail("%s: %d json lines, %d kv lines" % (name, len(jl), len(kl)))
        out.append((name, jl, kl, jt, kt))
    if not out:
        fail("%s: no output lines to check" % data)
    return out


# --- the checks ----------------------------------------------------------

def check_syntax(c, conf):
    for n in ("inputs", "props", "transforms"):
        read_conf(os.path.join(conf, n + ".conf"))     # says what is wrong
    props, tr = c["props"], c["transforms"]
    used = set()
    for st, s in props.items():
        for cls, names in classes(s, "REPORT"):
            for n in [x.strip() for x in names.split(",")]:
                used.add(n)
                if n not in tr:
                    fail("props [%s] REPORT-%s: no [%s] in transforms.conf"
                         % (st, cls, n))
        for k in ("LINE_BREAKER", "EVENT_BREAKER", "TIME_PREFIX"):
            if k in s:
                try:
                    pcre(s[k])
                except re.error as x:
                    fail("props [%s] %s: %s" % (st, k, x))
        for cls, e in classes(s, "EVAL"):
            try:
                eval_parse(e)
            except (ValueError, IndexError) as x:
                fail("props [%s] EVAL-%s: %s" % (st, cls, x))
    for n, s in tr.items():
        if n not in used:
            fail("transforms [%s]: no REPORT uses it" % n)
        try:
            pcre(s["REGEX"])
        except (KeyError, re.error) as x:
            fail("transforms [%s] REGEX: %s" % (n, x))
    for st, s in c["inputs"].items():
        t = s.get("sourcetype")
        if t not in props:
            fail("inputs [%s]: sourcetype %s has no props stanza" % (st, t))


def default_spool(top):
    for s, kv in read_conf(os.path.join(top, "scripts", "dmarcpipe.conf"),
                           strict=False):
        if "spool" in kv:
            return kv["spool"]
    fail("scripts/dmarcpipe.conf names no spool")
    return ""


def monitors(c):
    return [(st[len("monitor://"):], s) for st, s in c["inputs"].items()
            if st.startswith("monitor://")]


def check_inputs(c, conf):
    spool = default_spool(os.path.dirname(os.path.dirname(conf)))
    want = {"dmarc:json": "false", "dmarc": "true"}
    got = {}
    for path, s in monitors(c):
        t = s.get("sourcetype")
        got[t] = s.get("disabled", "false").lower()
        if s.get("index") != "dmarc":
            fail("monitor %s: index %r" % (path, s.get("index")))
        d = path[:-2] if path.endswith("/*") else path
        if d != spool + "/out/new":
            fail("monitor %s: not %s/out/new" % (path, spool))
    if got != want:
        fail("monitors by sourcetype and disabled: %r, want %r" % (got, want))


def takes(path, monpath, s):
    """Would this monitor stanza read the file at PATH, its path written
    as MONPATH (a directory, or one with a * for a file name)?"""
    if monpath.endswith("/*"):
        if not fnmatch.fnmatch(path, monpath) or \
                "/" in path[len(monpath) - 1:]:
            return False
    else:
        rel = os.path.relpath(path, monpath)
        if rel.startswith("..") or ("/" in rel and
                                     not is_true(s.get("recursive", "true"))):
            return False
    if "whitelist" in s and not pcre(s["whitelist"]).search(path):
        return False
    if "blacklist" in s and pcre(s["blacklist"]).search(path):
        return False
    return True


def check_files(c, conf, spool, published):
    """The stanzas, moved to SPOOL, against what a real run left there:
    they must take the files listed in PUBLISHED (paths in SPOOL), and
    no other file of the spool."""
    home = default_spool(os.path.dirname(os.path.dirname(conf)))
    with open(published) as f:
        good = [os.path.join(spool, l.rstrip("\n")) for l in f]
    bad = [os.path.join(d, f) for d, _, files in os.walk(spool)
           for f in files if os.path.join(d, f) not in good]
    if not good:
        fail("%s: no published files" % spool)
    for path, s in monitors(c):
        mp = spool + path[len(home):]
        for p in good:
            if not takes(p, mp, s):
                fail("monitor %s would not read %s" % (path, p))
        for p in bad:
            if takes(p, mp, s):
                fail("monitor %s would read %s" % (path, p))


def check_breaking(c, data, st):
    s = c["props"][st]
    which = "json" if st == "dmarc:json" else "kv"
    if is_true(s.get("SHOULD_LINEMERGE", "true")):
        fail("[%s] SHOULD_LINEMERGE is not false" % st)
    longest = 0
    for name, jl, kl, jt, kt in load(data):
        lines, text = (jl, jt) if which == "json" else (kl, kt)
        for k in [x for x in ("LINE_BREAKER", "EVENT_BREAKER") if x in s]:
            ev = break_events(text, {"LINE_BREAKER": s[k]})
            if ev != lines:
                fail("%s/%s: %s gives %d events for %d lines" %
                     (which, name, k, len(ev), len(lines)))
        for l in lines:
            longest = max(longest, len(l.encode("utf-8")))
    if int(s["TRUNCATE"]) <= longest:
        fail("[%s] TRUNCATE %s, a line has %d bytes" %
             (st, s["TRUNCATE"], longest))
    print("# %s: longest line %d bytes, TRUNCATE %s" %
          (which, longest, s["TRUNCATE"]))
    return longest


def begin_of(jline):
    return json.loads(jline).get("feedback", {}).get(
        "report_metadata", {}).get("date_range", {}).get("begin")


def check_time(c, data, st):
    s = c["props"][st]
    if s.get("TZ") != "UTC":
        fail("[%s] TZ is %r" % (st, s.get("TZ")))
    n = 0
    for name, jl, kl, jt, kt in load(data):
        for i, (j, k) in enumerate(zip(jl, kl), 1):
            line = j if st == "dmarc:json" else k
            b = begin_of(j)
            matched, t = extract_time(line, s)
            where = "%s/%s:%d" % ("json" if st == "dmarc:json" else "kv",
                                  name, i)
            if b is None:
                if matched:
                    fail("%s: no date range, TIME_PREFIX matches" % where)
                continue
            if not matched:
                fail("%s: TIME_PREFIX does not match" % where)
                continue
            num = re.fullmatch(r"([0-9]+)(\.0*)?", b)
            if num and t != int(num.group(1)):
                fail("%s: time %r, begin is %s" % (where, t, b))
            elif not num and t is not None:
                fail("%s: time %r out of begin %r" % (where, t, b))
            n += 1
    print("# %s: %d timestamps checked" % (st, n))


def check_kv(c, data):
    props, tr = c["props"], c["transforms"]
    for name, jl, kl, jt, kt in load(data):
        for i, (j, k) in enumerate(zip(jl, kl), 1):
            got = kv_fields(k, props, tr)
            want = kv_expected(json.loads(j))
            for key, v in want.items():
                m = re.fullmatch(r"(.*)_([0-9]+)", key)
                if m and int(m.group(2)) > 2:
                    v = kv_escaped(v)   # no EVAL past _2: as written
                else:
                    v = ctl_escaped(v)
                g = got.get(key)
                if g != [v]:
                    fail("kv/%s:%d: %s = %r, JSON says %r" %
                         (name, i, key, g, [v]))
            extra = []
            for x in got:
                if x in want or (x.endswith("_2") and
                                 got[x] == ["not_set"]):
                    continue
                # a family's multivalue field, dkim_domain for _1, _2 ...
                if any(re.fullmatch(re.escape(x) + "_[0-9]+", w)
                       for w in want):
                    continue
                extra.append(x)
            if extra:
                fail("kv/%s:%d: fields the JSON has not: %s" %
                     (name, i, " ".join(sorted(extra))))


def check_multivalue(c, data):
    """The unnumbered family fields of a kv event: every value, in order."""
    props, tr = c["props"], c["transforms"]
    n = 0
    for name, jl, kl, jt, kt in load(data):
        for i, (j, k) in enumerate(zip(jl, kl), 1):
            got = kv_fields(k, props, tr)
            want = {}
            for key, v in kv_expected(json.loads(j)).items():
                m = re.fullmatch(r"(.*)_([0-9]+)", key)
                if m and "_lang" not in m.group(1):
                    want.setdefault(m.group(1), []).append(
                        (int(m.group(2)), ctl_escaped(v)))
            for fam, vals in want.items():
                vals = [v for _, v in sorted(vals)]
                if got.get(fam) != vals:
                    fail("kv/%s:%d: %s = %r, want %r" %
                         (name, i, fam, got.get(fam), vals))
                n += 1
    print("# %d multivalue fields checked" % n)


def check_alias_paths(c, data):
    st = c["props"]["dmarc:json"]
    al = aliases(st)
    seen = set()
    for name, jl, kl, jt, kt in load(data):
        for j in jl:
            seen.update(flatten(json.loads(j)))
    for src, how, dst in al:
        if src not in seen:
            fail("FIELDALIAS %s: no real line has it" % src)
        if how != "ASNEW":
            fail("FIELDALIAS %s %s %s: AS empties the target when the "
                 "source is missing" % (src, how, dst))
    print("# %d aliases, %d paths in the lines" % (len(al), len(seen)))


def check_alias_values(c, data):
    props, tr = c["props"], c["transforms"]
    targets = {d for _, _, d in aliases(props["dmarc:json"])}
    n = 0
    for name, jl, kl, jt, kt in load(data):
        for i, (j, k) in enumerate(zip(jl, kl), 1):
            jf = json_fields(j, props)
            kf = kv_fields(k, props, tr)
            for t in sorted(targets):
                a = [ctl_escaped(x) for x in jf.get(t, [])]
                b = kf.get(t, [])
                if t == "xml_namespace" and a == [""] and not b:
                    continue    # "" in JSON, left out in kv
                if a != b:
                    fail("%s:%d: %s is %r from JSON, %r from kv" %
                         (name, i, t, a, b))
                n += 1
    print("# %d aliased fields compared" % n)


def check_sa_names(c, data):
    props, tr = c["props"], c["transforms"]
    targets = {d for _, _, d in aliases(props["dmarc:json"])}
    for t in SA_NAMES3:
        if t not in targets:
            fail("no FIELDALIAS makes SA-dmarc's %s" % t)
    have = {"json": set(), "kv": set()}
    for name, jl, kl, jt, kt in load(data):
        for j, k in zip(jl, kl):
            have["json"].update(sa_evals(json_fields(j, props)))
            have["kv"].update(kv_fields(k, props, tr))
    for w, h in have.items():
        missing = [f for f in SA_DASHBOARDS if f not in h]
        if missing:
            fail("%s events never have %s" % (w, " ".join(missing)))


def check_sa_positions(c, data):
    """SA-dmarc's X_1 and X_2 from a JSON event against the kv event's:
    both should name the record's first and second result."""
    props, tr = c["props"], c["transforms"]
    for name, jl, kl, jt, kt in load(data):
        for i, (j, k) in enumerate(zip(jl, kl), 1):
            jf = sa_evals(json_fields(j, props))
            kf = kv_fields(k, props, tr)
            for b in SA_EVAL_BASES:
                for n in ("_1", "_2"):
                    jv = jf.get(b + n)
                    if jv is not None:
                        jv = [ctl_escaped(x) for x in jv]
                    if jv != kf.get(b + n):
                        fail("%s:%d: %s%s is %r from JSON, %r from kv" %
                             (name, i, b, n, jv, kf.get(b + n)))


def check_long(data):
    n = max(len(l.encode("utf-8")) for _, jl, kl, _, _ in load(data)
            for l in jl + kl)
    print("# the longest line has %d bytes" % n)
    if n <= SPLUNK_TRUNCATE_DEFAULT:
        fail("no line longer than Splunk's default TRUNCATE, %d" %
             SPLUNK_TRUNCATE_DEFAULT)


def check_data(c, data):
    for st in ("dmarc:json", "dmarc"):
        check_breaking(c, data, st)
        check_time(c, data, st)
    check_kv(c, data)
    check_multivalue(c, data)
    check_alias_values(c, data)


CHECKS = {
    "syntax": lambda c, conf, a: check_syntax(c, conf),
    "inputs": lambda c, conf, a: check_inputs(c, conf),
    "files": lambda c, conf, a: check_files(c, conf, a[1], a[2]),
    "breaking": lambda c, conf, a: [check_breaking(c, a[0], st)
                                    for st in ("dmarc:json", "dmarc")],
    "long": lambda c, conf, a: check_long(a[0]),
    "time": lambda c, conf, a: [check_time(c, a[0], st)
                                for st in ("dmarc:json", "dmarc")],
    "kv": lambda c, conf, a: check_kv(c, a[0]),
    "multivalue": lambda c, conf, a: check_multivalue(c, a[0]),
    "alias-paths": lambda c, conf, a: check_alias_paths(c, a[0]),
    "alias-values": lambda c, conf, a: check_alias_values(c, a[0]),
    "sa-names": lambda c, conf, a: check_sa_names(c, a[0]),
    "sa-positions": lambda c, conf, a: check_sa_positions(c, a[0]),
    "data": lambda c, conf, a: check_data(c, a[0]),
}


def main():
    """splunk.py OUTDIR DATA SPOOL PUBLISHED CONFDIR LABEL=CHECK[@CONFDIR]...
    Each check, on CONFDIR or its own, writes what it found wrong to
    OUTDIR/LABEL and 0 or 1 to OUTDIR/LABEL.rc.  One run for them all:
    a python start-up is not free."""
    if len(sys.argv) < 7:
        sys.exit("usage: splunk.py outdir data spool published confdir "
                 "label=check[@confdir] ...")
    out, args, conf = sys.argv[1], sys.argv[2:5], sys.argv[5]
    for spec in sys.argv[6:]:
        label, _, what = spec.partition("=")
        what, _, cdir = what.partition("@")
        cdir = cdir or conf
        del failures[:]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                CHECKS[what](confs(cdir), cdir, args)
            except Exception:
                fail("%s: %s" % (what, traceback.format_exc()
                                 .replace("\n", "\n# ")))
            if len(failures) > 20:
                print("# ... %d more" % (len(failures) - 20))
        with open(os.path.join(out, label), "w") as f:
            f.write(buf.getvalue())
        with open(os.path.join(out, label + ".rc"), "w") as f:
            f.write("%d\n" % (1 if failures else 0))


if __name__ == "__main__":
    main()
