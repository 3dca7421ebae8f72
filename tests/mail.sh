# A real IMAP and POP3 server for the tests that fetch mail: Debian's
# dovecot 2.3 on 127.0.0.1 at free high ports, with a CA made at test
# time, all of it under $T.  Sourced after lib.sh and before `plan`:
#
#	. "$(dirname "$0")/../mail.sh"	# 1..0 # SKIP when dovecot is missing
#	mail_start		# exports the MAIL_* variables below
#	mail_put FOLDER [FILE...]	# append mails (FOLDER made if missing)
#	mail_put_flags FLAGS FOLDER FILE...	# the same, with FLAGS ('\Seen')
#	mail_uids FOLDER		# UIDs, ascending, one a line
#	mail_fetch FOLDER		# UID<TAB>FLAGS<TAB>SUBJECT a line
#	mail_count FOLDER		# messages (0 when no such folder)
#	mail_folders			# every folder name, UTF-8, sorted
#	mail_uidvalidity FOLDER		# the folder's UIDVALIDITY
#	mail_doveadm ARGS...		# any other doveadm command
#	mail_stall		# exports STALL_PORT: accepts, then silence
#	mail_greet_stall	# exports GSTALL_PORT: greets, then silence
#	mail_stop		# also at exit; a later mail_start restarts
#
# mail_start exports
#	MAIL_IMAP_PORT MAIL_IMAPS_PORT MAIL_POP3_PORT MAIL_POP3S_PORT
#	MAIL_USER, MAIL_PASS	dmarc and a password with a space and a '"'
#	MAIL_CA		the CA that signed the server's certificate, whose
#			names are localhost and 127.0.0.1
#	MAIL_BADCA	a CA that signed nothing here ("bad certificate")
#	MAIL_NOTLS_ADDR	127.0.0.2: the same IMAP and POP3 ports offer no
#			STARTTLS/STLS there (and there is no IMAPS/POP3S)
#	MAIL_CONF, MAIL_MAILDIR, MAIL_LOG	dovecot.conf, the user's
#			maildir, dovecot's log
# Everything listens on loopback only.  Plaintext logins are allowed on
# the plain ports.  A failed login is answered within half a second (the
# auth process's failure timer; there is no setting below it) and slows
# no later login.  The server has MOVE, UIDPLUS and IDLE.
#
# Folders: "/" separates levels ("Berichte/Größe ✓"); names are UTF-8
# here and modified UTF-7 on the wire.  The maildir++ layout forbids "."
# in a name.  IMAP folds "Inbox/x" to "INBOX/x", and a parent of a nested
# folder is listed even when it holds nothing (\Noselect).  The mail
# functions need a running server (doveadm asks it for the user) and
# return non-zero with doveadm's message on failure.  Reading mails with
# doveadm takes their \Recent flag, so mail_fetch never shows it.
#
# As root the mail belongs to nobody (so nobody must reach $T) and
# dovecot drops to its own users (dovecot, dovenull); anyone else runs
# the whole server as themselves.

installed -s dovecot doveadm openssl python3
_mail_dovecot=$(command -v dovecot || echo /usr/sbin/dovecot)
_mail_doveadm=$(command -v doveadm || echo /usr/sbin/doveadm)
# The interpreter itself, found once: a wrapper in front of it (pyenv's
# shim) costs a third of a second a call.
_mail_python=$(python3 -c 'import sys; print(sys.executable)')
[ -x "$_mail_python" ] || _mail_python=python3
if [ "$(id -u)" = 0 ]; then
	for _c in dovecot dovenull nobody; do
		if ! id "$_c" >/dev/null 2>&1; then
			echo "1..0 # SKIP no user $_c for dovecot"
			exit 0
		fi
	done
fi

MAIL_DIR=$T/dovecot
mkdir "$MAIL_DIR" && chmod 755 "$MAIL_DIR" || exit 1
MAIL_CONF=$MAIL_DIR/dovecot.conf
MAIL_LOG=$MAIL_DIR/log/dovecot.log
MAIL_USER=dmarc
MAIL_PASS='pa ss"word'
MAIL_MAILDIR=$MAIL_DIR/home/$MAIL_USER/Maildir
MAIL_CA=$MAIL_DIR/tls/ca.crt
MAIL_BADCA=$MAIL_DIR/tls/badca.crt
MAIL_NOTLS_ADDR=127.0.0.2
export MAIL_CONF MAIL_LOG MAIL_USER MAIL_PASS MAIL_MAILDIR MAIL_CA \
    MAIL_BADCA MAIL_NOTLS_ADDR
_mail_pid=
_mail_watch=
_mail_listen_pids=

at_exit mail_stop

mail_doveadm() { "$_mail_doveadm" -c "$MAIL_CONF" "$@"; }

# The owner of the mail.  Dovecot refuses uid 0 for mail, so root hands
# it to nobody; anyone else keeps it.
_mail_owner() {
	if [ "$(id -u)" = 0 ]; then
		_mail_uid=$(id -u nobody) _mail_gid=$(id -g nobody)
	else
		_mail_uid=$(id -u) _mail_gid=$(id -g)
	fi
}

# As root, a directory above $T closed to others (TMPDIR made by mktemp
# -d, say) would show as "Login denied" only: say what it is.
_mail_reachable() {
	[ "$(id -u)" = 0 ] || return 0
	_d=$MAIL_DIR
	while [ "$_d" != / ]; do
		case $(ls -ld "$_d") in
		?????????[xt]*) ;;
		*)	echo "mail.sh: $_d is closed to nobody, the mail's" \
			    "owner; chmod o+x it or set TMPDIR" >&2
			exit 1
			;;
		esac
		_d=$(dirname "$_d")
	done
}

# Four ports free on 127.0.0.1, the plain ones on 127.0.0.2 too, chosen
# by the kernel so that tests running side by side don't pick the same.
# Another process may take one before dovecot binds: mail_start then
# tries again.
_mail_free_ports() {
	"$_mail_python" -c '
import socket
held, ports = [], []
while len(ports) < 4:
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.2", port))
    except OSError:
        continue
    held += [a, b]
    ports.append(port)
print(*ports)'
}

_mail_conf() {	# _mail_conf TAG
	if [ "$(id -u)" = 0 ]; then
		_iu=dovecot _lu=dovenull _ig=dovecot _chroot='#'
	else
		_iu=$(id -un) _lu=$(id -un) _ig=$(id -gn) _chroot=
	fi
	cat <<-EOF
	# Written by tests/mail.sh; nothing from /etc/dovecot is read.
	protocols = imap pop3
	listen = 127.0.0.1, $MAIL_NOTLS_ADDR
	base_dir = $MAIL_DIR/run
	state_dir = $MAIL_DIR/state
	log_path = $MAIL_LOG
	# Its tag tells mail_start that this server is the one it started.
	login_greeting = dmarcpipe test $1 ready.
	default_internal_user = $_iu
	default_login_user = $_lu
	default_internal_group = $_ig
	first_valid_uid = 1

	ssl = yes
	ssl_cert = <$MAIL_DIR/tls/server.crt
	ssl_key = <$MAIL_DIR/tls/server.key
	ssl_min_protocol = TLSv1.2
	local $MAIL_NOTLS_ADDR {
	  ssl = no
	}

	disable_plaintext_auth = no
	auth_mechanisms = plain login
	auth_failure_delay = 0
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $MAIL_DIR/users
	}
	userdb {
	  driver = passwd-file
	  args = username_format=%u $MAIL_DIR/users
	}

	mail_location = maildir:~/Maildir
	namespace inbox {
	  inbox = yes
	  separator = /
	}
	pop3_uidl_format = %08Xu%08Xv

	service imap-login {
	  inet_listener imap {
	    port = $MAIL_IMAP_PORT
	  }
	  inet_listener imaps {
	    address = 127.0.0.1
	    port = $MAIL_IMAPS_PORT
	    ssl = yes
	  }
	$_chroot  chroot =
	}
	service pop3-login {
	  inet_listener pop3 {
	    port = $MAIL_POP3_PORT
	  }
	  inet_listener pop3s {
	    address = 127.0.0.1
	    port = $MAIL_POP3S_PORT
	    ssl = yes
	  }
	$_chroot  chroot =
	}
	# No per-address penalty after a failed login: it would delay every
	# later login from 127.0.0.1 by seconds.
	service anvil {
	$_chroot  chroot =
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	EOF
}

# Until every port greets with TAG (IMAPS and POP3S after a handshake
# that checks the certificate against MAIL_CA), for at most 5 s; fails
# at once when dovecot has exited.
_mail_wait() {	# _mail_wait TAG PID
	"$_mail_python" - "$@" "$MAIL_CA" "127.0.0.1:$MAIL_IMAP_PORT" \
	    "$MAIL_NOTLS_ADDR:$MAIL_IMAP_PORT" "127.0.0.1:$MAIL_POP3_PORT" \
	    "$MAIL_NOTLS_ADDR:$MAIL_POP3_PORT" "tls:$MAIL_IMAPS_PORT" \
	    "tls:$MAIL_POP3S_PORT" <<-'EOF'
	import os, socket, ssl, sys, time
	tag, pid, ca = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
	todo = sys.argv[4:]
	ctx = ssl.create_default_context(cafile=ca)
	def greets(target):
	    host, port = target.split(":")
	    tls = host == "tls"
	    try:
	        s = socket.create_connection(
	            ("127.0.0.1" if tls else host, int(port)), timeout=1)
	        if tls:
	            s = ctx.wrap_socket(s, server_hostname="localhost")
	        with s:
	            line = s.makefile("rb").readline()
	    except OSError:
	        return False
	    return tag in line
	def running():
	    try:
	        with open("/proc/%d/stat" % pid) as f:
	            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
	    except OSError:
	        return False
	end = time.monotonic() + 5
	while todo and time.monotonic() < end and running():
	    todo = [t for t in todo if not greets(t)]
	    if todo:
	        time.sleep(0.05)
	sys.exit(1 if todo else 0)
	EOF
}

# mail_start: certificates and the user (once), the configuration, then
# dovecot in the foreground of a background job; returns when all four
# ports greet.  Exits the test on failure.
mail_start() {
	_mail_owner
	if [ ! -e "$MAIL_DIR/users" ]; then
		_mail_reachable
		mkdir -p "$MAIL_DIR/run" "$MAIL_DIR/state" \
		    "$MAIL_DIR/log" "$MAIL_MAILDIR" || exit 1
		test_tls "$MAIL_DIR/tls" ||
		    { echo "mail.sh: openssl failed" >&2; exit 1; }
		printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$MAIL_USER" \
		    "$MAIL_PASS" "$_mail_uid" "$_mail_gid" \
		    "${MAIL_MAILDIR%/Maildir}" >"$MAIL_DIR/users"
		chown -R "$_mail_uid:$_mail_gid" "$MAIL_DIR/home" || exit 1
	fi
	_tag=${T##*/}
	_try=0
	while [ $_try -lt 10 ]; do
		_try=$((_try + 1))
		_p=$(_mail_free_ports) || exit 1
		set -- $_p
		MAIL_IMAP_PORT=$1 MAIL_IMAPS_PORT=$2
		MAIL_POP3_PORT=$3 MAIL_POP3S_PORT=$4
		_mail_conf "$_tag" >"$MAIL_CONF"
		chmod 644 "$MAIL_CONF"
		rm -f "$MAIL_LOG"
		"$_mail_dovecot" -F -c "$MAIL_CONF" </dev/null \
		    >"$MAIL_DIR/log/stdout" 2>&1 &
		_mail_pid=$!
		if _mail_wait "$_tag" "$_mail_pid"; then
			export MAIL_IMAP_PORT MAIL_IMAPS_PORT MAIL_POP3_PORT \
			    MAIL_POP3S_PORT
			watchdog "$_mail_pid"
			_mail_watch=$!
			return 0
		fi
		_mail_kill "$_mail_pid"
		_mail_pid=
		grep -q 'Address already in use' "$MAIL_LOG" \
		    "$MAIL_DIR/log/stdout" 2>/dev/null || break
	done
	echo "mail.sh: dovecot did not start:" >&2
	cat "$MAIL_DIR/log/stdout" "$MAIL_LOG" >&2 2>/dev/null
	exit 1
}

# _mail_kill PID: stop dovecot's master and wait for all its processes.
# On SIGTERM the master stops its services, then signals its log process
# and sleeps a whole second before it exits; that sleep is cut short with
# SIGKILL once only the log process is left (it ends by itself, its
# master gone).
_mail_kill() {
	"$_mail_python" - "$1" <<-'EOF'
	import os, signal, sys, time
	pid = int(sys.argv[1])
	def procs():	# {pid: (ppid, name, state)}, zombies too
	    out = {}
	    for d in os.listdir("/proc"):
	        if not d.isdigit():
	            continue
	        try:
	            with open("/proc/%s/stat" % d) as f:
	                s = f.read()
	        except OSError:
	            continue
	        name = s[s.index("(") + 1:s.rindex(")")]
	        rest = s[s.rindex(")") + 2:].split()
	        out[int(d)] = (int(rest[1]), name, rest[0])
	    return out
	def live(p, ps):
	    return p in ps and ps[p][2] != "Z"
	try:
	    os.kill(pid, signal.SIGTERM)
	except OSError:
	    sys.exit(0)
	end = time.monotonic() + 10
	kids = {}
	while True:
	    ps = procs()
	    if not live(pid, ps):
	        break
	    now = {p: v[1] for p, v in ps.items()
	           if v[0] == pid and v[2] != "Z"}
	    kids.update(now)
	    if all(n == "log" for n in now.values()) or time.monotonic() > end:
	        os.kill(pid, signal.SIGKILL)
	        break
	    time.sleep(0.02)
	end = time.monotonic() + 3
	while True:
	    ps = procs()
	    left = [p for p in kids if live(p, ps) and ps[p][1] == kids[p]]
	    if not left:
	        break
	    if time.monotonic() > end:
	        for p in left:
	            os.kill(p, signal.SIGKILL)
	        end += 3
	    time.sleep(0.02)
	EOF
	# (bash reports a job killed by a signal unless its stderr is away)
	{ wait "$1"; } 2>/dev/null || :
}

mail_stop() {
	[ -n "$_mail_watch" ] && kill "$_mail_watch" 2>/dev/null
	[ -n "$_mail_pid" ] && _mail_kill "$_mail_pid"
	for _p in $_mail_listen_pids; do
		kill "$_p" 2>/dev/null && wait "$_p" 2>/dev/null
	done
	_mail_watch=
	_mail_pid=
	_mail_listen_pids=
	return 0
}

_mail_status() {	# _mail_status FIELD FOLDER: one mailbox status field
	mail_doveadm -f tab mailbox status -u "$MAIL_USER" "$1" "$2" |
	    awk -F '\t' 'NR > 1 { print $NF }' | grep .
}

_mail_folder() {	# _mail_folder FOLDER: made (and subscribed) if missing
	_mail_status guid "$1" >/dev/null 2>&1 ||
	    mail_doveadm mailbox create -s -u "$MAIL_USER" "$1"
}

# mail_put FOLDER [FILE...]: each FILE becomes a message in FOLDER, in
# that order (so UIDs ascend with the arguments); with no FILE, FOLDER is
# only made.  The folder is made when a
# save finds it missing, which spares a doveadm run per call.
mail_put() {
	_f=$1
	shift
	[ $# -gt 0 ] || { _mail_folder "$_f"; return; }
	for _m in "$@"; do
		mail_doveadm save -u "$MAIL_USER" -m "$_f" <"$_m" \
		    2>"$MAIL_DIR/.err" && continue
		if grep -q "Mailbox doesn't exist" "$MAIL_DIR/.err"; then
			_mail_folder "$_f" && mail_doveadm save \
			    -u "$MAIL_USER" -m "$_f" <"$_m" && continue
		else
			cat "$MAIL_DIR/.err" >&2
		fi
		return 1
	done
}

# mail_put_flags FLAGS FOLDER FILE...: the same, then FLAGS (one
# argument, flags separated by spaces: '\Seen \Flagged') on the new ones.
mail_put_flags() {
	_fl=$1
	shift
	_mail_folder "$1" || return 1
	# one status run; the columns come in dovecot's order, named
	set -- "$(mail_doveadm -f tab mailbox status -u "$MAIL_USER" \
	    'guid uidnext' "$1" | awk -F '\t' 'NR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i }
	    NR == 2 { print $col["guid"], $col["uidnext"] }')" "$@"
	[ -n "$1" ] || return 1
	_g=${1% *} _next=${1#* }
	shift
	mail_put "$@" || return 1
	[ $# -gt 1 ] || return 0
	mail_doveadm flags add -u "$MAIL_USER" "$_fl" mailbox-guid "$_g" \
	    uid "$_next:*"
}

# _mail_search FOLDER FIELDS: doveadm fetch in FOLDER, one line a
# message, fields tab separated.  The folder is named by its GUID: a
# "mailbox" search key is a pattern ("*", "%") and misses "Inbox/x".
_mail_search() {
	_g=$(_mail_status guid "$1" 2>/dev/null) || return 0
	mail_doveadm -f tab fetch -u "$MAIL_USER" "$2" mailbox-guid "$_g" \
	    ALL | sed 1d
}

# mail_uids FOLDER: nothing when there is no such folder.
mail_uids() {
	_mail_search "$1" uid | sort -n
}

# mail_fetch FOLDER: UID<TAB>FLAGS<TAB>SUBJECT, by UID.  FLAGS as dovecot
# orders them, space separated, \Recent left out; SUBJECT decoded
# (RFC 2047) and unfolded, in UTF-8.  Nothing when there is no such
# folder.
mail_fetch() {
	_mail_search "$1" 'uid flags hdr.subject.utf8' |
	    awk -F '\t' -v OFS='\t' '{
		$2 = " " $2 " "
		gsub(/ \\Recent /, " ", $2)
		gsub(/^ +| +$/, "", $2)
		print
	}' | sort -n
}

mail_count() {
	_mail_status messages "$1" 2>/dev/null || echo 0
}

mail_uidvalidity() {
	_mail_status uidvalidity "$1"
}

mail_folders() {
	mail_doveadm mailbox list -u "$MAIL_USER" | LC_ALL=C sort
}

# A TCP port on 127.0.0.1 served by python3 that accepts every connection
# and holds it open, having sent GREETING and CRLF (or nothing).  The process
# leaves with the test (or its shell's death); sets $_p to the port.
_mail_listen() {	# _mail_listen FILE [GREETING]
	_f=$1
	shift
	"$_mail_python" -c '
import os, select, socket, sys
greeting = sys.argv[1].encode() + b"\r\n" if len(sys.argv) > 1 else b""
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
parent = os.getppid()
print(s.getsockname()[1], flush=True)
held = []
while os.getppid() == parent:
    if select.select([s], [], [], 1)[0]:
        c = s.accept()[0]
        if greeting:
            c.sendall(greeting)
        held.append(c)
' "$@" </dev/null >"$_f" 2>&1 &
	_mail_listen_pids="$_mail_listen_pids $!"
	port_file "$_f" "mail.sh: a python3 listener"
}

# mail_stall: exports STALL_PORT, where connections are accepted and
# never hear a byte (a server hung before its greeting).
mail_stall() {
	_mail_listen "$MAIL_DIR/stall.port"
	STALL_PORT=$_p
	export STALL_PORT
}

# mail_greet_stall: exports GSTALL_PORT, where a connection gets an IMAP
# greeting and then no answer to anything.
mail_greet_stall() {
	_mail_listen "$MAIL_DIR/gstall.port" '* OK ready'
	GSTALL_PORT=$_p
	export GSTALL_PORT
}
