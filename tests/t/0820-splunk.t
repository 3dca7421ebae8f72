#!/bin/sh
# scripts/splunk/*.conf against real lines: rua2kv -f json and -f kv on the
# samples, the fixtures and reports made here (escapes everywhere, every
# array, a record too long for Splunk's defaults), through ptrresolve -N.
# tests/splunk.py reads the .conf files and does what Splunk would do
# with them: line breaking, timestamps, the kv transforms and EVALs,
# KV_MODE = json and the FIELDALIASes, and what SA-dmarc reads.
. "$(dirname "$0")/../lib.sh"
plan 18

CONF=$TOP/scripts/splunk
D=$T/data
X=$T/xml
mkdir -p "$D/json" "$D/kv" "$X" || exit 1
R=$T/results
mkdir -p "$R" || exit 1

# res LABEL: what tests/splunk.py found for the check it ran as LABEL;
# true when it found nothing wrong
res() {
	cat "$R/$1"
	read -r _rc <"$R/$1.rc" && [ "$_rc" = 0 ]
}

todo() {	# todo DESCRIPTION REASON COMMAND...: a known failure
	_d=$1
	_r=$2
	shift 2
	_n=$((_n + 1))
	if "$@"; then
		echo "ok $_n - $_d # TODO $_r"
	else
		echo "not ok $_n - $_d # TODO $_r"
	fi
}

# gen DIR NAME XML: the report's events, both formats, as the spool
# would have them (lookups off: source_hostname "-").
gen() {
	for _f in json kv; do
		"$BIN/rua2kv" $RUN_AS -f $_f "$3" >"$T/.gen" 2>>"$T/gen.err" &&
		"$BIN/ptrresolve" $RUN_AS -N <"$T/.gen" >"$1/$_f/$2" \
		    2>>"$T/gen.err" || return 1
	done
}

# broken DIR FILE OLD NEW: the files of $CONF in DIR, with OLD in FILE
# made NEW wherever it is (and it must be somewhere).
broken() {
	mkdir "$1" && cp "$CONF"/*.conf "$1/" &&
	OLD=$3 NEW=$4 awk '
	    { i = index($0, ENVIRON["OLD"]) }
	    i { $0 = substr($0, 1, i - 1) ENVIRON["NEW"] \
		substr($0, i + length(ENVIRON["OLD"])); n++ }
	    { print }
	    END { exit n == 0 }' "$CONF/$2" >"$1/$2"
}

hdr='<feedback><version>1.0</version><report_metadata>
<org_name>o</org_name><email>e@example.net</email><report_id>r</report_id>
<date_range><begin>1764201600</begin><end>1764287999</end></date_range>
</report_metadata><policy_published><domain>example.com</domain>
<p>none</p></policy_published>'
row='<row><source_ip>192.0.2.1</source_ip><count>1</count>
<policy_evaluated><disposition>none</disposition><dkim>fail</dkim>
<spf>pass</spf>'
id='<identifiers><header_from>example.com</header_from></identifiers>'

# A quote and a backslash in every value that can take them.
q='"\'
cat >"$X/quotes.xml" <<EOF
<feedback><version>1.$q</version><report_metadata>
<org_name>Org "Quoted" \back$q</org_name><email>e$q</email>
<extra_contact_info>x$q</extra_contact_info><report_id>r$q</report_id>
<date_range><begin>1764201600</begin><end>e$q</end></date_range>
<error>e$q</error><generator>g$q</generator></report_metadata>
<policy_published><domain>d$q</domain><adkim>a$q</adkim><aspf>a$q</aspf>
<p>p$q</p><sp>s$q</sp><pct>1$q</pct><fo>f$q</fo><np>n$q</np>
<testing>t$q</testing><discovery_method>m$q</discovery_method>
</policy_published><record><row><source_ip>192.0.2.1$q</source_ip>
<count>2$q</count><policy_evaluated><disposition>d$q</disposition>
<dkim>k$q</dkim><spf>s$q</spf><reason><type>t$q</type>
<comment>c$q</comment></reason></policy_evaluated></row><identifiers>
<envelope_to>t$q</envelope_to><envelope_from>f$q</envelope_from>
<header_from>h$q</header_from></identifiers><auth_results><dkim>
<domain>d$q</domain><selector>s$q</selector><result>r$q</result>
<human_result>h$q</human_result></dkim><spf><domain>d$q</domain>
<scope>s$q</scope><result>r$q</result><human_result>h$q</human_result>
</spf></auth_results></record></feedback>
EOF

# Every array our JSON has, with every member, and a third DKIM result
# with escapes; an RFC 9990 report for the lang attributes.
cat >"$X/arrays.xml" <<EOF
<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0"><version>1.0</version>
<report_metadata><org_name>o</org_name><email>e@example.net</email>
<report_id>r2</report_id><date_range><begin>1764201600</begin>
<end>1764287999</end></date_range><error>one</error>
<error lang="de">zwei "2"</error></report_metadata><policy_published>
<domain>example.com</domain><p>reject</p></policy_published><record>
$row<reason><type>forwarded</type><comment>c1</comment></reason>
<reason><type>local_policy</type><comment lang="en">c2 \\ "x"</comment>
</reason></policy_evaluated></row>$id<auth_results>
<dkim><domain>a.example</domain><selector>s1</selector><result>pass</result>
<human_result>h1</human_result></dkim>
<dkim><domain>b.example</domain><selector>s2</selector><result>fail</result>
<human_result lang="en">h2</human_result></dkim>
<dkim><domain>c.example</domain><selector>s3</selector><result>fail</result>
<human_result>h3 "q" \\</human_result></dkim>
<spf><domain>example.com</domain><scope>helo</scope><result>pass</result>
<human_result>sh1</human_result></spf>
<spf><domain>b.example.com</domain><scope>mfrom</scope><result>fail</result>
<human_result lang="en">sh2</human_result></spf>
</auth_results></record></feedback>
EOF

# Tab, LF and CR in values: still one line each.
cat >"$X/ctl.xml" <<EOF
$hdr<record>$row<reason><type>other</type>
<comment>a&#9;b&#10;c&#13;d</comment></reason></policy_evaluated></row>
$id<auth_results><spf><domain>example.com</domain><result>pass</result>
</spf></auth_results></record></feedback>
EOF

# A record with 300 DKIM results: longer than Splunk's default TRUNCATE.
{
	printf '%s<record>%s</policy_evaluated></row>%s<auth_results>\n' \
	    "$hdr" "$row" "$id"
	i=0
	while [ $i -lt 300 ]; do
		i=$((i + 1))
		printf '<dkim><domain>d%d.example.com</domain>' $i
		printf '<selector>sel%d</selector><result>pass</result></dkim>\n' $i
	done
	printf '<spf><domain>example.com</domain><result>pass</result></spf>'
	printf '</auth_results></record></feedback>\n'
} >"$X/long.xml"

# The first DKIM result without a selector, the first reason without a
# comment: the JSON arrays' members then lose their places.
cat >"$X/sparse.xml" <<EOF
$hdr<record>$row<reason><type>forwarded</type></reason>
<reason><type>other</type><comment>c2</comment></reason>
</policy_evaluated></row>$id<auth_results>
<dkim><domain>a.example</domain><result>pass</result></dkim>
<dkim><domain>b.example</domain><selector>s2</selector><result>fail</result>
</dkim><spf><domain>example.com</domain><result>pass</result></spf>
</auth_results></record></feedback>
EOF

n=0
for f in "$TOP"/samples/*.xml "$TOP"/tests/fixtures/*.xml "$X"/*.xml; do
	n=$((n + 1))
	gen "$D" "$n-$(basename "$f" .xml)" "$f" || break
done
is "events of every report, both formats" "$(cat "$T/gen.err")" ""

# A real spool run, for the file names the inputs must take; and what
# they must leave: tmp/, a hidden file, a subdirectory.
S=$T/spool
mkdir -p "$S/drop"
cp "$TOP"/samples/*.xml "$X/quotes.xml" "$S/drop/"
[ -n "$RUN_AS" ] && chown -R nobody "$S"
"$BIN/unzipd" $RUN_AS -q 0 -d "$S" 2>"$T/spool.err" &&
"$BIN/rua2kv" $RUN_AS -d "$S" 2>>"$T/spool.err" &&
"$BIN/ptrresolve" $RUN_AS -N -d "$S" 2>>"$T/spool.err"
(cd "$S" && find out/new -type f) >"$T/published"
is "a spool run publishes a file per report" \
    "$(grep -c . "$T/published")" 5
mkdir -p "$S/out/new/sub" "$S/out/tmp"
for p in out/tmp/1.M1P1Q1.x out/new/.1.M1P1Q1.x out/new/sub/1.M1P1Q1.x \
    out/new/1.M1P1Q1.x~; do
	: >"$S/$p"
done

# And broken copies, to see the checks fail.
broken "$T/b1" props.conf 'MAX_TIMESTAMP_LOOKAHEAD = 10' \
    'MAX_TIMESTAMP_LOOKAHEAD = 9'
broken "$T/b2" transforms.conf '="((?:[^"\\]|\\.)*)"' '="([^"]*)"'
broken "$T/b3" props.conf 'dkim{}.selector ASNEW' 'dkim{}.selector AS'

python3 "$TOP/tests/splunk.py" "$R" "$D" "$S" "$T/published" "$CONF" \
    syntax=syntax inputs=inputs files=files breaking=breaking long=long \
    time=time kv=kv multivalue=multivalue alias-paths=alias-paths \
    alias-values=alias-values sa-names=sa-names sa-positions=sa-positions \
    b1=time@"$T/b1" b2=kv@"$T/b2" b3=alias-values@"$T/b3"

ok "conf files: well-formed, no stanza or key twice, REPORTs resolve" \
    res syntax
ok "inputs: json on, kv off, index dmarc, both on SPOOL/out/new" res inputs
ok "inputs: every published file taken; tmp/, hidden, deeper ones not" \
    res files
ok "line breaking: one event per line, TRUNCATE over the longest" \
    res breaking
ok "a line (300 DKIM results) is longer than Splunk's default TRUNCATE" \
    res long
ok "time: TIME_PREFIX, then %s within the lookahead, is date_range begin" \
    res time
ok "kv: every pair of every line, the JSON's value, escapes and all" \
    res kv
ok "kv: dkim_domain and the other families as multivalue fields, in order" \
    res multivalue
ok "json: every FIELDALIAS source is a path of a real line; all ASNEW" \
    res alias-paths
ok "json: aliased fields have the values the kv event has" res alias-values
ok "SA-dmarc: its alias names made; its dashboards' fields on both kinds" \
    res sa-names
todo "SA-dmarc's X_1, X_2 from JSON arrays are the record's 1st, 2nd" \
    "a member missing from one array element shifts the later ones" \
    res sa-positions
! res b1 >/dev/null
is "caught: a lookahead that misses the 10th digit" "$?" 0
! res b2 >/dev/null
is "caught: a value regex that stops at an escaped quote" "$?" 0
! res b3 >/dev/null
is "caught: AS, which empties dkim_selector on one-result events" "$?" 0

if [ -f "$SHARED/corpus/EXPECTED.jsonl" ]; then
	# one run over all of them (refused ones give no lines in either
	# format); a line's file_name says which report it is of
	C=$T/corpus
	mkdir -p "$C/json" "$C/kv"
	find "$SHARED/corpus/aggregate" -type f >"$T/corpus.list"
	set --
	while IFS= read -r f; do
		set -- "$@" "$f"
	done <"$T/corpus.list"
	n=$#
	for f in json kv; do
		"$BIN/rua2kv" $RUN_AS -f $f "$@" >"$T/.gen" 2>/dev/null
		"$BIN/ptrresolve" $RUN_AS -N <"$T/.gen" >"$C/$f/corpus" \
		    2>>"$T/corpus.err"
	done
	python3 "$TOP/tests/splunk.py" "$R" "$C" - - "$CONF" corpus=data
	ok "corpus: breaking, time, kv fields and aliases on $n reports" \
	    res corpus
else
	skip "corpus: breaking, time, kv fields and aliases" \
	    "no corpus at $SHARED/corpus"
fi

finish
