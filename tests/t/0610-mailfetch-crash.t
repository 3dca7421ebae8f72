#!/bin/sh
# mailfetch killed (SIGKILL) at random moments during passes over 200
# mails in a real dovecot, restarted each time, until a pass ends by
# itself.  Then every report mail must be in SPOOL/mail exactly once and
# handled at the server as the action says, and no other mail touched:
# for IMAP move, IMAP mark_read and POP3 delete.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/mailfetch" ]; then
	echo "1..0 # SKIP no bin/mailfetch"
	exit 0
fi
. "$TOP/tests/mail.sh"
. "$TOP/tests/mailfetch.sh"
mail_start
plan 15
cd "$T" || exit 1

python3 "$TOP/tests/mkmail.py" "$T/m" 200 >"$T/m.list" || exit 1
DMARC=$(awk '$3 == "dmarc" { print $1 }' "$T/m.list")
OTHER=$(awk '$3 == "other" { print $1 }' "$T/m.list")
NDMARC=$(echo "$DMARC" | wc -l)
NOTHER=$(echo "$OTHER" | wc -l)
IDS=$(awk '$3 == "dmarc" { print $4 }' "$T/m.list" | sort | tr '\n' ' ')

# cfg NAME KEY=VALUE...
cfg() {
	_cfgname=$1
	mfdir "$1"
	shift
	conf_file "$T/$_cfgname/dmarcpipe.conf" mailserver_host=127.0.0.1 \
	    "mailserver_user=$MAIL_USER" "tls_ca_file=$MAIL_CA" -- "$@"
	printf 'mailserver_pwd = %s\n' "$MAIL_PASS" >"$T/$_cfgname/secrets"
	chmod 600 "$T/$_cfgname/secrets"
}

# ---------------------------------------------------------- IMAP move
mail_put crash1 $DMARC $OTHER || exit 1
cfg move mailserver_protocol=IMAPS "mailserver_port=$MAIL_IMAPS_PORT" \
    mailserver_mailboxfolder=crash1 mailserver_action=move \
    'mailserver_moveto=Done/[YEAR]'
crash move
is "IMAP move: a pass ended by itself after $kills kills, exit 0" "$rc" 0
ok "... after at least 5 kills" test "$kills" -ge 5
is "every report is in mail/new exactly once" "$(spooled move)" "$IDS"
is "the folder holds the $NOTHER others, none read" \
    "$(mail_count crash1) $(mail_fetch crash1 | grep -c Seen)" "$NOTHER 0"
is "the $NDMARC reports are in the move-to folder" \
    "$(mail_count "Done/$(date -u +%Y)")" "$NDMARC"
is "no report the state knows is left unpublished in mail/tmp" \
    "$(cd "$T/move/spool/mail/tmp" && for f in *; do
	[ -f "$f" ] && grep -l "^p [0-9]* $f " "$T"/move/spool/state/* ; done)" ""

# ---------------------------------------------------------- IMAP mark_read
mail_put crash2 $DMARC $OTHER || exit 1
cfg read mailserver_protocol=IMAP "mailserver_port=$MAIL_IMAP_PORT" \
    mailserver_mailboxfolder=crash2 mailserver_action=mark_read
crash read
is "IMAP mark_read: ended by itself after $kills kills, exit 0" "$rc" 0
is "every report is in mail/new exactly once" "$(spooled read)" "$IDS"
is "all 200 stay; the reports are read, the others not" \
    "$(mail_count crash2) $(mail_fetch crash2 | grep -c Seen)" \
    "200 $NDMARC"
"$BIN/mailfetch" $RUN_AS -c "$T/read/dmarcpipe.conf" -d "$T/read/spool" \
    2>/dev/null
is "a pass after that fetches none of them again" "$(spooled read)" "$IDS"

# ---------------------------------------------------------- POP3 delete
mail_put INBOX $DMARC $OTHER || exit 1
cfg pop mailserver_protocol=POP3S "mailserver_port=$MAIL_POP3S_PORT" \
    mailserver_action=delete
crash pop
is "POP3 delete: ended by itself after $kills kills, exit 0" "$rc" 0
is "every report is in mail/new exactly once" "$(spooled pop)" "$IDS"
is "INBOX holds the $NOTHER others" "$(mail_count INBOX)" "$NOTHER"
"$BIN/mailfetch" $RUN_AS -c "$T/pop/dmarcpipe.conf" -d "$T/pop/spool" \
    2>/dev/null
is "a pass after that: nothing again" "$(spooled pop)" "$IDS"
is "no pass ever said more than it should" \
    "$(cat "$T"/*/err | grep -c -e 'not a line mailfetch writes' \
    -e 'forbidden')" 0
finish
