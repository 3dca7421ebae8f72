#!/bin/sh
# The whole chain, killed: scripts/dmarcpipe passes over 300 mails in a
# real dovecot (60 more arrive halfway), and 300 SIGKILLs, each at a
# random moment, of a stage or of dmarcpipe itself (whose stage then
# runs on, orphaned, beside the next dmarcpipe's).  Then passes run
# undisturbed until the mailbox is done.  Every report's events must be
# in out/new exactly once per event_id and say what the reports say
# (tests/events.py reads the mails on its own), the reports must be in
# the move-to folder and the other mails untouched in INBOX, and nothing
# may be left half-done or refused in the spool.
#
# The stages run through tests/crashwrap, which SIGKILLs many of their
# runs at random moments (it says how).  A pass fetches 4 mails at most
# (max_messages), so that every stage has work in many passes.
. "$(dirname "$0")/../lib.sh"
built mailfetch unzipd rua2kv ptrresolve
. "$TOP/tests/mail.sh"
DNS_DEFAULTS=no
. "$TOP/tests/dns.sh"
dns_mx "$T/ptr"
dns_start
mail_start
plan 15
cd "$T" || exit 1

KILLS=300

# 300 mails now and 60 later, every kind mkmail.py makes: 3 in 4 are
# reports, the others only look like them.  6 records a report, from
# dns_mx's addresses, so that rua2kv and ptrresolve have work to be
# killed in.
python3 "$TOP/tests/mkmail.py" --records 6 --id crash "$T/m" 300 \
    >"$T/m.list" &&
    python3 "$TOP/tests/mkmail.py" --records 6 --id late "$T/late" 60 \
    >"$T/late.list" || exit 1
kind() { awk -v k="$2" '$3 == k { print $1 }' "$T/$1.list"; }
mail_put INBOX $(kind m dmarc) $(kind m other) || exit 1
NDMARC=$(cat "$T/m.list" "$T/late.list" | grep -c '	dmarc	')
NOTHER=$(cat "$T/m.list" "$T/late.list" | grep -c '	other	')

mkdir "$T/log"
conf_file "$T/dmarcpipe.conf" -- mailserver_protocol=IMAPS \
    mailserver_host=127.0.0.1 "mailserver_port=$MAIL_IMAPS_PORT" \
    "mailserver_user=$MAIL_USER" mailserver_mailboxfolder=INBOX \
    mailserver_action=move mailserver_moveto=Done "tls_ca_file=$MAIL_CA" \
    "spool=$T/spool" "run_as=${RUN_AS#-u }" \
    output=json resolve_ips=1 "resolvers=$DNS_SERVER" max_messages=4 \
    retry_delay=1 drop_quiet=0 "log_destination=$T/log/dmarcpipe.log"
printf 'mailserver_pwd = %s\n' "$MAIL_PASS" >"$T/secrets"
chmod 600 "$T/secrets"

# Passes one after the other, dmarcpipe itself SIGKILLed in one of five
# (at a moment from 1 ms to 3 s after its start, spread as the stages'
# are), until the kills are done.
mkdir "$T/bin"
for s in mailfetch unzipd rua2kv ptrresolve; do
	ln -s "$TOP/tests/crashwrap" "$T/bin/$s" || exit 1
done
CRASH_DIR=$T CRASH_REAL=$BIN
export CRASH_DIR CRASH_REAL
: >"$T/killed"

# alive PID: running, not a zombie waiting for its parent
alive() {
	_st=
	read -r _st 2>/dev/null <"/proc/$1/stat" || return 1
	case ${_st#*) } in Z*) return 1 ;; esac
}

runs=0
late=
while [ "$(wc -l <"$T/killed")" -lt $KILLS ] && [ $runs -lt 3000 ]; do
	DMARCPIPE_BIN=$T/bin "$TOP/scripts/dmarcpipe" -c "$T/dmarcpipe.conf" &
	pid=$!
	runs=$((runs + 1))
	d=$(od -An -N4 -tu4 /dev/urandom | awk '{ r = $1 / 4294967296
	    if (r < 0.2) printf "%.3f", exp(r * 5 * log(3000)) / 1000 }')
	if [ -n "$d" ]; then
		sleep "$d"
		alive "$pid" && kill -KILL "$pid" 2>/dev/null &&
		    echo dmarcpipe >>"$T/killed"
	fi
	wait "$pid"
	# halfway, 60 more mails come in while the kills go on
	if [ -z "$late" ] && [ "$(wc -l <"$T/killed")" -ge $((KILLS / 2)) ]
	then
		mail_put INBOX $(kind late dmarc) $(kind late other) &
		late=$!
	fi
done 2>>"$T/pipe.err"	# with the shell's word on each job it killed
touch "$T/calm"
[ -z "$late" ] || wait "$late"
kills=$(wc -l <"$T/killed")
echo "# $runs runs of dmarcpipe, $kills kills:" \
    "$(sort "$T/killed" | uniq -c | awk '{ printf " %s %s", $2, $1 }')"

# What a killed dmarcpipe left running ends by itself.
n=0
while pgrep -f -- "-d $T/spool" >/dev/null && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
is "no stage runs on, a minute after the last kill" \
    "$(pgrep -f -l -- "-d $T/spool")" ""
ok "$KILLS kills or more" test "$kills" -ge $KILLS
is "each of dmarcpipe and its four stages was killed at least 10 times" \
    "$(sort -u "$T/killed" | while read -r v; do
	[ "$(grep -c "^$v\$" "$T/killed")" -ge 10 ] && echo "$v"
    done | tr '\n' ' ')" "dmarcpipe mailfetch ptrresolve rua2kv unzipd "
L=$T/log/dmarcpipe.log
# A consumer killed while it held an item: its next run takes the item
# back from cur/ and says so.
for s in mail xml events; do
	echo "$s $(grep -c "/spool/$s: [0-9]* item(s) back from cur/" "$L")"
done >"$T/held"
echo "# killed holding items (mail for unzipd, xml for rua2kv, events for" \
    "ptrresolve):" $(cat "$T/held")
is "... each consumer 5 times or more while it held an item" \
    "$(awk '$2 >= 5 { printf "%s ", $1 }' "$T/held")" "mail xml events "

# Undisturbed passes until the reports are all taken (4 a pass).
n=0
while [ $n -lt 200 ]; do
	run "$TOP/scripts/dmarcpipe" -c "$T/dmarcpipe.conf"
	n=$((n + 1))
	[ "$rc" = 0 ] && [ "$(mail_count INBOX)" = "$NOTHER" ] && break
done
is "then passes end by themselves, exit 0 ($n of them)" "$rc" 0

python3 "$TOP/tests/events.py" expect --ptr "$T/ptr" \
    $(kind m dmarc) $(kind late dmarc) >"$T/want"
python3 "$TOP/tests/events.py" got "$T"/spool/out/new/* >"$T/got" \
    2>"$T/got.err"
is "every event_id in out/new once, every line an event" \
    "$?$(cat "$T/got.err")" 0
is "... the events say what the $NDMARC reports say, PTR names included" \
    "$(diff "$T/want" "$T/got" | head -20)" ""
is "... one file in out/new per report" \
    "$(find "$T/spool/out/new" -type f | wc -l)" "$NDMARC"

is "the $NDMARC reports are in Done" "$(mail_count Done)" "$NDMARC"
is "... the $NOTHER others in INBOX, none read" \
    "$(mail_count INBOX) $(mail_fetch INBOX | cut -f2 | grep -c Seen)" \
    "$NOTHER 0"

is "nothing refused: every fail/ is empty" \
    "$(find "$T/spool" -path "$T/spool/*/fail/*" ! -name '*.why' |
    head -5 | while read -r f; do
	echo "${f#"$T/spool/"}: $(cat "$f.why" 2>/dev/null)"
    done)" ""
is "nothing waits or is held: every new/ and cur/ but out/new is empty" \
    "$(find "$T/spool" -path "$T/spool/*/new/*" -o \
    -path "$T/spool/*/cur/*" |
    grep -v "^$T/spool/out/new/" | head)" ""
# A killed producer's half-written file stays in tmp/ until the work is
# done again under the same name; only mailfetch names a fetch anew, and
# its strays are files no state record names.
is "nothing half-made in tmp/ but mailfetch's unrecorded strays" \
    "$(find "$T/spool" -path "$T/spool/*/tmp/*" ! -path "$T/spool/mail/tmp/*";
    for f in "$T"/spool/mail/tmp/*; do
	[ -f "$f" ] || continue
	grep -l " ${f##*/} " "$T"/spool/state/* 2>/dev/null
    done)" ""
is "no dmarcpipe was kept out by a dead one's lock" \
    "$(grep -c 'another dmarcpipe is running' "$L" "$T/pipe.err" |
    awk -F: '{ n += $2 } END { print n }')" 0
is "the log names no forbidden call, no second copy" \
    "$(grep -e forbidden -e 'also in new/' "$L" | head -5)" ""
finish
