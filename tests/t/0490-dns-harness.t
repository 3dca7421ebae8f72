#!/bin/sh
# tests/dns.sh itself, checked with dig: the zones answer as documented,
# the query counter moves by exactly the queries sent, the blackhole
# never answers, and nothing is left running after the test.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/dns.sh"
dns_zone 113.0.203.in-addr.arpa <<EOF
7	IN PTR	added.example.org.
EOF
dns_start
plan 17

rcode() { dig +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$@" |
    sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

like "DNS_SERVER is 127.0.0.1:port" "$DNS_SERVER" '^127\.0\.0\.1:[0-9][0-9]*$'
is "192.0.2.10" "$(dns_dig -x 192.0.2.10)" "mail.example.com."
is "192.0.2.11: NXDOMAIN" "$(rcode -x 192.0.2.11)" NXDOMAIN
is "192.0.2.12: SERVFAIL" "$(rcode -x 192.0.2.12)" SERVFAIL
is "192.0.2.13: NOERROR" "$(rcode -x 192.0.2.13)" NOERROR
is "192.0.2.13: no PTR" "$(dns_dig -x 192.0.2.13)" ""
is "192.0.2.21: b then c" "$(dns_dig -x 192.0.2.21 | tr '\n' ' ')" \
    "b.example.net. c.example.net. "
is "2001:db8::25" "$(dns_dig -x 2001:db8::25)" "mx6.example.com."
is "198.51.100.1: REFUSED" "$(rcode -x 198.51.100.1)" REFUSED
is "a zone the test added" "$(dns_dig -x 203.0.113.7)" "added.example.org."
is "forward: A and AAAA" \
    "$(dns_dig A mail.example.com) $(dns_dig A a.example.net)\
 $(dns_dig AAAA mx6.example.com)" \
    "192.0.2.10 192.0.2.99 2001:db8::25"

n0=$(dns_queries)
dns_dig -x 192.0.2.10 >/dev/null
dns_dig -x 192.0.2.11 >/dev/null
dns_dig -x 192.0.2.12 >/dev/null
n1=$(dns_queries)
is "query counter: 3 digs, 3 queries" "$n0+3" "$n0+$((n1 - n0))"
is "query counter: reading it sends no query" "$(dns_queries)" "$n1"

dns_blackhole
like "BLACKHOLE is 127.0.0.1:port" "$BLACKHOLE" '^127\.0\.0\.1:[0-9][0-9]*$'
run dig +time=1 +tries=1 -p "${BLACKHOLE#*:}" @127.0.0.1 -x 192.0.2.10
like "blackhole: dig times out" "$out" 'timed out'
dns_fake MiXed.Example.NET.
is "fake server: any PTR query, the name as written" \
    "$(dig +short +time=1 +tries=1 -p "${FAKE_SERVER#*:}" @127.0.0.1 \
    -x 192.0.2.99)" \
    "MiXed.Example.NET."

# In a child test (a copy of this file's start), the daemons must be gone
# once it exits.
cat >"$T/child.t" <<EOF
#!/bin/sh
. "$TOP/tests/lib.sh"
. "$TOP/tests/dns.sh"
dns_start
dns_blackhole
dns_fake x.example.
echo "\$(cat "\$DNS_DIR/nsd.pid") \$_dns_udp_pids"
EOF
pids=$(sh "$T/child.t" 2>&1 | tail -1)
sleep 0.3
left=
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
is "child test: nsd and the blackhole gone at its exit ($pids)" "$left" ""

finish
