#!/bin/sh
# rua2kv -d: the spool protocol of DESIGN.md section 3 on real
# directories: publish, fail with a reason, recovery, replay, and a
# report's events whole or not at all.
. "$(dirname "$0")/../lib.sh"
plan 31
F=$TOP/tests/fixtures
S=$T/spool
mkdir "$S"
# Root runs rua2kv as nobody, who must own the spool.
[ -n "$RUN_AS" ] && chown nobody "$S"

run rua2kv -d "$S"
is "empty spool: exit 0" "$rc" 0
ok "stages created" test -d "$S/xml/new" -a -d "$S/xml/cur" -a \
    -d "$S/xml/fail" -a -d "$S/xml/tmp" -a -d "$S/events/new"

drop() {	# drop NAME < content: into xml/ the maildir way
	cat >"$S/xml/tmp/$1" && mv "$S/xml/tmp/$1" "$S/xml/new/$1"
}
REC='<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>'
report() {
	printf '<feedback><report_metadata><org_name>%s</org_name>' "$1"
	printf '</report_metadata>%s</feedback>\n' "$2"
}

drop good <"$F/basic.xml"
report a "$REC" | cat - "$F/basic.xml" | drop two
printf '<report/>' | drop bad
report empty '' | drop norecords
run rua2kv -d "$S"
is "mixed items: exit 0 (outcomes are where items go)" "$rc" 0
is "one events file per report" "$(ls "$S/events/new" | tr '\n' ' ')" \
    "good-1 two-1 two-2 "
is "events: the report's events, named after the item" \
    "$(cat "$S/events/new/good-1")" \
    "$(sed 's/"file_name": "basic.xml"/"file_name": "good"/' "$F/basic.json")"
is "concatenated reports: one file each" \
    "$(wc -l <"$S/events/new/two-1") $(wc -l <"$S/events/new/two-2")" "1 2"
ok "bad report: moved to fail/" test -f "$S/xml/fail/bad"
is "bad report: the reason beside it" "$(cat "$S/xml/fail/bad.why")" \
    "report 1: not a DMARC aggregate report: root element <report> holds no <feedback>"
like "bad report: the reason logged with the item name" "$err" \
    '^rua2kv: bad: moved to xml/fail: report 1: not a DMARC'
like "report without records: a warning" "$err" \
    '^rua2kv: norecords: report 1 has no records$'
is "all items consumed: new/ and cur/ empty" \
    "$(ls "$S/xml/new" "$S/xml/cur" | grep -v : | grep -c .)" 0
is "nothing left in tmp/" "$(ls "$S/xml/tmp" "$S/events/tmp" | grep -v : | grep -c .)" 0

# Replay: the same item again meets EEXIST, no duplicate, nothing lost.
before=$(cat "$S/events/new/good-1")
drop good <"$F/basic.xml"
run rua2kv -d "$S"
is "replay: exit 0" "$rc" 0
like "replay: says the events are already there" "$err" \
    'good: events/new/good-1 already there: not replaced'
is "replay: events unchanged" "$(cat "$S/events/new/good-1")" "$before"
is "replay: item consumed" "$(ls "$S/xml/new" | grep -c .)" 0

# Recovery: what a crashed run left in cur/ goes back to new/ and is done.
cp "$F/basic.xml" "$S/xml/cur/crashed"
run rua2kv -d "$S"
like "recovery: announced" "$err" '1 item(s) back from cur/ to new/'
ok "recovery: processed" test -s "$S/events/new/crashed-1"
is "recovery: cur/ empty" "$(ls "$S/xml/cur" | grep -c .)" 0

# Another live worker (holding the stage's shared lock): its item in
# cur/ is not taken from it; once it is gone, a new start recovers it.
cp "$F/basic.xml" "$S/xml/cur/busy"
flock -o -s "$S/xml" sleep 2 &
holder=$!
i=0
while [ $i -lt 50 ] && ! grep -q "$(stat -c %i "$S/xml")" /proc/locks; do
	sleep 0.1; i=$((i + 1))
done
run rua2kv -d "$S"
ok "live worker: its item stays in cur/" test -f "$S/xml/cur/busy"
ok "live worker: no events made from it" test ! -e "$S/events/new/busy-1"
wait $holder
run rua2kv -d "$S"
ok "worker gone: item recovered and done" test -s "$S/events/new/busy-1"

# Whole or nothing: a report whose last record is refused after 2000
# good ones publishes no events at all.
python3 -c '
rec = "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><identifiers><header_from>%s</header_from></identifiers></record>"
print("<feedback><report_metadata><org_name>a</org_name></report_metadata>" + rec % "x" * 2000 + rec % ("y" * 70000) + "</feedback>")' | drop half
run rua2kv -d "$S"
ok "half a report: no events file" test ! -e "$S/events/new/half-1"
ok "half a report: nothing in events/tmp" test -z "$(ls "$S/events/tmp")"
like "half a report: failed with the reason" "$(cat "$S/xml/fail/half.why")" \
    'text of <header_from> over 65536 bytes (xml_text limit)'

# Several good reports and a bad one in one item: the good ones are
# published, the item goes to fail/ with the bad one's reason.
{ report a "$REC"; echo '<x>'; echo '<?xml version="1.0"?>'; } | drop mixed
run rua2kv -d "$S"
ok "mixed item: the good report published" test -s "$S/events/new/mixed-1"
like "mixed item: failed naming report 2" "$(cat "$S/xml/fail/mixed.why")" \
    '^report 2: line 3: XML declaration allowed only at the start'

# A stage rua2kv can't write to: a temporary failure, the item waits.
drop later <"$F/basic.xml"
chmod 0500 "$S/events/tmp"
run rua2kv -d "$S"
is "unwritable events/tmp: exit 75" "$rc" 75
ok "unwritable events/tmp: the item waits in new/" test -f "$S/xml/new/later"
like "unwritable events/tmp: the fault said" "$err" \
    '^rua2kv: later: events/tmp: Permission denied$'
like "unwritable events/tmp: the retry said" "$err" \
    '^rua2kv: later: back in xml/new for a later retry$'
chmod 0750 "$S/events/tmp"

finish
