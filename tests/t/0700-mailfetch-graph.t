#!/bin/sh
# mailfetch with mailserver_protocol = o365.  No real Microsoft Graph can
# be reached offline: these tests run against tests/graph_fake.py, a
# STAND-IN for the identity platform and Graph v1.0 that answers the
# calls mailfetch makes in the shapes Microsoft's documentation gives
# and refuses everything else (tests/graph.sh).  The proxy is a real
# one, tinyproxy.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/mailfetch" ]; then
	echo "1..0 # SKIP no bin/mailfetch"
	exit 0
fi
. "$TOP/tests/graph.sh"
. "$TOP/tests/mailfetch.sh"
graph_start --page-max 3
plan 46
cd "$T" || exit 1

# cfg NAME KEY=VALUE...: $T/NAME/ with dmarcpipe.conf for the stand-in,
# the secrets file and an empty spool
cfg() {
	_d=$T/$1
	mfdir "$1"
	shift
	conf_file "$_d/dmarcpipe.conf" mailserver_protocol=o365 \
	    "mailserver_user=$GRAPH_USER" "o365_tenant_id=$GRAPH_TENANT" \
	    "o365_client_id=$GRAPH_CLIENT_ID" "o365_login_url=$LOGIN_URL" \
	    "o365_graph_url=$GRAPH_URL" "tls_ca_file=$GRAPH_CA" log_level=10 \
	    connect_timeout=5 io_timeout=5 -- "$@"
	printf 'o365_client_secret = %s\n' "$GRAPH_SECRET" >"$_d/secrets"
	chmod 600 "$_d/secrets"
}

python3 "$TOP/tests/mkmail.py" "$T/m" 12 >"$T/m.list" || exit 1
DMARC=$(awk '$3 == "dmarc" { print $1 }' "$T/m.list")
OTHER=$(awk '$3 == "other" { print $1 }' "$T/m.list")
ALL9=$(awk '$3 == "dmarc" { print $4 }' "$T/m.list" | sort | tr '\n' ' ')
put() {	# put PATH FILE...
	_p=$1
	shift
	for _f in "$@"; do
		graph_put "$_p" "$_f" >/dev/null || exit 1
	done
}

# ---------------------------------------------------------- mark_read
put Inbox/dmarc $DMARC $OTHER
cfg read mailserver_mailboxfolder=Inbox/dmarc mailserver_action=mark_read
run "$BIN/mailfetch" $RUN_AS -t -c "$T/read/dmarcpipe.conf"
is "o365 -t: signed in, the folder found, exit 0" "$rc $out" \
    "0 mailfetch: o365: $GRAPH_USER: signed in; folder \"Inbox/dmarc\" found"
is "... nothing taken, nothing read" "$(ls "$T/read/spool/mail/new" \
    2>/dev/null | wc -l) $(graph_fetch Inbox/dmarc | cut -f3 |
    grep -c true)" "0 0"
mf read
is "o365, mark_read: exit 0" "$rc" 0
is "the nine reports are in mail/new" "$(spooled read)" "$ALL9"
is "... marked read; the three others are not" \
    "$(graph_fetch Inbox/dmarc | cut -f3 | sort | uniq -c | tr -s ' ' |
    tr '\n' '|')" " 3 false| 9 true|"
ok "every page was read: nextLink followed" \
    test "$(graph_requests | grep -c 'messages.*skip')" -ge 3
is "every Graph request carried the token" \
    "$(graph_requests | grep -v 'oauth2' | grep -c 'auth:no')" 0
is "the state knows them by their immutable ids" \
    "$(graph_fetch Inbox/dmarc | awk -F'\t' '$3 == "true" { print $2 }' |
    while read -r id; do grep -q "^[pd] $id" "$T"/read/spool/state/o365-* &&
    echo known; done | sort | uniq -c | tr -s ' ')" " 9 known"
mf read
is "a second pass: exit 0, nothing again" \
    "$rc $(ls "$T/read/spool/mail/new" | wc -l)" "0 9"

# ---------------------------------------------------------- move
set -- $DMARC
graph_put Inbox/m "$1" 2024-12-30T10:00:00Z >/dev/null &&
graph_put Inbox/m "$2" 2021-01-01T12:00:00Z >/dev/null &&
graph_put Inbox/m "$3" 2025-12-31T23:30:00Z >/dev/null || exit 1
put Inbox/m $OTHER
graph_race '{"parent_path":"Inbox/done","displayName":"2020"}'
cfg move mailserver_mailboxfolder=inbox/M mailserver_action=move
mf move
is "move (folder path in any case): exit 0" "$rc" 0
is "three reports spooled" "$(ls "$T/move/spool/mail/new" | wc -l)" 3
is "2024-12-30 under Inbox/done/2025/week_01" \
    "$(graph_count Inbox/done/2025/week_01)" 1
is "2021-01-01 under Inbox/done/2020/week_53, made in a race" \
    "$(graph_count Inbox/done/2020/week_53)" 1
is "2025-12-31 under Inbox/done/2026/week_01" \
    "$(graph_count Inbox/done/2026/week_01)" 1
is "the others stay" "$(graph_count Inbox/m)" 3
like "the race was a 409, and no error" "$(graph_requests | grep 'POST')" \
    "childFolders.*409"

# ---------------------------------------------------------- delete
put Archive/x "$4" "$5"
cfg del mailserver_mailboxfolder=archive/x mailserver_action=delete
mf del
is "delete: exit 0, two spooled, the folder empty" \
    "$rc $(ls "$T/del/spool/mail/new" | wc -l) $(graph_count Archive/x)" \
    "0 2 0"
is "... into Deleted Items, as Graph deletes" \
    "$(graph_fetch 'Deleted Items' | wc -l)" 2

# ---------------------------------------------------------- throttling
put Inbox/t "$6" "$7"
graph_fault '{"method":"GET","path":"/$value","count":2,"status":429,"retry_after":"1"}'
cfg thr mailserver_mailboxfolder=Inbox/t mailserver_action=delete
start=$(date +%s)
mf thr
is "429 with Retry-After: waited out, exit 0" \
    "$rc $(ls "$T/thr/spool/mail/new" | wc -l)" "0 2"
like "... said" "$err" "HTTP 429, trying again in 1 s"
ok "... and waited" test $(($(date +%s) - start)) -ge 2
put Inbox/t2 "$8"
graph_fault '{"path":"/messages","count":1,"status":503,"retry_after_date":2}'
cfg thr2 mailserver_mailboxfolder=Inbox/t2 mailserver_action=delete
mf thr2
is "503 with Retry-After as a date: exit 0" \
    "$rc $(ls "$T/thr2/spool/mail/new" | wc -l)" "0 1"
put Inbox/t3 "$9"
graph_fault '{"path":"/messages","count":9,"status":503}'
cfg thr3 mailserver_mailboxfolder=Inbox/t3 mailserver_action=delete
mf thr3
is "503 five times over: the pass gives up, exit 69" "$rc" 69
like "... saying Graph's words" "$err" "ServiceUnavailable\|HTTP 503"
mf thr3
is "... and the next pass takes it" \
    "$rc $(ls "$T/thr3/spool/mail/new" | wc -l)" "0 1"

# ---------------------------------------------------------- tokens
put Inbox/tok "$1"
graph_fault '{"path":"/messages","count":1,"status":401,"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}'
graph_reset_requests
cfg tok mailserver_mailboxfolder=Inbox/tok mailserver_action=mark_read
mf tok
is "an expired token: renewed once, exit 0" \
    "$rc $(ls "$T/tok/spool/mail/new" | wc -l)" "0 1"
is "... two token requests" "$(graph_requests | grep -c 'oauth2')" 2
# expires_in past what a long holds: one token for the pass, not one
# for each request (the sum with the time once overflowed)
graph_config '{"token_ttl":1e19}'
graph_reset_requests
cfg longtok mailserver_mailboxfolder=Inbox/tok mailserver_action=mark_read
mf longtok
graph_config '{"token_ttl":3600}'
is "a token lifetime past all reason: exit 0" "$rc" 0
is "... one token for the pass" "$(graph_requests | grep -c 'oauth2')" 1
cfg badsecret mailserver_mailboxfolder=Inbox/tok
printf 'o365_client_secret = wrong\n' >"$T/badsecret/secrets"
mf badsecret
is "a wrong client secret: exit 77" "$rc" 77
like "... with the identity platform's words" "$err" "invalid_client"
# a gateway's answer with no body: said by its status (no JSON to free)
graph_fault '{"path":"oauth2","count":1,"status":401,"empty":true}'
cfg nobody mailserver_mailboxfolder=Inbox/tok
mf nobody
is "a 401 with no body from the token endpoint: exit 77" "$rc" 77
like "... said by its status" "$err" "the token: HTTP 401"
graph_fault '{"path":"/childFolders","count":1,"status":404,"empty":true}'
mf nobody
is "a 404 with no body listing folders: exit 66" "$rc" 66
like "... said by its status" "$err" "listing folders: HTTP 404"
cfg nofolder mailserver_mailboxfolder=Inbox/nonesuch
mf nofolder
is "a missing folder: exit 66" "$rc" 66
cfg badca mailserver_mailboxfolder=Inbox/tok "tls_ca_file=$GRAPH_BADCA"
mf badca
is "a certificate from another CA: exit 76" "$rc" 76

# ---------------------------------------------------------- one bad message
put Inbox/bad "$2" "$3"
id=$(graph_fetch Inbox/bad | head -1 | cut -f2)
graph_fault "{\"path\":\"$id/\$value\",\"count\":9,\"status\":500,\"code\":\"ErrorInternalServerError\",\"message\":\"boom\"}"
cfg bad mailserver_mailboxfolder=Inbox/bad mailserver_action=delete
mf bad
is "one message that fails: the other is taken, exit 75" \
    "$rc $(ls "$T/bad/spool/mail/new" | wc -l) $(graph_count Inbox/bad)" \
    "75 1 1"
like "... its error said" "$err" "ErrorInternalServerError: boom"

# ---------------------------------------------------------- timeouts
put Inbox/slow "$4"
graph_fault '{"path":"/messages","count":1,"stall":4}'
cfg slow mailserver_mailboxfolder=Inbox/slow mailserver_action=delete \
    io_timeout=1
mf slow
is "a stalled answer: given up after io_timeout, tried again, exit 0" \
    "$rc $(ls "$T/slow/spool/mail/new" | wc -l)" "0 1"
like "... said" "$err" "timed out"

# ---------------------------------------------------------- proxy
if command -v tinyproxy >/dev/null 2>&1; then
	proxy_start
	put Inbox/p "$5"
	cfg prox mailserver_mailboxfolder=Inbox/p mailserver_action=delete \
	    proxy_use=1 "proxy_server=${PROXY_URL#http://}"
	mf prox
	is "through the proxy: exit 0" \
	    "$rc $(ls "$T/prox/spool/mail/new" | wc -l)" "0 1"
	like "... no scheme: http:// said" "$err" "proxy_server has no scheme"
	ok "... the token and Graph both went through it" \
	    test "$(proxy_log | grep -c "CONNECT 127.0.0.1:$GRAPH_PORT")" -ge 1
else
	skip "through the proxy" "no tinyproxy"
	skip "... no scheme" "no tinyproxy"
	skip "... the token and Graph both went through it" "no tinyproxy"
fi

# ---------------------------------------------------------- secrets
ok "the client secret is in no message, not even at log level 10" \
    sh -c "! grep -F -q -- \"\$1\" \"\$2\"" sh "$GRAPH_SECRET" "$T/all.err"
ok "... nor is a token" sh -c "! grep -q 'Bearer\|eyJ' \"\$1\"" sh \
    "$T/all.err"
finish
