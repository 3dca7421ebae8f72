#!/bin/sh
# scripts/dmarcpipe without a mailbox (skip_mail_download = 1): files
# dropped loose into drop/ and mails an MTA delivered into mail/new; the
# output directory; the lock; a stage failing for a time and its retry;
# a stage failing for good while the others go on; config errors; the
# log file's rotation; syslog through a real rsyslog; and -w.
. "$(dirname "$0")/../lib.sh"
built mailfetch unzipd rua2kv ptrresolve
have_syslog=0
if command -v rsyslogd >/dev/null 2>&1 ||
    [ -x /usr/sbin/rsyslogd ]; then
	have_syslog=1
fi
plan 50
cd "$T" || exit 1
DP=$TOP/scripts/dmarcpipe
EV=$TOP/tests/events.py
run_as=
[ -z "$RUN_AS" ] || run_as=nobody

# setup NAME SETTING...: $T/NAME/dmarcpipe.conf and an empty spool
setup() {
	mkdir -p "$T/$1/spool"
	[ -z "$run_as" ] || chown "$run_as" "$T/$1/spool"
	_nm=$1
	shift
	conf_file "$T/$_nm/dmarcpipe.conf" skip_mail_download=1 \
	    resolve_ips=0 output=kv drop_quiet=0 retry_delay=1 \
	    "spool=$T/$_nm/spool" "run_as=$run_as" -- "$@"
}
# drop NAME FILE...: loose into drop/, as a person would
drop() {
	_nm=$1
	shift
	mkdir -p "$T/$_nm/spool/drop"
	cp "$@" "$T/$_nm/spool/drop/"
	[ -z "$run_as" ] || chown -R "$run_as" "$T/$_nm/spool/drop"
}
# deliver NAME FILE...: into mail/new through mail/tmp, as an MTA would
deliver() {
	_nm=$1
	shift
	mkdir -p "$T/$_nm/spool/mail/tmp" "$T/$_nm/spool/mail/new"
	for _f in "$@"; do
		cp "$_f" "$T/$_nm/spool/mail/tmp/${_f##*/}"
		mv "$T/$_nm/spool/mail/tmp/${_f##*/}" "$T/$_nm/spool/mail/new/"
	done
	[ -z "$run_as" ] || chown -R "$run_as" "$T/$_nm/spool/mail"
}
dp() {
	run "$DP" -c "$T/$1/dmarcpipe.conf"
}

# The reports: the samples as a zip, a gzip and plain XML, loose in
# drop/; the sample mails delivered.
set -- "$TOP"/samples/*.xml
python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)
z.write(sys.argv[2], sys.argv[2].rsplit("/", 1)[1])' "$T/a.zip" "$1"
gzip -c "$2" >"$T/b.xml.gz"
cp "$3" "$T/c.xml"
python3 "$EV" expect "$T/a.zip" "$T/b.xml.gz" "$T/c.xml" \
    "$TOP"/samples/mail/*.eml >"$T/want"

# ------------------------------------------------------------ drop/
setup drop
drop drop "$T/a.zip" "$T/b.xml.gz" "$T/c.xml"
deliver drop "$TOP"/samples/mail/*.eml
dp drop
is "drop/ and mail/new, skip_mail_download = 1: exit 0" "$rc" 0
# (a report that came twice has the same event_ids twice: not checked)
python3 "$EV" got "$T"/drop/spool/out/new/* >"$T/got" 2>/dev/null
is "... the events of every report, kv, no lookups (-)" \
    "$(diff "$T/want" "$T/got")" ""
is "... one file per report" "$(ls "$T/drop/spool/out/new" | wc -l)" 7
ok "... mailfetch never ran" sh -c '! printf "%s" "$1" |
    grep -q program=mailfetch' - "$err"
like "... the log on stderr, key=value" "$err" \
    'level=info program=unzipd pid=[0-9]* message="'

drop drop "$TOP/README"
dp drop
is "a file that is no report: the pass still ends 0" "$rc" 0
ok "... it is in drop/fail with the reason beside it" \
    test -s "$T/drop/spool/drop/fail/"*",README.why"
like "... and the log says so, as an error" "$err" \
    'level=error program=unzipd .*README.*moved to drop/fail'

# ------------------------------------------------------------ output_dir
setup outdir "output_dir=$T/outdir/events"
mkdir -p "$T/outdir"
drop outdir "$T/c.xml"
dp outdir
is "output_dir: exit 0, made for the stages' user" \
    "$rc $(stat -c %U "$T/outdir/events")" "0 $(id -un ${run_as:-})"
is "... the events there, none in the spool's out/" \
    "$(ls "$T/outdir/events/new" | wc -l) $(ls "$T/outdir/spool/out/new" \
    2>/dev/null | wc -l)" "1 0"

# ------------------------------------------------------------ the lock
setup lock
drop lock "$T/c.xml"
: >"$T/lock/spool/.lock"
sh -c 'exec 8>>"$1"; flock 8; exec sleep 30' - "$T/lock/spool/.lock" &
holder=$!
sleep 0.5
dp lock
is "a second dmarcpipe on the spool: exit 75" "$rc" 75
like "... saying why" "$err" "another dmarcpipe is running on it"
is "... and touching nothing" "$(ls "$T/lock/spool/drop")" "c.xml"
kill $holder
wait $holder 2>/dev/null
dp lock
is "once the first is gone: exit 0" "$rc $(ls "$T/lock/spool/out/new" |
    wc -l)" "0 1"

# ------------------------------------------------------------ retry
setup retry
drop retry "$T/c.xml"
mkdir -p "$T/retry/spool/out/tmp"
[ -z "$run_as" ] || chown -R "$run_as" "$T/retry/spool/out"
chmod 0500 "$T/retry/spool/out/tmp"
dp retry
is "ptrresolve can't write out/tmp: exit 75" "$rc" 75
like "... tried again after retry_delay" "$err" \
    'again in 1 s: ptrresolve'
is "... the events wait in events/new" \
    "$(ls "$T/retry/spool/events/new" | wc -l)" 1
like "... the pass says what still fails" "$err" \
    'still failing for the time being: ptrresolve'
chmod 0750 "$T/retry/spool/out/tmp"
dp retry
is "the next pass, out/tmp writable: exit 0, the events out" \
    "$rc $(ls "$T/retry/spool/out/new" | wc -l)" "0 1"
# Killed while it sleeps before the retry: its sleep must not keep the
# lock from the next dmarcpipe.
setup sleeper retry_delay=30
drop sleeper "$T/c.xml"
mkdir -p "$T/sleeper/spool/out/tmp"
[ -z "$run_as" ] || chown -R "$run_as" "$T/sleeper/spool/out"
chmod 0500 "$T/sleeper/spool/out/tmp"
"$DP" -c "$T/sleeper/dmarcpipe.conf" 2>"$T/sleeper/err" &
sleeper=$!
n=0
while ! grep -q 'again in 30 s' "$T/sleeper/err" && [ $n -lt 200 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -KILL $sleeper
wait $sleeper 2>/dev/null
chmod 0750 "$T/sleeper/spool/out/tmp"
dp sleeper
is "dmarcpipe killed in its retry_delay: the next one runs, exit 0" \
    "$rc $(printf '%s\n' "$err" | grep -c 'another dmarcpipe')" "0 0"
setup noretry retry_delay=0
drop noretry "$T/c.xml"
mkdir -p "$T/noretry/spool/out/tmp"
[ -z "$run_as" ] || chown -R "$run_as" "$T/noretry/spool/out"
chmod 0500 "$T/noretry/spool/out/tmp"
dp noretry
is "retry_delay = 0: exit 75 at once, no second try" \
    "$rc $(printf '%s\n' "$err" | grep -c 'again in')" "75 0"
run "$BIN/ptrresolve" $RUN_AS -N -d "$T/noretry/spool" -o "$T/nonexistent"
like "ptrresolve -o a directory that isn't there: exit 73, said" \
    "$rc $err" "^73 .*-o $T/nonexistent: No such file"

# ------------------------------------------------------------ hard
setup hard skip_mail_download=0 mailserver_host=127.0.0.1 \
    mailserver_port=1 mailserver_protocol=IMAP mailserver_user=u \
    connect_timeout=2
printf 'mailserver_pwd = x\n' >"$T/hard/secrets"
chmod 600 "$T/hard/secrets"
drop hard "$T/c.xml"
dp hard
is "mailfetch can't reach the server: dmarcpipe exits with its 69" \
    "$rc" 69
is "... the other stages did their work all the same" \
    "$(ls "$T/hard/spool/out/new" | wc -l)" 1
like "... the log says which stage failed" "$err" \
    'level=error program=dmarcpipe .*mailfetch: failed (exit status 69)'

# ------------------------------------------------------------ config
setup badconf
printf 'ouptut = kv\n' >>"$T/badconf/dmarcpipe.conf"
drop badconf "$T/c.xml"
dp badconf
like "an unknown key: exit 78, naming file and line" "$rc $err" \
    "^78 .*badconf/dmarcpipe.conf:[0-9]*: unknown key \"ouptut\""
is "... and nothing ran" "$(ls "$T/badconf/spool")" drop
if [ -n "$run_as" ]; then
	setup noroot run_as=
	dp noroot
	like "root without run_as: exit 78, said" "$rc $err" \
	    "^78 .*run_as must name a user"
else
	skip "root without run_as: exit 78" "not root"
fi
run "$DP" -x
is "an unknown option: usage, exit 64" "$rc" 64
run "$BIN/mailfetch" -P -c "$T/drop/dmarcpipe.conf"
is "mailfetch -P: exit 0" "$rc" 0
run sh -c '"$1" -P -c "$2" >/dev/full' - "$BIN/mailfetch" \
    "$T/drop/dmarcpipe.conf"
like "... a stdout that can't be written: exit 74, said" "$rc $err" \
    '^74 mailfetch: stdout: No space left on device'
setup nolog log_destination=/nonexistent/dmarcpipe.log
dp nolog
like "a log file that can't be opened: exit 73, said on stderr" \
    "$rc $err" '^73 .*/nonexistent/dmarcpipe.log: can.t open the log'

# ------------------------------------------------------------ users
# Stages of their own users, sharing the spool through run_as's group:
# Debian's sync and _apt have nobody's primary group (nogroup).
same_group() {
	for _u in sync _apt; do
		[ "$(id -g $_u 2>/dev/null)" = "$(id -g nobody)" ] || return 1
	done
}
if [ -n "$run_as" ] && same_group; then
	setup users unzipd_user=sync rua2kv_user=_apt mailfetch_user=sync \
	    skip_mail_download=0 mailserver_host=127.0.0.1 \
	    mailserver_port=1 mailserver_protocol=IMAP mailserver_user=u \
	    connect_timeout=2
	printf 'mailserver_pwd = x\n' >"$T/users/secrets"
	chmod 600 "$T/users/secrets"
	# a report rua2kv refuses and unzipd doesn't: a value over xml_text
	python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read().
	    replace("<org_name>", "<org_name>" + "x" * 70000, 1))' "$T/c.xml" \
	    >"$T/big.xml"
	drop users "$T/c.xml" "$TOP/README" "$T/big.xml"
	dp users
	is "stages of their own users: mailfetch's 69, the rest did their work" \
	    "$rc $(ls "$T/users/spool/out/new" | wc -l)" "69 1"
	is "... unzipd refused the README as unzipd_user" \
	    "$(stat -c %U "$T"/users/spool/drop/fail/*README.why)" sync
	is "... rua2kv refused the big report as rua2kv_user" \
	    "$(stat -c %U "$T"/users/spool/xml/fail/*.why)" _apt
	is "... ptrresolve wrote the events as run_as" \
	    "$(stat -c %U "$T"/users/spool/out/new/*)" nobody
	is "... mailfetch's state is mailfetch_user's alone" \
	    "$(stat -c '%U %a' "$T/users/spool/state")" "sync 700"
	is "... the stage directories are the group's to write" \
	    "$(stat -c '%a %G' "$T/users/spool/xml" "$T/users/spool/mail/new" |
	    sort -u)" "770 $(id -gn nobody)"
	setup users2 unzipd_user=daemon
	dp users2
	like "a stage user of another primary group: exit 78, said" \
	    "$rc $err" "^78 .*unzipd_user: daemon is no user whose primary"
else
	skips 7 "stages of their own users" \
	    "not root, or sync and _apt are not in nobody's group"
fi

# ------------------------------------------------------------ log file
setup logs "log_destination=$T/logs/dmarcpipe.log" log_max_bytes=300 \
    log_backups=2
for i in 1 2 3 4; do
	drop logs "$T/c.xml"
	dp logs
done
is "a log file: nothing on stderr" "$err" ""
is "... rotated at log_max_bytes, log_backups kept" \
    "$(cd "$T/logs" && echo dmarcpipe.log*)" \
    "dmarcpipe.log dmarcpipe.log.1 dmarcpipe.log.2"
like "... the newest lines in dmarcpipe.log" \
    "$(tail -n 1 "$T/logs/dmarcpipe.log")" 'message="the pass is over"'
setup logs0 "log_destination=$T/logs0/dmarcpipe.log" log_max_bytes=300 \
    log_backups=0
for i in 1 2; do
	drop logs0 "$T/c.xml"
	dp logs0
done
is "log_backups = 0: emptied at log_max_bytes, no backup" \
    "$(cd "$T/logs0" && echo dmarcpipe.log*) $(grep -c 'a pass over' \
    "$T/logs0/dmarcpipe.log")" "dmarcpipe.log 0"

# ------------------------------------------------------------ syslog
if [ "$have_syslog" = 1 ]; then
	. "$TOP/tests/syslog.sh"
	syslog_start
	setup sys log_destination=syslog "syslog_socket=$SYSLOG_SOCK" \
	    syslog_facility=local3
	drop sys "$T/c.xml" "$TOP/README"
	dp sys
	is "syslog: exit 0, nothing on stderr" "$rc$err" 0
	syslog_wait 'message="the pass is over"' 10
	like "... info lines as local3.info, tagged dmarcpipe" \
	    "$(cat "$SYSLOG_FILE")" \
	    'local3.info dmarcpipe.*program=rua2kv pid=[0-9]* message="'
	like "... a refused file as local3.err" "$(cat "$SYSLOG_FILE")" \
	    'local3.err dmarcpipe.*program=unzipd .*README'
else
	skips 3 "syslog" "no rsyslogd (scripts/install-deps)"
fi

# ------------------------------------------------------------ -w
setup watch poll_interval=1
"$DP" -w -c "$T/watch/dmarcpipe.conf" 2>"$T/watch.err" &
w=$!
watchdog $w
sleep 1
drop watch "$T/c.xml"
i=0
while [ $i -lt 100 ] && [ -z "$(ls "$T/watch/spool/out/new" 2>/dev/null)" ]
do
	sleep 0.1
	i=$((i + 1))
done
is "-w: a file dropped while it watches comes out" \
    "$(ls "$T/watch/spool/out/new" | wc -l)" 1
kill -TERM $w
wait $w
is "... SIGTERM stops it: exit 0" "$?" 0
like "... saying so" "$(cat "$T/watch.err")" 'message="stopped"'
sleep 0.2
is "... no stage left running" "$(pgrep -f "$T/watch/spool" | wc -l)" 0
finish
