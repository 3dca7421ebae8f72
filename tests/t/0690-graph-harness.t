#!/bin/sh
# tests/graph.sh and tests/graph_fake.py themselves, checked with the curl
# CLI: the token endpoint and each Graph call answer with the documented
# shapes, paging links work when followed as given, ids change on a move
# unless immutable ids are asked for, faults, races and token expiry come
# when armed, what is not modelled is refused, the proxy tunnels to the
# fake, and nothing is left running after a test.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/graph.sh"
graph_start
proxy_start
plan 99
cd "$T" || exit 1

PY=$GRAPH_PYTHON
"$PY" "$TOP/tests/mkmail.py" m 12 >m.list || exit 1

# A child test (a copy of this file's start) whose fake, proxy and
# watchdogs must be gone once it exits; it runs meanwhile.
cat >child.t <<EOF
#!/bin/sh
. "$TOP/tests/lib.sh"
TOP=$TOP
. "$TOP/tests/graph.sh"
graph_start
proxy_start
echo "\$_graph_pid \$_proxy_pid"
EOF
sh child.t >child.out 2>&1 &
child=$!

U=$GRAPH_URL/v1.0/users/$GRAPH_USER
TOKEN_URL=$LOGIN_URL/$GRAPH_TENANT/oauth2/v2.0/token
SCOPE=https://graph.microsoft.com/.default
cu() { curl -sS --max-time 10 --noproxy '*' --cacert "$GRAPH_CA" "$@"; }
# api ARGS...: a call with the token; the body in ./body, the headers in
# ./hdr; prints the status
api() {
	cu -o body -D hdr -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	    "$@"
}
# tok SECRET [SCOPE [URL]]: the client credentials grant, form-encoded;
# the answer in ./body; prints the status
tok() {
	cu -o body -w '%{http_code}' \
	    --data-urlencode grant_type=client_credentials \
	    --data-urlencode "client_id=$GRAPH_CLIENT_ID" \
	    --data-urlencode "client_secret=$1" \
	    --data-urlencode "scope=${2:-$SCOPE}" "${3:-$TOKEN_URL}"
}
# post URL JSON [ARGS...]
post() {
	_u=$1 _b=$2
	shift 2
	api -H 'Content-Type: application/json' --data-binary "$_b" "$@" "$_u"
}
# One python3 reads the responses for the whole test, over two FIFOs: a
# python3 a look costs 60 ms here, which was most of the test's time.
# A request is KIND<TAB>ARG and a line of one RS (036): ARG may have
# newlines.  The answer is one line.
#	j EXPR		EXPR on the JSON in ./body (as d); JSON for what
#			isn't a string
#	h NAME		the value of the response header NAME in ./hdr
#	w KEY		each item's KEY in ./body to ./walk.items; prints
#			the item count and the @odata.nextLink
#	e TEXT		TEXT percent-encoded, as a path segment
mkfifo py.in py.out || exit 1
"$PY" -S -c 'import json, sys, urllib.parse
inp = open("py.in", encoding="utf-8")
out = open("py.out", "w", encoding="utf-8")
req = ""
for line in inp:
    if line != "\036\n":
        req += line
        continue
    kind, _, arg = req[:-1].partition("\t")
    req = ""
    try:
        if kind == "e":
            r = urllib.parse.quote(arg, safe="")
        elif kind == "h":
            with open("hdr", encoding="latin-1") as f:
                r = ""
                for h in f:
                    k, _, v = h.partition(":")
                    if k.lower() == arg.lower():
                        r = v.strip()
        else:
            d = json.load(open("body", encoding="utf-8"))
            if kind == "w":
                with open("walk.items", "a", encoding="utf-8") as f:
                    for v in d["value"]:
                        f.write(v[arg] + "\n")
                r = "%d %s" % (len(d["value"]), d.get("@odata.nextLink", ""))
            else:
                r = eval(arg)
        r = r if isinstance(r, str) else json.dumps(r)
    except Exception as e:
        r = "python3: %r" % e
    out.write(r.replace("\n", "\\n") + "\n")
    out.flush()
' &
looker=$!
at_exit "kill $looker 2>/dev/null"
watchdog "$looker"
exec 4>py.in 5<py.out
look() {
	printf '%s\t%s\n\036\n' "$1" "$2" >&4
	IFS= read -r _r <&5
	printf '%s\n' "$_r"
}
j() { look j "$1"; }
header() { look h "$1"; }
enc() { look e "$1"; }
# walk URL [KEY]: GET URL and each @odata.nextLink as it is given; the
# items' KEY (default id) to ./walk.items, the links to ./walk.links;
# prints the page sizes
walk() {
	_url=$1 _sizes=
	: >walk.items
	while [ -n "$_url" ]; do
		[ "$(api "$_url")" = 200 ] || { echo "HTTP error"; return; }
		_out=$(look w "${2:-id}")
		_sizes="$_sizes${_sizes:+ }${_out%% *}"
		_url=${_out#* }
		echo "$_url" >>walk.links
	done
	echo "$_sizes"
}

# --- the identity platform
is "token: 200" "$(tok "$GRAPH_SECRET")" 200
is "token: Bearer, expires_in 3600" \
    "$(j '[d["token_type"], d["expires_in"], d["ext_expires_in"]]')" \
    '["Bearer", 3600, 3600]'
TOKEN=$(j 'd["access_token"]')
like "token: a JWT's three parts" "$TOKEN" '^[^.]*\.[^.]*\.[^.]*$'
st=$(tok wrong)
is "token, wrong secret: 401 invalid_client AADSTS7000215" \
    "$st $(j '[d["error"], d["error_codes"]]')" \
    '401 ["invalid_client", [7000215]]'
like "token, wrong secret: the description names the code" \
    "$(j 'd["error_description"]')" '^AADSTS7000215: Invalid client secret'
# '+' unencoded in a form is a space: the secret no longer matches
st=$(cu -o body -w '%{http_code}' -d grant_type=client_credentials \
    -d "client_id=$GRAPH_CLIENT_ID" -d "client_secret=$GRAPH_SECRET" \
    --data-urlencode "scope=$SCOPE" "$TOKEN_URL")
is "token, secret not form-encoded: 401" "$st" 401
st=$(tok "$GRAPH_SECRET" "$SCOPE" "$LOGIN_URL/other/oauth2/v2.0/token")
is "token, wrong tenant: 400 invalid_request AADSTS90002" \
    "$st $(j '[d["error"], d["error_codes"]]')" \
    '400 ["invalid_request", [90002]]'
st=$(tok "$GRAPH_SECRET" Mail.Read)
is "token, bad scope: 400 invalid_scope" "$st $(j 'd["error"]')" \
    "400 invalid_scope"
# RFC 6749 2.3.1: form-encoded, then Basic
st=$(cu -o body -w '%{http_code}' \
    -u "$GRAPH_CLIENT_ID:$(enc "$GRAPH_SECRET")" \
    --data-urlencode grant_type=client_credentials \
    --data-urlencode "scope=$SCOPE" "$TOKEN_URL")
is "token, client credentials in HTTP Basic: 200" "$st" 200

# --- authentication and the user
st=$(cu -o body -w '%{http_code}' "$U/mailFolders/inbox")
is "Graph without a token: 401 InvalidAuthenticationToken" \
    "$st $(j 'd["error"]["code"]')" "401 InvalidAuthenticationToken"
is "Graph error body: code, message, innerError with its three ids" \
    "$(j '[sorted(d["error"]), sorted(d["error"]["innerError"])]')" \
    "$(printf '%s' '[["code", "innerError", "message"], ' \
    '["client-request-id", "date", "request-id"]]')"
st=$(cu -o body -w '%{http_code}' -H 'Authorization: Bearer a.b.c' \
    "$U/mailFolders/inbox")
is "Graph with an unknown token: 401" "$st" 401
st=$(api "$GRAPH_URL/v1.0/users/someone@example.com/mailFolders/inbox")
is "another user: 404 ErrorInvalidUser" "$st $(j 'd["error"]["code"]')" \
    "404 ErrorInvalidUser"
st=$(api "$GRAPH_URL/v1.0/users/DMARC-Reports@Example.COM/mailFolders/inbox")
is "the user's name in any case: 200" "$st" 200
st=$(cu -o /dev/null -w '%{http_code}' --cacert "$GRAPH_BADCA" \
    "$U/mailFolders/inbox" 2>/dev/null)
is "the wrong CA: curl fails verifying (60)" "$?:$st" "60:000"

# --- folders
st=$(api "$U/mailFolders/inbox")
is "folder by well-known name: Inbox" "$st $(j 'd["displayName"]')" \
    "200 Inbox"
is "mailFolder resource: its properties" \
    "$(j '" ".join(sorted(k for k in d if not k.startswith("@")))')" \
    "childFolderCount displayName id isHidden parentFolderId $(:
    )totalItemCount unreadItemCount"
INBOX=$(j 'd["id"]')
st=$(api "$U/mailFolders/DeletedItems")
is "well-known names in any case: Deleted Items" \
    "$st $(j 'd["displayName"]')" "200 Deleted Items"
st=$(api "$U/mailFolders/$(enc "$INBOX")")
is "folder by id" "$st $(j 'd["id"]')" "200 $INBOX"
st=$(api "$U/mailFolders/Inbox%20stuff")
is "a display name for an id: 400 ErrorInvalidIdMalformed" \
    "$st $(j 'd["error"]["code"]')" "400 ErrorInvalidIdMalformed"
st=$(api "$U/mailFolders")
is "mailFolders: the top level, by name" \
    "$st $(j '"|".join(f["displayName"] for f in d["value"])')" \
    "200 Archive|Deleted Items|Drafts|Inbox|Junk Email|Sent Items"

graph_mkdir Inbox/f01 Inbox/f02 Inbox/f03 Inbox/f04 Inbox/f05 Inbox/f06 \
    Inbox/f07 Inbox/f08 Inbox/f09 Inbox/f10 Inbox/f11 Inbox/f12 Inbox/f13 \
    Inbox/f14 Inbox/f15 || exit 1
: >walk.links
is "childFolders: default pages of 10" \
    "$(walk "$U/mailFolders/inbox/childFolders" displayName)" "10 5"
is "childFolders: all 15 once, by following nextLink" \
    "$(sort -u walk.items | tr '\n' ' ')" \
    "f01 f02 f03 f04 f05 f06 f07 f08 f09 f10 f11 f12 f13 f14 f15 "
like "nextLink: absolute, \$skiptoken percent-encoded" \
    "$(head -n 1 walk.links)" \
    "^$GRAPH_URL/v1.0/users/.*/childFolders?%24skiptoken="
: >walk.links
is "childFolders, \$top=4: 4 4 4 3" \
    "$(walk "$U/mailFolders/inbox/childFolders?\$top=4" displayName)" \
    "4 4 4 3"
is "childFolders, \$top=4: the 15 again" "$(sort -u walk.items | wc -l)" 15
skip=$(sed -n 's/.*%24skiptoken=\([^&]*\).*/\1/p' walk.links | head -n 1)
st=$(api "$U/mailFolders/inbox/childFolders?\$skiptoken=$skip")
is "a \$skiptoken in another query: 400" "$st" 400

# filter QUERY: childFolders of Inbox with $filter=QUERY
filter() {
	api -G --data-urlencode "\$filter=$1" "$U/mailFolders/inbox/childFolders"
}
st=$(filter "displayName eq 'f07'")
is "\$filter displayName eq: the one folder" \
    "$st $(j '[f["displayName"] for f in d["value"]]')" '200 ["f07"]'
st=$(post "$U/mailFolders/inbox/childFolders" '{"displayName":"Bob'"'"'s"}')
is "create a folder with a quote in its name: 201" "$st" 201
st=$(filter "displayName eq 'Bob''s'")
is "\$filter: '' is a quote" \
    "$st $(j '[f["displayName"] for f in d["value"]]')" "200 [\"Bob's\"]"
is "\$filter: a lone quote is refused" "$(filter "displayName eq 'Bob's'")" \
    400
st=$(filter "startswith(displayName,'f')")
like "\$filter not modelled: 400, said so" \
    "$st $(j 'd["error"]["message"]')" \
    "^400 graph_fake: not modelled: \$filter 'startswith"

st=$(post "$U/mailFolders/inbox/childFolders" '{"displayName":"Processed"}')
is "create a child folder: 201, under Inbox" \
    "$st $(j '[d["displayName"], d["parentFolderId"] == "'"$INBOX"'"]')" \
    '201 ["Processed", true]'
PROCESSED=$(j 'd["id"]')
st=$(post "$U/mailFolders/inbox/childFolders" '{"displayName":"processed"}')
is "the same name again, in another case: 409 ErrorFolderExists" \
    "$st $(j 'd["error"]["code"]')" "409 ErrorFolderExists"
st=$(post "$U/mailFolders" '{"displayName":"Top"}')
is "create a top-level folder: 201" "$st" 201
st=$(api --data-binary '{"displayName":"X"}' \
    "$U/mailFolders/inbox/childFolders")
is "a POST not said to be JSON: 415" "$st" 415
st=$(post "$U/mailFolders/inbox/childFolders" '{"displayName":')
is "malformed JSON: 400 BadRequest" "$st $(j 'd["error"]["code"]')" \
    "400 BadRequest"
graph_race '{"parent_path":"Inbox","displayName":"Racy"}'
st=$(filter "displayName eq 'Racy'")
is "race: not there when the client looks" "$st $(j 'len(d["value"])')" \
    "200 0"
st=$(post "$U/mailFolders/inbox/childFolders" '{"displayName":"Racy"}')
is "race: the client's POST gets 409" "$st $(j 'd["error"]["code"]')" \
    "409 ErrorFolderExists"
is "race: one Racy" "$(graph_folders | grep -c '^Inbox/Racy$')" 1
is "graph_folders: the new folders, sorted" \
    "$(graph_folders | grep -v '^Inbox/f[01]' | tr '\n' '|')" \
    "Archive|Deleted Items|Drafts|Inbox|Inbox/Bob's|Inbox/Processed|$(:
    )Inbox/Racy|Junk Email|Sent Items|Top|"

# --- messages
i=0
for f in $(cut -f 1 m.list); do
	i=$((i + 1))
	graph_put Inbox/dmarc "$f" "$(printf '2023-11-15T%02d:00:00Z' "$i")" \
	    >/dev/null || exit 1
done
graph_put inbox m/0001-domain.eml 2023-11-16T00:00:00+01:00 true >put.out
is "graph_put: prints the ids" "$(cut -f 1 put.out | cut -c 1-6)" AAMkAG
ID1=$(cut -f 1 put.out)
IMM1=$(cut -f 2 put.out)
is "graph_count" "$(graph_count Inbox/dmarc) $(graph_count inbox)" "12 1"
is "graph_count: no such folder" "$(graph_count Inbox/none)" 0
is "graph_fetch: ids, isRead, subject" \
    "$(graph_fetch Inbox | cut -f 2-4)" \
    "$IMM1	true	$(sed -n 's/^Subject: //p' m/0001-domain.eml | tr -d '\r')"

graph_state >body
DMARC=$(j '[f["id"] for f in d["folders"] if f["path"] == "Inbox/dmarc"][0]')
is "receivedDateTime given with an offset: in UTC" \
    "$(j '[m["receivedDateTime"] for m in d["messages"]
    if m["path"] == "Inbox"][0]' | tr -d '\n')" "2023-11-15T23:00:00Z"
: >walk.links
is "messages, \$top=5: pages 5 5 2" \
    "$(walk "$U/mailFolders/$DMARC/messages?\$top=5&\$select=subject")" \
    "5 5 2"
is "messages: all 12 once" "$(sort -u walk.items | wc -l)" 12
like "messages nextLink: \$select kept, \$skip added, encoded" \
    "$(head -n 1 walk.links)" '?%24top=5&%24select=subject&%24skip=5$'
st=$(api "$U/mailFolders/$DMARC/messages")
is "messages: 10 a page by default, newest first" \
    "$st $(j '[len(d["value"]), d["value"][0]["receivedDateTime"],
    "@odata.nextLink" in d]')" '200 [10, "2023-11-15T12:00:00Z", true]'
is "message resource: the properties asked for" \
    "$(j '" ".join(sorted(set(d["value"][0]) & {"id", "subject",
    "receivedDateTime", "isRead", "hasAttachments", "parentFolderId",
    "internetMessageId"}))')" \
    "hasAttachments id internetMessageId isRead parentFolderId $(:
    )receivedDateTime subject"
is "message resource: a report mail has attachments, in its folder" \
    "$(j '[d["value"][0]["hasAttachments"],
    d["value"][0]["parentFolderId"] == "'"$DMARC"'"]')" '[true, true]'
st=$(api "$U/mailFolders/$DMARC/messages?\$orderby=receivedDateTime%20asc")
is "\$orderby receivedDateTime asc: oldest first" \
    "$st $(j 'd["value"][0]["receivedDateTime"]')" "200 2023-11-15T01:00:00Z"
st=$(api "$U/mailFolders/inbox/messages?\$select=subject,isRead")
is "\$select: only those, with id and @odata.etag" \
    "$st $(j 'sorted(d["value"][0])')" \
    '200 ["@odata.etag", "id", "isRead", "subject"]'
st=$(api "$U/mailFolders/inbox/messages?\$select=subject,bogus")
is "\$select of no such property: 400 RequestBroker--ParseUri" \
    "$st $(j 'd["error"]["code"]')" "400 RequestBroker--ParseUri"
st=$(api "$U/mailFolders/inbox/messages?\$top=1001")
is "\$top over 1000: 400" "$st" 400
st=$(api "$U/mailFolders/inbox/messages?\$count=true")
is "a query option not modelled: 400" "$st" 400

st=$(api "$U/messages/$(enc "$ID1")/\$value")
is "\$value: 200 text/plain" "$st $(header Content-Type)" "200 text/plain"
ok "\$value: the bytes put" cmp -s body m/0001-domain.eml
"$PY" "$TOP/tests/mkmail.py" \
    --subject "$(printf 'Report =?utf-8?q?Gr=C3=B6=C3=9Fe?=\ntail')" - \
    >enc.eml
graph_put Drafts enc.eml >/dev/null
is "subject: RFC 2047 decoded and unfolded, in graph_fetch" \
    "$(graph_fetch Drafts | cut -f 4)" "Report Größe tail"
st=$(api "$U/mailFolders/drafts/messages?\$select=subject")
is "subject: the same in Graph" "$(j 'd["value"][0]["subject"]')" \
    "Report Größe tail"

# --- move, delete, update
st=$(post "$U/messages/$(enc "$ID1")/move" \
    "{\"destinationId\":\"$PROCESSED\"}")
ID2=$(j 'd["id"]')
is "move: 201, in the folder, a new id" \
    "$st $(j 'd["parentFolderId"] == "'"$PROCESSED"'"') $(
    [ "$ID2" != "$ID1" ] && echo new)" "201 true new"
st=$(api "$U/messages/$(enc "$ID1")")
is "move: the old id is gone, 404 ErrorItemNotFound" \
    "$st $(j 'd["error"]["code"]')" "404 ErrorItemNotFound"
is "ErrorItemNotFound: its message" "$(j 'd["error"]["message"]')" \
    "The specified object was not found in the store."
st=$(api "$U/messages/$(enc "$IMM1")")
is "move: the immutable id still works" "$st $(j 'd["id"]')" "200 $ID2"
st=$(post "$U/messages/$(enc "$ID2")/move" '{"destinationId":"archive"}' \
    -H 'Prefer: IdType="ImmutableId"')
is "move with Prefer: IdType=\"ImmutableId\": the same id" \
    "$st $(j 'd["id"]')" "201 $IMM1"
is "move with Prefer: Preference-Applied" "$(header Preference-Applied)" \
    'IdType="ImmutableId"'
st=$(api "$U/mailFolders/archive/messages?\$select=subject")
is "without Prefer: a REST id, not the immutable one" \
    "$st $([ "$(j 'd["value"][0]["id"]')" != "$IMM1" ] && echo rest)" \
    "200 rest"
is "without Prefer: no Preference-Applied" "$(header Preference-Applied)" ""
is "graph_fetch Archive: moved there" "$(graph_fetch Archive | cut -f 2)" \
    "$IMM1"
st=$(api -X PATCH -H 'Content-Type: application/json' \
    --data-binary '{"isRead":false}' "$U/messages/$(enc "$IMM1")")
is "PATCH isRead: 200, the message" "$st $(j 'd["isRead"]')" "200 false"
is "PATCH isRead: graph_fetch shows it" "$(graph_fetch Archive | cut -f 3)" \
    false
st=$(api -X PATCH -H 'Content-Type: application/json' \
    --data-binary '{"subject":"x"}' "$U/messages/$(enc "$IMM1")")
is "PATCH of what isn't modelled: 400" "$st" 400
st=$(api -X DELETE "$U/messages/$(enc "$IMM1")")
is "DELETE: 204, no body" "$st $(wc -c <body)" "204 0"
is "DELETE: into Deleted Items" \
    "$(graph_count Archive) $(graph_fetch 'Deleted Items' | cut -f 2)" \
    "0 $IMM1"
st=$(api -X DELETE "$U/messages/$(enc "$IMM1")")
is "DELETE in Deleted Items: 204, purged" \
    "$st $(graph_count deleteditems)" "204 0"
st=$(api "$U/messages/AAMkAGI2doesnotexistAAAAAAAAAAAAAA=")
is "an unknown id: 404 ErrorItemNotFound" "$st $(j 'd["error"]["code"]')" \
    "404 ErrorItemNotFound"
st=$(api "$U/messages")
is "a call not modelled: 400, said so" "$st $(j 'd["error"]["message"]')" \
    "400 graph_fake: not modelled: GET /v1.0/users/$GRAPH_USER/messages"

# --- faults
graph_fault '{"method":"GET","path":"/messages","count":2,"status":429,
    "retry_after":"3"}'
st=$(api "$U/mailFolders/inbox/messages")
is "fault: 429 TooManyRequests, Retry-After: 3" \
    "$st $(j 'd["error"]["code"]') $(header Retry-After)" \
    "429 TooManyRequests 3"
is "fault: other paths unaffected" "$(api "$U/mailFolders/inbox")" 200
st=$(api "$U/mailFolders/inbox/messages")
st=$st,$(api "$U/mailFolders/inbox/messages")
is "fault: count 2, then served again" "$st" "429,200"
graph_fault '{"status":503,"retry_after_date":5}'
st=$(api "$U/mailFolders/inbox")
is "fault: 503 with Retry-After as an HTTP-date, 5 s on" \
    "$st $("$PY" -S -c 'import email.utils, sys, time
print(3 <= email.utils.parsedate_to_datetime(sys.argv[1]).timestamp() -
      time.time() <= 6)' "$(header Retry-After)")" "503 True"
graph_fault '{"stall":0.6}'
cu -o /dev/null --max-time 0.3 -H "Authorization: Bearer $TOKEN" \
    "$U/mailFolders/inbox" 2>/dev/null
is "fault: a stall times the client out (28)" "$?" 28
is "fault: others are served meanwhile" "$(api "$U/mailFolders/inbox")" 200
graph_fault '{"close":true}'
cu -o /dev/null -H "Authorization: Bearer $TOKEN" "$U/mailFolders/inbox" \
    2>/dev/null
is "fault: close, no answer (52)" "$?" 52
graph_fault '{"path":"/oauth2/","status":503}'
st=$(tok "$GRAPH_SECRET")
is "fault at the token endpoint: the identity platform's shape" \
    "$st $(j 'd["error"]')" "503 temporarily_unavailable"

# --- HTTP: keep-alive, the proxy, the request log
cu -v -o /dev/null -o /dev/null -H "Authorization: Bearer $TOKEN" \
    "$U/mailFolders/inbox" "$U/mailFolders/drafts" 2>curl.err
is "keep-alive: the second request on the same connection" \
    "$(grep -c 'Re-using existing connection' curl.err)" 1
# (not cu: its --noproxy would win over -x)
st=$(curl -sS --max-time 10 --cacert "$GRAPH_CA" -o body \
    -w '%{http_code}' -p -x "$PROXY_URL" -H "Authorization: Bearer $TOKEN" \
    "$U/mailFolders/inbox")
is "proxy: the call goes through" "$st $(j 'd["displayName"]')" "200 Inbox"
is "proxy: it saw the CONNECT" "$(proxy_log)" \
    "CONNECT 127.0.0.1:$GRAPH_PORT HTTP/1.1"
curl -s --max-time 10 --cacert "$GRAPH_CA" -o /dev/null -p \
    -x "$PROXY_URL" "https://127.0.0.1:${PROXY_URL##*:}/"
is "proxy: CONNECT to another port is refused (56)" "$?" 56
graph_reset_requests
api "$U/mailFolders/inbox" >/dev/null
cu -o /dev/null "$U/mailFolders/inbox"
is "graph_requests: method, path, status, auth" "$(graph_requests)" \
    "GET	/v1.0/users/$GRAPH_USER/mailFolders/inbox	200	auth:yes
GET	/v1.0/users/$GRAPH_USER/mailFolders/inbox	401	auth:no"

# --- tokens expire
graph_start --token-ttl 1
is "restart: the same URL" "https://127.0.0.1:$GRAPH_PORT" "$GRAPH_URL"
is "restart: an empty mailbox" "$(graph_count Inbox/dmarc)" 0
st=$(tok "$GRAPH_SECRET")
TOKEN=$(j 'd["access_token"]')
is "--token-ttl 1: expires_in 1" "$st $(j 'd["expires_in"]')" "200 1"
is "--token-ttl 1: good at first" "$(api "$U/mailFolders/inbox")" 200
sleep 1.05
st=$(api "$U/mailFolders/inbox")
is "--token-ttl 1: expired after a second" \
    "$st $(j 'd["error"]["code"]'): $(j 'd["error"]["message"]')" \
    "401 InvalidAuthenticationToken: $(:
    )Lifetime validation failed, the token is expired."
graph_config '{"token_ttl":3600}'
TOKEN=$(graph_token)
graph_expire
is "graph_expire: a fresh token expires at once" \
    "$(api "$U/mailFolders/inbox") $(j 'd["error"]["code"]')" \
    "401 InvalidAuthenticationToken"

# --- nothing left running
wait "$child"
# shellcheck disable=SC2046 # two pids, split on purpose
set -- $(tail -n 1 child.out)
is "child test: its fake and proxy started" "$#" 2
alive=
for p in "$@"; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
is "child test: nothing left running" "$alive" ""
finish
