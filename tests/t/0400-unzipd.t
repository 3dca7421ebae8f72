#!/bin/sh
# unzipd in filter mode: every container and quirk, every limit at the
# limit and one past it.  Inputs are made here from our own sample
# reports by tests/mkfixture.py.
. "$(dirname "$0")/../lib.sh"
plan 64
cd "$T" || exit 1

mk() { python3 "$TOP/tests/mkfixture.py" "$@"; }
unzipd() { "$BIN/unzipd" $RUN_AS "$@"; }
count() { grep -c '<feedback' "$@" || true; }

R=$(ls "$TOP"/samples/google.com*.xml)
R2=$(ls "$TOP"/samples/enterprise*.xml)
cp "$R" r.xml
cp "$R2" r2.xml

# refused FILE PATTERN DESCRIPTION: exit 65, nothing out, the reason
refused() {
	run unzipd -x "$1"
	is "$3: exit 65" "$rc" 65
	like "$3: the file and the reason" "$err" "^unzipd: $1: $2"
}

# -- containers: the report comes out byte for byte
run unzipd -x r.xml
is "plain XML: the same bytes" "$out" "$(cat r.xml)"
mk gz r.xml.gz r.xml
run unzipd -x r.xml.gz
is "gzip: the report" "$out" "$(cat r.xml)"
mk gzgz r.xml.gz.gz r.xml
run unzipd -x r.xml.gz.gz
is "gzip in gzip (nesting 2): the report" "$out" "$(cat r.xml)"
mk gzgzgz r3.gz r.xml
refused r3.gz 'gzip: compressed more than 2 layers deep (nesting limit)' \
    "three gzip layers"
run unzipd -L nesting=3 -x r3.gz
is "three gzip layers under -L nesting=3: the report" "$out" "$(cat r.xml)"
mk multigz two.gz r.xml r2.xml
run unzipd -x two.gz
is "two gzip members: both reports" "$(echo "$out" | count)" 2
mk zip r.zip report.xml=r.xml
run unzipd -x r.zip
is "zip: the report" "$out" "$(cat r.xml)"
mk zip two.zip a.xml=r.xml b.xml=r2.xml
run unzipd -x two.zip
is "zip with two members: both reports" "$(echo "$out" | count)" 2
mk zip mac.zip report.xml=r.xml __MACOSX/._report.xml=r2.xml ._x.xml=r2.xml
run unzipd -x mac.zip
is "zip: __MACOSX/ and ._ members skipped" "$out" "$(cat r.xml)"
echo "read me" >readme.txt
mk zip readme.zip README.txt=readme.txt report.xml=r.xml
run unzipd -x readme.zip
is "zip: a member that is not XML is passed over" "$out" "$(cat r.xml)"
mk zip dotdot.zip ../../x.xml=r.xml
run unzipd -x dotdot.zip
is "zip: a member named ../../x.xml is just a report" "$out" "$(cat r.xml)"
mk zipgz r.zip.gz r.xml
run unzipd -x r.zip.gz
is "zip in gzip: the report" "$out" "$(cat r.xml)"
cat r.xml r2.xml >cat.xml
run unzipd -x cat.xml
is "two concatenated reports: both, whole" "$out" "$(cat r.xml r2.xml)"

# -- hostile archives
mk liarzip liar.zip r.xml
run unzipd -x liar.zip
is "zip whose header understates the size: refused or whole" \
    "$(test "$rc" = 65 || echo "$out" | cmp -s - r.xml && echo fine)" fine
mk enczip enc.zip r.xml
refused enc.zip 'zip member report.xml is encrypted' "encrypted member"
mk symlinkzip link.zip
refused link.zip 'zip member report.xml is not a plain file' "symbolic link"
mk manyzip many64.zip 64 r.xml
run unzipd -x many64.zip
is "64 members (entries limit): 64 reports" "$(echo "$out" | count)" 64
mk manyzip many65.zip 65 r.xml
refused many65.zip 'zip: more than 64 members (entries limit)' "65 members"
mk truncgz trunc.gz r.xml
refused trunc.gz 'gzip: ' "truncated gzip"
printf '<?xml version="1.0"?>\n<!DOCTYPE feedback>\n<feedback/>\n' >dtd.xml
refused dtd.xml 'XML: report 1: a document type declaration' "DOCTYPE"
head -c 300 r.xml >cut.xml
refused cut.xml 'XML: report 1: the XML ends before its root element does' \
    "XML cut short"
# A report refused after its first MiB has gone to stdout: said.
{ printf '<?xml version="1.0"?>\n<feedback>'
  head -c 1100000 /dev/zero | tr '\0' ' '
  printf '<!DOCTYPE x></feedback>\n'; } >late.xml
run unzipd -x late.xml
is "refused after 1 MiB out: exit 65" "$rc" 65
like "refused after 1 MiB out: the partial report said" "$err" \
    '^unzipd: late.xml: report 1 was partly written to stdout$'
echo "just text" >text.txt
refused text.txt 'no DMARC report in the message' "neither mail nor report"

# -- bombs: 1 GiB of zeros, refused at the cap, in a few MiB
mk gzbomb bomb.gz 1024
mk zipbomb bomb.zip 1024
mk liarbomb liarbomb.zip 1024
for b in bomb.gz bomb.zip liarbomb.zip; do
	/usr/bin/time -f %M -o rss "$BIN/unzipd" $RUN_AS -x $b >/dev/null 2>err
	rc=$?
	is "$b: exit 65" "$rc" 65
	like "$b: refused at report_bytes" "$(cat err)" \
	    'more than 104857600 bytes decompressed (report_bytes limit)'
	ok "$b: peak memory under 16 MiB ($(tail -1 rss) KiB)" \
	    test "$(tail -1 rss)" -lt 16384
done

# -- limits at the limit and one past it
size=$(wc -c <r.xml)
run unzipd -L report_bytes=$size -x r.xml.gz
is "report_bytes = the report's size: accepted" "$rc" 0
run unzipd -L report_bytes=$((size - 1)) -x r.xml.gz
like "report_bytes one under: refused" "$err" '(report_bytes limit)'
csize=$(wc -c <r.xml.gz)
ratio=$(( (size + csize - 1) / csize ))
run unzipd -L ratio=$ratio -x r.xml.gz
is "ratio just enough ($ratio): accepted" "$rc" 0
run unzipd -L ratio=$((ratio - 1)) -x r.xml.gz
like "ratio one less: refused" "$err" 'times its size (ratio limit)'
msize=$(wc -c <r.xml)
run unzipd -L message_bytes=$msize -x r.xml
is "message_bytes = the input's size: accepted" "$rc" 0
run unzipd -L message_bytes=$((msize - 1)) -x r.xml
like "message_bytes one under: refused" "$err" \
    "larger than $((msize - 1)) bytes (message_bytes limit)"

# -- mails
mk mail b64.eml r.xml.gz application/gzip r.xml.gz base64
run unzipd -x b64.eml
is "mail, base64 gzip attachment: the report" "$out" "$(cat r.xml)"
mk mail octet.eml r.zip application/octet-stream report.zip base64
run unzipd -x octet.eml
is "mail, zip as application/octet-stream: the report" "$out" "$(cat r.xml)"
mk mail qp.eml r.xml text/xml report.xml qp
run unzipd -x qp.eml
is "mail, quoted-printable XML: the report" "$out" "$(cat r.xml)"
mk mail wrapped.eml r.xml.gz application/gzip r.xml.gz base64 wrap
run unzipd -x wrapped.eml
is "mail inside message/rfc822 (Google): the report" "$out" "$(cat r.xml)"
mk mail named.eml r.zip application-x-gzip \
    '=?utf-8?B?cmVwb3J0LnppcA==?=' base64
run unzipd -x named.eml
is "RFC 2047 file name, odd content type: the report" "$out" "$(cat r.xml)"
mk textmail text.eml
refused text.eml 'no DMARC report in the message' "mail without a report"
# the mail is depth 0, its parts 1, each multipart inside one more
mk nested deep8.eml r.xml.gz 8
run unzipd -x deep8.eml
is "a part at depth 8 (mime_depth): the report" "$out" "$(cat r.xml)"
mk nested deep9.eml r.xml.gz 9
refused deep9.eml '.*(mime_depth limit)' "one level deeper"
# the mail itself counts as a part
mk parts p256.eml r.xml.gz 255
run unzipd -x p256.eml
is "256 parts (mime_parts): the report" "$out" "$(cat r.xml)"
mk parts p257.eml r.xml.gz 256
refused p257.eml '.*(mime_parts limit)' "one part more"

# -- several inputs: a bad one does not stop the others
run unzipd -x r.xml.gz enc.zip missing.gz r.zip
is "several inputs: the good ones out" "$(echo "$out" | count)" 2
is "several inputs: exit 66 (missing beats bad)" "$rc" 66
run sh -c 'cat "$1" | "$2"/unzipd $3 -x' sh r.xml.gz "$BIN" "$RUN_AS"
is "stdin: the report" "$out" "$(cat r.xml)"
run sh -c '"$1"/unzipd $3 -x "$2" | "$1"/rua2kv $3 -f kv' sh "$BIN" \
    r.zip "$RUN_AS"
is "unzipd -x r.zip | rua2kv: one event per record" \
    "$(echo "$out" | grep -c 'source_ip=')" "$(grep -c '<record>' r.xml)"

finish
