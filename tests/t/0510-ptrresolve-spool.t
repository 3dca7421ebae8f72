#!/bin/sh
# ptrresolve -d: events/new to out/new, one file each, published whole;
# and the whole chain on a spool: unzipd, rua2kv, ptrresolve.
. "$(dirname "$0")/../lib.sh"
if [ ! -x "$BIN/ptrresolve" ]; then
	echo "1..0 # SKIP no bin/ptrresolve"
	exit 0
fi
. "$TOP/tests/dns.sh"
dns_start
plan 18
cd "$T" || exit 1

S=$T/spool
mkdir "$S"
[ -n "$RUN_AS" ] && chown nobody "$S"
ptr() { "$BIN/ptrresolve" $RUN_AS -s "$DNS_SERVER" "$@"; }

run ptr -d "$S"
is "empty spool: exit 0" "$rc" 0
ok "stages made" test -d "$S/events/new" -a -d "$S/out/new"

line='source_ip="192.0.2.10", source_hostname="-", count="1"'
printf '%s\n%s\n' "$line" "$(echo "$line" | sed 's/192.0.2.10/192.0.2.11/')" \
    >"$S/events/tmp/r1-1"
mv "$S/events/tmp/r1-1" "$S/events/new/r1-1"
run ptr -d "$S"
is "one events file: exit 0" "$rc" 0
is "its lines resolved, in out/new under the same name" \
    "$(cut -d, -f2 "$S/out/new/r1-1" | tr '\n' ' ')" \
    ' source_hostname="mail.example.com."  source_hostname="nxdomain" '
is "events/new and events/cur empty" \
    "$(ls "$S/events/new" "$S/events/cur" | grep -v : | grep -c .)" 0

# A line longer than 16 MiB: the events file fails for good, with the
# reason; the spool goes on.
{ printf 'source_ip="192.0.2.10", source_hostname="-", x="'
  head -c 16777300 /dev/zero | tr '\0' a; echo '"'; } >"$S/events/tmp/huge"
mv "$S/events/tmp/huge" "$S/events/new/huge"
cp "$S/out/new/r1-1" "$S/events/new/after"
[ -n "$RUN_AS" ] && chown -R nobody "$S"
run ptr -d "$S"
is "a line over 16 MiB: exit 0, the spool goes on" "$rc" 0
is "a line over 16 MiB: to events/fail with the reason" \
    "$(cat "$S/events/fail/huge.why")" "a line longer than 16777216 bytes"
ok "a line over 16 MiB: nothing in out/" \
    test ! -e "$S/out/new/huge" -a -z "$(ls "$S/out/tmp")"
ok "a line over 16 MiB: the next file done" test -f "$S/out/new/after"

# -s checked before anything runs.
run "$BIN/ptrresolve" $RUN_AS -s 127.0.0.1:99999 -N </dev/null
is "-s with a bad port: usage error" "$rc" 64
run "$BIN/ptrresolve" $RUN_AS -s 127.0.0.1 -s 127.0.0.1 -s 127.0.0.1 \
    -s 127.0.0.1 -s 127.0.0.1 -s 127.0.0.1 -s 127.0.0.1 -N </dev/null
like "a seventh -s: refused" "$rc:$err" '^64:.*at most 6 servers'

# More lines than the window holds (4096), the last without a newline:
# every line out once, in order.
python3 -c '
for i in range(20000):
    print("source_ip=\"192.0.2.%d\", source_hostname=\"-\", count=\"%d\"" % (10 + i % 2 * 10, i))' >many.kv
printf 'source_ip="192.0.2.10", source_hostname="-", count="last"' >>many.kv
run ptr many.kv
is "20001 lines through a 4096-line window: all out" \
    "$(printf '%s\n' "$out" | wc -l)" 20001
is "... in order, only source_hostname changed" \
    "$(printf '%s\n' "$out" | sed 's/source_hostname="[^"]*"/H/' | md5sum)" \
    "$( (cat many.kv; echo) | sed 's/source_hostname="[^"]*"/H/' | md5sum)"
is "... every one of them looked up" \
    "$(printf '%s\n' "$out" | grep -c 'source_hostname="-"')" 0

# The chain: a gzipped report dropped in, events with names out.
mkdir -p "$S/drop/tmp" "$S/drop/new"
gzip -c "$(ls "$TOP"/samples/google.com*.xml)" >"$S/drop/tmp/g.xml.gz"
mv "$S/drop/tmp/g.xml.gz" "$S/drop/new/g.xml.gz"
[ -n "$RUN_AS" ] && chown -R nobody "$S"
run "$BIN/unzipd" $RUN_AS -d "$S"
is "chain: unzipd exit 0" "$rc" 0
run "$BIN/rua2kv" $RUN_AS -f kv -d "$S"
is "chain: rua2kv exit 0" "$rc" 0
run ptr -d "$S"
is "chain: ptrresolve exit 0" "$rc" 0
is "chain: every record an event with a resolved name" \
    "$(grep -c 'source_hostname="mail.example.com."' "$S/out/new/g.xml.gz-1-1")" \
    "$(grep -c '<source_ip>192.0.2.10</source_ip>' "$TOP"/samples/google.com*.xml)"

finish
