# A real syslog daemon for the tests of log_destination = syslog:
# Debian's rsyslogd, reading a unix socket in $T and writing each message
# to a file there, all of it under $T.  Sourced after lib.sh and before
# `plan`:
#
#	. "$(dirname "$0")/../syslog.sh"	# 1..0 # SKIP when rsyslogd is missing
#	syslog_start		# exports SYSLOG_SOCK and SYSLOG_FILE
#	printf '<28>text\n' | logger --prio-prefix -u "$SYSLOG_SOCK" -t dmarcpipe
#	syslog_wait '^daemon\.warning dmarcpipe: text$' [SECONDS]
#	syslog_stop		# also at exit; a later syslog_start restarts
#
# SYSLOG_FILE gets one line a message, "FACILITY.SEVERITY TAG: MESSAGE"
# ("daemon.warning dmarcpipe: text"; rsyslog's words: err, crit, emerg,
# local0 ...).  It exists, empty, once syslog_start returns, and holds
# only what the test sent: the harness's own probe and rsyslogd's
# messages go elsewhere in SYSLOG_DIR.  SYSLOG_PID is rsyslogd's pid.
#
# Nothing of the system's is used: no /dev/log, no kernel log, no
# /etc/rsyslog.conf, no /var/spool/rsyslog.  The daemon runs as whoever
# runs the test; the socket is open to all (mode 0666 in a 0755
# directory), so a stage run as -u nobody can log too.
#
# What rsyslog and logger(1) do to a message, as seen here (rsyslog
# 8.2302, util-linux 2.38):
# - rsyslogd keeps messages up to 64 KiB here (maxMessageSize; its
#   default, and a stock system's, is 8 KiB), cutting longer ones.
#   logger's own limit is 1 KiB (--size): a longer line on its stdin
#   becomes several messages, a longer argument is cut.
# - Control characters arrive escaped: a tab as "#011".  Quotes,
#   backslashes and UTF-8 arrive as sent.
# - logger --prio-prefix reads "<PRI>" on stdin only (an argument keeps
#   it as text); a line without one gets the priority of the last line
#   that had one (-p's, user.notice, before any); facility 0 (kern)
#   becomes -p's facility.
# - logger -u SOCKET says nothing and exits 0 when SOCKET is missing,
#   unless --socket-errors=on.
# - rsyslogd chdirs to /: every path in its config is absolute.
# - No rate limit (rsyslog's default, said here; journald's /dev/log
#   has its own).

installed -s rsyslogd logger
_syslog_rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)

SYSLOG_DIR=$T/syslog
SYSLOG_SOCK=$SYSLOG_DIR/log.sock
SYSLOG_FILE=$SYSLOG_DIR/messages
mkdir "$SYSLOG_DIR" && chmod 755 "$SYSLOG_DIR" || exit 1
export SYSLOG_SOCK SYSLOG_FILE
SYSLOG_PID=
_syslog_watch=
_syslog_starts=0

at_exit syslog_stop

# The configuration: the test's socket feeds the "harness" ruleset, whose
# probe messages go to probe.log and the rest to SYSLOG_FILE; rsyslogd's
# own messages (the default ruleset) to rsyslogd.log.  The template
# leaves out the timestamp and host, which no test can predict.
_syslog_conf() {
	cat <<-EOF
	# Written by tests/syslog.sh; nothing from /etc is read.
	global(workDirectory="$SYSLOG_DIR/work" maxMessageSize="64k"
	    net.enableDNS="off")
	module(load="imuxsock" SysSock.Use="off")
	input(type="imuxsock" socket="$SYSLOG_SOCK" ruleset="harness"
	    rateLimit.interval="0")
	template(name="harness" type="string"
	    string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\n")
	ruleset(name="harness") {
	    if \$programname == "syslog-harness-probe" then {
	        action(type="omfile" file="$SYSLOG_DIR/probe.log"
	            template="harness")
	        stop
	    }
	    action(type="omfile" file="$SYSLOG_FILE" template="harness")
	}
	action(type="omfile" file="$SYSLOG_DIR/rsyslogd.log")
	EOF
}

# syslog_start: write the configuration, start rsyslogd in the
# foreground of a background job, and return once a probe sent to
# SYSLOG_SOCK with logger has come out of the template as expected (for
# at most 10 s).  Exits the test on failure.
syslog_start() {
	# sun_path holds 107 bytes and a name
	if [ ${#SYSLOG_SOCK} -gt 100 ]; then
		echo "syslog.sh: $SYSLOG_SOCK: too long for a socket;" \
		    "set a shorter TMPDIR" >&2
		exit 1
	fi
	case $SYSLOG_DIR in
	*[\"\\]*)
		echo "syslog.sh: $SYSLOG_DIR: a quote or backslash in" \
		    "the path; set another TMPDIR" >&2
		exit 1
		;;
	esac
	mkdir -p "$SYSLOG_DIR/work" || exit 1
	_syslog_conf >"$SYSLOG_DIR/rsyslog.conf"
	# With a bad line rsyslogd runs on without it: check first.
	if ! "$_syslog_rsyslogd" -N1 -f "$SYSLOG_DIR/rsyslog.conf" \
	    >"$SYSLOG_DIR/rsyslogd.out" 2>&1; then
		echo "syslog.sh: rsyslog.conf refused:" >&2
		cat "$SYSLOG_DIR/rsyslogd.out" >&2
		exit 1
	fi
	rm -f "$SYSLOG_SOCK" "$SYSLOG_DIR/rsyslogd.pid" \
	    "$SYSLOG_DIR/probe.log"
	[ -e "$SYSLOG_FILE" ] || : >"$SYSLOG_FILE"
	_syslog_starts=$((_syslog_starts + 1))
	_syslog_tag=${T##*/}.$_syslog_starts
	"$_syslog_rsyslogd" -n -f "$SYSLOG_DIR/rsyslog.conf" \
	    -i "$SYSLOG_DIR/rsyslogd.pid" </dev/null \
	    >"$SYSLOG_DIR/rsyslogd.out" 2>&1 &
	SYSLOG_PID=$!
	watchdog "$SYSLOG_PID"
	_syslog_watch=$!
	_syslog_sent=
	_syslog_now
	_syslog_end=$((_syslog_t + 1000))
	while [ "$_syslog_t" -lt "$_syslog_end" ]; do
		if [ -z "$_syslog_sent" ] && [ -S "$SYSLOG_SOCK" ] &&
		    logger --socket-errors=on -u "$SYSLOG_SOCK" \
		    -t syslog-harness-probe "$_syslog_tag" 2>/dev/null; then
			_syslog_sent=yes
		fi
		if grep -q -F -x \
		    "user.notice syslog-harness-probe: $_syslog_tag" \
		    "$SYSLOG_DIR/probe.log" 2>/dev/null; then
			return 0
		fi
		kill -0 "$SYSLOG_PID" 2>/dev/null || break
		sleep 0.05
		_syslog_now
	done
	echo "syslog.sh: rsyslogd did not start or passed no probe" \
	    "(probe sent: ${_syslog_sent:-no}):" >&2
	cat "$SYSLOG_DIR/rsyslogd.out" "$SYSLOG_DIR/rsyslogd.log" \
	    "$SYSLOG_DIR/probe.log" >&2 2>/dev/null
	syslog_stop
	exit 1
}

# syslog_stop: TERM, and wait for rsyslogd, which writes what it has
# queued and removes its socket before it exits.
syslog_stop() {
	[ -n "$_syslog_watch" ] && kill "$_syslog_watch" 2>/dev/null
	if [ -n "$SYSLOG_PID" ] && kill "$SYSLOG_PID" 2>/dev/null; then
		# (bash reports a job killed by a signal unless its stderr
		# is away)
		{ wait "$SYSLOG_PID"; } 2>/dev/null
	fi
	_syslog_watch=
	SYSLOG_PID=
	return 0
}

# syslog_wait PATTERN [SECONDS]: until a line of SYSLOG_FILE matches the
# extended regular expression PATTERN, for at most SECONDS (5, a whole
# number); non-zero when none did.  The clock is /proc/uptime, read
# without a fork: on a busy machine `sleep 0.05` takes twice that.
syslog_wait() {
	_syslog_now
	_syslog_end=$((_syslog_t + ${2:-5} * 100))
	while ! grep -E -q -- "$1" "$SYSLOG_FILE" 2>/dev/null; do
		_syslog_now
		[ "$_syslog_t" -ge "$_syslog_end" ] && return 1
		sleep 0.05
	done
}

_syslog_now() {	# $_syslog_t: the uptime in hundredths of a second
	read -r _syslog_t _ </proc/uptime
	_syslog_t=${_syslog_t%.*}${_syslog_t#*.}
	_syslog_t=${_syslog_t#"${_syslog_t%%[!0]*}"}	# no leading 0: not octal
	_syslog_t=${_syslog_t:-0}
}
