#!/bin/sh
# rua2kv's sandbox and privilege drop, read from the kernel's side: the
# seccomp filter is on before the first byte is read, privileges are
# gone, and root is refused without a user to become.
. "$(dirname "$0")/../lib.sh"
plan 9
cd "$T" || exit 1

if [ "$(uname -s)" != Linux ]; then
	i=0; while [ $i -lt 9 ]; do skip "sandbox" "Linux only"; i=$((i + 1)); done
	exit 0
fi

# rua2kv waits on an empty pipe: by then it must be sandboxed.
sandboxed "$BIN/rua2kv" $RUN_AS >out 2>err
like "filter mode: seccomp filter on while waiting for input" "$status" \
    '^Seccomp:[[:space:]]*2$'
like "filter mode: no new privileges" "$status" '^NoNewPrivs:[[:space:]]*1$'
if [ -n "$RUN_AS" ]; then
	nobody=$(id -u nobody)
	like "filter mode: runs as nobody (real, effective, saved, fs)" "$status" \
	    "^Uid:[[:space:]]*$nobody[[:space:]]*$nobody[[:space:]]*$nobody[[:space:]]*$nobody\$"
	like "filter mode: no group but nobody's own" "$status" \
	    "^Groups:[[:space:]]*\\($(id -g nobody)\\)\\{0,1\\}[[:space:]]*\$"
else
	skip "filter mode: runs as nobody" "not root"
	skip "filter mode: no group but nobody's own" "not root"
fi
like "filter mode: no capabilities" "$status" '^CapEff:[[:space:]]*0*$'
cat "$TOP/tests/fixtures/basic.xml" >&3
exec 3>&-
wait $pid
is "filter mode: the report still converted inside the sandbox" \
    "$(cat out)" "$(sed 's/"file_name": "basic.xml", //' \
    "$TOP/tests/fixtures/basic.json")"

if [ "$(id -u)" = 0 ]; then
	run "$BIN/rua2kv" "$TOP/tests/fixtures/basic.xml"
	is "root without -u: exit 77" "$rc" 77
	like "root without -u: says why" "$err" '^rua2kv: .*-u'
	# A file only root can read: opened before the drop, read after it.
	cp "$TOP/tests/fixtures/basic.xml" secret.xml
	chmod 0600 secret.xml
	run "$BIN/rua2kv" -u nobody secret.xml
	is "root-only file opened before the drop" "$rc:$(echo "$out" | wc -l)" "0:2"
else
	skip "root without -u: exit 77" "not root"
	skip "root without -u: says why" "not root"
	skip "root-only file opened before the drop" "not root"
fi

finish
