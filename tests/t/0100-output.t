#!/bin/sh
# rua2kv's output: exact json and kv for a report we wrote, both schemas,
# stdin and files, several inputs in one run.
. "$(dirname "$0")/../lib.sh"
F=$TOP/tests/fixtures
plan 22

cd "$F" || exit 1
run rua2kv basic.xml
is "json: exit 0" "$rc" 0
is "json: exact events" "$out" "$(cat basic.json)"
is "json: nothing on stderr" "$err" ""
ok "json: every line is a JSON object" python3 -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$T/.out"

run rua2kv -f kv basic.xml
is "kv: exact events" "$out" "$(cat basic.kv)"

run rua2kv -f kv <basic.xml
is "stdin: the same events, without file_name" "$out" \
    "$(sed 's/, file_name="basic.xml"//' basic.kv)"
ok "stdin: event_id does not depend on the file name" \
    grep -q 'event_id="8f6b37aa1c385ee03ee079d800000001"' "$T/.out"

cd "$T" || exit 1
ns9990='<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0"><version>1.0</version>
<report_metadata><org_name>a</org_name><report_id>r9</report_id>
<generator>gen 1</generator></report_metadata><policy_published>
<domain>example.com</domain><discovery_method>treewalk</discovery_method>
<testing>n</testing></policy_published><record><row>
<source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated>
<disposition>pass</disposition></policy_evaluated></row></record></feedback>'
run sh -c 'echo "$1" | "$2"/rua2kv $3' sh "$ns9990" "$BIN" "$RUN_AS"
like "RFC 9990: schema" "$out" '"schema": "rfc9990"'
like "RFC 9990: namespace kept" "$out" \
    '"xml_namespace": "urn:ietf:params:xml:ns:dmarc-2.0"'
like "RFC 9990: pass disposition survives" "$out" '"disposition": "pass"'
like "RFC 9990: discovery_method and testing" "$out" \
    '"testing": "n", "discovery_method": "treewalk"'
like "RFC 9990: generator in report_metadata" "$out" '"generator": "gen 1"'

printf '%s' '<d:feedback xmlns:d="http://dmarc.org/dmarc-xml/0.1">
<d:report_metadata><d:org_name>a</d:org_name></d:report_metadata><d:record>
<d:row><d:source_ip>192.0.2.1</d:source_ip><d:count>1</d:count></d:row>
</d:record></d:feedback>' >prefixed.xml
run rua2kv -f kv prefixed.xml
like "RFC 7489 namespace with a prefix: matched on local names" "$out" \
    'source_ip="192.0.2.1".*schema="rfc7489".*xml_namespace="http://dmarc.org/dmarc-xml/0.1"'

# Several inputs: events of each, in order; a bad one in the middle does
# not stop the others but makes the exit status non-zero.
cp "$F/basic.xml" good.xml
printf '<report><x/></report>' >unknown.xml
run rua2kv -f kv good.xml unknown.xml missing.xml good.xml
is "several files: events of the good ones" \
    "$(printf '%s\n' "$out" | grep -c 'file_name="good.xml"')" 4
is "several files: exit 66 (missing input beats bad data)" "$rc" 66
like "several files: unknown root named" "$err" \
    '^rua2kv: unknown.xml: not a DMARC aggregate report: root element <report> holds no <feedback>'
like "several files: missing file named" "$err" \
    '^rua2kv: missing.xml: No such file or directory'
run rua2kv good.xml unknown.xml
is "bad data: exit 65" "$rc" 65

# Usage errors
run "$BIN/rua2kv" -f xml good.xml
is "bad format: exit 64" "$rc" 64
like "bad format: usage shown" "$err" '^usage: rua2kv'
run "$BIN/rua2kv" -L nosuch=1 good.xml
is "unknown limit: exit 64" "$rc" 64
like "unknown limit: named" "$err" 'nosuch'

finish
