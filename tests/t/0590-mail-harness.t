#!/bin/sh
# tests/mail.sh and tests/mkmail.py themselves, checked with the curl CLI
# and doveadm: each port and TLS mode does what the harness says, the
# mail functions agree with what IMAP shows, the stall listeners stall,
# and nothing is left running after the test.
. "$(dirname "$0")/../lib.sh"
if ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP no curl"
	exit 0
fi
. "$TOP/tests/mail.sh"
mail_start
mail_stall
mail_greet_stall
plan 51
cd "$T" || exit 1

python3 "$TOP/tests/mkmail.py" m 12 >m.list || exit 1

# What only waits runs in the background meanwhile: curl at the stall
# listeners (1 s each), and a child test (a copy of this file's start)
# whose dovecot, its children and listeners must be gone once it exits.
(curl -s --max-time 1 "imap://127.0.0.1:$STALL_PORT/"; echo $? >stall.rc) &
stall=$!
(curl -sv --max-time 1 --user a:b "imap://127.0.0.1:$GSTALL_PORT/" \
    2>gstall.err; echo $? >gstall.rc) &
gstall=$!
cat >child.t <<EOF
#!/bin/sh
. "$TOP/tests/lib.sh"
. "$TOP/tests/mail.sh"
mail_start
mail_stall
mail_greet_stall
awk -v p="\$_mail_pid" '{ s = \$0; sub(/^.*\\) /, "", s); split(s, f, " ")
    if (f[2] == p) printf "%s ", \$1 }' /proc/[0-9]*/stat 2>/dev/null
echo "\$_mail_pid \$_mail_listen_pids"
EOF
sh child.t >child.out 2>&1 &
child=$!
cu() { curl -sS --max-time 10 --user "$MAIL_USER:$MAIL_PASS" "$@"; }
I=imap://127.0.0.1:$MAIL_IMAP_PORT
P=pop3://127.0.0.1:$MAIL_POP3_PORT
nl='
'
tab=$(printf '\t')

# listening PORT: the local addresses listening on PORT, IPv4 and IPv6,
# as /proc shows them (hex) but for 127.0.0.1 and 127.0.0.2
listening() {
	awk -v p=":$(printf '%04X' "$1")" '$4 == "0A" &&
	    substr($2, length($2) - 4) == p {
		print substr($2, 1, length($2) - 5) }' \
	    /proc/net/tcp /proc/net/tcp6 |
	    sed -e 's/^0100007F$/127.0.0.1/' -e 's/^0200007F$/127.0.0.2/' |
	    sort | tr '\n' ' '
}
is "IMAP: on 127.0.0.1 and .2 only" "$(listening "$MAIL_IMAP_PORT")" \
    "127.0.0.1 127.0.0.2 "
is "POP3: on 127.0.0.1 and .2 only" "$(listening "$MAIL_POP3_PORT")" \
    "127.0.0.1 127.0.0.2 "
is "IMAPS and POP3S: on 127.0.0.1 only" \
    "$(listening "$MAIL_IMAPS_PORT")$(listening "$MAIL_POP3S_PORT")" \
    "127.0.0.1 127.0.0.1 "
ports="$MAIL_IMAP_PORT $MAIL_IMAPS_PORT $MAIL_POP3_PORT $MAIL_POP3S_PORT"
is "four ports, all different" "$(printf '%s\n' $ports |
    grep -x '[0-9][0-9]*' | sort -u | wc -l | tr -d ' ')" 4

# The mails: INBOX 1 domain, 2 lunch, 3 b64, 4 tricky (\Seen); a folder
# with a space; a nested UTF-8 one; "Inbox/dmarc", which is INBOX's.
ok "mail_put INBOX, three mails" \
    mail_put INBOX m/0001-domain.eml m/0010-lunch.eml m/0005-b64.eml
ok "mail_put_flags" mail_put_flags '\Seen' INBOX m/0011-tricky.eml
ok "mail_put a new folder with a space" \
    mail_put 'DMARC reports' m/0002-aggregate.eml m/0006-qp.eml
ok "mail_put a new nested UTF-8 folder" \
    mail_put 'Berichte/Größe ✓' m/0009-b64split.eml
ok "mail_put Inbox/dmarc" mail_put Inbox/dmarc m/0007-folded.eml
run mail_put Nope/a.b m/0001-domain.eml
is "mail_put: a '.' in a folder name fails" "$rc" 1

is "mail_uids" "$(mail_uids INBOX | tr '\n' ' ')" "1 2 3 4 "
is "mail_fetch: UIDs, flags, decoded subjects" "$(mail_fetch INBOX)" \
"1${tab}${tab}Report Domain: example.com Submitter: google.com\
 Report-ID: <mkmail.0001>
2${tab}${tab}Lunch on Friday
3${tab}${tab}Report Domain: example.com Submitter: mail.ru ✓\
 Report-ID: <mkmail.0005>
4${tab}\\Seen${tab}Re: reporting domains"
is "mail_fetch: Q encoding, Latin-1" "$(mail_fetch 'DMARC reports' |
    sed -n 2p)" "2${tab}${tab}Report Domain: example.com Submitter: gmx.de\
 Report-ID: <mkmail.0006> (Bericht für Sie)"
is "mail_fetch: the marker split over two encoded words" \
    "$(mail_fetch 'Berichte/Größe ✓' | cut -f 3)" \
    "Report Domain: example.com Submitter: outlook.com\
 Report-ID: <mkmail.0009>"
is "mail_fetch: a folded subject, unfolded" \
    "$(mail_fetch Inbox/dmarc | cut -f 3)" \
    "Report Domain: example.com Submitter: google.com\
 Report-ID: <mkmail.0007>"
is "mail_fetch: no such folder, nothing" "$(mail_fetch Nope 2>&1)" ""
is "mail_count" "$(mail_count INBOX) $(mail_count 'DMARC reports')\
 $(mail_count 'Berichte/Größe ✓') $(mail_count INBOX/dmarc)" "4 2 1 1"
is "mail_count: no such folder, 0" "$(mail_count Nope)" 0
is "mail_folders: all, sorted, INBOX/dmarc folded" "$(mail_folders)" \
    "Berichte${nl}Berichte/Größe ✓${nl}DMARC reports${nl}INBOX${nl}\
INBOX/dmarc"
uv=$(mail_uidvalidity INBOX)
like "mail_uidvalidity: a number" "$uv" '^[1-9][0-9]*$'
run cu "$I/INBOX" -X 'EXAMINE INBOX'
like "mail_uidvalidity: what IMAP says" "$out" "UIDVALIDITY $uv\]"
like "IMAP EXAMINE: 4 messages" "$out" '^\* 4 EXISTS'

# TLS: IMAPS by either name, the bad CA, STARTTLS, and 127.0.0.2
run cu --cacert "$MAIL_CA" "imaps://localhost:$MAIL_IMAPS_PORT/"
is "IMAPS, localhost, MAIL_CA: logged in" "$rc" 0
out=$(printf '%s\n' "$out" | tr -d '\r')
like "IMAPS: the folder with a space" "$out" '"DMARC reports"$'
like "IMAPS: the UTF-8 folder in modified UTF-7" "$out" \
    '"Berichte/Gr&APYA3w-e &JxM-"$'
run cu --cacert "$MAIL_CA" "imaps://127.0.0.1:$MAIL_IMAPS_PORT/"
is "IMAPS, 127.0.0.1, MAIL_CA: logged in" "$rc" 0
run cu --cacert "$MAIL_BADCA" "imaps://localhost:$MAIL_IMAPS_PORT/"
is "IMAPS, MAIL_BADCA: curl 60" "$rc" 60
run cu --cacert "$MAIL_BADCA" "pop3s://localhost:$MAIL_POP3S_PORT/"
is "POP3S, MAIL_BADCA: curl 60" "$rc" 60
run cu -v --cacert "$MAIL_CA" --ssl-reqd "imap://localhost:$MAIL_IMAP_PORT/"
is "IMAP STARTTLS on 127.0.0.1: logged in" "$rc" 0
like "IMAP STARTTLS on 127.0.0.1: sent" "$err" '^> A00[0-9] STARTTLS'
run cu -v "$I/"
like "IMAP on 127.0.0.1 offers STARTTLS" "$err" \
    '^< \* OK \[CAPABILITY.* STARTTLS'
run cu -v "imap://$MAIL_NOTLS_ADDR:$MAIL_IMAP_PORT/"
is "IMAP on MAIL_NOTLS_ADDR: logged in without TLS" "$rc" 0
like "IMAP on MAIL_NOTLS_ADDR: the greeting" "$err" '^< \* OK \[CAPABILITY'
ok "IMAP on MAIL_NOTLS_ADDR: no STARTTLS" \
    eval '! printf "%s\n" "$err" | grep -q STARTTLS'
N=$MAIL_NOTLS_ADDR
run cu --cacert "$MAIL_CA" --ssl-reqd "imap://$N:$MAIL_IMAP_PORT/"
is "IMAP on MAIL_NOTLS_ADDR, --ssl-reqd: curl 64" "$rc" 64
run cu --cacert "$MAIL_CA" --ssl-reqd "pop3://$N:$MAIL_POP3_PORT/"
is "POP3 on MAIL_NOTLS_ADDR, --ssl-reqd: curl 64" "$rc" 64
run cu --cacert "$MAIL_CA" --ssl-reqd "pop3://localhost:$MAIL_POP3_PORT/"
is "POP3 STLS on 127.0.0.1: logged in" "$rc" 0

# Mail over IMAP and POP3 is the file that went in, byte for byte
cu "$I/DMARC%20reports;UID=2" >got.imap
ok "IMAP UID FETCH from the folder with a space" \
    cmp -s got.imap m/0006-qp.eml
utf7='Berichte%2FGr%26APYA3w-e%20%26JxM-'
cu "$I/$utf7;UID=1;SECTION=HEADER.FIELDS%20(MESSAGE-ID)" >got.hdr
like "IMAP UID FETCH from the UTF-8 folder" "$(cat got.hdr)" \
    '<mkmail.0009@mkmail.test>'
cu --cacert "$MAIL_CA" "pop3s://localhost:$MAIL_POP3S_PORT/1" >got.pop3
ok "POP3S RETR 1: the first mail of INBOX" \
    cmp -s got.pop3 m/0001-domain.eml

# Passwords
run curl -sS --max-time 10 --user "$MAIL_USER:pa ss\"wor" "$I/"
is "IMAP, wrong password: curl 67" "$rc" 67
run curl -sS --max-time 10 --user "$MAIL_USER:wrong" "$P/"
is "POP3, wrong password: curl 67" "$rc" 67
run cu --max-time 2 "$I/"
is "a good login just after: not delayed" "$rc" 0

# The stall listeners (started at the top): curl gives up on each
wait $stall $gstall
is "stall: curl 28" "$(cat stall.rc)" 28
is "greet stall: curl 28" "$(cat gstall.rc)" 28
like "greet stall: the greeting came" "$(cat gstall.err)" '^< \* OK ready'

# A restart keeps the mail and the UIDVALIDITY
old=$MAIL_IMAP_PORT
mail_stop
run cu --max-time 2 "imap://127.0.0.1:$old/"
is "mail_stop: the port is closed" "$rc" 7
mail_start
run cu "imap://127.0.0.1:$MAIL_IMAP_PORT/INBOX" -X 'EXAMINE INBOX'
like "mail_start again: the same mail" "$out" '^\* 4 EXISTS'
like "mail_start again: the same UIDVALIDITY" "$out" "UIDVALIDITY $uv\]"

# The child test, started at the top
wait $child
pids=$(tail -1 child.out)
left=
for p in $pids; do	# zombies don't count: init reaps them when it likes
	case $(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) in
	''|Z*) ;;
	*) left="$left $p" ;;
	esac
done
like "child test: its processes ($pids)" "$pids" '^[0-9]* [0-9]'
is "child test: dovecot, its children and the listeners gone at its exit" \
    "$left" ""

finish
