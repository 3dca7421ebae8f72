#!/bin/sh
# tests/syslog.sh itself, fed the way scripts/dmarcpipe feeds syslog
# (logger --prio-prefix -u SOCKET -t dmarcpipe): each PRI gives its
# facility and severity, long lines, quotes, backslashes and UTF-8 come
# through whole, many lines keep their order, only the test's socket is
# served, and nothing is left running after the test, however it ends.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/syslog.sh"
syslog_start
plan 22

# alive PID: a process, and not a zombie waiting for init to reap it
alive() {
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# the lines of SYSLOG_FILE from TAG, as they are
from() { grep "^[a-z0-9]*\.[a-z]* $1: " "$SYSLOG_FILE"; }

# as scripts/dmarcpipe logs: PRI-prefixed lines on stdin
dlog() { logger --prio-prefix -u "$SYSLOG_SOCK" -t dmarcpipe; }

# The daemon: the one started, serving only the test's socket.
is "rsyslogd runs as SYSLOG_PID" \
    "$(cat "/proc/$SYSLOG_PID/comm" 2>/dev/null)" rsyslogd
is "its pid file is in \$T" "$(cat "$SYSLOG_DIR/rsyslogd.pid")" "$SYSLOG_PID"
ok "SYSLOG_SOCK is a socket in \$T" \
    sh -c 'case $1 in "$2"/*) test -S "$1";; *) false;; esac' - \
    "$SYSLOG_SOCK" "$T"
inodes=$(for f in "/proc/$SYSLOG_PID/fd"/*; do readlink "$f"; done |
    sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
is "rsyslogd listens on SYSLOG_SOCK and no other named socket" \
    "$(awk -v ino=" $inodes" 'NR > 1 && NF >= 8 &&
	index(ino, " " $7 " ") { print $8 }' /proc/net/unix | sort -u)" \
    "$SYSLOG_SOCK"
is "rsyslogd reads no kernel log" \
    "$(for f in "/proc/$SYSLOG_PID/fd"/*; do readlink "$f"; done |
    grep -c 'kmsg')" 0
is "SYSLOG_FILE is there, empty: the start-up probe went elsewhere" \
    "$(wc -c <"$SYSLOG_FILE")" 0

# Facility and severity from the PRI, as the script writes them.
printf '<%s>pri %s\n' 28 28 27 27 30 30 31 31 26 26 24 24 11 11 134 134 \
    187 187 | dlog
syslog_wait 'dmarcpipe: pri 187$'
is "PRI -> facility.severity" "$(from dmarcpipe)" "$(cat <<'EOF'
daemon.warning dmarcpipe: pri 28
daemon.err dmarcpipe: pri 27
daemon.info dmarcpipe: pri 30
daemon.debug dmarcpipe: pri 31
daemon.crit dmarcpipe: pri 26
daemon.emerg dmarcpipe: pri 24
user.err dmarcpipe: pri 11
local0.info dmarcpipe: pri 134
local7.err dmarcpipe: pri 187
EOF
)"

# A kv line with quotes, backslashes and UTF-8, byte for byte.
kv='time=2026-11-29T08:42:35Z level=error program=unzipd pid=42'
kv=$kv' message="mail \"a\\b\" from C:\\dir\\ said \\\"hi\\\" in Größe ✓'
kv=$kv' $HOME `x` '"'"'q'"'"'"'
printf '<27>%s\n' "$kv" | logger --prio-prefix -u "$SYSLOG_SOCK" -t kv
syslog_wait ' kv: '
is "quotes, backslashes and UTF-8 intact" "$(from kv)" "daemon.err kv: $kv"
printf '<27>a\tb\n' | logger --prio-prefix -u "$SYSLOG_SOCK" -t tab
syslog_wait ' tab: '
is "a tab arrives as #011" "$(from tab)" "daemon.err tab: a#011b"

# Long lines: whole with --size up to rsyslogd's 64 KiB; logger alone
# cuts at 1 KiB.
long=$(awk 'BEGIN { for (i = 0; i < 6000; i++) printf "%c", 97 + i % 26;
    print "END" }')
printf '<28>%s\n' "$long" |
    logger --size 65536 --prio-prefix -u "$SYSLOG_SOCK" -t long
syslog_wait ' long: '
is "a 6003-byte line, whole, with --size" "$(from long)" \
    "daemon.warning long: $long"
huge=$(awk 'BEGIN { for (i = 0; i < 70000; i++) printf "x"; print "" }')
printf '<28>%s\n' "$huge" |
    logger --size 100000 --prio-prefix -u "$SYSLOG_SOCK" -t huge
syslog_wait ' huge: '
n=$(from huge | sed 's/^[^:]*: //' | tr -d '\n' | tr -d x | wc -c)
len=$(from huge | wc -c)
ok "a 70000-byte line: cut to rsyslogd's 64 KiB, header included ($len)" \
    test "$n" = 0 -a "$len" -gt 65000 -a "$len" -le 65536
printf '<28>%s\n' "$(printf '%2500s' '' | tr ' ' y)" |
    logger --prio-prefix -u "$SYSLOG_SOCK" -t split
syslog_wait ' split: y{452}$'
is "without --size, logger makes 2500 bytes 3 messages" \
    "$(from split | awk '{ print $1, length($3) }' | tr '\n' ' ')" \
    "daemon.warning 1024 daemon.warning 1024 daemon.warning 452 "

# Many lines from one logger at once: none dropped, none reordered.
seq 1 500 | sed 's/^/<30>line /' |
    logger --prio-prefix -u "$SYSLOG_SOCK" -t order
syslog_wait ' order: line 500$'
seq 1 500 | sed 's/^/daemon.info order: line /' >"$T/order.want"
from order >"$T/order.got"
ok "500 lines, all there, in order" cmp -s "$T/order.got" "$T/order.want"

# syslog_wait itself
ok "syslog_wait: a line already there" syslog_wait '^daemon\.err kv: ' 1
run syslog_wait 'never sent' 1
is "syslog_wait: a line never sent, non-zero after SECONDS" "$rc" 1

# The socket is open to the unprivileged user of -u.
if [ "$(id -u)" = 0 ]; then
	printf '<28>from nobody\n' |
	    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    logger --socket-errors=on --prio-prefix -u "$SYSLOG_SOCK" -t nobody
	syslog_wait ' nobody: ' 2
	is "a logger run as nobody gets through" "$(from nobody)" \
	    "daemon.warning nobody: from nobody"
else
	skip "a logger run as nobody gets through" "not root"
fi

# Stopped, the daemon and its socket are gone; started again, the file
# goes on.
pid=$SYSLOG_PID
syslog_stop
ok "syslog_stop: rsyslogd gone" sh -c '! test -e "/proc/$1"' - "$pid"
ok "syslog_stop: its socket removed" test ! -e "$SYSLOG_SOCK"
syslog_start
ok "syslog_start again: a new rsyslogd" test "$SYSLOG_PID" != "$pid"
printf '<28>after restart\n' | dlog
syslog_wait 'dmarcpipe: after restart$'
is "SYSLOG_FILE goes on after a restart" \
    "$(from dmarcpipe | sed -n '1p;$p' | tr '\n' '|')" \
    "daemon.warning dmarcpipe: pri 28|daemon.warning dmarcpipe: after restart|"

# In child tests (a copy of this file's start, their $T inside ours),
# rsyslogd must be gone once the test exits, or is killed.
cat >"$T/child.t" <<EOF
#!/bin/sh
. "$TOP/tests/lib.sh"
. "$TOP/tests/syslog.sh"
syslog_start
echo "\$SYSLOG_PID \$(cat /proc/\$SYSLOG_PID/comm)"
[ "\${1:-}" = hang ] || exit 0
while :; do sleep 0.1; done
EOF
# gone PID COMM: PID was rsyslogd, and is no longer (zombies waiting for
# init to reap them don't count)
gone() {
	[ "${2:-}" = rsyslogd ] && ! alive "$1" && return 0
	echo "#   child said \"$*\"; alive: $(alive "${1:-0}" && echo yes)"
	return 1
}
ok "child test: rsyslogd gone at its exit" \
    gone $(TMPDIR=$T sh "$T/child.t" 2>&1 | tail -1)
TMPDIR=$T sh "$T/child.t" hang >"$T/child.out" 2>&1 &
child=$!
i=0
while [ $i -lt 100 ] && ! grep -q rsyslogd "$T/child.out"; do
	sleep 0.05
	i=$((i + 1))
done
set -- $(tail -1 "$T/child.out")
kill -KILL $child
wait $child 2>/dev/null
i=0
while [ $i -lt 60 ] && alive "${1:-0}"; do
	sleep 0.05
	i=$((i + 1))
done
ok "child test killed by SIGKILL: rsyslogd gone within 3 s" gone "$@"
# Its orphan is init's to reap, which may take a second or two here:
# wait, so that nothing, not even a zombie, outlives this test.
i=0
while [ $i -lt 100 ] && [ -e "/proc/${1:-0}" ]; do
	sleep 0.05
	i=$((i + 1))
done

finish
