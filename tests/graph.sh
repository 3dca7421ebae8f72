# A stand-in for Microsoft 365 for the tests that fetch mail over
# Microsoft Graph: tests/graph_fake.py (the identity platform's token
# endpoint and the Graph v1.0 mail calls mailfetch makes, strict about
# everything else) over HTTPS on 127.0.0.1 at a free port, with a CA made
# at test time; and a real HTTP proxy (tinyproxy) for the proxy tests.
# All of it under $T.  Sourced after lib.sh and before `plan`:
#
#	. "$TOP/tests/graph.sh"	# 1..0 # SKIP when python3, openssl or curl
#				# is missing
#	graph_start [ARG...]	# ARGs go to graph_fake.py (--token-ttl 1,
#				# --page-max 3); a later graph_start after
#				# graph_stop restarts on the same port, empty
#	graph_put PATH FILE [RECEIVED [READ]]	# one mail; prints
#				# ID<TAB>IMMUTABLEID
#	graph_mkdir PATH...		# folders (and their parents) if missing
#	graph_count PATH		# messages in PATH (0: no such folder)
#	graph_fetch PATH		# ID<TAB>IMMUTABLEID<TAB>isRead<TAB>SUBJECT
#				# a line, oldest first
#	graph_folders		# every folder path, sorted
#	graph_state		# folders and messages as JSON
#	graph_fault JSON	# arm a fault (see below)
#	graph_race JSON		# {"parent_path":"Inbox","displayName":"X"}
#	graph_config JSON	# {"token_ttl":1,"page_max":3,
#				# "folder_exists_status":400,"link_base":URL}
#	graph_expire		# every token issued so far is expired now
#	graph_requests		# METHOD<TAB>PATH?QUERY<TAB>STATUS<TAB>auth:yes|no
#	graph_reset_requests	# forget the requests seen so far
#	graph_token		# a token from the fake, as mailfetch gets one
#	graph_stop		# also at exit
#	proxy_start		# exports PROXY_URL=http://127.0.0.1:PORT
#	proxy_log		# the CONNECT requests the proxy saw, a line
#				# each: CONNECT 127.0.0.1:PORT HTTP/1.1
#	proxy_stop		# also at exit
#
# graph_start exports
#	GRAPH_URL	https://127.0.0.1:PORT; Graph is $GRAPH_URL/v1.0/...
#	LOGIN_URL	the same; the token endpoint is
#			$LOGIN_URL/$GRAPH_TENANT/oauth2/v2.0/token
#	GRAPH_PORT
# and sourcing this file exports
#	GRAPH_CA	the CA that signed the server's certificate, whose
#			names are 127.0.0.1 and localhost
#	GRAPH_BADCA	a CA that signed nothing here
#	GRAPH_TENANT GRAPH_CLIENT_ID GRAPH_SECRET	the app's credentials
#	GRAPH_USER	the mailbox's UPN (any case in a path)
#	GRAPH_LOG	the fake's stderr
#	GRAPH_PYTHON	the python3 found (not a wrapper such as pyenv's
#			shim, which costs a third of a second a call)
# The secret has '+', '/', '=' and '~' in it, as old Azure secrets did:
# sent unencoded in a form, '+' turns into a space and the login fails.
#
# PATH is a folder's display-name path, "/" between levels: "Inbox/dmarc".
# Its first component may be a well-known name (inbox, deleteditems...);
# the mailbox starts with Inbox, Archive, Deleted Items, Drafts, Junk
# Email and Sent Items under msgfolderroot.  RECEIVED is an ISO 8601 time
# with a zone (default: now); READ is true or false (default false).
#
# graph_fault arms a fault for the next COUNT requests (default 1) whose
# method is METHOD (default any) and whose path and query, as sent or
# percent-decoded, contain PATH (default any), the token endpoint
# included:
#	{"method":"GET","path":"/messages","count":2,"status":429,
#	 "retry_after":"3"}		Retry-After: 3
#	{"status":503,"retry_after_date":5}	Retry-After: <HTTP-date 5 s on>
#	{"stall":3}			answers normally 3 s late
#	{"stall":3,"status":500}	answers 500, 3 s late
#	{"close":true}			closes the connection, no answer
#	{"status":401,"empty":true}	answers 401 with no body at all
# with "code" and "message" to change the error body's ("aadsts" for the
# token endpoint's number).  The helpers use curl's --url-query (7.87).
#
# graph_race arms a creation race: the next POST of a folder named X
# (any case) under the folder at parent_path ("" for the top level) finds
# that another client made X just before, and gets 409 ErrorFolderExists.

installed python3 openssl curl
# The interpreter itself, found once: a wrapper in front of it (pyenv's
# shim) costs a third of a second a call, and its pid would not be the
# server's.
_graph_python=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$_graph_python" ] || _graph_python=python3
GRAPH_PYTHON=$_graph_python
export GRAPH_PYTHON

GRAPH_DIR=$T/graph
mkdir "$GRAPH_DIR" && chmod 755 "$GRAPH_DIR" || exit 1
GRAPH_CA=$GRAPH_DIR/tls/ca.crt
GRAPH_BADCA=$GRAPH_DIR/tls/badca.crt
GRAPH_LOG=$GRAPH_DIR/graph_fake.log
GRAPH_TENANT=0d3a7e57-d3a7-4c0d-9e57-00000000d3a7
GRAPH_CLIENT_ID=6b1f4e2a-8c3d-4f5e-9a7b-0c1d2e3f4a5b
GRAPH_SECRET='Qx8~t3st.Secret_+/w=='
GRAPH_USER=dmarc-reports@example.com
export GRAPH_CA GRAPH_BADCA GRAPH_LOG GRAPH_TENANT GRAPH_CLIENT_ID \
    GRAPH_SECRET GRAPH_USER
_graph_pid=
_graph_watch=
_graph_port=0
_graph_exit=
_proxy_pid=
_proxy_watch=
_proxy_exit=

# curl at the fake's test-control calls: _graph_admin METHOD CALL
# [CURL-ARG...].  Fails with the fake's message on an HTTP error.
_graph_admin() {
	_m=$1 _a=$2
	shift 2
	curl -sS --max-time 10 --noproxy '*' --cacert "$GRAPH_CA" \
	    --fail-with-body -X "$_m" "$@" "$GRAPH_URL/_admin/$_a"
}

# graph_start [ARG...]: make the CA (once), start graph_fake.py, wait
# until it answers.  The port is the kernel's choice the first time and
# the same one after a graph_stop, so GRAPH_URL and a proxy's allowed
# port stay right across a restart.  Exits the test on failure.
graph_start() {
	[ -s "$GRAPH_CA" ] || test_tls "$GRAPH_DIR/tls" || exit 1
	if [ -z "$_graph_exit" ]; then
		at_exit graph_stop
		_graph_exit=1
	fi
	graph_stop
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		: >"$GRAPH_DIR/port"
		"$_graph_python" -S "$TOP/tests/graph_fake.py" \
		    --port "$_graph_port" \
		    --cert "$GRAPH_DIR/tls/server.crt" \
		    --key "$GRAPH_DIR/tls/server.key" \
		    --tenant "$GRAPH_TENANT" --client-id "$GRAPH_CLIENT_ID" \
		    --secret "$GRAPH_SECRET" --user "$GRAPH_USER" "$@" \
		    </dev/null >"$GRAPH_DIR/port" 2>>"$GRAPH_LOG" &
		_graph_pid=$!
		_i=0
		while [ $_i -lt 200 ] && kill -0 "$_graph_pid" 2>/dev/null &&
		    ! grep -q '^[0-9][0-9]*$' "$GRAPH_DIR/port"; do
			sleep 0.05
			_i=$((_i + 1))
		done
		_p=$(cat "$GRAPH_DIR/port")
		case $_p in
		''|*[!0-9]*) ;;
		*)
			GRAPH_PORT=$_p
			GRAPH_URL=https://127.0.0.1:$_p
			LOGIN_URL=$GRAPH_URL
			export GRAPH_PORT GRAPH_URL LOGIN_URL
			if [ "$(_graph_admin GET count 2>/dev/null)" = 0 ]; then
				_graph_port=$_p
				watchdog "$_graph_pid"
				_graph_watch=$!
				return 0
			fi
			;;
		esac
		_graph_kill
		# the old port taken meanwhile: let the kernel choose
		_graph_port=0
	done
	echo "graph.sh: graph_fake.py did not start:" >&2
	cat "$GRAPH_LOG" >&2
	exit 1
}

_graph_kill() {
	[ -n "$_graph_pid" ] || return 0
	kill "$_graph_pid" 2>/dev/null
	{ wait "$_graph_pid"; } 2>/dev/null
	_graph_pid=
}

graph_stop() {
	[ -n "$_graph_watch" ] && kill "$_graph_watch" 2>/dev/null
	_graph_watch=
	_graph_kill
	return 0
}

# graph_put PATH FILE [RECEIVED [READ]]
graph_put() {
	_gp_path=$1 _gp_file=$2 _gp_when=${3:-} _gp_read=${4:-false}
	set --
	[ -z "$_gp_when" ] || set -- --url-query "receivedDateTime=$_gp_when"
	_graph_admin POST messages -H 'Content-Type: message/rfc822' \
	    --data-binary "@$_gp_file" --url-query "folder=$_gp_path" \
	    --url-query "isRead=$_gp_read" --url-query format=text "$@"
}

graph_mkdir() {	# graph_mkdir PATH...
	for _f in "$@"; do
		set -- "$@" --url-query "path=$_f"
		shift
	done
	_graph_admin POST folders "$@" >/dev/null
}

graph_count() {
	_graph_admin GET count --url-query "path=$1"
}

graph_fetch() {
	_graph_admin GET fetch --url-query "path=$1"
}

graph_folders() {
	_graph_admin GET folders
}

graph_state() {
	_graph_admin GET state
}

_graph_post_json() {	# _graph_post_json CALL JSON
	_graph_admin POST "$1" -H 'Content-Type: application/json' \
	    --data-binary "$2" >/dev/null
}

graph_fault() { _graph_post_json fault "$1"; }
graph_race() { _graph_post_json race "$1"; }
graph_config() { _graph_post_json config "$1"; }
graph_expire() { _graph_post_json expire-tokens '{}'; }
graph_reset_requests() { _graph_post_json reset-requests '{}'; }

graph_requests() {
	_graph_admin GET requests --url-query format=text
}

# graph_token: an access token for the test's app, as the client
# credentials grant gives it; nothing and non-zero on failure.
graph_token() {
	curl -sS --max-time 10 --noproxy '*' --cacert "$GRAPH_CA" \
	    --fail-with-body \
	    --data-urlencode grant_type=client_credentials \
	    --data-urlencode "client_id=$GRAPH_CLIENT_ID" \
	    --data-urlencode "client_secret=$GRAPH_SECRET" \
	    --data-urlencode scope=https://graph.microsoft.com/.default \
	    "$LOGIN_URL/$GRAPH_TENANT/oauth2/v2.0/token" >"$GRAPH_DIR/token" ||
	    return 1
	sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' "$GRAPH_DIR/token" |
	    grep .
}

# A port free on 127.0.0.1 now, chosen by the kernel so that tests
# running side by side don't pick the same.  Another process may take it
# before tinyproxy binds: proxy_start then tries again.
_graph_free_port() {
	"$_graph_python" -S -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# proxy_start: tinyproxy on 127.0.0.1 in the foreground (-d), its config
# and log under $T, allowing CONNECT to the fake's port only (start the
# fake first; should a restart of the fake have had to move to another
# port, start the proxy again).  Before `plan`: without tinyproxy the
# test is skipped.
proxy_start() {
	if ! command -v tinyproxy >/dev/null 2>&1; then
		echo "1..0 # SKIP tinyproxy not installed (scripts/install-deps)"
		exit 0
	fi
	if [ -z "$_proxy_exit" ]; then
		at_exit proxy_stop
		_proxy_exit=1
	fi
	proxy_stop
	PROXY_LOG=$GRAPH_DIR/tinyproxy.log
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		_pp=$(_graph_free_port) || exit 1
		cat >"$GRAPH_DIR/tinyproxy.conf" <<-EOF
		# Written by tests/graph.sh.
		Port $_pp
		Listen 127.0.0.1
		Timeout 30
		MaxClients 32
		Allow 127.0.0.1
		ConnectPort ${GRAPH_PORT:?graph_start first}
		DisableViaHeader Yes
		LogFile "$PROXY_LOG"
		LogLevel Connect
		EOF
		: >"$PROXY_LOG"
		tinyproxy -d -c "$GRAPH_DIR/tinyproxy.conf" </dev/null \
		    >"$GRAPH_DIR/tinyproxy.out" 2>&1 &
		_proxy_pid=$!
		_i=0
		while [ $_i -lt 100 ] && kill -0 "$_proxy_pid" 2>/dev/null; do
			# tinyproxy answers a request for no host with 400
			case $(curl -s -o /dev/null -w '%{http_code}' \
			    --max-time 2 --noproxy '*' \
			    "http://127.0.0.1:$_pp/") in
			000) ;;
			*)
				PROXY_URL=http://127.0.0.1:$_pp
				export PROXY_URL PROXY_LOG
				watchdog "$_proxy_pid"
				_proxy_watch=$!
				return 0
				;;
			esac
			sleep 0.05
			_i=$((_i + 1))
		done
		proxy_stop
	done
	echo "graph.sh: tinyproxy did not start:" >&2
	cat "$GRAPH_DIR/tinyproxy.out" "$PROXY_LOG" >&2 2>/dev/null
	exit 1
}

proxy_stop() {
	[ -n "$_proxy_watch" ] && kill "$_proxy_watch" 2>/dev/null
	if [ -n "$_proxy_pid" ]; then
		kill "$_proxy_pid" 2>/dev/null
		{ wait "$_proxy_pid"; } 2>/dev/null
	fi
	_proxy_watch=
	_proxy_pid=
	return 0
}

proxy_log() {
	sed -n 's/^CONNECT .* Request (file descriptor [0-9]*): //p' \
	    "$PROXY_LOG" | grep '^CONNECT '
}
