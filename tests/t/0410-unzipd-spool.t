#!/bin/sh
# unzipd -d: mails from mail/new, files dropped into drop/, one report
# per file in xml/new, bad inputs to fail/ with the reason, replays and
# crashes that lose nothing and duplicate nothing.
. "$(dirname "$0")/../lib.sh"
plan 33
cd "$T" || exit 1

mk() { python3 "$TOP/tests/mkfixture.py" "$@"; }
unzipd() { "$BIN/unzipd" $RUN_AS "$@"; }
S=$T/spool
mkdir "$S"
[ -n "$RUN_AS" ] && chown nobody "$S"

cp "$(ls "$TOP"/samples/google.com*.xml)" r.xml
cp "$(ls "$TOP"/samples/enterprise*.xml)" r2.xml
mk gz r.xml.gz r.xml
mk zip two.zip a.xml=r.xml b.xml=r2.xml
mk mail b64.eml r.xml.gz application/gzip r.xml.gz base64
mk enczip enc.zip r.xml
mk zip dotdot.zip ../../escape.xml=r.xml

run unzipd -d "$S"
is "empty spool: exit 0" "$rc" 0
ok "stages made" test -d "$S/mail/new" -a -d "$S/drop/new" -a \
    -d "$S/xml/new" -a -d "$S/drop/fail"

deliver() {	# deliver STAGE NAME FILE: the maildir way
	cp "$3" "$S/$1/tmp/$2" && mv "$S/$1/tmp/$2" "$S/$1/new/$2"
}
deliver mail 1764201600.M1P1.mx b64.eml
deliver mail 1764201600.M2P1.mx enc.zip
deliver mail 1764201600.M3P1.mx two.zip
deliver mail 1764201600.M4P1.mx dotdot.zip
run unzipd -d "$S"
is "mails: exit 0" "$rc" 0
is "a report mail: its report in xml/new, byte for byte" \
    "$(cat "$S/xml/new/1764201600.M1P1.mx-1")" "$(cat r.xml)"
is "a zip of two: two reports" \
    "$(ls "$S/xml/new" | grep -c '^1764201600.M3P1.mx-[12]$')" 2
ok "a bad input: in mail/fail" test -f "$S/mail/fail/1764201600.M2P1.mx"
is "a bad input: the reason beside it" \
    "$(cat "$S/mail/fail/1764201600.M2P1.mx.why")" \
    "zip member report.xml is encrypted"
like "a bad input: logged" "$err" \
    'unzipd: 1764201600.M2P1.mx: moved to mail/fail: zip member report.xml is encrypted'
ok "../../escape.xml: nothing outside xml/new" \
    test ! -e "$S/escape.xml" -a ! -e "$S/../escape.xml" -a \
    -f "$S/xml/new/1764201600.M4P1.mx-1"
is "mail/new and mail/cur empty" \
    "$(ls "$S/mail/new" "$S/mail/cur" | grep -v : | grep -c .)" 0
is "nothing left in tmp/" "$(ls "$S/xml/tmp" "$S/mail/tmp" | grep -v : |
    grep -c .)" 0

# Replay: the same mail again makes no duplicate.
deliver mail 1764201600.M1P1.mx b64.eml
run unzipd -d "$S"
like "replay: already there" "$err" \
    'xml/new/1764201600.M1P1.mx-1 already there: not replaced'
is "replay: one report file for it" \
    "$(ls "$S/xml/new" | grep -c '^1764201600.M1P1.mx-')" 1

# Dropped files: loose ones after the quiet period, drop/new at once.
cp r.xml.gz "$S/drop/report one.xml.gz"
run unzipd -d "$S"
ok "a fresh loose file waits out the quiet period" \
    test -f "$S/drop/report one.xml.gz"
run unzipd -q 0 -d "$S"
ok "-q 0: the loose file is taken" test ! -e "$S/drop/report one.xml.gz"
like "-q 0: said" "$err" '1 dropped file(s) taken'
is "-q 0: its report, named after a unique name and the original" \
    "$(cat "$S"/xml/new/*,report\ one.xml.gz-1)" "$(cat r.xml)"
deliver drop ready.zip two.zip
run unzipd -d "$S"
is "drop/new: taken at once" "$(ls "$S/xml/new" | grep -c '^ready.zip-')" 2

# Crash recovery: what a dead run left in cur/ is done again.
cp b64.eml "$S/mail/cur/1764201600.M9P1.mx"
run unzipd -d "$S"
like "recovery: said" "$err" 'mail: 1 item(s) back from cur/ to new/'
ok "recovery: the report" test -f "$S/xml/new/1764201600.M9P1.mx-1"

# An unwritable xml/tmp: a temporary failure, the mail waits.
deliver mail 1764201600.M10P1.mx b64.eml
chmod 0500 "$S/xml/tmp"
run unzipd -d "$S"
is "unwritable xml/tmp: exit 75" "$rc" 75
ok "unwritable xml/tmp: the mail waits in new/" \
    test -f "$S/mail/new/1764201600.M10P1.mx"
chmod 0750 "$S/xml/tmp"
run unzipd -d "$S"
ok "writable again: done" test -f "$S/xml/new/1764201600.M10P1.mx-1"

# A report refused after it began: nothing half-written stays anywhere.
{ head -c 70000 /dev/zero | tr '\0' ' '; } >pad
{ printf '<?xml version="1.0"?>\n<feedback>'; cat pad
  printf '<!DOCTYPE x></feedback>\n'; } >late.xml
deliver drop late.xml late.xml
run unzipd -d "$S"
is "DOCTYPE after 64 KiB: the reason, report 1" \
    "$(cat "$S/drop/fail/late.xml.why")" \
    "XML: report 1: a document type declaration (DOCTYPE) is not allowed in a report"
is "DOCTYPE after 64 KiB: nothing in xml/tmp or xml/new" \
    "$(ls "$S/xml/tmp" "$S/xml/new" | grep -c '^late')" 0

# A name too long to name reports after: refused for good, not retried.
long=$(printf '%0254d' 0)
deliver drop "$long" r.xml.gz
run unzipd -d "$S"
is "a 254-byte name: exit 0, the others go on" "$rc" 0
ok "a 254-byte name: in drop/fail" test -f "$S/drop/fail/$long"
like "a 254-byte name: the reason logged" "$err" \
    "$long: moved to drop/fail: the name is too long to name its reports after it"

# The same name in cur/ and new/: the old copy to fail/, the rest goes on.
deliver mail 1764201600.M11P1.mx b64.eml
cp b64.eml "$S/mail/cur/1764201600.M11P1.mx"
run unzipd -d "$S"
ok "in cur/ and new/: the new one done" \
    test -f "$S/xml/new/1764201600.M11P1.mx-1"
like "in cur/ and new/: the crashed copy to fail/, said" "$err" \
    'mail/cur/1764201600.M11P1.mx: also in new/: moved to fail/'

# A zip with no report in it.
echo hello >hello.txt
mk zip readme.zip README.txt=hello.txt
deliver drop readme.zip readme.zip
run unzipd -d "$S"
is "a zip without XML: the reason" "$(cat "$S/drop/fail/readme.zip.why")" \
    "no report in it: nothing that holds XML"

# Sandboxed while it waits on input (filter mode on a pipe).
sandboxed "$BIN/unzipd" $RUN_AS -x >/dev/null 2>&1
like "filter mode: seccomp on before the first byte" "$status" \
    '^Seccomp:[[:space:]]*2$'
exec 3>&-
wait $pid
ok "filter mode: empty input refused cleanly" test $? = 65

finish
