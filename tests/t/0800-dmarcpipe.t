#!/bin/sh
# The whole chain, end to end: a real dovecot on loopback holding three
# dozen mails (report mails of every Subject kind and container, and
# mails that are not reports), a real nsd serving the PTR names, a
# config written by dmarcpipe-setup -n, and one scripts/dmarcpipe pass.
# The events in out/new must say what the reports say (read here by an
# independent parser, tests/events.py), the mailbox must end as the
# action says, and the log must tell what happened and nothing secret.
. "$(dirname "$0")/../lib.sh"
built mailfetch unzipd rua2kv ptrresolve
. "$TOP/tests/mail.sh"
# The reports' addresses are 192.0.2.1 and up: every fifth one has no
# name (nxdomain), the others mx-N.example.net.
DNS_DEFAULTS=no
. "$TOP/tests/dns.sh"
dns_mx "$T/ptr"
# The samples' other addresses: no names at all.
dns_zone 100.51.198.in-addr.arpa </dev/null
dns_zone 113.0.203.in-addr.arpa </dev/null
dns_start
mail_start
plan 31
cd "$T" || exit 1

n=1
while [ $n -le 254 ]; do
	echo "198.51.100.$n nxdomain"
	echo "203.0.113.$n nxdomain"
	n=$((n + 1))
done >>"$T/ptr"

# 36 mails: 27 reports (9 Subject kinds, gzip, zip and plain XML), 9
# others (two of them with a report attached but no marker).
python3 "$TOP/tests/mkmail.py" --id e2e "$T/m" 36 >"$T/m.list" || exit 1
DMARC=$(awk '$3 == "dmarc" { print $1 }' "$T/m.list")
OTHER=$(awk '$3 == "other" { print $1 }' "$T/m.list")
mail_put INBOX $DMARC $OTHER || exit 1

# ------------------------------------------------------------ setup
run_as=
[ -z "$RUN_AS" ] || run_as=nobody
mkdir "$T/etc" "$T/log"
printf '%s\n' "$MAIL_PASS" >"$T/pw"
run "$TOP/scripts/dmarcpipe-setup" -n <"$T/pw" \
    -c "$T/etc/dmarcpipe.conf" --password-file=- \
    --mailserver_host=127.0.0.1 "--mailserver_port=$MAIL_IMAPS_PORT" \
    --mailserver_protocol=IMAPS --mailserver_mailboxfolder=INBOX \
    "--mailserver_user=$MAIL_USER" --mailserver_action=move \
    --mailserver_moveto=Done --output=json --resolve_ips=1 \
    --log_level=20 "--spool=$T/spool" "--run_as=$run_as" \
    "--resolvers=$DNS_SERVER" "--log_destination=$T/log/dmarcpipe.log" \
    "--tls_ca_file=$MAIL_CA"
is "dmarcpipe-setup -n: exit 0" "$rc" 0
is "... the secrets file is 0600" \
    "$(stat -c %a "$T/etc/secrets" 2>/dev/null)" 600
ok "... and the config has no password" \
    sh -c '! grep -qF "$1" "$2"' - "$MAIL_PASS" "$T/etc/dmarcpipe.conf"

# ------------------------------------------------------------ one pass
run "$TOP/scripts/dmarcpipe" -c "$T/etc/dmarcpipe.conf"
is "one pass of dmarcpipe: exit 0" "$rc" 0
is "... nothing on stderr (the log is a file)" "$err" ""
out_files() { ls "$T/spool/out/new"; }
is "... one file in out/new per report" "$(out_files | wc -l)" 27
python3 "$TOP/tests/events.py" expect --ptr "$T/ptr" $DMARC >"$T/want"
python3 "$TOP/tests/events.py" got "$T"/spool/out/new/* >"$T/got" 2>"$T/got.err"
is "... every event_id once, every line an event" "$?$(cat "$T/got.err")" 0
ok "... the reports have records" test "$(wc -l <"$T/want")" -ge 27
is "... the events say what the reports say, PTR names included" \
    "$(diff "$T/want" "$T/got")" ""
is "... nothing half-made: out/tmp, events/, xml/ and mail/ are empty" \
    "$(ls "$T/spool/out/tmp" "$T/spool/events/new" "$T/spool/xml/new" \
    "$T/spool/mail/new" "$T/spool/mail/tmp" | grep -v '^/\|^$')" ""
is "... nothing refused" "$(find "$T/spool" -path '*/fail/*' | wc -l)" 0

is "the reports moved to Done at the server" "$(mail_count Done)" 27
is "... the others stayed in INBOX, untouched" \
    "$(mail_fetch INBOX | cut -f2 | grep -c Seen)$(mail_count INBOX)" 09

L=$T/log/dmarcpipe.log
is "every log line is key=value: time, level, program, pid, message" \
    "$(grep -cvE '^time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z level=(debug|info|warning|error|critical) program=(dmarcpipe|mailfetch|unzipd|rua2kv|ptrresolve) pid=[0-9]+ message=".*"$' "$L")" 0
is "... every stage logged" "$(sed -n 's/.* program=\([a-z0-9]*\) .*/\1/p' "$L" |
    sort -u | tr '\n' ' ')" "dmarcpipe mailfetch ptrresolve rua2kv unzipd "
like "... mailfetch says what it took and did" "$(cat "$L")" \
    'program=mailfetch .*27 report mail(s) fetched, 27 acted on'
is "... and each move, one by one" \
    "$(grep -c 'program=mailfetch .*message="message [0-9]*: moved"' "$L")" 27
is "... each report's events are logged" \
    "$(grep -c 'program=ptrresolve .* line(s) to out/new' "$L")" 27
like "... the pass's end" "$(tail -n 1 "$L")" \
    'program=dmarcpipe .*message="the pass is over"'
ok "... no password in the log" \
    sh -c '! grep -qF "$1" "$2"' - "$MAIL_PASS" "$L"

# ------------------------------------------------------------ again
run "$TOP/scripts/dmarcpipe" -c "$T/etc/dmarcpipe.conf"
is "a second pass: exit 0" "$rc" 0
is "... takes nothing twice" "$(out_files | wc -l)" 27
like "... and says so" "$(tail -n 12 "$L")" \
    '0 report mail(s) fetched, 0 acted on'

# ------------------------------------------------------------ a new mail
python3 "$TOP/tests/mkmail.py" --id late --kind aggregate - >"$T/late.eml"
mail_put INBOX "$T/late.eml"
run "$TOP/scripts/dmarcpipe" -c "$T/etc/dmarcpipe.conf"
is "a mail that came later: its events in a 28th file" \
    "$rc $(out_files | wc -l)" "0 28"

# ------------------------------------------------------------ -w
# Watching: mailfetch -w waits in IDLE, the other stages run every
# poll_interval; a mail that comes in is out within seconds.
run "$TOP/scripts/dmarcpipe-setup" -n -f -c "$T/etc/dmarcpipe.conf" \
    --poll_interval=1 </dev/null
is "dmarcpipe-setup -n -f: a key changed, the rest kept" \
    "$rc $(grep -c '^poll_interval = 1$' "$T/etc/dmarcpipe.conf")" "0 1"
"$TOP/scripts/dmarcpipe" -w -c "$T/etc/dmarcpipe.conf" 2>"$T/w.err" &
w=$!
watchdog $w
sleep 1
python3 "$TOP/tests/mkmail.py" --id watched --kind bracket - >"$T/w.eml"
mail_put INBOX "$T/w.eml"
i=0
while [ $i -lt 200 ] && [ "$(out_files | wc -l)" -lt 29 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "-w: a mail that comes while it watches: its events out" \
    "$(out_files | wc -l) $(mail_count Done)" "29 29"
kill -TERM $w
wait $w
is "... SIGTERM: exit 0, mailfetch -w stopped too" \
    "$? $(pgrep -f "mailfetch.*$T/spool" | wc -l)" "0 0"

# ------------------------------------------------------------ drop/ only
# skip_mail_download = 1: the same mails and two bare reports, dropped
# loose into drop/ by a person; the same PTR names.
run "$TOP/scripts/dmarcpipe-setup" -n -c "$T/etc2/dmarcpipe.conf" \
    --skip_mail_download=1 --output=kv --resolve_ips=1 \
    "--spool=$T/spool2" "--run_as=$run_as" "--resolvers=$DNS_SERVER" \
    --drop_quiet=1
is "dmarcpipe-setup -n, skip_mail_download = 1: exit 0, no secrets file" \
    "$rc $(ls "$T/etc2")" "0 dmarcpipe.conf"
G=$(ls "$TOP"/samples/google.com*.xml)
M=$(ls "$TOP"/samples/mx.example.net*.xml)
mkdir -p "$T/spool2/drop"
gzip -c "$G" >"$T/spool2/drop/g.xml.gz"
cp "$M" $DMARC "$T/spool2/drop/"
[ -z "$run_as" ] || chown -R "$run_as" "$T/spool2"
sleep 2		# left alone for drop_quiet, unchanged (by their ctime)
run "$TOP/scripts/dmarcpipe" -c "$T/etc2/dmarcpipe.conf"
is "... a pass: exit 0" "$rc" 0
python3 "$TOP/tests/events.py" expect --ptr "$T/ptr" $DMARC "$G" "$M" \
    >"$T/want2"
python3 "$TOP/tests/events.py" got "$T"/spool2/out/new/* >"$T/got2"
is "... the events of every dropped file, kv, PTR names included" \
    "$(diff "$T/want2" "$T/got2")" ""
is "... nothing left in drop/, nothing refused" \
    "$(find "$T/spool2/drop" "$T/spool2/xml" -type f | wc -l)" 0
finish
