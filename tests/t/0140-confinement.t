#!/bin/sh
# Each program's confinement, tried from the inside: once a program
# waits for its first untrusted byte under its real seccomp filter, code
# that got control in it (tests/unit/sabotage.c, preloaded, acting on
# SIGUSR1) calls execve(2) or socket(2), and the filter kills it before
# the call returns; the sandbox's debug build (bin/debug) names the call
# instead.  As root, each program refuses to start without -u, and
# refuses to go on when its privilege drop doesn't take.
. "$(dirname "$0")/../lib.sh"
if [ "$(uname -s)" != Linux ]; then
	echo "1..0 # SKIP seccomp is Linux's"
	exit 0
fi
built tests/sabotage.so
SHIM=$BIN/tests/sabotage.so
DEBUG=$TOP/bin/debug
if [ ! -x "$DEBUG/mailfetch" ]; then
	echo "1..0 # SKIP no bin/debug (make debug)"
	exit 0
fi
plan 37
cd "$T" || exit 1

# A mailbox server that accepts and never says a word: mailfetch waits
# for its greeting, sandboxed.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
held = []
while True:
	held.append(s.accept()[0])
' "$T/port" &
SILENT=$!
at_exit "kill $SILENT 2>/dev/null"
port_file "$T/port" "the silent server"
mkdir -m 0755 mf
conf_file mf/dmarcpipe.conf mailserver_host=127.0.0.1 \
    "mailserver_port=$_p" mailserver_protocol=IMAP mailserver_user=u \
    connect_timeout=20 io_timeout=20
printf 'mailserver_pwd = p\n' >mf/secrets
chmod 600 mf/secrets
mkdir -m 0777 mfspool

# args PROG: how PROG waits for input in its sandbox
args() {
	case $1 in
	rua2kv) ;;
	unzipd) echo "-x" ;;
	ptrresolve) echo "-s 127.0.0.1" ;;
	mailfetch) echo "-c $T/mf/dmarcpipe.conf -d $T/mfspool" ;;
	esac
}

# attack DIR PROG CALL: PROG from DIR, waiting under its filter, makes
# CALL; $st is its exit status, $err what it said.
attack() {
	rm -f escaped
	# shellcheck disable=SC2046
	LD_PRELOAD=$SHIM DMARCPIPE_SABOTAGE=$3 sandboxed "$1/$2" $RUN_AS \
	    $(args "$2") >escaped 2>attack.err
	sb=$(printf '%s\n' "$status" | sed -n 's/^Seccomp:[[:space:]]*//p')
	kill -USR1 "$pid"
	wait "$pid" 2>/dev/null
	st=$?
	exec 3>&-
	err=$(cat attack.err)
}

for prog in rua2kv unzipd ptrresolve mailfetch; do
	attack "$BIN" "$prog" execve
	is "$prog: seccomp filter on while it waits" "$sb" 2
	is "$prog: execve kills it (SIGSYS)" "$st" $((128 + 31))
	is "$prog: ... no shell ran" "$(cat escaped)" ""
	attack "$DEBUG" "$prog" execve
	is "$prog, debug build: execve named, exit 70" "$st:$err" \
	    "70:sandbox: forbidden system call execve (59)"
	case $prog in
	mailfetch) continue ;;	# its sandbox makes TCP connections
	esac
	attack "$BIN" "$prog" socket
	is "$prog: socket kills it (SIGSYS)" "$st" $((128 + 31))
	attack "$DEBUG" "$prog" socket
	is "$prog, debug build: socket named" "$st:$err" \
	    "70:sandbox: forbidden system call socket (41)"
done

# -- privileges, as root
if [ "$(id -u)" != 0 ]; then
	skips 15 "privileges" "not root"
	finish
	exit 0
fi
for prog in rua2kv unzipd ptrresolve mailfetch; do
	# shellcheck disable=SC2046
	run "$BIN/$prog" $(args "$prog") </dev/null
	is "$prog as root without -u: exit 77" "$rc" 77
	like "$prog ... says to use -u" "$err" "^$prog: .*-u"
	case $prog in
	rua2kv|ptrresolve) ;;
	*) continue ;;
	esac
	# shellcheck disable=SC2046
	LD_PRELOAD=$SHIM DMARCPIPE_SABOTAGE=noop-setresuid run "$BIN/$prog" \
	    -u nobody $(args "$prog") </dev/null
	is "$prog, a drop that doesn't take: exit 77" "$rc:$(printf %s "$out" |
	    wc -c)" "77:0"
	like "$prog ... says the ids did not change" "$err" \
	    "^$prog: -u nobody: ids did not change"
done
LD_PRELOAD=$SHIM DMARCPIPE_SABOTAGE=lie-setresuid run "$BIN/rua2kv" \
    -u nobody </dev/null
is "rua2kv, getresuid lying about the drop: exit 77" "$rc" 77
like "... root could be regained, it says" "$err" \
    '^rua2kv: -u nobody: root could be regained'
LD_PRELOAD=$SHIM DMARCPIPE_SABOTAGE=lie-setresuid run "$BIN/unzipd" \
    -u nobody -x </dev/null
is "unzipd, the same: exit 77" "$rc" 77
finish
