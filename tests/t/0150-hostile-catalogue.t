#!/bin/sh
# The hostile-input catalogue: every attack of tests/hostile.tsv, run as
# a user meets it (a file given to rua2kv, a mail or file in unzipd's
# spool, lines on ptrresolve's standard input, a mail at the server for
# mailfetch), with the row's exit status and message checked here and
# the rest of its outcome (nothing published, the item in fail/ with its
# reason, memory and time) by the row's own function, t_ID.  The table,
# the functions and man/dmarcpipe.7's SECURITY CONSIDERATIONS must name
# the same attacks.
. "$(dirname "$0")/../lib.sh"
built rua2kv unzipd ptrresolve
installed python3 timeout mkfifo
if [ ! -x /usr/bin/time ]; then
	echo "1..0 # SKIP no /usr/bin/time, for peak memory"
	exit 0
fi
cd "$T" || exit 1
# The interpreter itself, found once: a wrapper in front of it (pyenv's
# shim) costs a third of a second a call, or seconds on a busy machine.
PY=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$PY" ] || PY=python3

TABLE=$TOP/tests/hostile.tsv
MAN7=$TOP/man/dmarcpipe.7
MIB=1048576

col() {	# col ID N: field N of the row ID
	awk -F '\t' -v id="$1" -v c="$2" 'NR > 1 && $1 == id { print $c }' \
	    "$TABLE"
}
fn_of() { echo "t_$1" | tr - _; }

# -- the table, its functions and the manual agree
IDS=$(awk -F '\t' 'NR > 1 { print $1 }' "$TABLE")
is "the table's header" "$(head -n 1 "$TABLE")" \
    "$(printf 'id\tprogram\tattack\texit\tsays\toutcome')"
is "every row has six fields" \
    "$(awk -F '\t' 'NF != 6 { print NR }' "$TABLE")" ""
is "every id once" "$(echo "$IDS" | sort | uniq -d)" ""
# (the functions are defined below; checked once they are)
echo "$IDS" | sort >table.ids
sed -n '/^\.Sh SECURITY CONSIDERATIONS/,/^\.Sh /p' "$MAN7" |
    sed -n 's/^\.It Li \([a-z0-9-]*\)$/\1/p' | sort >man.ids
is "dmarcpipe.7 SECURITY CONSIDERATIONS names every attack of the table" \
    "$(comm -23 table.ids man.ids)" ""
is "... and none that is not in it" "$(comm -13 table.ids man.ids)" ""

# -- helpers

# trun OUT CMD...: CMD with its stdout to OUT, stopped after 60 s: $rc,
# $err, $rss (peak KiB) and $secs
trun() {
	_o=$1
	shift
	timeout 60 /usr/bin/time -f '%M %e' -o "$T/.rss" "$@" >"$_o" \
	    2>"$T/.err"
	rc=$?
	err=$(cat "$T/.err")
	rss=$(tail -n 1 "$T/.rss" | cut -d ' ' -f 1)
	secs=$(tail -n 1 "$T/.rss" | cut -d ' ' -f 2)
}
# Under ASan (make check's sanitized pass) every allocation carries
# redzones and freed memory waits in quarantine: the bound is 4 times
# larger there, still far below what an unbounded attack takes.
rss_under() {	# rss_under ID MIB
	_mib=$2
	[ -n "${DMARCPIPE_SANITIZER_LOG:-}" ] && _mib=$((_mib * 4))
	ok "$1: peak memory under $_mib MiB ($rss KiB)" test "${rss:-0}" -gt 0 \
	    -a "${rss:-0}" -lt $((_mib * 1024))
}
secs_under() {	# secs_under ID SECONDS
	ok "$1: done in under $2 s ($secs s)" awk -v s="$secs" -v m="$2" \
	    'BEGIN { exit !(s != "" && s < m) }'
}
no_events() { is "$1: no events" "$(wc -c <"$2" | tr -d ' ')" 0; }

fx() {	# fx PYTHON: with tests/mkfixture.py's functions, r = r.xml's bytes
	"$PY" -c "import sys; sys.path.insert(0, sys.argv[1])
from mkfixture import *
r = read('r.xml')
$1" "$TOP/tests"
}
mk() { "$PY" "$TOP/tests/mkfixture.py" "$@"; }
cp "$(ls "$TOP"/samples/google.com*.xml)" r.xml

# A report around what is given: $1 the org_name text, $2 the records.
report() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<feedback><report_metadata><org_name>%s</org_name>' "$1"
	printf '</report_metadata><policy_published><domain>example.com'
	printf '</domain></policy_published>%s</feedback>\n' "$2"
}
REC='<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>'

# A spool per row, nobody's when root runs the test.
newspool() {
	S=$T/$1
	mkdir -p "$S"
	[ -n "$RUN_AS" ] && chown nobody "$S"
	"$BIN/unzipd" $RUN_AS -d "$S" 2>/dev/null
	"$BIN/rua2kv" $RUN_AS -d "$S" 2>/dev/null
	"$BIN/ptrresolve" $RUN_AS -N -d "$S" 2>/dev/null
}
deliver() {	# deliver STAGE NAME FILE: the maildir way
	cp "$3" "$S/$1/tmp/$2" && mv "$S/$1/tmp/$2" "$S/$1/new/$2"
}
unzipd_spool() { trun /dev/null "$BIN/unzipd" $RUN_AS -q 0 -d "$S"; }
# refused ID STAGE NAME: in STAGE/fail with its .why, what the log said;
# nothing of it in xml/new or xml/tmp
refused() {
	ok "$1: $3 in $2/fail" test -f "$S/$2/fail/$3" -o -h "$S/$2/fail/$3" \
	    -o -p "$S/$2/fail/$3" -o -c "$S/$2/fail/$3"
	like "$1: the reason in fail/$3.why, as logged" "$err" \
	    "$3: moved to $2/fail: $(sed 's/[][\\.*^$]/\\&/g' \
	    "$S/$2/fail/$3.why" 2>/dev/null)\$"
	is "$1: nothing of it in xml/new or xml/tmp" \
	    "$(cd "$S/xml" && ls new tmp | grep -c -F -- "$3")" 0
}
# published ID NAME N: N reports from NAME in xml/new, each r.xml
published() {
	is "$1: $3 report(s) in xml/new" \
	    "$(ls "$S/xml/new" | grep -c -F -- "$2-")" "$3"
	is "$1: each the report, byte for byte" "$(for f in "$S/xml/new"/*; do
		cmp -s "$f" r.xml || echo "$f differs"; done)" ""
}

# ---------------------------------------------------------------- rua2kv

xxe_file() {
	cat >xxe.xml <<-'X'
	<?xml version="1.0"?>
	<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
	<feedback><report_metadata><org_name>&xxe;</org_name></report_metadata></feedback>
	X
}
t_xxe() {
	xxe_file
	trun ev "$BIN/rua2kv" $RUN_AS xxe.xml
	no_events xxe ev
}

t_external_dtd() {
	"$PY" -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.settimeout(20)
print(s.getsockname()[1], flush=True)
try:
    c, _ = s.accept()
    open(sys.argv[1], "w").write("connected\n")
except socket.timeout:
    pass' "$T/dtd.hit" >dtd.port &
	_lpid=$!
	port_file dtd.port "a listener"
	printf '<?xml version="1.0"?>\n<!DOCTYPE feedback SYSTEM "http://127.0.0.1:%s/x.dtd">\n<feedback/>\n' \
	    "$_p" >dtd.xml
	trun ev "$BIN/rua2kv" $RUN_AS dtd.xml
	sleep 0.2
	kill $_lpid 2>/dev/null
	wait $_lpid 2>/dev/null
	no_events external-dtd ev
	ok "external-dtd: no connection reached the listener" test ! -e dtd.hit
}

t_billion_laughs() {
	"$PY" -c 'import sys
d = ["<!ENTITY l0 \"lol\">"] + ["<!ENTITY l%d \"%s\">" % (i, ("&l%d;" % (i - 1)) * 10) for i in range(1, 10)]
sys.stdout.write("<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [%s]>\n<feedback><report_metadata><org_name>&l9;</org_name></report_metadata></feedback>\n" % "".join(d))' >lol.xml
	trun ev "$BIN/rua2kv" $RUN_AS lol.xml
	no_events billion-laughs ev
	rss_under billion-laughs 64
	secs_under billion-laughs 5
}

t_quadratic_blowup() {
	"$PY" -c 'import sys
sys.stdout.write("<?xml version=\"1.0\"?>\n<!DOCTYPE feedback [<!ENTITY a \"%s\">]>\n<feedback><report_metadata><org_name>%s</org_name></report_metadata></feedback>\n" % ("a" * 65536, "&a;" * 10000))' >quad.xml
	trun ev "$BIN/rua2kv" $RUN_AS quad.xml
	no_events quadratic-blowup ev
	rss_under quadratic-blowup 64
	secs_under quadratic-blowup 5
}

t_many_attributes() {
	report x "<x $("$PY" -c 'print(" ".join("a%d=\"\"" % i for i in range(200000)))')/>$REC" >attrs.xml
	trun ev "$BIN/rua2kv" $RUN_AS attrs.xml
	no_events many-attributes ev
	secs_under many-attributes 5
}

# big N: N bytes of 'A'
big() { "$PY" -c 'import sys; sys.stdout.write("A" * int(sys.argv[1]))' "$1"; }

t_attribute_10mb() {
	report x "$REC" | "$PY" -c 'import sys
sys.stdout.write(sys.stdin.read().replace("<org_name>",
    "<org_name a=\"%s\">" % ("A" * int(sys.argv[1]))))' $((10 * MIB)) >attr.xml
	trun ev "$BIN/rua2kv" $RUN_AS attr.xml
	no_events attribute-10mb ev
	rss_under attribute-10mb 64
}

t_text_10mb() {
	report "$(big $((10 * MIB)))" "$REC" >text.xml
	trun ev "$BIN/rua2kv" $RUN_AS text.xml
	no_events text-10mb ev
	rss_under text-10mb 64
}

t_comment_10mb() {
	report x "<!--$(big $((10 * MIB)))-->$REC" >comment.xml
	trun ev "$BIN/rua2kv" $RUN_AS comment.xml
	no_events comment-10mb ev
	rss_under comment-10mb 64
}

t_deep_100k() {
	report x "<record>$("$PY" -c 'print("<x>" * 100000 + "</x>" * 100000)')</record>" >deep.xml
	trun ev "$BIN/rua2kv" $RUN_AS deep.xml
	no_events deep-100k ev
	rss_under deep-100k 64
}

t_invalid_utf8() {
	report "Caf$(printf '\377\376')" "$REC" >badutf8.xml
	trun ev "$BIN/rua2kv" $RUN_AS badutf8.xml
	no_events invalid-utf8 ev
}

t_nul_bytes() {
	report 'xQy' "$REC" | tr Q '\000' >nul.xml
	trun ev "$BIN/rua2kv" $RUN_AS nul.xml
	no_events nul-bytes ev
}

t_truncated_xml() {
	{
		printf '<?xml version="1.0"?>\n'
		printf '<feedback><report_metadata><org_name>x</org_name>'
		printf '</report_metadata><policy_published><domain>example.com'
		printf '</domain></policy_published>\n'
		printf '<record><row><source_ip>192.0.2.1</sou'
	} >cut.xml
	trun ev "$BIN/rua2kv" $RUN_AS cut.xml
	no_events truncated-xml ev
}

t_many_records() {
	mkfifo recs.pipe
	"$PY" -c 'import sys
w = sys.stdout.buffer.write
w(b"<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>example.net</org_name><report_id>1</report_id></report_metadata><policy_published><domain>example.com</domain></policy_published>\n")
rec = b"<record><row><source_ip>192.0.2.%d</source_ip><count>1</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers></record>\n"
chunk = b"".join(rec % (i % 250) for i in range(1000))
for i in range(200):
    w(chunk)
w(b"</feedback>\n")' >recs.pipe &
	_gpid=$!
	mkfifo ev.pipe
	wc -l <ev.pipe >ev.count &
	trun ev.pipe "$BIN/rua2kv" $RUN_AS -f kv <recs.pipe
	wait $_gpid $!
	is "many-records: 200000 events" "$(tr -d ' ' <ev.count)" 200000
	rss_under many-records 64
}

t_event_amplification() {
	# 15 <error>s of 64000 bytes and an org_name of as many: a header
	# under the record_bytes limit of 1 MiB, then 300 small records
	"$PY" -c 'import sys
e = "".join("<error>%s</error>" % ("E" * 64000) for i in range(15))
sys.stdout.write("<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>%s</org_name>%s</report_metadata><policy_published><domain>example.com</domain></policy_published>\n%s</feedback>\n" % ("O" * 64000, e, "<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record>\n" * 300))' >amp.xml
	mkfifo amp.pipe
	wc -c <amp.pipe >amp.count &
	trun amp.pipe "$BIN/rua2kv" $RUN_AS -f kv amp.xml
	wait $!
	_in=$(wc -c <amp.xml | tr -d ' ')
	like "event-amplification: the file and the line named" "$err" \
	    '^rua2kv: amp.xml: line [0-9]*: events over'
	ok "event-amplification: at most 51 times the report written \
($(cat amp.count) bytes from $_in)" test "$(cat amp.count)" -le $((_in * 51))
	_rc=$rc _err=$err
	newspool event-amplification
	deliver xml amp.xml amp.xml
	trun /dev/null "$BIN/rua2kv" $RUN_AS -d "$S"
	like "event-amplification: spool mode: to xml/fail, the reason beside" \
	    "$(cat "$S/xml/fail/amp.xml.why")" \
	    "^report 1: line [0-9]*: events over 50 times"
	is "event-amplification: spool mode: no events published" \
	    "$(cd "$S/events" && ls new tmp | grep -c amp)" 0
	rc=$_rc err=$_err
}

t_spool_symlink_xml() {
	newspool spool-symlink-xml
	report outside "$REC" >outside.xml
	ln -s "$T/outside.xml" "$S/xml/new/link.xml"
	deliver xml zz.xml r.xml
	trun /dev/null "$BIN/rua2kv" $RUN_AS -d "$S"
	ok "spool-symlink-xml: the link in xml/fail" test -h "$S/xml/fail/link.xml"
	is "spool-symlink-xml: the reason beside it" \
	    "$(cat "$S/xml/fail/link.xml.why")" \
	    "not a regular file but a symbolic link: not read"
	is "spool-symlink-xml: no events of it" \
	    "$(cd "$S/events" && ls new tmp | grep -c '^link')" 0
	ok "spool-symlink-xml: the stage goes on: the next report's events" \
	    test -s "$S/events/new/zz.xml-1"
}

# ---------------------------------------------------------------- unzipd

# The mails of the spool rows get maildir names, 1764201600.M<k>P1.mx.
mail_item() { deliver mail "1764201600.M$1P1.mx" "$2"; }

t_xxe_in_mail() {
	newspool xxe-in-mail
	xxe_file
	mk zip xxe.zip report.xml=xxe.xml
	mk mail xxe.eml xxe.zip application/zip report.zip base64
	mail_item 1 xxe.eml
	unzipd_spool
	refused xxe-in-mail mail 1764201600.M1P1.mx
}

bomb() {	# bomb ID FILE: a bomb in drop/new
	newspool "$1"
	deliver drop "$2" "$2"
	unzipd_spool
	refused "$1" drop "$2"
	rss_under "$1" 64
}
# The three bombs from one deflate of 128 MiB, made at the first's turn.
bombs() {
	[ -e bomb.gz ] || fx "c, crc, size = bomb_deflated(128, -15)
write('bomb.gz', b'\\x1f\\x8b\\x08\\0\\0\\0\\0\\0\\0\\xff' + c +
    struct.pack('<II', crc, size & 0xffffffff))
write('bomb.zip', zip_raw('report.xml', c, crc, len(c), size))
write('liar.zip', zip_raw('report.xml', c, crc, len(c), 1331))"
}
t_gzip_bomb() { bombs && bomb gzip-bomb bomb.gz; }
t_zip_bomb() { bombs && bomb zip-bomb bomb.zip; }
t_liar_bomb() { bombs && bomb liar-bomb liar.zip; }
t_ratio_bomb() { mk gzbomb ratio.gz 8 && bomb ratio-bomb ratio.gz; }

refused_drop() {	# refused_drop ID FILE: FILE into drop/new, refused
	newspool "$1"
	deliver drop "$2" "$2"
	unzipd_spool
	refused "$1" drop "$2"
}
published_drop() {	# published_drop ID FILE N
	newspool "$1"
	deliver drop "$2" "$2"
	unzipd_spool
	published "$1" "$2" "$3"
}

t_nested_gzip() { mk gzgzgz r3.gz r.xml && refused_drop nested-gzip r3.gz; }
t_nested_zip() {
	fx "write('zzz.zip', zipped([('a.zip', zipped([('b.zip',
    zipped([('r.xml', r)]))]))]))" && refused_drop nested-zip zzz.zip
}
t_zip_traversal() {
	_abs=/tmp/dmarcpipe-hostile-$$.xml
	rm -f "$_abs" "$T/escape.xml"
	mk zip dotdot.zip ../../escape.xml=r.xml "$_abs=r.xml" &&
	    published_drop zip-traversal dotdot.zip 2
	ok "zip-traversal: nothing made outside xml/new" test ! -e "$_abs" -a \
	    ! -e "$T/escape.xml" -a ! -e "$S/escape.xml" -a \
	    ! -e "$S/xml/escape.xml"
}
t_mime_traversal() {
	newspool mime-traversal
	mk gz r.xml.gz r.xml
	_abs=/tmp/dmarcpipe-hostile-mime-$$
	rm -f "$_abs"
	mk mail trav.eml r.xml.gz application/gzip "../../../../..$_abs" base64
	mail_item 2 trav.eml
	unzipd_spool
	published mime-traversal 1764201600.M2P1.mx 1
	ok "mime-traversal: nothing made outside xml/new" \
	    test ! -e "$_abs" -a ! -e "$S/tmp"
}
t_zip_symlink() { mk symlinkzip link.zip && refused_drop zip-symlink link.zip; }
modezip() {	# modezip FILE MODE: a zip whose member has MODE (octal)
	fx "c = deflate_raw(r)
write('$1', zip_raw('report.xml', c, binascii.crc32(r), len(c), len(r),
    attr=($2 << 16)))"
}
t_zip_device() { modezip dev.zip 0o020644 && refused_drop zip-device dev.zip; }
t_zip_fifo() { modezip fifo.zip 0o010644 && published_drop zip-fifo fifo.zip 1; }
t_zip_encrypted() { mk enczip enc.zip r.xml && refused_drop zip-encrypted enc.zip; }
t_zip_directory() {
	fx "write('dir.zip', zipped([('dir/', b''), ('dir/report.xml', r)]))" &&
	    published_drop zip-directory dir.zip 1
}
t_zip_many_entries() {
	"$PY" -c 'import io, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
    for i in range(20000):
        z.writestr("%d" % i, b"")
open("many.zip", "wb").write(b.getvalue())'
	refused_drop zip-many-entries many.zip
	rss_under zip-many-entries 64
	secs_under zip-many-entries 5
}
t_truncated_gzip() { mk truncgz trunc.gz r.xml && refused_drop truncated-gzip trunc.gz; }
t_truncated_zip() {
	fx "z = zipped([('report.xml', r)]); write('trunc.zip', z[:len(z) // 2])" &&
	    refused_drop truncated-zip trunc.zip
}
t_gzip_trailing_garbage() {
	fx "write('trail.gz', gz(r) + b'garbage, not a gzip member\n')" &&
	    published_drop gzip-trailing-garbage trail.gz 1
}
namedzip() {	# namedzip FILE NAME FLAGS: an encrypted member NAME (bytes)
	fx "c = deflate_raw(r)
write('$1', zip_raw($2, c, binascii.crc32(r), len(c), len(r), flags=$3))"
}
no_cntrl() {	# no_cntrl ID: none in $err but its newlines
	ok "$1: no control character in the messages" \
	    sh -c '! printf "%s" "$1" | tr -d "\n" | grep -q "[[:cntrl:]]"' \
	    sh "$err"
}
t_zip_bad_name() {
	# flag bit 11: the names are UTF-8; bit 0: encrypted
	namedzip badname.zip "b'r\xff\xfe\x1b[31m.xml'" 0x801 &&
	    refused_drop zip-bad-name badname.zip
	no_cntrl zip-bad-name
}
t_zip_control_name() {
	namedzip ctrlname.zip "'r\x1b[31m\u202elmx.xml'.encode()" 0x801 &&
	    refused_drop zip-control-name ctrlname.zip
	no_cntrl zip-control-name
}
t_zip_utf8_name() {
	fx "write('utf8name.zip', zipped([('rapport-\u00e9t\u00e9.xml', r)]))" &&
	    published_drop zip-utf8-name utf8name.zip 1
}

t_mime_crlf_name() {
	newspool mime-crlf-name
	mk enczip enc.zip r.xml
	mk mail crlf.eml enc.zip application/zip \
	    '=?utf-8?Q?evil=0D=0Aunzipd:_forged=1B[31m.zip?=' base64
	mail_item 3 crlf.eml
	unzipd_spool
	refused mime-crlf-name mail 1764201600.M3P1.mx
	is "mime-crlf-name: one line" "$(printf '%s\n' "$err" | grep -c .)" 1
}
mail_case() {	# mail_case ID K FILE: FILE as mail K
	newspool "$1"
	mail_item "$2" "$3"
	unzipd_spool
}
report_mail() { mk gz r.xml.gz r.xml && mk mail rep.eml r.xml.gz application/gzip r.xml.gz base64; }
t_mime_lf_only() {
	report_mail && tr -d '\r' <rep.eml >lf.eml &&
	    mail_case mime-lf-only 4 lf.eml
	published mime-lf-only 1764201600.M4P1.mx 1
}
t_mime_bare_cr() {
	report_mail && tr -d '\n' <rep.eml >cr.eml && mail_case mime-bare-cr 5 cr.eml
	refused mime-bare-cr mail 1764201600.M5P1.mx
}
t_mime_no_end() {
	report_mail && sed '/^--=_dmarcpipe_test--/d' rep.eml >noend.eml &&
	    mail_case mime-no-end 6 noend.eml
	published mime-no-end 1764201600.M6P1.mx 1
}
t_mime_cut() {
	report_mail && head -c $(($(wc -c <rep.eml) - 300)) rep.eml >cut.eml &&
	    mail_case mime-cut 7 cut.eml
	refused mime-cut mail 1764201600.M7P1.mx
}
t_mime_deep() {
	"$PY" -c 'import sys
n = 100000
head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(n))
tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(n)))
sys.stdout.buffer.write(b"MIME-Version: 1.0\r\n" + head + b"Content-Type: text/plain\r\n\r\nx" + tail)' >deep.eml
	mail_case mime-deep 8 deep.eml
	refused mime-deep mail 1764201600.M8P1.mx
	rss_under mime-deep 64
}
t_mime_many_parts() {
	"$PY" -c 'import sys
sys.stdout.buffer.write(b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + b"--B\r\n\r\nx\r\n" * 100000 + b"--B--\r\n")' >parts.eml
	mail_case mime-many-parts 9 parts.eml
	refused mime-many-parts mail 1764201600.M9P1.mx
	rss_under mime-many-parts 64
}
t_header_1mb() {
	report_mail && { printf 'X-Big: %s\r\n' "$(big $MIB)"; cat rep.eml; } >bighdr.eml &&
	    mail_case header-1mb 10 bighdr.eml
	published header-1mb 1764201600.M10P1.mx 1
	rss_under header-1mb 64
}
t_base64_garbage() {
	fx "b = base64.encodebytes(gz(r)).replace(b'\n', b'\r\n!!@@##\r\n')
write('junk.eml', mail(b'Content-Type: application/gzip\r\n'
    b'Content-Transfer-Encoding: base64\r\n\r\n' + b))" &&
	    mail_case base64-garbage 11 junk.eml
	published base64-garbage 1764201600.M11P1.mx 1
}
t_cte_unknown() {
	fx "write('uu.eml', mail(b'Content-Type: application/gzip\r\n'
    b'Content-Transfer-Encoding: x-uuencode\r\n\r\n' +
    base64.encodebytes(gz(r))))" && mail_case cte-unknown 12 uu.eml
	refused cte-unknown mail 1764201600.M12P1.mx
}
t_message_too_big() {
	head -c $((50 * MIB + 1)) /dev/zero | tr '\000' a >huge.eml &&
	    mail_case message-too-big 13 huge.eml
	refused message-too-big mail 1764201600.M13P1.mx
	rm -f huge.eml
}

# Not a file, in drop/new, then a report after it: the one refused, the
# stage going on.
odd_item() {	# odd_item ID NAME
	deliver drop zz.xml r.xml
	unzipd_spool
	refused "$1" drop "$2"
	is "$1: the reason beside it" "$(cat "$S/drop/fail/$2.why")" \
	    "not a regular file but $3: not read"
	published "$1" zz.xml 1
}
t_drop_symlink() {
	newspool drop-symlink
	ln -s "$T/r.xml" "$S/drop/new/link"
	odd_item drop-symlink link "a symbolic link"
}
t_drop_fifo() {
	newspool drop-fifo
	mkfifo "$S/drop/new/fifo"
	odd_item drop-fifo fifo "a FIFO"
}
t_drop_device() {
	newspool drop-device
	if ! mknod "$S/drop/new/zero" c 1 5 2>/dev/null; then
		row_skip="mknod needs root"
		return
	fi
	odd_item drop-device zero "a device"
}
t_drop_loose_symlink() {
	newspool drop-loose-symlink
	ln -s "$T/r.xml" "$S/drop/link.xml"
	unzipd_spool
	ok "drop-loose-symlink: left alone" test -h "$S/drop/link.xml"
	is "drop-loose-symlink: nothing in xml/new" "$(ls "$S/xml/new")" ""
}
t_drop_name_control() {
	newspool drop-name-control
	_nm=$(printf 'a\nb\033[31m.xml')
	cp r.xml "$S/drop/$_nm"
	unzipd_spool
	is "drop-name-control: the report in xml/new" \
	    "$(cat "$S"/xml/new/*,a*-1 | cmp -s - r.xml && echo same)" same
	is "drop-name-control: each message one line, starting unzipd:" \
	    "$(printf '%s\n' "$err" | grep -vc '^unzipd: ')" 0
	no_cntrl drop-name-control
	like "drop-name-control: the ESC shown as ?" "$err" 'a b?\[31m\.xml'
}

# ---------------------------------------------------------------- ptrresolve

# kvline BYTES: an events line of BYTES with its newline, padded
kvline() {
	"$PY" -c 'import sys
l = "source_ip=\"192.0.2.1\", source_hostname=\"-\", pad=\"%s\"\n"
sys.stdout.write(l % ("A" * (int(sys.argv[1]) - len(l % ""))))' "$1"
}
t_oversized_line() {
	{ kvline 100; kvline $((16 * MIB + 1)); } >long.kv
	trun out "$BIN/ptrresolve" $RUN_AS -N <long.kv
	is "oversized-line: the line before it written" "$(cat out)" \
	    "$(kvline 100)"
	rss_under oversized-line 64
	rm -f long.kv
}
t_line_16mib() {
	kvline $((16 * MIB)) >line.kv
	trun out "$BIN/ptrresolve" $RUN_AS -N <line.kv
	ok "line-16mib: 16777216 bytes, whole" cmp -s out line.kv
	is "line-16mib: its size" "$(wc -c <line.kv | tr -d ' ')" $((16 * MIB))
	rm -f line.kv out
}
t_endless_line() {
	mkfifo endless.pipe
	head -c $((1024 * MIB)) /dev/zero >endless.pipe 2>/dev/null &
	trun out "$BIN/ptrresolve" $RUN_AS -N <endless.pipe
	wait $!
	is "endless-line: nothing written" "$(wc -c <out | tr -d ' ')" 0
	rss_under endless-line 64
	secs_under endless-line 10
}
t_window_memory() {
	"$PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(60)' >hole.port &
	_hpid=$!
	port_file hole.port "a UDP port that never answers"
	"$PY" -c 'import sys
for i in range(80):
    sys.stdout.write("source_ip=\"192.0.2.%d\", source_hostname=\"-\", count=\"%d\", pad=\"%s\"\n" % (i, i + 1, "A" * (1 << 20)))' >win.kv
	trun out "$BIN/ptrresolve" $RUN_AS -s "127.0.0.1:$_p" -t 1 -r 0 win.kv
	kill $_hpid 2>/dev/null
	wait $_hpid 2>/dev/null
	is "window-memory: every line out, in order" \
	    "$(cut -d , -f 3 out | tr -dc '0-9\n' | tr '\n' ' ')" \
	    "$(seq 1 80 | tr '\n' ' ')"
	is "window-memory: each timed out" \
	    "$(grep -c 'source_hostname="timeout"' out)" 80
	rss_under window-memory 64
	rm -f out win.kv
}
t_binary_lines() {
	printf 'a\000b\n\377\376 source_ip="x\n\r\n' >bin.kv
	trun out "$BIN/ptrresolve" $RUN_AS -N <bin.kv
	ok "binary-lines: each line out as it came" cmp -s out bin.kv
}
t_ptr_injection() {
	"$PY" -c 'import os, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1)
print(s.getsockname()[1], flush=True)
parent = os.getppid()
labels = [b"evil\", org_name=\"forged\n\x1b[31m\\", b"example"]
rdata = b"".join(bytes([len(l)]) + l for l in labels) + b"\0"
while os.getppid() == parent:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    head = q[:2] + struct.pack(">HHHHH", 0x8400 | (q[2] & 1) << 8, 1, 1, 0, 0)
    s.sendto(head + q[12:i + 5] + struct.pack(">HHHIH", 0xc00c, 12, 1, 300,
        len(rdata)) + rdata, peer)' >fake.port &
	_fpid=$!
	port_file fake.port "the fake DNS server"
	"$BIN/rua2kv" $RUN_AS -f kv r.xml | head -n 1 >one.kv
	trun out "$BIN/ptrresolve" $RUN_AS -s "127.0.0.1:$_p" -t 2 -r 0 one.kv
	kill $_fpid 2>/dev/null
	wait $_fpid 2>/dev/null
	is "ptr-injection: one line out" "$(wc -l <out | tr -d ' ')" 1
	is "ptr-injection: no field added (org_name once)" \
	    "$(grep -o 'org_name="' out | wc -l | tr -d ' ')" 1
	ok "ptr-injection: no control character in the line" \
	    sh -c '! tr -d "\n" <out | grep -q "[[:cntrl:]]"'
	like "ptr-injection: the name there, escaped" "$(cat out)" \
	    'source_hostname="evil\\\\\\",\\\\032org_name=\\\\\\"forged'
	is "ptr-injection: the rest of the line unchanged" \
	    "$(sed 's/source_hostname="\([^"\\]\|\\.\)*"/H/' out)" \
	    "$(sed 's/source_hostname="-"/H/' one.kv)"
}
t_spool_symlink_events() {
	newspool spool-symlink-events
	"$BIN/rua2kv" $RUN_AS -f kv r.xml >outside.kv
	ln -s "$T/outside.kv" "$S/events/new/link.kv"
	trun /dev/null "$BIN/ptrresolve" $RUN_AS -N -d "$S"
	ok "spool-symlink-events: in events/fail" test -h "$S/events/fail/link.kv"
	is "spool-symlink-events: the reason beside it" \
	    "$(cat "$S/events/fail/link.kv.why")" \
	    "not a regular file but a symbolic link: not read"
	is "spool-symlink-events: nothing in out/new" "$(ls "$S/out/new")" ""
}

# ---------------------------------------------------------------- mailfetch

# mail.sh, sourced only when a row needs it, would end the whole test
# with a skip where it can't run: the same checks first.
MF=1
[ -x "$BIN/mailfetch" ] || MF=
for _c in dovecot doveadm openssl; do
	command -v "$_c" >/dev/null 2>&1 || [ -x "/usr/sbin/$_c" ] || MF=
done
if [ "$(id -u)" = 0 ]; then
	for _c in dovecot dovenull nobody; do
		id "$_c" >/dev/null 2>&1 || MF=
	done
fi
mf_setup() {
	[ -z "$MF" ] || [ -n "${MAIL_USER:-}" ] && return 0
	. "$TOP/tests/mail.sh"
	. "$TOP/tests/mailfetch.sh"
	mail_start
}
mfcfg() {	# mfcfg NAME KEY=VALUE...
	_d=$T/$1
	mfdir "$1"
	shift
	conf_file "$_d/dmarcpipe.conf" mailserver_host=127.0.0.1 \
	    "mailserver_port=$MAIL_IMAPS_PORT" mailserver_protocol=IMAPS \
	    "mailserver_user=$MAIL_USER" "tls_ca_file=$MAIL_CA" \
	    mailserver_action=delete connect_timeout=5 io_timeout=5 -- "$@"
	printf 'mailserver_pwd = %s\n' "$MAIL_PASS" >"$_d/secrets"
	chmod 600 "$_d/secrets"
}
pop3cfg() {
	mfcfg "$1" mailserver_protocol=POP3 "mailserver_port=$MAIL_POP3_PORT"
}

t_mf_folded_subject() {
	[ -n "$MF" ] || { row_skip="no mailfetch or no dovecot"; return; }
	mf_setup
	"$PY" "$TOP/tests/mkmail.py" --kind foldmarker --id fold - >fold.eml
	mail_put folded fold.eml
	mfcfg fold mailserver_mailboxfolder=folded
	trun /dev/null "$BIN/mailfetch" $RUN_AS -c "$T/fold/dmarcpipe.conf" \
	    -d "$T/fold/spool"
	ok "mf-folded-subject: spooled, byte for byte" \
	    cmp -s fold.eml "$(ls "$T"/fold/spool/mail/new/* | head -n 1)"
}
t_mf_smuggled_subject() {
	[ -n "$MF" ] || { row_skip="no mailfetch or no dovecot"; return; }
	mf_setup
	printf '%s\r\n' 'From: a@example.net' 'To: dmarc@example.com' \
	    'X-Note: hello' ' Subject: Report domain: example.com' \
	    'Subject: Lunch' 'Message-ID: <smuggle@mkmail.test>' '' \
	    'Subject: Report domain: example.com' >smuggle.eml
	mail_put INBOX smuggle.eml
	pop3cfg smuggle
	trun /dev/null "$BIN/mailfetch" $RUN_AS \
	    -c "$T/smuggle/dmarcpipe.conf" -d "$T/smuggle/spool"
	is "mf-smuggled-subject: left on the server" "$(mail_count INBOX)" 1
}
t_mf_header_1mb() {
	[ -n "$MF" ] || { row_skip="no mailfetch or no dovecot"; return; }
	mf_setup
	{ printf 'X-Big: %s\r\n' "$(big $MIB)"
	  "$PY" "$TOP/tests/mkmail.py" --kind domain --id big -; } >bighdr.eml
	mail_put INBOX bighdr.eml
	pop3cfg bighdr
	trun /dev/null "$BIN/mailfetch" $RUN_AS -c "$T/bighdr/dmarcpipe.conf" \
	    -d "$T/bighdr/spool"
	ok "mf-header-1mb: spooled, byte for byte" \
	    cmp -s bighdr.eml "$(ls "$T"/bighdr/spool/mail/new/* | head -n 1)"
	is "mf-header-1mb: only the smuggled mail left" "$(mail_count INBOX)" 1
}

# -- every row of the table has its function
is "every attack of the table has its function here" "$(for id in $IDS; do
	command -v "$(fn_of "$id")" >/dev/null 2>&1 || echo "$id"; done)" ""

# -- the rows, in the table's order; each function sets $rc and $err,
# checked against the row's exit and says
for id in $IDS; do
	rc= err= row_skip=
	"$(fn_of "$id")" </dev/null
	want_rc=$(col "$id" 4)
	want_says=$(col "$id" 5)
	if [ -n "$row_skip" ]; then
		skip "$id: exit $want_rc" "$row_skip"
		skip "$id: says \"$want_says\"" "$row_skip"
		continue
	fi
	is "$id: exit $want_rc" "$rc" "$want_rc"
	if [ "$want_says" = - ]; then
		is "$id: says nothing" "$err" ""
	else
		ok "$id: says \"$want_says\"" sh -c \
		    'printf "%s\n" "$1" | grep -q -F -- "$2" ||
		    { printf "#   said: %s\n" "$1"; exit 1; }' sh "$err" \
		    "$want_says"
	fi
done

plan "$_n"
finish
