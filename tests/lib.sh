# TAP helpers for the shell tests (tests/t/*.t), in the spirit of mblaze's
# t/lib.sh.  Each test sources this file, says `plan N`, then makes its
# assertions; the numbers and the closing count are printed here.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/bin
SHARED=$(cd "$TOP/.." && pwd)/shared
_n=0
_failed=0

# A scratch directory per test file, removed at exit.  Mode 0755 so the
# unprivileged user of -u can reach what the test puts in it.
T=$(mktemp -d "${TMPDIR:-/tmp}/dmarcpipe-test.XXXXXX")
chmod 755 "$T"
_at_exit='rm -rf "$T"'
trap 'eval "$_at_exit"' EXIT

# at_exit COMMAND: run COMMAND when the test exits, before what was
# asked for earlier; HUP, INT and TERM then exit too, so it runs on them.
at_exit() {
	_at_exit="$1; $_at_exit"
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# watchdog PID: should the test die by SIGKILL, no EXIT trap runs, so a
# background shell kills PID once the test's shell is gone.  $! is its
# pid.
watchdog() {
	_parent=$$
	(
		while kill -0 "$_parent" 2>/dev/null; do sleep 1; done
		kill "$1" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
}

# Root must name an unprivileged user; everyone else runs as themselves.
if [ "$(id -u)" = 0 ]; then
	RUN_AS="-u nobody"
else
	RUN_AS=
fi

plan() { echo "1..$1"; }

ok() {	# ok DESCRIPTION COMMAND...: passes when the command exits 0
	_d=$1; shift
	_n=$((_n + 1))
	if "$@"; then
		echo "ok $_n - $_d"
	else
		echo "not ok $_n - $_d"
		_failed=$((_failed + 1))
	fi
}

is() {	# is DESCRIPTION GOT EXPECTED
	_n=$((_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $_n - $1"
	else
		echo "not ok $_n - $1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
		_failed=$((_failed + 1))
	fi
}

like() {	# like DESCRIPTION GOT GREP-PATTERN
	_n=$((_n + 1))
	if printf '%s\n' "$2" | grep -q -- "$3"; then
		echo "ok $_n - $1"
	else
		echo "not ok $_n - $1"
		printf '#   got:      %s\n#   expected: /%s/\n' "$2" "$3"
		_failed=$((_failed + 1))
	fi
}

skip() {	# skip DESCRIPTION REASON
	_n=$((_n + 1))
	echo "ok $_n - $1 # SKIP $2"
}

# run PROG ARGS...: sets $out, $err and $rc
run() {
	"$@" >"$T/.out" 2>"$T/.err"
	rc=$?
	out=$(cat "$T/.out")
	err=$(cat "$T/.err")
}

# rua2kv with the user switch root needs
rua2kv() { "$BIN/rua2kv" $RUN_AS "$@"; }

# At the end of each test: non-zero exit when an assertion failed.
finish() { exit $((_failed > 0)); }

# sandboxed PROG ARGS...: start PROG reading an empty pipe (its writing
# end held on fd 3), wait up to 5 s for its seccomp filter, and set $pid
# and $status (its /proc status).  Redirect the call for PROG's output;
# feed it with >&3, then `exec 3>&-; wait $pid`.
sandboxed() {
	rm -f "$T/.in"
	mkfifo "$T/.in"
	"$@" <"$T/.in" &
	pid=$!
	exec 3>"$T/.in"
	_i=0
	while [ $_i -lt 50 ] && ! grep -q '^Seccomp:[[:space:]]*2' \
	    "/proc/$pid/status" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	status=$(cat "/proc/$pid/status" 2>/dev/null)
}
