#!/bin/sh
# ptrresolve as a filter, against a real nsd on loopback (tests/dns.sh):
# each answer kind, input order, lines changed only in source_hostname,
# the cache, -N, -F, and the sandbox.  Every run names the server with
# -s: the machine's resolv.conf points off-machine, and no test may ask
# anything but 127.0.0.1.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/ptrresolve" ]; then
	echo "1..0 # SKIP no bin/ptrresolve"
	exit 0
fi
. "$TOP/tests/dns.sh"
dns_start
dns_blackhole
dns_fake MiXed.Example.NET.
plan 53
cd "$T" || exit 1

ptr() { "$BIN/ptrresolve" $RUN_AS -s "$DNS_SERVER" "$@"; }

# report IP...: an aggregate report with one record per address, in that
# order; each record's count is its position, to follow lines by.
report() {
	printf '<feedback><report_metadata><org_name>example.net</org_name>'
	printf '<report_id>1</report_id></report_metadata>'
	printf '<policy_published><domain>example.com</domain>'
	printf '</policy_published>\n'
	_i=0
	for _ip; do
		_i=$((_i + 1))
		printf '<record><row><source_ip>%s</source_ip>' "$_ip"
		printf '<count>%d</count><policy_evaluated>' "$_i"
		printf '<disposition>none</disposition><dkim>pass</dkim>'
		printf '<spf>fail</spf></policy_evaluated></row><identifiers>'
		printf '<header_from>example.com</header_from></identifiers>'
		printf '<auth_results><spf><domain>example.com</domain>'
		printf '<result>fail</result></spf></auth_results></record>\n'
	done
	printf '</feedback>\n'
}

# The hostnames of kv or json lines, one a line ("" when a line has none).
kv_names() { sed 's/.*source_hostname="\([^"]*\)".*/\1/;t;s/.*//' "$@"; }
json_names() {
	sed 's/.*"source_hostname": "\([^"]*\)".*/\1/;t;s/.*//' "$@"
}
# The lines with source_hostname (and source_hostname_unconfirmed) taken
# out: what must come through byte for byte.
kv_rest() {
	sed -e 's/, source_hostname_unconfirmed="[^"]*"//' \
	    -e 's/source_hostname="[^"]*"/source_hostname=/' "$@"
}
json_rest() {
	sed -e 's/, "source_hostname_unconfirmed": "[^"]*"//' \
	    -e 's/"source_hostname": "[^"]*"/"source_hostname": /' "$@"
}
same() { cmp -s "$1" "$2"; }

# Every kind of answer, once.
IPS="192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.20 192.0.2.21
2001:db8::25 198.51.100.7"
# shellcheck disable=SC2086
report $IPS >all.xml
rua2kv -f kv all.xml >all.kv
rua2kv -f json all.xml >all.json
last21=$(dns_dig -x 192.0.2.21 | tail -n 1)
is "nsd gives 192.0.2.21's PTRs in zone order" "$last21" "c.example.net."
WANT="mail.example.com. nxdomain servfail noanswer a.example.net.
$last21 mx6.example.com. servfail"

run ptr all.kv
is "kv: exit 0" "$rc" 0
is "kv: no warning" "$(printf '%s\n' "$err" | grep -v ' queries$')" ""
printf '%s\n' "$out" >out.kv
is "kv: one line out per line in" "$(wc -l <out.kv)" "$(wc -l <all.kv)"
is "kv: the hostnames (NOERROR, NXDOMAIN, SERVFAIL, no PTR, several PTRs: \
the last, IPv6, REFUSED)" "$(kv_names out.kv | tr '\n' ' ')" \
    "$(echo $WANT) "
kv_rest all.kv >want.rest
kv_rest out.kv >got.rest
ok "kv: nothing changed but source_hostname" same want.rest got.rest
is "kv: the field keeps its place" \
    "$(sed -n 1p out.kv |
    grep -o 'source_ip="[^"]*", source_hostname="[^"]*", count=')" \
    'source_ip="192.0.2.10", source_hostname="mail.example.com.", count='

run ptr <all.json
is "json: exit 0" "$rc" 0
printf '%s\n' "$out" >out.json
is "json: one line out per line in" "$(wc -l <out.json)" "$(wc -l <all.json)"
is "json: the hostnames" "$(json_names out.json | tr '\n' ' ')" \
    "$(echo $WANT) "
json_rest all.json >want.rest
json_rest out.json >got.rest
ok "json: nothing changed but source_hostname" same want.rest got.rest
like "json: the field keeps its place" "$(sed -n 1p out.json)" \
    '"row": {"source_ip": "192.0.2.10", '\
'"source_hostname": "mail.example.com.", "count": "1",'

# Files named as arguments, read in turn; - is not needed for stdin.
run ptr all.kv all.json
is "two files: both, in order" "$out" "$(cat out.kv out.json)"

# Upper case in an answer comes out lower case.
run "$BIN/ptrresolve" $RUN_AS -s "$FAKE_SERVER" all.kv
is "answer in mixed case: lower-cased, trailing dot" \
    "$(printf '%s\n' "$out" | kv_names | sort -u)" "mixed.example.net."

# A server that never answers: timeout, in about the time asked for.
report 192.0.2.10 | rua2kv -f kv >one.kv
t0=$(date +%s)
run "$BIN/ptrresolve" $RUN_AS -s "$BLACKHOLE" -t 1 -r 0 one.kv
t1=$(date +%s)
is "no answer (-t 1 -r 0): timeout" "$(printf '%s\n' "$out" | kv_names)" \
    timeout
is "no answer: exit 0" "$rc" 0
ok "no answer: given up within 3 s ($((t1 - t0)) s)" \
    test $((t1 - t0)) -le 3
kv_rest one.kv >want.rest
printf '%s\n' "$out" | kv_rest >got.rest
ok "no answer: the rest of the line unchanged" same want.rest got.rest

# Order: many lines, addresses mixed so answers come back out of input
# order; the counts (positions) must come out 1, 2, 3, ...
set --
i=0
while [ $i -lt 40 ]; do
	# shellcheck disable=SC2086
	set -- "$@" $IPS
	i=$((i + 1))
done
report "$@" >many.xml
rua2kv -f kv many.xml >many.kv
run ptr many.kv
printf '%s\n' "$out" >out.many
is "order: all 320 lines" "$(wc -l <out.many)" 320
is "order: counts 1..320 in input order" \
    "$(sed 's/.*count="\([0-9]*\)".*/\1/' out.many | tr '\n' ' ')" \
    "$(seq 1 320 | tr '\n' ' ')"
kv_rest many.kv >want.rest
kv_rest out.many >got.rest
ok "order: nothing changed but source_hostname" same want.rest got.rest
# shellcheck disable=SC2086
is "order: each line has its own address's name" \
    "$(kv_names out.many | head -n 8 | tr '\n' ' ')$(kv_names out.many |
    sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" \
    "$(echo $WANT) 40 80 "
is "order: ... down to the last line" "$(kv_names out.many | tail -n 8 |
    tr '\n' ' ')" "$(echo $WANT) "

# Lines it can't read pass through as they are, each with a warning
# naming its line.
{
	sed -n 1p all.kv
	echo 'org_name="x", count="1"'
	echo 'garbage'
	echo ''
	echo '{"feedback": {"row": {"count": "1"}}}'
	sed -n 1p all.json
	echo 'source_ip="not-an-address", source_hostname="-"'
} >bad.in
run ptr bad.in
printf '%s\n' "$out" >bad.out
is "bad lines: as many lines out as in" "$(wc -l <bad.out)" 7
is "bad lines: passed through unchanged" "$(sed -n 2,5p bad.out)" \
    "$(sed -n 2,5p bad.in)"
is "bad lines: an unusable source_ip passed through" "$(sed -n 7p bad.out)" \
    "$(sed -n 7p bad.in)"
is "bad lines: the good ones around them resolved" \
    "$(sed -n 1p bad.out | kv_names) $(sed -n 6p bad.out | json_names)" \
    "mail.example.com. mail.example.com."
for n in 2 3 4 5 7; do
	like "bad lines: a warning for line $n" "$err" \
	    "line $n\\([^0-9]\\|\$\\)"
done
like "bad lines: no warning for good line 1" "$(printf '%s\n' "$err" |
    grep -c 'line [16]\([^0-9]\|$\)')" '^0$'

# The cache: 1000 lines, 5 distinct addresses, 5 queries.
sed -n 1p all.kv >tmpl
awk 'BEGIN {
	split("192.0.2.10 192.0.2.11 192.0.2.20 192.0.2.21 2001:db8::25", a)
	getline t < "tmpl"
	for (i = 0; i < 1000; i++) {
		l = t
		sub(/source_ip="[^"]*"/, "source_ip=\"" a[i % 5 + 1] "\"", l)
		sub(/count="[^"]*"/, "count=\"" i + 1 "\"", l)
		print l
	}
}' >cache.kv
n0=$(dns_queries)
run ptr cache.kv
n1=$(dns_queries)
is "cache: 1000 lines out" "$(printf '%s\n' "$out" | wc -l)" 1000
is "cache: 5 distinct addresses, 5 queries" "$((n1 - n0))" 5
is "cache: the 5 answers" "$(printf '%s\n' "$out" | kv_names | sort | uniq -c |
    awk '{print $1 " " $2}' | tr '\n' ' ')" \
    "200 a.example.net. 200 $last21 200 mail.example.com.\
 200 mx6.example.com. 200 nxdomain "

# -N: no DNS at all.
{ cat all.kv; sed -n 1p all.kv |
    sed 's/source_hostname="-"/source_hostname="old.example."/'; } >n.kv
n0=$(dns_queries)
run ptr -N n.kv
n1=$(dns_queries)
is "-N: exit 0" "$rc" 0
is "-N: no query" "$((n1 - n0))" 0
is "-N: source_hostname stays -" "$(printf '%s\n' "$out" | sed '$d')" \
    "$(cat all.kv)"
is "-N: ... or becomes -" "$(printf '%s\n' "$out" | tail -n 1 | kv_names)" "-"
run ptr -N all.json
is "-N json: lines unchanged" "$out" "$(cat all.json)"

# -F: forward confirmation.  mail.example.com. has A 192.0.2.10 and
# mx6.example.com. AAAA 2001:db8::25: kept; a.example.net. has A
# 192.0.2.99, not 192.0.2.20: unconfirmed, the name in a field of its own.
report 192.0.2.10 192.0.2.20 2001:db8::25 192.0.2.21 >f.xml
rua2kv -f kv f.xml >f.kv
rua2kv -f json f.xml >f.json
run ptr -F f.kv
printf '%s\n' "$out" >out.f
is "-F: exit 0" "$rc" 0
is "-F: confirmed names kept, a.example.net. unconfirmed" \
    "$(kv_names out.f | tr '\n' ' ')" \
    "mail.example.com. unconfirmed mx6.example.com. c.example.net. "
like "-F: the unconfirmed name right after source_hostname" \
    "$(sed -n 2p out.f)" \
    'source_ip="192.0.2.20", source_hostname="unconfirmed", '\
'source_hostname_unconfirmed="a.example.net.", count="2"'
is "-F: the field only where unconfirmed" \
    "$(grep -c source_hostname_unconfirmed out.f)" 1
kv_rest f.kv >want.rest
kv_rest out.f >got.rest
ok "-F: nothing else changed" same want.rest got.rest
run ptr -F f.json
printf '%s\n' "$out" >out.fj
is "-F json: the hostnames" "$(json_names out.fj | tr '\n' ' ')" \
    "mail.example.com. unconfirmed mx6.example.com. c.example.net. "
like "-F json: the unconfirmed name right after source_hostname" \
    "$(sed -n 2p out.fj)" \
    '"source_ip": "192.0.2.20", "source_hostname": "unconfirmed", '\
'"source_hostname_unconfirmed": "a.example.net.", "count": "2"'
json_rest f.json >want.rest
json_rest out.fj >got.rest
ok "-F json: nothing else changed" same want.rest got.rest

# Sandboxed before the first byte is read.
if [ "$(uname -s)" = Linux ]; then
	sandboxed "$BIN/ptrresolve" $RUN_AS -s "$DNS_SERVER" >sb.out 2>sb.err
	like "sandbox: seccomp filter on while waiting for input" "$status" \
	    '^Seccomp:[[:space:]]*2$'
	sed -n 1p all.kv >&3
	exec 3>&-
	wait $pid
	is "sandbox: a line still resolved inside it" "$(kv_names sb.out)" \
	    "mail.example.com."
else
	skip "sandbox: seccomp filter on while waiting for input" "Linux only"
	skip "sandbox: a line still resolved inside it" "Linux only"
fi

if [ "$(id -u)" = 0 ]; then
	run "$BIN/ptrresolve" -s "$DNS_SERVER" all.kv
	ok "root without -u: refused ($rc)" test "$rc" -ne 0
	like "root without -u: says why" "$err" '^ptrresolve: .*-u'
else
	skip "root without -u: refused" "not root"
	skip "root without -u: says why" "not root"
fi

finish
