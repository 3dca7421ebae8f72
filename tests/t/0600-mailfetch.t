#!/bin/sh
# mailfetch against a real dovecot on loopback (tests/mail.sh): IMAP,
# IMAPS, POP3, POP3S and STARTTLS; which mails are reports; every action;
# move-to templates around New Year; folder names with spaces and
# non-ASCII; and each way a session fails, with its exit status.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/mailfetch" ]; then
	echo "1..0 # SKIP no bin/mailfetch"
	exit 0
fi
. "$TOP/tests/mail.sh"
. "$TOP/tests/mailfetch.sh"
mail_start
plan 95
cd "$T" || exit 1

# cfg NAME KEY=VALUE...: $T/NAME/ with dmarcpipe.conf (IMAPS on
# 127.0.0.1 by default, which needs no /etc/hosts), the secrets file and
# an empty spool
cfg() {
	_d=$T/$1
	mfdir "$1"
	shift
	conf_file "$_d/dmarcpipe.conf" mailserver_host=127.0.0.1 \
	    "mailserver_port=$MAIL_IMAPS_PORT" mailserver_protocol=IMAPS \
	    "mailserver_user=$MAIL_USER" "tls_ca_file=$MAIL_CA" log_level=10 \
	    connect_timeout=5 io_timeout=5 -- "$@"
	printf 'mailserver_pwd = %s\n' "$MAIL_PASS" >"$_d/secrets"
	chmod 600 "$_d/secrets"
}

# The mails: 9 reports of every kind of Subject, 3 that are not.
python3 "$TOP/tests/mkmail.py" "$T/m" 12 >"$T/m.list" || exit 1
DMARC=$(awk '$3 == "dmarc" { print $1 }' "$T/m.list")
OTHER=$(awk '$3 == "other" { print $1 }' "$T/m.list")
ALL9=$(awk '$3 == "dmarc" { print $4 }' "$T/m.list" | sort | tr '\n' ' ')
mail_put INBOX $DMARC $OTHER || exit 1

# ---------------------------------------------------------- IMAPS
cfg imaps mailserver_mailboxfolder=INBOX mailserver_action=mark_read
mf imaps
is "IMAPS, mark_read: exit 0" "$rc" 0
is "the nine reports are in mail/new" "$(spooled imaps)" "$ALL9"
is "... each whole, byte for byte" "$(for f in $DMARC; do
	id=$(sed -n 's/^Message-ID: <\(.*\)@mkmail.test>.*/\1/Ip' "$f")
	cmp -s "$f" "$(grep -l "Message-ID: <$id@" "$T/imaps/spool/mail/new"/*)" ||
	    echo "$f differs"; done)" ""
is "mail/tmp is empty" "$(ls "$T/imaps/spool/mail/tmp")" ""
is "the reports are marked read at the server" \
    "$(mail_fetch INBOX | grep -c 'Seen')" 9
is "the three others are untouched (not even read)" \
    "$(mail_fetch INBOX | grep -v Seen | cut -f3 | sort | tr '\n' '|')" \
    "|Lunch on Friday|Re: reporting domains|"
like "each is logged" "$err" "message 1: .* bytes to mail/new/"
mf imaps
is "a second pass: exit 0" "$rc" 0
is "... fetches nothing again" "$(ls "$T/imaps/spool/mail/new" | wc -l)" 9
like "... and says so" "$err" "0 report mail(s) fetched"
ok "the state is in spool/state" test -s "$T"/imaps/spool/state/imap-*

# ---------------------------------------------------------- STARTTLS, delete
mail_put t2 $DMARC $OTHER || exit 1
cfg starttls mailserver_port="$MAIL_IMAP_PORT" mailserver_protocol=imap \
    mailserver_mailboxfolder=t2 mailserver_action=delete
mf starttls
is "IMAP with STARTTLS, delete: exit 0" "$rc" 0
is "the nine reports are spooled" "$(spooled starttls)" "$ALL9"
is "the folder keeps the three others" \
    "$(mail_fetch t2 | cut -f3 | sort | tr '\n' '|')" \
    "|Lunch on Friday|Re: reporting domains|"

# ---------------------------------------------------------- move, templates
# INTERNALDATE set by a real IMAP APPEND (python's imaplib on the plain
# port): the template takes the date the server received the mail.
# (dovecot takes "now" for a date in the future, so all are past.)
cat >"$T/append.py" <<'EOF'
import imaplib, sys
port, user, pw, folder = sys.argv[1:5]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, pw)
m.create(folder)
args = sys.argv[5:]
for date, path in zip(args[::2], args[1::2]):
    with open(path, "rb") as f:
        typ, _ = m.append(folder, None, '"%s"' % date, f.read())
    assert typ == "OK"
m.logout()
EOF
set -- $DMARC
python3 "$T/append.py" "$MAIL_IMAP_PORT" "$MAIL_USER" "$MAIL_PASS" t3 \
    "30-Dec-2024 10:00:00 +0000" "$1" \
    "01-Jan-2021 12:00:00 +0000" "$2" \
    "01-Jan-2026 00:30:00 +0100" "$3" \
    "06-Mar-2023 09:00:00 +0000" "$4" || exit 1
mail_put t3 $OTHER
cfg move mailserver_mailboxfolder=t3 mailserver_action=move
mf move
is "move with the default template: exit 0" "$rc" 0
is "four reports spooled" "$(ls "$T/move/spool/mail/new" | wc -l)" 4
is "2024-12-30 is filed under 2025, week 01" \
    "$(mail_count INBOX/done/2025/week_01)" 1
is "2021-01-01 under 2020, week 53" "$(mail_count INBOX/done/2020/week_53)" 1
is "2026-01-01 00:30 +0100 is 2025-12-31 UTC: 2026, week 01" \
    "$(mail_count INBOX/done/2026/week_01)" 1
is "2023-03-06 under 2023, week 10" "$(mail_count INBOX/done/2023/week_10)" 1
is "the others stay in t3" "$(mail_count t3)" 3
like "the folders made are logged" "$err" \
    'created folder "Inbox/done/2025/week_01"'
like "... and subscribed" \
    "$(mail_doveadm mailbox list -u "$MAIL_USER" -s 2>&1)" "week_01"
is "a calendar template: [YEAR]/[MONTH]/[DAY]" "$(
	python3 "$T/append.py" "$MAIL_IMAP_PORT" "$MAIL_USER" "$MAIL_PASS" \
	    t3b "30-Dec-2024 23:59:59 +0000" "$5" &&
	cfg cal mailserver_mailboxfolder=t3b mailserver_action=move \
	    'mailserver_moveto=Archive/[YEAR]/[MONTH]/[DAY]' &&
	mf cal && echo "$rc $(mail_count Archive/2024/12/30)")" "0 1"

# ---------------------------------------------------------- folder names
F='DMARC Berichte/Größe ✓ "x"'
mail_put "$F" $DMARC || exit 1
cfg utf8 "mailserver_mailboxfolder=$F" mailserver_action=move \
    'mailserver_moveto=Erledigt & fertig/Ü [YEAR]'
mf utf8
is "a folder with spaces, quotes and non-ASCII: exit 0" "$rc" 0
is "its nine reports spooled" "$(spooled utf8)" "$ALL9"
is "moved into a non-ASCII folder with '&'" \
    "$(mail_count "Erledigt & fertig/Ü 2026")$(mail_count "$F")" 90
like "the folder list has it" "$(mail_folders)" '^Erledigt & fertig/Ü 2026$'

# ---------------------------------------------------------- POP3
cfg pop3 mailserver_port="$MAIL_POP3_PORT" mailserver_protocol=POP3 \
    mailserver_action=delete
mf pop3
is "POP3 with STLS, delete: exit 0" "$rc" 0
is "the nine reports of INBOX spooled" "$(spooled pop3)" "$ALL9"
is "INBOX keeps the three others" "$(mail_count INBOX)" 3
mf pop3
is "a second POP3 pass: exit 0, nothing new" \
    "$rc $(ls "$T/pop3/spool/mail/new" | wc -l)" "0 9"

mail_put INBOX "$1" "$2" || exit 1
cfg pop3s mailserver_port="$MAIL_POP3S_PORT" mailserver_protocol=pop3s \
    mailserver_action=mark_read
mf pop3s
is "POP3S, mark_read: exit 0, the two new reports" \
    "$rc $(ls "$T/pop3s/spool/mail/new" | wc -l)" "0 2"
mf pop3s
is "... once: a second pass leaves them, takes nothing" \
    "$rc $(ls "$T/pop3s/spool/mail/new" | wc -l) $(mail_count INBOX)" "0 2 5"
run "$BIN/mailfetch" $RUN_AS -t -c "$T/pop3s/dmarcpipe.conf"
is "POP3S -t: logged in, the messages counted, exit 0" "$rc $out" \
    "0 mailfetch: pop3s://127.0.0.1: logged in as $MAIL_USER; 5 message(s) \
in \"the maildrop\""
is "... taking and changing nothing" \
    "$(ls "$T/pop3s/spool/mail/new" | wc -l) $(mail_count INBOX)" "2 5"
cfg tnofolder mailserver_mailboxfolder=Nowhere
run "$BIN/mailfetch" $RUN_AS -t -c "$T/tnofolder/dmarcpipe.conf"
like "IMAPS -t on a folder that isn't there: exit 66, said" \
    "$rc $(printf '%s\n' "$err" | grep Nowhere)" '^66 mailfetch: folder "Nowhere"'
cfg pop3move mailserver_port="$MAIL_POP3S_PORT" mailserver_protocol=POP3S \
    mailserver_action=move
mf pop3move
is "POP3 'move' deletes, as TA-dmarc does" \
    "$rc $(ls "$T/pop3move/spool/mail/new" | wc -l) $(mail_count INBOX)" \
    "0 2 3"
like "... and says so" "$err" "POP3 has no folders"

# ---------------------------------------------------------- failures
cfg badpw mailserver_mailboxfolder=INBOX
printf 'mailserver_pwd = wrong %s\n' "$MAIL_PASS" >"$T/badpw/secrets"
mf badpw
is "a wrong password: exit 77" "$rc" 77
like "... login refused" "$err" "login refused"

cfg badca mailserver_mailboxfolder=INBOX "tls_ca_file=$MAIL_BADCA"
mf badca
is "a certificate from another CA: exit 76" "$rc" 76
like "... TLS failure" "$err" "TLS failure"
cfg sysca mailserver_mailboxfolder=INBOX tls_ca_file=
mf sysca
is "the system's CAs don't know the test CA either: exit 76" "$rc" 76

cfg notls mailserver_host="$MAIL_NOTLS_ADDR" mailserver_protocol=IMAP \
    mailserver_port="$MAIL_IMAP_PORT" mailserver_mailboxfolder=INBOX
mf notls
is "a server without STARTTLS is refused: exit 76" "$rc" 76
like "... saying why" "$err" "TLS failure.*STARTTLS"
cfg notlsok mailserver_host="$MAIL_NOTLS_ADDR" mailserver_protocol=IMAP \
    mailserver_port="$MAIL_IMAP_PORT" mailserver_mailboxfolder=t2 \
    allow_plaintext=1
mf notlsok
is "... unless allow_plaintext = 1" "$rc" 0
cfg pnotls mailserver_host="$MAIL_NOTLS_ADDR" mailserver_protocol=POP3 \
    mailserver_port="$MAIL_POP3_PORT"
mf pnotls
is "a POP3 server without STLS is refused: exit 76" "$rc" 76

cfg nofolder mailserver_mailboxfolder=nonesuch
mf nofolder
is "a missing folder: exit 66" "$rc" 66
like "... named" "$err" 'folder "nonesuch"'

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cfg closed mailserver_host=127.0.0.1 "mailserver_port=$port"
mf closed
is "nothing listening: exit 69" "$rc" 69
like "... server unreachable" "$err" "server unreachable"

cfg v6 mailserver_host=::1 "mailserver_port=$port"
mf v6
like "an IPv6 address as the host: tried, unreachable (69)" "$rc $err" \
    "^69 .*::1.*server unreachable"

cfg proxy mailserver_mailboxfolder=INBOX
all_proxy=http://127.0.0.1:$port imaps_proxy=http://127.0.0.1:$port \
    SSLKEYLOGFILE=$T/keys mf proxy
is "proxy variables in the environment are not followed" "$rc" 0
ok "... and SSLKEYLOGFILE gets no keys" test ! -e "$T/keys"

cfg nohost mailserver_host=nonesuch.invalid
mf nohost
is "an unknown host: exit 68" "$rc" 68

mail_stall
cfg stall mailserver_host=127.0.0.1 "mailserver_port=$STALL_PORT" \
    connect_timeout=2
start=$(date +%s)
"$BIN/mailfetch" $RUN_AS -c "$T/stall/dmarcpipe.conf" \
    -d "$T/stall/spool" 2>/dev/null &
first=$!
# the first one holds the lock once it has made the state directory
n=0
while [ ! -d "$T/stall/spool/state" ] && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
sleep 0.2
mf stall
is "a second mailfetch on the spool while one waits: exit 75" "$rc" 75
like "... and says why" "$err" "another mailfetch is fetching into it"
wait $first
is "the first: a server that never greets, exit 69" "$?" 69
ok "... after the connect timeout, not forever" \
    test $(($(date +%s) - start)) -lt 10
mf stall
is "the lock went with it: the next one runs (and times out, 69)" "$rc" 69
mail_greet_stall
cfg gstall mailserver_host=127.0.0.1 "mailserver_port=$GSTALL_PORT" \
    mailserver_protocol=imap allow_plaintext=1 connect_timeout=2
mf gstall
is "a server that greets, then stalls: exit 69" "$rc" 69
like "... timed out" "$err" "timed out"

# Scripted IMAP peers (dovecot can't be made to misbehave on cue):
# "mute" logs us in, then says nothing more; "garbled" answers UID
# SEARCH with a line that is not IMAP.  peer MODE: its port in $_p.
cat >"$T/peer.py" <<'PY'
import socket, sys, time
mode = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
f = c.makefile("rb")
c.sendall(b"* OK ready\r\n")
said = {
    b"CAPABILITY": b"* CAPABILITY IMAP4rev1\r\n",
    b"LIST": b'* LIST () "/" ""\r\n',
    b"SELECT": b"* 1 EXISTS\r\n* OK [UIDVALIDITY 7] uids\r\n",
    b"UID": b"* SEARCH 1 two!\r\n",
}
for line in f:
    tag, cmd = line.split(b" ", 2)[:2]
    cmd = cmd.strip().upper()
    c.sendall(said.get(cmd, b"") + tag + b" OK done\r\n")
    if mode == "mute" and cmd == b"LOGIN":
        break
f.readline()	# mute: our first command, never answered
time.sleep(30)
PY
peer() {
	python3 "$T/peer.py" "$1" >"$T/$1.port" &
	peerpid=$!
	port_file "$T/$1.port" "the $1 IMAP peer"
}

# io_timeout
peer mute
cfg mute mailserver_host=127.0.0.1 "mailserver_port=$_p" \
    mailserver_protocol=imap allow_plaintext=1 io_timeout=1
start=$(date +%s)
mf mute
kill $peerpid 2>/dev/null
wait $peerpid 2>/dev/null
is "a server that stops answering after login: exit 69" "$rc" 69
like "... timed out, said" "$err" "nothing from the server for 1 s (io_timeout)"
ok "... after io_timeout, not forever" test $(($(date +%s) - start)) -lt 10

peer garbled
cfg garbled mailserver_host=127.0.0.1 "mailserver_port=$_p" \
    mailserver_protocol=imap allow_plaintext=1
mf garbled
kill $peerpid 2>/dev/null
wait $peerpid 2>/dev/null
is "a server whose UID SEARCH answer is not IMAP: exit 69" "$rc" 69
like "... said, with the line" "$err" \
    "a response mailfetch can't read: \"\* SEARCH 1 two!\""

# ---------------------------------------------------------- disk full
if [ "$(id -u)" = 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=160k \
    tmpfs "$T/full" 2>/dev/null; then
	for i in 1 2 3 4; do
		python3 "$TOP/tests/mkmail.py" --kind domain --id "full$i" \
		    --size 50000 - >"$T/full$i.eml" || exit 1
		mail_put t9 "$T/full$i.eml" || exit 1
	done
	cfg fullcfg mailserver_mailboxfolder=t9 mailserver_action=delete
	rmdir "$T/fullcfg/spool"
	mkdir "$T/full/spool"
	chown nobody "$T/full/spool"
	ln -s "$T/full/spool" "$T/fullcfg/spool"
	mf fullcfg
	is "a full disk: exit 75" "$rc" 75
	like "... said" "$err" "No space left on device"
	n=$(ls "$T/full/spool/mail/new" | wc -l)
	is "... every report either spooled or still on the server" \
	    "$n+$(mail_count t9)" "$n+$((4 - n))"
	ok "... and some were spooled before the disk filled" test "$n" -ge 1
	umount "$T/full"
else
	for d in "a full disk: exit 75" "... said" \
	    "... every report either spooled or still on the server" \
	    "... and some were spooled before the disk filled"; do
		skip "$d" "needs root and a tmpfs"
	done
fi

# ---------------------------------------------------------- limits
set -- $DMARC
python3 "$TOP/tests/mkmail.py" --kind domain --id big --size 20000 - \
    >"$T/big.eml" &&
python3 "$TOP/tests/mkmail.py" --kind domain --id fits --size 19999 - \
    >"$T/fits.eml" && mail_put t5 "$T/big.eml" "$T/fits.eml" || exit 1
cfg size mailserver_mailboxfolder=t5 mailserver_action=delete
mf size -L message_bytes=19999
is "message_bytes: exit 0" "$rc" 0
is "... the mail of 19999 bytes taken, 20000 left" \
    "$(spooled size)|$(mail_fetch t5 | cut -f2)" "fits |"
like "... the one left is said" "$err" \
    "20000 bytes, more than 19999 (message_bytes limit): left on the server"

mail_put t6 $DMARC || exit 1
cfg max mailserver_mailboxfolder=t6 mailserver_action=delete
mf max -n 4
is "-n 4: four taken, five left" \
    "$rc $(ls "$T/max/spool/mail/new" | wc -l) $(mail_count t6)" "0 4 5"
like "... and the rest said" "$err" "5 more reports wait for the next pass"
mf max
is "the next pass takes the rest" \
    "$rc $(ls "$T/max/spool/mail/new" | wc -l) $(mail_count t6)" "0 9 0"

# ---------------------------------------------------------- UIDVALIDITY
mail_put t7 "$1" || exit 1
cfg uidv mailserver_mailboxfolder=t7 mailserver_action=mark_read
mf uidv
v1=$(mail_uidvalidity t7)
mail_doveadm mailbox delete -u "$MAIL_USER" t7 &&
    mail_put t7 "$1" || exit 1
mf uidv
is "a new UIDVALIDITY: the mail is fetched again" \
    "$rc $(ls "$T/uidv/spool/mail/new" | wc -l) $([ "$v1" != \
    "$(mail_uidvalidity t7)" ] && echo changed)" "0 2 changed"
like "... with a warning that says why" "$err" "UIDVALIDITY changed"

# ---------------------------------------------------------- -w
cfg watch mailserver_mailboxfolder=t8 mailserver_action=delete \
    poll_interval=600
mail_put t8 "$1" || exit 1
"$BIN/mailfetch" $RUN_AS -w -c "$T/watch/dmarcpipe.conf" \
    -d "$T/watch/spool" 2>"$T/watch.err" &
wpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'waiting in IDLE' "$T/watch.err"; do
	sleep 0.1
	i=$((i + 1))
done
mail_put t8 "$2" "$3" || exit 1
i=0
while [ $i -lt 100 ] && [ "$(ls "$T/watch/spool/mail/new" | wc -l)" -lt 3 ]
do
	sleep 0.1
	i=$((i + 1))
done
is "-w: new mail is taken at once (IDLE), not after poll_interval" \
    "$(ls "$T/watch/spool/mail/new" | wc -l)" 3
like "... in its seccomp sandbox all along" \
    "$(grep '^Seccomp:' "/proc/$wpid/status")" "2$"
kill -TERM $wpid
i=0
while [ $i -lt 50 ] && kill -0 $wpid 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
wait $wpid
is "... and SIGTERM ends it, exit 0" "$?" 0
cat "$T/watch.err" >>"$T/all.err"

# ---------------------------------------------------------- config
cfg secret mailserver_mailboxfolder=INBOX
chmod 644 "$T/secret/secrets"
mf secret
is "a secrets file others can read: exit 78" "$rc" 78
like "... saying what to do" "$err" "mode 0644 .*chmod 600"
cfg typo mailserver_mailboxfolder=INBOX mailserver_acton=move
mf typo
is "a misspelt key: exit 78" "$rc" 78
like "... naming file and line" "$err" "dmarcpipe.conf:11: unknown key \"mailserver_acton\""
cfg badact mailserver_action=archive
mf badact
like "a bad action: exit 78, named" "$rc $err" \
    "^78 .*mailserver_action: not one of move, delete, mark_read"
cfg o365 mailserver_protocol=o365
mf o365
like "o365 without a tenant: exit 78, said" "$rc $err" "^78 .*o365_tenant_id: not set"
cfg proto mailserver_protocol=smtp
mf proto
is "an unknown protocol: exit 78" "$rc" 78
cfg nopw mailserver_mailboxfolder=INBOX
: >"$T/nopw/secrets"
mf nopw
like "no password: exit 78, said" "$rc $err" "^78 .*mailserver_pwd: not set"
run "$BIN/mailfetch" -c "$T/imaps/dmarcpipe.conf" -d "$T/imaps/spool" x
is "an argument: usage, exit 64" "$rc" 64
if [ "$(id -u)" = 0 ]; then
	run "$BIN/mailfetch" -c "$T/imaps/dmarcpipe.conf" -d "$T/imaps/spool"
	is "root without -u: exit 77" "$rc" 77
else
	skip "root without -u: exit 77" "not root"
fi

# ---------------------------------------------------------- secrets
ok "the password is in no message, not even at log level 10" \
    sh -c "! grep -F -q -- \"\$1\" \"\$2\"" sh "$MAIL_PASS" "$T/all.err"
is "... which logged plenty" "$(grep -c . "$T/all.err" | awk '$1 > 100')" \
    "$(grep -c . "$T/all.err")"
finish
