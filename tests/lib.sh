# TAP helpers for the shell tests (tests/t/*.t), in the spirit of mblaze's
# t/lib.sh.  Each test sources this file, says `plan N`, then makes its
# assertions; the numbers and the closing count are printed here.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
# The programs: bin/, or the sanitizer build's bin/san when `make
# check-sanitized` says so (scripts/dmarcpipe reads the same variable).
BIN=${DMARCPIPE_BIN:-$TOP/bin}
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

# test_tls DIR: a CA made now (DIR/ca.crt, ca.key), a server
# certificate it signed for localhost and 127.0.0.1 (DIR/server.crt,
# server.key), and a CA that signed nothing here (DIR/badca.crt).  EC
# keys: RSA keygen would be most of a harness's start.  A config file of
# our own, so the system's openssl.cnf adds no extensions.
test_tls() {
	_tls=$1
	mkdir -p "$_tls" || return 1
	printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n' \
	    >"$_tls/req.cnf"
	printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
	    'keyUsage = critical, digitalSignature' \
	    'extendedKeyUsage = serverAuth' \
	    'subjectAltName = DNS:localhost, IP:127.0.0.1' >"$_tls/server.ext"
	for _ca in ca:"dmarcpipe test CA" badca:"unrelated test CA"; do
		_tls_req req -x509 -days 2 -subj "/CN=${_ca#*:}" \
		    -addext 'basicConstraints = critical, CA:TRUE' \
		    -addext 'keyUsage = critical, keyCertSign, cRLSign' \
		    -keyout "$_tls/${_ca%%:*}.key" -out "$_tls/${_ca%%:*}.crt" ||
		    return 1
	done
	_tls_req req -new -subj /CN=localhost \
	    -keyout "$_tls/server.key" -out "$_tls/server.csr" &&
	openssl x509 -req -in "$_tls/server.csr" -days 2 -set_serial 2 \
	    -CA "$_tls/ca.crt" -CAkey "$_tls/ca.key" \
	    -extfile "$_tls/server.ext" -out "$_tls/server.crt" \
	    2>"$_tls/openssl.err" ||
	    { cat "$_tls/openssl.err" >&2; return 1; }
	chmod 644 "$_tls"/*.crt
}

_tls_req() {	# openssl req with a new P-256 key, no passphrase
	openssl "$@" -config "$_tls/req.cnf" -nodes \
	    -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    2>"$_tls/openssl.err" ||
	    { cat "$_tls/openssl.err" >&2; return 1; }
}

# port_file FILE WHAT: wait up to 5 s for a server started in the
# background to write the port it listens on into FILE; $_p is it.  A
# server that writes anything else, or nothing, ends the test, said.
port_file() {
	_i=0
	while [ $_i -lt 100 ] && ! grep -qs '^[0-9][0-9]*$' "$1"; do
		sleep 0.05
		_i=$((_i + 1))
	done
	_p=$(cat "$1" 2>/dev/null)
	case $_p in
	''|*[!0-9]*)
		echo "$2 did not start: $_p" >&2
		exit 1
		;;
	esac
}

# conf_file FILE DEFAULT... -- SETTING...: a dmarcpipe.conf, "[main]"
# and KEY = VALUE lines: each KEY=VALUE default whose key no SETTING
# names, then the SETTINGs.
conf_file() {
	_cf=$1
	shift
	_defaults=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_defaults="$_defaults
$1"
		shift
	done
	[ $# -gt 0 ] && shift
	{
		echo '[main]'
		printf '%s\n' "$_defaults" | while IFS= read -r _kv; do
			[ -n "$_kv" ] || continue
			for _s in "$@"; do
				[ "${_s%%=*}" = "${_kv%%=*}" ] && continue 2
			done
			printf '%s = %s\n' "${_kv%%=*}" "${_kv#*=}"
		done
		for _kv in "$@"; do
			printf '%s = %s\n' "${_kv%%=*}" "${_kv#*=}"
		done
	} >"$_cf"
}

# crash_loop ERRFILE COMMAND...: start COMMAND in the background (its
# stderr appended to ERRFILE) and SIGKILL it at a random moment, again
# and again, until a run ends by itself; the n-th run may live up to
# 20 + 10n ms, so the early kills land in its start-up and the later
# ones deeper in its work.  $kills counts the kills, $rc is the status
# of the run that ended by itself.
crash_loop() {
	_errf=$1
	shift
	kills=0
	rc=
	while [ $kills -lt 300 ]; do
		"$@" 2>>"$_errf" &
		_pid=$!
		sleep "$(od -An -N2 -tu2 /dev/urandom | awk -v max=$((20 +
		    10 * kills)) '{ printf "%.3f", ($1 % max) / 1000 }')"
		if kill -KILL $_pid 2>/dev/null; then
			wait $_pid 2>/dev/null
			kills=$((kills + 1))
			continue
		fi
		wait $_pid
		rc=$?
		break
	done
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

skips() {	# skips N DESCRIPTION REASON: N skipped tests
	_k=0
	while [ $_k -lt "$1" ]; do
		skip "$2" "$3"
		_k=$((_k + 1))
	done
}

# installed [-s] CMD...: the whole test is skipped unless each command
# CMD is in PATH (with -s: or in /usr/sbin, which a user's PATH may lack,
# for a harness that calls it by its full name there)
installed() {
	_sbin=
	[ "$1" != -s ] || { _sbin=/usr/sbin; shift; }
	for _cmd in "$@"; do
		if ! command -v "$_cmd" >/dev/null 2>&1 &&
		    ! { [ -n "$_sbin" ] && [ -x "$_sbin/$_cmd" ]; }; then
			echo "1..0 # SKIP $_cmd not installed (scripts/install-deps)"
			exit 0
		fi
	done
}

# built PROG...: the whole test is skipped unless each of our programs
# PROG is built
built() {
	for _prog in "$@"; do
		if [ ! -x "$BIN/$_prog" ]; then
			echo "1..0 # SKIP no bin/$_prog"
			exit 0
		fi
	done
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
