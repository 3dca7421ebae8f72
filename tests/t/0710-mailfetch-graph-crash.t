#!/bin/sh
# mailfetch for o365 killed (SIGKILL) at random moments during passes over
# 200 messages on 8 pages of the Graph STAND-IN (tests/graph_fake.py: no
# real Graph can be reached offline), restarted each time, until a pass
# ends by itself.  Then each report is in SPOOL/mail exactly once and
# each message was handled once: moved once, or marked read.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/mailfetch" ]; then
	echo "1..0 # SKIP no bin/mailfetch"
	exit 0
fi
. "$TOP/tests/graph.sh"
. "$TOP/tests/mailfetch.sh"
graph_start --page-max 25
plan 9
cd "$T" || exit 1

python3 "$TOP/tests/mkmail.py" "$T/m" 200 >"$T/m.list" || exit 1
NDMARC=$(awk '$3 == "dmarc"' "$T/m.list" | wc -l)
NOTHER=$(awk '$3 == "other"' "$T/m.list" | wc -l)
IDS=$(awk '$3 == "dmarc" { print $4 }' "$T/m.list" | sort | tr '\n' ' ')

cfg() {	# cfg NAME KEY=VALUE...
	_cfgname=$1
	mfdir "$1"
	shift
	conf_file "$T/$_cfgname/dmarcpipe.conf" mailserver_protocol=o365 \
	    "mailserver_user=$GRAPH_USER" "o365_tenant_id=$GRAPH_TENANT" \
	    "o365_client_id=$GRAPH_CLIENT_ID" "o365_login_url=$LOGIN_URL" \
	    "o365_graph_url=$GRAPH_URL" "tls_ca_file=$GRAPH_CA" -- "$@"
	printf 'o365_client_secret = %s\n' "$GRAPH_SECRET" >"$T/$_cfgname/secrets"
	chmod 600 "$T/$_cfgname/secrets"
}

for f in "$T"/m/*.eml; do
	graph_put Inbox/crash1 "$f" >/dev/null &&
	    graph_put Inbox/crash2 "$f" >/dev/null || exit 1
done

# ---------------------------------------------------------- move
graph_reset_requests
cfg move mailserver_mailboxfolder=Inbox/crash1 mailserver_action=move \
    'mailserver_moveto=Inbox/done1'
crash move
is "move: a pass ended by itself after $kills kills, exit 0" "$rc" 0
ok "... after at least 5 kills" test "$kills" -ge 5
is "every report is in mail/new exactly once" "$(spooled move)" "$IDS"
is "the folder holds the $NOTHER others, none read" \
    "$(graph_count Inbox/crash1) $(graph_fetch Inbox/crash1 | cut -f3 |
    grep -c true)" "$NOTHER 0"
# The moves the stand-in made: answered 201, or None when mailfetch was
# killed before the answer went out (the next pass finds the message
# gone from the folder, so doesn't move it again).
graph_requests | awk -F'\t' '$1 == "POST" && $2 ~ /\/move/ &&
    ($3 == 201 || $3 == "None")' >"$T/moves"
moved=$(cut -f2 "$T/moves" | sort -u | wc -l)
is "each of the $NDMARC reports was moved once" \
    "$(graph_count Inbox/done1) $moved $(wc -l <"$T/moves")" \
    "$NDMARC $NDMARC $NDMARC"

# ---------------------------------------------------------- mark_read
cfg read mailserver_mailboxfolder=Inbox/crash2 mailserver_action=mark_read
crash read
is "mark_read: ended by itself after $kills kills, exit 0" "$rc" 0
is "every report is in mail/new exactly once" "$(spooled read)" "$IDS"
is "the reports are read, the others not" \
    "$(graph_fetch Inbox/crash2 | cut -f3 | sort | uniq -c | tr -s ' ' |
    tr '\n' '|')" " $NOTHER false| $NDMARC true|"
"$BIN/mailfetch" $RUN_AS -c "$T/read/dmarcpipe.conf" -d "$T/read/spool" \
    2>/dev/null
is "a pass after that fetches none of them again" "$(spooled read)" "$IDS"
finish
