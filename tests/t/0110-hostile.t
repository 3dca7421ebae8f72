#!/bin/sh
# Hostile and broken input: every case gives events or one clear line
# naming the file and the reason, and the right exit status.
. "$(dirname "$0")/../lib.sh"
plan 73
cd "$T" || exit 1

# A report around the given records; $1 is the org_name text.
report() {
	printf '<feedback><report_metadata><org_name>%s</org_name>' "$1"
	printf '</report_metadata><policy_published><domain>example.com'
	printf '</domain></policy_published>%s</feedback>' "$2"
}
REC='<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>'

# refused FILE REASON-PATTERN DESCRIPTION: exit 65, no events, one line
refused() {
	run rua2kv "$1"
	is "$3: exit 65" "$rc" 65
	is "$3: no events" "$out" ""
	like "$3: one line naming the file and the reason" "$err" \
	    "^rua2kv: $1: $2\$"
}

# -- document type declarations: XXE, billion laughs, external DTD
cat >xxe.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>
X
refused xxe.xml 'line 2: a document type declaration (DOCTYPE) is not allowed in a report' XXE
cat >lol.xml <<'X'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY a "lollollollollollollollollollol">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<feedback><report_metadata><org_name>&c;</org_name></report_metadata></feedback>
X
refused lol.xml '.*DOCTYPE.*' "billion laughs"
# An external DTD on a port where a listener would notice a connection.
printf '<?xml version="1.0"?>\n<!DOCTYPE feedback SYSTEM "http://127.0.0.1:9/x.dtd">\n<feedback/>\n' >net.xml
refused net.xml '.*DOCTYPE.*' "external DTD"
report '&ext;' "$REC" >undefined.xml
refused undefined.xml "line 1: Entity 'ext' not defined" "undefined entity"
report 'A&amp;B &#233;&#x41;' "$REC" >predefined.xml
run rua2kv predefined.xml
like "predefined entities and character references are fine" "$out" \
    '"org_name": "A&B éA"'

# -- depth: <feedback><record><auth_results> and n more levels
deep() {
	i=0 s= e=
	while [ $i -lt "$1" ]; do s="$s<x>" e="</x>$e" i=$((i + 1)); done
	report a "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><auth_results>$s$e</auth_results></record>"
}
deep 29 >depth32.xml
deep 30 >depth33.xml
run rua2kv depth32.xml
is "depth 32: accepted" "$rc" 0
refused depth33.xml 'line 1: elements nested deeper than 32 (xml_depth limit)' "depth 33"
run rua2kv -L xml_depth=33 depth33.xml
is "depth 33 with -L xml_depth=33: accepted" "$rc" 0

# -- attributes: 64 on one element, then 65, with either quote
attrs() {
	python3 -c 'import sys
n = int(sys.argv[1])
print(" ".join("a%d=%s" % (i, "\"x\"" if i % 2 else "'"'"'>'"'"'")
    for i in range(n)))' "$1"
}
att() { report a "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><x $(attrs "$1")/></record>"; }
att 64 >attrs64.xml
att 65 >attrs65.xml
run rua2kv attrs64.xml
is "64 attributes on one element: accepted" "$rc" 0
refused attrs65.xml \
    'line 1: an element with more than 64 attributes (xml_attributes limit)' \
    "65 attributes"
run rua2kv -L xml_attributes=65 attrs65.xml
is "65 attributes with -L xml_attributes=65: accepted" "$rc" 0
iconv -f UTF-8 -t UTF-16 attrs65.xml >attrs65-16.xml
run rua2kv attrs65-16.xml
like "65 attributes in UTF-16: refused" "$rc $err" \
    '^65 .*more than 64 attributes (xml_attributes limit)$'

# -- text size
big() { python3 -c 'import sys; print("a" * int(sys.argv[1]))' "$1"; }
report "$(big 65536)" "$REC" >text65536.xml
report "$(big 65537)" "$REC" >text65537.xml
run rua2kv text65536.xml
is "text of 65536 bytes: accepted" "$rc" 0
refused text65537.xml \
    'line 1: text of <org_name> over 65536 bytes (xml_text limit)' "text of 65537 bytes"
report abcdefghijk "$REC" >text11.xml
run rua2kv -L xml_text=10 text11.xml
like "-L xml_text=10 refuses 11 bytes" "$err" 'over 10 bytes (xml_text limit)'

# -- record size and entries
R3='<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><auth_results>'
for d in a b c; do R3="$R3<dkim><domain>$d</domain><result>pass</result></dkim>"; done
report a "$R3</auth_results></record>" >items.xml
run rua2kv -L record_items=3 items.xml
is "3 dkim results under record_items=3: one event" "$rc/$(echo "$out" | wc -l)" 0/1
run rua2kv -L record_items=2 items.xml
like "3 dkim results under record_items=2: refused" "$err" \
    'items.xml: line 1: more than 2 <dkim> entries (record_items limit)'
# source_ip (9 bytes) + count (1) + header_from: 1024 bytes, then 1025
rb() {
	report a "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><identifiers><header_from>$(big "$1")</header_from></identifiers></record>"
}
rb 1014 >rbytes1024.xml
rb 1015 >rbytes1025.xml
run rua2kv -L record_bytes=1024 rbytes1024.xml
is "record of 1024 bytes under record_bytes=1024: accepted" "$rc" 0
run rua2kv -L record_bytes=1024 rbytes1025.xml
like "record of 1025 bytes under record_bytes=1024: refused" "$err" \
    'values of one record over 1024 bytes (record_bytes limit)'

# -- events per byte of report: a 1000-byte org_name on 20 small
# records; the whole report is read before its first event is counted
python3 -c 'import sys
sys.stdout.write("<feedback><report_metadata><org_name>%s</org_name></report_metadata><policy_published><domain>example.com</domain></policy_published>%s</feedback>" % ("o" * 1000, sys.argv[1] * 20))' "$REC" >ratio.xml
ev=$(rua2kv ratio.xml | wc -c)
sz=$(wc -c <ratio.xml)
r=$((ev / (sz + 1) + 1))	# the least ratio its events fit
run rua2kv -L event_ratio=$r ratio.xml
is "$ev bytes of events from $sz under event_ratio=$r: accepted" "$rc" 0
run rua2kv -L event_ratio=$((r - 1)) ratio.xml
is "... under event_ratio=$((r - 1)): exit 65" "$rc" 65
like "... the reason" "$err" \
    "^rua2kv: ratio.xml: line 1: events over $((r - 1)) times the report's size (event_ratio limit)\$"
ok "... its ratio is far under the default, 50" test "$r" -lt 50

# -- encodings
body="$(report 'Caf\351 M\374ller \200' "$REC")"
printf "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n$body" >cp1252.xml
run rua2kv cp1252.xml
like "windows-1252 transcoded to UTF-8" "$out" '"org_name": "Café Müller €"'
printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n$body" >wrongenc.xml
refused wrongenc.xml 'line 2: Input is not proper UTF-8, indicate encoding ! Bytes: 0xE9 0x20 0x4D 0xFC' \
    "latin-1 bytes declared UTF-8"
printf "<?xml version=\"1.0\"?>\n$body" >noenc.xml
refused noenc.xml 'line 2: Input is not proper UTF-8.*' "latin-1 bytes, no declaration"
utf8="$(report 'Caf\303\251' "$REC")"
printf "\357\273\277<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n$utf8" >bom.xml
run rua2kv bom.xml
like "UTF-8 byte order mark" "$out" '"org_name": "Café"'
printf "<?xml version=\"1.0\" encoding=\"UTF-16\"?>$utf8" |
    iconv -f UTF-8 -t UTF-16 >utf16.xml
run rua2kv utf16.xml
like "UTF-16 with a byte order mark" "$out" '"org_name": "Café"'
printf "<?xml version=\"1.0\" encoding=\"UTF-16\"?>$utf8" |
    iconv -f UTF-8 -t UTF-16BE >utf16be.xml
run rua2kv utf16be.xml
like "UTF-16BE without a byte order mark" "$out" '"org_name": "Café"'
printf "$utf8" | iconv -f UTF-8 -t UTF-32 >utf32.xml
refused utf32.xml 'line 1: UTF-32 input is not supported' "UTF-32"
printf " \r\n\n<?xml version=\"1.0\"?>\n$utf8" >space.xml
run rua2kv space.xml
like "white space before the XML declaration" "$out" '"org_name": "Café"'

# -- odd content
report a '<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row><identifiers><header_from/></identifiers></record>' |
    sed 's|<report_metadata>|&<date_range><begin>yesterday</begin><end></end></date_range>|' >odd.xml
run rua2kv odd.xml
like "non-numeric dates pass through" "$out" \
    '"date_range": {"begin": "yesterday", "end": ""}'
like "empty elements are \"\"" "$out" '"header_from": ""'
report a '<record><row><source_ip>192.0.2.1</source_ip><count>1</count><weird>x</weird></row></record><extension><a><b>c</b></a></extension>' >unknown-el.xml
run rua2kv -f kv unknown-el.xml
is "unknown elements and extensions skipped" "$rc:$(echo "$out" | cut -d, -f1-4)" \
    '0:org_name="a", published_domain="example.com", source_ip="192.0.2.1", source_hostname="-"'
report '<![CDATA[a<b>	c]]>' "$REC" >cdata.xml
run rua2kv cdata.xml
like "CDATA text escaped for JSON" "$out" '"org_name": "a<b>\\tc"'
printf '<report><x/></report>' >root.xml
refused root.xml 'not a DMARC aggregate report: root element <report> holds no <feedback>' \
    "unknown root"
: >empty.xml
refused empty.xml 'empty input: no report' "empty file"
head -c 150 "$TOP/tests/fixtures/basic.xml" >truncated.xml
run rua2kv truncated.xml
is "truncated report: exit 65" "$rc" 65
like "truncated report: said so, with the line" "$err" \
    '^rua2kv: truncated.xml: line 5: the input ends inside the document (cut short?): '

# -- where: the line of the element, not of the parser's read-ahead
run rua2kv -L xml_text=8 "$TOP/tests/fixtures/basic.xml"
like "a limit names the element's line" "$err" \
    'basic.xml: line 4: text of <org_name> over 8 bytes (xml_text limit)$'
{ echo '<?xml version="1.0"?>'; echo; report a "$REC"; echo; } >second.xml
cat second.xml second.xml second.xml | sed '9s/<count>1/<count>1<</' >third.xml
run rua2kv third.xml
like "an error in the third report: its line in the input" "$err" \
    '^rua2kv: third.xml: report 3: line 9: '

# -- after the root: comments and PIs are the document's
{ report a "$REC"; printf '\n<!-- signed: x -->\n<?pi y?>\n'; } >trailer.xml
run rua2kv trailer.xml
is "comment and PI after the root: one event, exit 0, quiet" \
    "$rc:$(echo "$out" | wc -l):$err" "0:1:"
{ report a "$REC"; echo; report b "$REC"; echo; } |
    iconv -f UTF-8 -t UTF-16 >utf16two.xml
run rua2kv -f kv utf16two.xml
is "UTF-16, two reports each ending in a newline" \
    "$rc:$(echo "$out" | cut -d, -f1 | tr '\n' ' ')" '0:org_name="a" org_name="b" '

# -- several reports in one input
{ report a "$REC"; echo; report b "$REC"; } >two.xml
run rua2kv -f kv two.xml
is "two concatenated reports: two events" \
    "$(echo "$out" | cut -d, -f1 | tr '\n' ' ')" 'org_name="a" org_name="b" '
printf '<reports>%s%s</reports>' "$(report a "$REC")" "$(report b "$REC")" >wrapped.xml
run rua2kv -f kv wrapped.xml
is "two <feedback>s in a wrapper: two events" \
    "$(echo "$out" | cut -d, -f1 | tr '\n' ' ')" 'org_name="a" org_name="b" '
{ report a "$REC"; echo '<x>'; echo '<?xml version="1.0"?>'; report b "$REC"; } >junk.xml
run rua2kv -f kv junk.xml
is "junk after a report: the report's event, exit 65" \
    "$rc:$(echo "$out" | cut -d, -f1)" '65:org_name="a"'
like "junk after a report: which report, which line" "$err" \
    '^rua2kv: junk.xml: report 2: line 2: XML declaration allowed only at the start of the document$'
{ report a "$REC"; printf '\n<x>\n'; report b "$REC"; } >unclosed.xml
run rua2kv -f kv unclosed.xml
is "a report inside an unclosed element: still whole, delivered" \
    "$rc:$(echo "$out" | cut -d, -f1 | tr '\n' ' ')" '0:org_name="a" org_name="b" '
like "an unclosed element after the report: a warning" "$err" \
    '^rua2kv: unclosed.xml: line 3: .*(after the report: ignored)$'

finish
