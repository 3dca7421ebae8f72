# A real authoritative DNS server for the tests that resolve: nsd on
# 127.0.0.1 at a free high port, serving zones the test writes, all of it
# under $T.  Sourced after lib.sh and before `plan`:
#
#	. "$(dirname "$0")/../dns.sh"	# 1..0 # SKIP when nsd or dig is missing
#	dns_zone 113.0.203.in-addr.arpa <<EOF	# 203.0.113.7
#	7	IN PTR	x.example.org.
#	EOF
#	dns_mx FILE		# 192.0.2.0/24 for the chain tests, FILE what
#				# ptrresolve should find
#	dns_start		# exports DNS_PORT, DNS_SERVER=127.0.0.1:port
#	n=$(dns_queries)		# queries nsd has received so far
#	dns_blackhole			# exports BLACKHOLE=127.0.0.1:port
#	dns_fake MiXed.Example.NET.	# exports FAKE_SERVER=127.0.0.1:port
#
# The default zones (DNS_DEFAULTS=no leaves them out; a dns_zone of the
# same origin replaces one):
#	192.0.2.10	PTR mail.example.com.
#	192.0.2.11	NXDOMAIN
#	192.0.2.12	SERVFAIL (zone configured, its file missing)
#	192.0.2.13	a TXT record, no PTR (NOERROR, no answer)
#	192.0.2.20	PTR a.example.net.
#	192.0.2.21	PTR b.example.net., then c.example.net.
#	2001:db8::25	PTR mx6.example.com.
#	198.51.100.x	REFUSED (no zone)
#	mail.example.com. A 192.0.2.10, mx6.example.com. AAAA 2001:db8::25,
#	a.example.net. A 192.0.2.99 (not .20), c.example.net. A 192.0.2.21,
#	b.example.net. nothing.
#
# Queries are counted by nsd itself (remote control on a unix socket,
# which needs no TLS keys) so a test can prove what a cache saved.

installed nsd nsd-control dig python3

DNS_DIR=$T/dns
mkdir "$DNS_DIR" && chmod 755 "$DNS_DIR" || exit 1
: >"$DNS_DIR/zones.conf"
_dns_pid=
_dns_watch=
_dns_hole=
_dns_udp_pids=

at_exit dns_stop

_dns_stanza() {	# _dns_stanza ORIGIN FILE
	printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$1" "$2" \
	    >>"$DNS_DIR/zones.conf"
}

# dns_zone ORIGIN < records: a zone with the records on stdin.  $ORIGIN,
# $TTL 300, the SOA and the NS are written here; relative names are
# relative to ORIGIN.
dns_zone() {
	_o=${1%.}
	[ -e "$DNS_DIR/$_o.zone" ] || _dns_stanza "$_o" "$_o.zone"
	{
		printf '$ORIGIN %s.\n$TTL 300\n' "$_o"
		printf '@ IN SOA ns.test. hostmaster.test. %s\n' \
		    '1 3600 600 86400 60'
		printf '@ IN NS ns.test.\n'
		cat
	} >"$DNS_DIR/$_o.zone"
	chmod 644 "$DNS_DIR/$_o.zone"
}

# dns_mx FILE: the zone of 192.0.2.0/24 that the chain tests' reports
# (tests/mkmail.py's) come from: 192.0.2.N is MX-N.Example.NET. (the
# case as written, so that a test sees ptrresolve fold it), except that
# every fifth has no name.  FILE gets what ptrresolve should make of
# each, "ADDR mx-N.example.net." or "ADDR nxdomain", as events.py --ptr
# reads it.
dns_mx() {
	_mx=1
	while [ $_mx -le 254 ]; do
		if [ $((_mx % 5)) = 0 ]; then
			echo "192.0.2.$_mx nxdomain" >&3
		else
			printf '%s\tIN PTR\tMX-%s.Example.NET.\n' $_mx $_mx
			echo "192.0.2.$_mx mx-$_mx.example.net." >&3
		fi
		_mx=$((_mx + 1))
	done 3>"$1" | dns_zone 2.0.192.in-addr.arpa
}

# dns_zone_broken ORIGIN: a zone nsd is configured for but can't load,
# so every name in it gets SERVFAIL.
dns_zone_broken() {
	_o=${1%.}
	_dns_stanza "$_o" "missing-on-purpose.$_o.zone"
	: >"$DNS_DIR/$_o.zone.broken"
}

_dns_defaults() {
	_dns_default 2.0.192.in-addr.arpa <<-'EOF'
	10	IN PTR	mail.example.com.
	13	IN TXT	"a name without a PTR"
	20	IN PTR	a.example.net.
	21	IN PTR	b.example.net.
	21	IN PTR	c.example.net.
	EOF
	_dns_default 8.b.d.0.1.0.0.2.ip6.arpa <<-'EOF'
	5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0	IN PTR	mx6.example.com.
	EOF
	[ -e "$DNS_DIR/12.2.0.192.in-addr.arpa.zone.broken" ] ||
	    dns_zone_broken 12.2.0.192.in-addr.arpa
	_dns_default example.com <<-'EOF'
	mail	IN A	192.0.2.10
	mx6	IN AAAA	2001:db8::25
	EOF
	_dns_default example.net <<-'EOF'
	a	IN A	192.0.2.99
	c	IN A	192.0.2.21
	EOF
}

_dns_default() {	# a default zone, unless the test wrote its own
	if [ -e "$DNS_DIR/$1.zone" ]; then
		cat >/dev/null
	else
		dns_zone "$1"
	fi
}

# A port free for both UDP and TCP on 127.0.0.1, chosen by the kernel so
# that tests running side by side don't pick the same one.  Another
# process may take it before nsd binds: dns_start then tries again.
_dns_free_port() {
	python3 -c '
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break'
}

_dns_conf() {	# _dns_conf PORT
	cat <<-EOF
	server:
	  ip-address: 127.0.0.1
	  port: $1
	  do-ip6: no
	  server-count: 1
	  username: ""
	  chroot: ""
	  zonesdir: "$DNS_DIR"
	  database: ""
	  zonelistfile: "$DNS_DIR/zone.list"
	  xfrdfile: "$DNS_DIR/xfrd.state"
	  xfrdir: "$DNS_DIR"
	  pidfile: "$DNS_DIR/nsd.pid"
	  logfile: "$DNS_DIR/nsd.log"
	  verbosity: 1
	  hide-version: yes
	  refuse-any: yes
	remote-control:
	  control-enable: yes
	  control-interface: "$DNS_DIR/nsd.ctl"
	EOF
	cat "$DNS_DIR/zones.conf"
}

# dig at our nsd, one try: prints the answers' rdata.
dns_dig() {
	dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$@"
}

# dns_start: write the configuration, start nsd, wait until it answers
# for a name only this instance serves.  Exits the test on failure.
dns_start() {
	[ "${DNS_DEFAULTS:-yes}" = no ] || _dns_defaults
	_tag=${T##*/}
	dns_zone dns-harness.test <<-EOF
	tag	IN TXT	"$_tag"
	EOF
	_try=0
	while [ $_try -lt 10 ]; do
		_try=$((_try + 1))
		DNS_PORT=$(_dns_free_port) || exit 1
		_dns_conf "$DNS_PORT" >"$DNS_DIR/nsd.conf"
		chmod 644 "$DNS_DIR/nsd.conf"
		if ! nsd-checkconf "$DNS_DIR/nsd.conf" >&2; then
			echo "dns.sh: bad nsd.conf" >&2
			exit 1
		fi
		rm -f "$DNS_DIR/nsd.log"
		nsd -d -c "$DNS_DIR/nsd.conf" </dev/null \
		    >"$DNS_DIR/nsd.stdout" 2>&1 &
		_dns_pid=$!
		_i=0
		while [ $_i -lt 100 ]; do
			_a=$(dns_dig TXT tag.dns-harness.test 2>/dev/null)
			if [ "$_a" = "\"$_tag\"" ]; then
				export DNS_PORT DNS_SERVER="127.0.0.1:$DNS_PORT"
				watchdog "$_dns_pid"
				_dns_watch=$!
				return 0
			fi
			kill -0 "$_dns_pid" 2>/dev/null || break
			sleep 0.05
			_i=$((_i + 1))
		done
		_dns_kill "$_dns_pid"
		_dns_pid=
		grep -q 'Address already in use' "$DNS_DIR/nsd.log" \
		    "$DNS_DIR/nsd.stdout" 2>/dev/null || break
	done
	echo "dns.sh: nsd did not start:" >&2
	cat "$DNS_DIR/nsd.stdout" "$DNS_DIR/nsd.log" >&2 2>/dev/null
	exit 1
}

_dns_kill() {	# _dns_kill PID: TERM, and wait so the port is free again
	kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

dns_stop() {
	[ -n "$_dns_watch" ] && kill "$_dns_watch" 2>/dev/null
	[ -n "$_dns_pid" ] && _dns_kill "$_dns_pid"
	for _p in $_dns_udp_pids; do _dns_kill "$_p"; done
	_dns_watch=
	_dns_pid=
	_dns_udp_pids=
	return 0
}

# dns_queries: how many queries nsd has received since it started (its
# own counter, exact and current: read from the server process on each
# call).  Prints "unknown" when the counter can't be read.
dns_queries() {
	_q=$(nsd-control -c "$DNS_DIR/nsd.conf" stats_noreset 2>/dev/null |
	    sed -n 's/^num\.queries=//p')
	echo "${_q:-unknown}"
}

# A UDP port on 127.0.0.1 served by python3: with no NAME it is bound but
# never read (a server that never answers); with NAME every query gets
# one PTR record NAME, byte for byte (nsd folds names to lower case, so
# this is how a test gets a mixed-case answer).  The process leaves with
# the test (or its shell's death); prints the port.
_dns_udp() {	# _dns_udp FILE [NAME]
	_f=$1
	shift
	python3 -c '
import os, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(1)
parent = os.getppid()
print(s.getsockname()[1], flush=True)
name = sys.argv[1] if len(sys.argv) > 1 else None
if name:
    rdata = b"".join(bytes([len(l)]) + l.encode()
                     for l in name.rstrip(".").split(".")) + b"\0"
while os.getppid() == parent:
    if not name:
        time.sleep(1)
        continue
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    question = q[12:i + 5]
    head = q[:2] + struct.pack(">HHHHH", 0x8400 | (q[2] & 1) << 8, 1, 1, 0, 0)
    answer = struct.pack(">HHHIH", 0xc00c, 12, 1, 300, len(rdata)) + rdata
    s.sendto(head + question + answer, peer)
' "$@" </dev/null >"$_f" 2>&1 &
	_dns_udp_pid=$!
	_dns_udp_pids="$_dns_udp_pids $_dns_udp_pid"
	port_file "$_f" "dns.sh: a python3 UDP server"
}

# dns_blackhole: exports BLACKHOLE=127.0.0.1:port, a port that swallows
# queries, for timeouts.
dns_blackhole() {
	_dns_udp "$DNS_DIR/blackhole.port"
	_dns_hole=$_dns_udp_pid
	BLACKHOLE=127.0.0.1:$_p
	export BLACKHOLE
}

# dns_fake NAME: exports FAKE_SERVER=127.0.0.1:port, where every query is
# answered with the PTR record NAME, as written.
dns_fake() {
	_dns_udp "$DNS_DIR/fake.port" "$1"
	FAKE_SERVER=127.0.0.1:$_p
	export FAKE_SERVER
}
