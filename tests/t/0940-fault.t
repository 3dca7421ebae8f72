#!/bin/sh
# A full or failing disk at every point: bin/tests/fault.so (tests/fault.c)
# makes one chosen write, fsync, close, rename or link fail with ENOSPC or
# EIO.  For each program in its spool mode a clean run counts the points;
# then, for every point and both errors (tests/faultrun.py takes turns
# between them above 400 points, which no run here comes near), a fresh
# copy of the spool is run with that one call failing, and
#   (a) the exit status is 75, or 0 when the call was a close whose failure
#       loses nothing (a directory, or a file not written through it);
#   (b) each input is where it was, whole, or in fail/ with its reason, or
#       gone with all of its outputs in the next stage;
#   (c) every file in every new/ is whole: one the clean run made, or an
#       input as it was;
#   (d) a run without the fault then finishes the job: the spool ends as
#       the clean run left it, each output once.
# mailfetch runs against the dovecot of tests/mail.sh, a folder of its own
# per point; ptrresolve asks the nsd of tests/dns.sh.
. "$(dirname "$0")/../lib.sh"
built unzipd rua2kv ptrresolve mailfetch
if [ ! -f "$BIN/tests/fault.so" ]; then
	echo "1..0 # SKIP no bin/tests/fault.so (make bin/tests/fault.so)"
	exit 0
fi
DNS_DEFAULTS=no
. "$TOP/tests/dns.sh"
. "$TOP/tests/mail.sh"
dns_zone 2.0.192.in-addr.arpa <<-'EOF'
10	IN PTR	mail.example.com.
20	IN PTR	a.example.net.
EOF
dns_start
mail_start
plan 27
cd "$T" || exit 1
KINDS='write fsync close rename link'
SHIM=$BIN/tests/fault.so

# spool NAME: $T/NAME/spool, empty, the stages made, nobody's as root
spool() {
	rm -rf "$T/$1"
	mkdir -p "$T/$1/spool"
	[ -z "$RUN_AS" ] || chown nobody "$T/$1/spool"
}

# put FILE DEST: FILE copied to DEST below a spool, nobody's as root
put() {
	cp "$1" "$2" && { [ -z "$RUN_AS" ] || chown nobody "$2"; }
}

# counts P: "write 5, fsync 3, ..." from the clean run's log
counts() {
	for _k in $KINDS; do
		printf '%s %s, ' "$_k" "$(grep -c "^$_k " "$T/$1.count")"
	done | sed 's/, $//'
}

# fault MODE P INIT ARG RUN...: the clean run and the fault runs of
# program P by tests/faultrun.py (which says what MODE and ARG are), the
# results in $T/P.*
fault() {
	_mode=$1 _p=$2 _init=$T/$3/spool _arg=$4
	shift 4
	python3 "$TOP/tests/faultrun.py" "$_mode" "$T" "$_p" "$_init" "$_arg" \
	    -- "$@" || echo "faultrun.py failed" >>"$T/$_p.bad"
}

# report P WHAT STAGE N: the six assertions for program P, whose clean
# run must have made N files in STAGE/new
report() {
	_n_pts=$(grep -c . "$T/$1.points")
	echo "# $2: $(grep -c . "$T/$1.count") points, $_n_pts fault runs;" \
	    "exit 0 (a close that loses nothing) at:" \
	    "$(tr '\n' ' ' <"$T/$1.zero")"
	is "$2: a clean run with the shim exits 0" "$(cat "$T/$1.cleanrc")" 0
	ok "$2: every kind of call counted: $(counts "$1")" \
	    test "$(for _k in $KINDS; do grep -q "^$_k " "$T/$1.count" ||
		echo "$_k"; done)" = ""
	is "$2: each of the $_n_pts fault runs reached its point" \
	    "$(cat "$T/$1.missed")" ""
	is "$2: (a) each exits 75, or 0 for a close that loses nothing" \
	    "$(cat "$T/$1.rc")" ""
	is "$2: (b), (c), (d) at every point" "$(cat "$T/$1.bad")" ""
	is "$2: ... and the clean run did the job: $3" \
	    "$(grep -c "^$4/new/" "$T/$1.clean")" "$5"
}

# ---------------------------------------------------------- the shim

# It works inside the strictest sandbox, rua2kv's stdio-only filter mode:
# the first write to a file on the disk, its stdout, fails; stderr never
# does
env LD_PRELOAD="$SHIM" DMARCPIPE_FAULT=write:1:ENOSPC DMARCPIPE_FAULT_LOG=9 \
    "$BIN/rua2kv" $RUN_AS "$TOP/tests/fixtures/basic.xml" >"$T/shim.out" \
    2>"$T/shim.err" 9>"$T/shim.log"
is "the shim: stdout, a file, fails in rua2kv's stdio-only sandbox" \
    "$?:$(cat "$T/shim.err"):$(wc -c <"$T/shim.out"):$(grep '^write' \
    "$T/shim.log")" \
    "74:rua2kv: stdout: No space left on device:0:write 1 file fault ENOSPC"
env LD_PRELOAD="$SHIM" DMARCPIPE_FAULT=fsync:0:EIO "$BIN/rua2kv" \
    </dev/null >/dev/null 2>"$T/shim.err"
is "the shim: a fault it can't make stops the program" \
    "$?:$(cat "$T/shim.err")" \
    "70:fault.so: DMARCPIPE_FAULT=fsync:0:EIO: not KIND:N:ENOSPC|EIO"

# ---------------------------------------------------------- unzipd

# two report mails (gzip, zip) and one with no report in mail/new, one
# (plain XML) that a crashed run left in mail/cur, a loose zip in drop/
python3 "$TOP/tests/mkmail.py" --kind domain,aggregate,lunch,underscore \
    "$T/m" 4 >"$T/m.list" || exit 1
spool unzipd
"$BIN/unzipd" $RUN_AS -l 30 -d "$T/unzipd/spool" || exit 1
n=0
for m in "$T"/m/*.eml; do
	n=$((n + 1))
	d=new
	[ $n = 4 ] && d=cur
	put "$m" "$T/unzipd/spool/mail/$d/1764201600.M${n}P1.mail"
done
python3 "$TOP/tests/mkfixture.py" zip "$T/r.zip" \
    "r.xml=$(ls "$TOP"/samples/enterprise*.xml)" || exit 1
put "$T/r.zip" "$T/unzipd/spool/drop/loose.zip"
fault spool unzipd unzipd xml "$BIN/unzipd" $RUN_AS -l 30 -q 0 -d
report unzipd unzipd "4 reports in xml/new" xml 4

# ---------------------------------------------------------- rua2kv

# three reports and one that is not XML
spool rua2kv
"$BIN/rua2kv" $RUN_AS -l 30 -d "$T/rua2kv/spool" || exit 1
n=0
for x in "$TOP"/samples/google*.xml "$TOP"/samples/enterprise*.xml \
    "$TOP"/samples/example.org*.xml; do
	n=$((n + 1))
	put "$x" "$T/rua2kv/spool/xml/new/r$n.xml-1"
done
echo 'not a report' >"$T/bad.xml"
put "$T/bad.xml" "$T/rua2kv/spool/xml/new/r9.xml-1"
fault spool rua2kv rua2kv events "$BIN/rua2kv" $RUN_AS -l 30 -f kv -d
report rua2kv rua2kv "3 events files" events 3

# ---------------------------------------------------------- ptrresolve

# three events files, kv and JSON, names found and not
spool ptr
"$BIN/ptrresolve" $RUN_AS -l 30 -s "$DNS_SERVER" -d "$T/ptr/spool" ||
    exit 1
for n in 1 2 3; do
	{
		printf 'source_ip="192.0.2.10", source_hostname="-", n="%s"\n' $n
		printf 'source_ip="192.0.2.11", source_hostname="-", n="%s"\n' $n
		printf '{"source_ip": "192.0.2.20", "source_hostname": "-"}\n'
	} >"$T/ev$n"
	put "$T/ev$n" "$T/ptr/spool/events/new/e$n.xml-1-1"
done
fault spool ptr ptr out "$BIN/ptrresolve" $RUN_AS -l 30 -s "$DNS_SERVER" -d
report ptr ptrresolve "3 files in out/new" out 3
ok "ptrresolve: ... with the names from the test's nsd" \
    grep -q 'source_hostname="mail.example.com."' \
    "$T/ptr.run/out/new/e1.xml-1-1"

# ---------------------------------------------------------- mailfetch

# IMAPS, action move: three report mails and one that is not, in a
# folder of their own for each run, moved to Done/<folder>
python3 "$TOP/tests/mkmail.py" --kind domain,aggregate,underscore,lunch \
    "$T/mm" 4 >"$T/mm.list" || exit 1
mkdir "$T/mails"
while read -r f _kind what _id; do
	cp "$f" "$T/mails/${f##*/}-$what.eml"
done <"$T/mm.list"
spool mf
conf_file "$T/mf/tmpl" mailserver_host=127.0.0.1 \
    "mailserver_port=$MAIL_IMAPS_PORT" mailserver_protocol=IMAPS \
    "mailserver_user=$MAIL_USER" "tls_ca_file=$MAIL_CA" \
    mailserver_mailboxfolder=@FOLDER@ mailserver_action=move \
    mailserver_moveto=Done/@FOLDER@ connect_timeout=5 io_timeout=5 --
printf 'mailserver_pwd = %s\n' "$MAIL_PASS" >"$T/mf/secrets"
chmod 600 "$T/mf/secrets"
export MAILS="$T/mails"
fault imap mf mf "$T/mf/tmpl" "$BIN/mailfetch" $RUN_AS \
    -l 30 -c "$T/mf/tmpl.conf" -d
report mf mailfetch "3 reports in mail/new" mail 3

finish
