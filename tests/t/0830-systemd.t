#!/bin/sh
# The systemd units (scripts/systemd) and the cron line (scripts/cron):
# that they run dmarcpipe where make install puts it, with every option
# of the sandbox asked for; systemd's own verdict on them (systemd-analyze
# verify and security); and a pass of the real chain under the units'
# restrictions, emulated: the system call filter built from systemd's own
# groups (systemd-analyze syscall-filter), RestrictAddressFamilies= and
# MemoryDenyWriteExecute= as the seccomp filters systemd adds for them,
# ProtectSystem=strict as a read-only / in a mount namespace with only
# the spool, the log directory and a private tmp writable, User= as
# nobody, CapabilityBoundingSet= through PR_CAPBSET_DROP.  The units
# themselves are not started here: that takes systemd as PID 1.
. "$(dirname "$0")/../lib.sh"
if [ -n "${DMARCPIPE_SANITIZER_LOG:-}" ]; then
	# The units run what make install put in place: the plain build.
	echo "1..0 # SKIP the units run the installed, plain programs"
	exit 0
fi
plan 38
cd "$T" || exit 1

SD=$TOP/scripts/systemd
SVC=$SD/dmarcpipe.service
WATCH=$SD/dmarcpipe-watch.service
TIMER=$SD/dmarcpipe.timer
CRON=$TOP/scripts/cron/dmarcpipe
CONF=/etc/dmarcpipe/dmarcpipe.conf
SPOOL=/var/spool/dmarcpipe
export LC_ALL=C

# val FILE KEY: what FILE assigns KEY, one line per assignment, in order
val() { sed -n "s/^$2=//p" "$1"; }
last() { val "$@" | tail -n 1; }

# make install's layout, with the default PREFIX: make says, not us
dirs=$(printf 'print-dirs:\n\t@echo $(SBINDIR) $(BINDIR) $(SCRIPTS)\n' |
    env -u PREFIX -u SBINDIR -u BINDIR -u MAKEFLAGS -u MAKELEVEL \
    make -s --no-print-directory -C "$TOP" -f GNUmakefile -f - print-dirs)
set -f
set -- $dirs
set +f
SBINDIR=${1:-?}
BINDIR=${2:-?}
case " $dirs " in
*" scripts/dmarcpipe "*) inst=yes ;;
*) inst=no ;;
esac
is "make install puts dmarcpipe in SBINDIR, the programs in ../bin" \
    "$inst $(dirname "$SBINDIR")/bin" "yes $BINDIR"

is "dmarcpipe.service runs the installed dmarcpipe once" \
    "$(val "$SVC" ExecStart)" "$SBINDIR/dmarcpipe -c $CONF"
is "dmarcpipe-watch.service runs dmarcpipe -w" \
    "$(val "$WATCH" ExecStart)" "$SBINDIR/dmarcpipe -w -c $CONF"
is "dmarcpipe.service: Type=oneshot" "$(last "$SVC" Type)" oneshot
is "dmarcpipe-watch.service: Type=simple, Restart=on-failure" \
    "$(last "$WATCH" Type) $(last "$WATCH" Restart)" "simple on-failure"

# RandomizedDelaySec= small: at most 5 minutes of the 10
delay=$(last "$TIMER" RandomizedDelaySec)
case $delay in
*min) delay=$((${delay%min} * 60)) ;;
*s) delay=${delay%s} ;;
esac
is "dmarcpipe.timer: starts dmarcpipe.service, Persistent, a small delay" \
    "$(last "$TIMER" Unit)|$(last "$TIMER" Persistent)|$(
    [ "${delay:-0}" -gt 0 ] 2>/dev/null && [ "$delay" -le 300 ] && echo ok)" \
    "|true|ok"

# sandbox_missing UNIT: the options asked for that UNIT lacks (the last
# assignment is the one that counts)
sandbox_missing() {
	for kv in User=dmarcpipe Group=dmarcpipe UMask=0027 \
	    ProtectSystem=strict NoNewPrivileges=yes PrivateTmp=yes \
	    PrivateDevices=yes ProtectHome=yes ProtectKernelTunables=yes \
	    ProtectKernelModules=yes ProtectKernelLogs=yes \
	    ProtectControlGroups=yes \
	    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
	    RestrictNamespaces=yes LockPersonality=yes \
	    MemoryDenyWriteExecute=yes RestrictRealtime=yes \
	    RestrictSUIDSGID=yes SystemCallArchitectures=native \
	    CapabilityBoundingSet= AmbientCapabilities= \
	    "ReadWritePaths=$SPOOL"; do
		[ "$(last "$1" "${kv%%=*}")" = "${kv#*=}" ] ||
		    printf '%s ' "$kv"
	done
	# the spool and nothing else
	[ "$(val "$1" ReadWritePaths | wc -l)" -eq 1 ] ||
	    printf 'ReadWritePaths=(more than the spool) '
	val "$1" SystemCallFilter | grep -qx @system-service ||
	    printf 'SystemCallFilter=@system-service '
}
is "dmarcpipe.service: every sandbox option asked for" \
    "$(sandbox_missing "$SVC")" ""
is "dmarcpipe-watch.service: every sandbox option asked for" \
    "$(sandbox_missing "$WATCH")" ""

# The [Service] lines but those that make one a pass and the other a
# watcher: the two must be sandboxed alike.
sandbox_of() {
	sed -n '/^\[Service\]/,/^\[/p' "$1" | grep -v -e '^#' -e '^$' -e '^\[' \
	    -e '^Type=' -e '^ExecStart=' -e '^Restart' -e '^KillMode=' \
	    -e '^Timeout' | sort
}
sandbox_of "$SVC" >"$T/sandbox.service"
sandbox_of "$WATCH" >"$T/sandbox.watch"
is "the two services have the same sandbox" \
    "$(diff "$T/sandbox.service" "$T/sandbox.watch")" ""

if [ -x "$BIN/mailfetch" ]; then
	printf '[main]\n' >"$T/empty.conf"
	is "ReadWritePaths= is mailfetch's default spool" \
	    "$("$BIN/mailfetch" -P -c "$T/empty.conf" | sed -n \
	    "s/^cf_spool='\\(.*\\)'\$/\\1/p")" "$SPOOL"
else
	skip "ReadWritePaths= is mailfetch's default spool" "no bin/mailfetch"
fi

# systemd-analyze verify runs with --man=no: the pages are looked for
# in the tree instead.
pages=$(for u in "$SVC" "$WATCH" "$TIMER"; do
	for p in $(val "$u" Documentation); do
		p=${p#man:}
		n=${p%%(*}
		s=${p#*(}
		s=${s%)}
		[ -f "$TOP/man/$n.$s" ] || echo "man/$n.$s"
	done
done | sort -u | xargs)
is "the manual pages the units name are in man/" "$pages" ""

# ---------------------------------------------------------- cron

# cron_expand FIELD LO HI: the values a cron(5) time field stands for,
# one line, or "bad"
cron_expand() {
	printf '%s\n' "$1" | awk -v lo="$2" -v hi="$3" -F, '
	function bad() { print "bad"; exit }
	{
		for (i = 1; i <= NF; i++) {
			f = $i
			step = 1
			if (f ~ /\//) {
				step = substr(f, index(f, "/") + 1)
				f = substr(f, 1, index(f, "/") - 1)
				if (step !~ /^[0-9]+$/ || step == 0) bad()
			}
			if (f == "*") { a = lo; b = hi }
			else if (f ~ /^[0-9]+-[0-9]+$/) {
				split(f, r, "-"); a = r[1] + 0; b = r[2] + 0
			} else if (f ~ /^[0-9]+$/) { a = b = f + 0 }
			else bad()
			if (a < lo || b > hi || a > b) bad()
			for (v = a; v <= b; v += step) on[v] = 1
		}
		s = ""
		for (v = lo; v <= hi; v++) if (v in on) s = s " " v
		print substr(s, 2)
	}'
}

jobs=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' \
    -e '^[A-Za-z_][A-Za-z0-9_]*=' "$CRON")
is "cron: one job, every other line a comment or a VAR=value" \
    "$(printf '%s\n' "$jobs" | grep -c .)" 1
set -f
set -- $jobs
set +f
when="$(cron_expand "${1:-}" 0 59)|$(cron_expand "${2:-}" 0 23)|$(
    cron_expand "${3:-}" 1 31)|$(cron_expand "${4:-}" 1 12)|$(
    cron_expand "${5:-}" 0 7)"
is "cron: five valid time fields, every 10 minutes" "$when" \
    "0 10 20 30 40 50|$(seq -s ' ' 0 23)|$(seq -s ' ' 1 31)|$(
    seq -s ' ' 1 12)|$(seq -s ' ' 0 7)"
is "cron: runs as the services' user" "${6:-}" "$(last "$SVC" User)"
[ $# -ge 6 ] && shift 6
is "cron: runs what dmarcpipe.service runs" "$*" "$(val "$SVC" ExecStart)"

# ---------------------------------------------------------- systemd-analyze

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skips 23 "systemd-analyze" "not installed (Debian package systemd)"
	finish
fi

# The units as installed, but with ExecStart= on a stand-in in $T:
# verify wants the program to exist.
mkdir "$T/units" "$T/sbin" || exit 1
printf '#!/bin/sh\nexit 0\n' >"$T/sbin/dmarcpipe"
chmod 755 "$T/sbin/dmarcpipe"
for u in "$SVC" "$WATCH" "$TIMER"; do
	sed "s|^\\(ExecStart=\\)$SBINDIR/|\\1$T/sbin/|" "$u" \
	    >"$T/units/${u##*/}"
done
# the root drop-in of dmarcpipe.service's comment, appended
sed -n 's/^#\t//p' "$SVC" | grep -v '^\[' >"$T/dropin"
cat "$T/units/dmarcpipe.service" "$T/dropin" >"$T/units/dmarcpipe-root.service"

for u in dmarcpipe.service dmarcpipe.timer dmarcpipe-watch.service; do
	run systemd-analyze verify --man=no "$T/units/$u"
	is "systemd-analyze verify $u: no complaint" "$rc:$out$err" "0:"
done
sed 's/^ProtectSystem=/ProtectSytem=/' "$T/units/dmarcpipe.service" \
    >"$T/units/typo.service"
run systemd-analyze verify --man=no "$T/units/typo.service"
like "... and verify does complain of a misspelt option" "$out$err" \
    "ProtectSytem"

cal=$(last "$TIMER" OnCalendar)
is "dmarcpipe.timer fires every 600 s" "$(TZ=UTC systemd-analyze calendar \
    --iterations=7 "$cal" | sed -n \
    's/^ *\(Next elapse\|Iter\. #[0-9]*\): [A-Za-z]* \(.*\) UTC$/\2/p' |
    while read -r d; do date -u -d "$d" +%s; done |
    awk 'NR > 1 { printf "%d ", $1 - p } { p = $1 }')" \
    "600 600 600 600 600 600 "

# exposure UNIT: systemd's overall exposure level of UNIT, 0.0 to 10.0
exposure() {
	systemd-analyze security --offline=true "$1" 2>&1 |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
# Measured with systemd 252: 1.1 for both; root with run_as 2.5.
for u in dmarcpipe.service dmarcpipe-watch.service; do
	e=$(exposure "$T/units/$u")
	ok "$u: exposure ${e:-?} <= 1.5" awk -v e="${e:-99}" \
	    'BEGIN { exit !(e <= 1.5) }'
done

# security_checks UNIT: "failing: ..." (the checks that add exposure)
# and "unset: ..." (those of the options asked for that systemd finds
# not in force, or doesn't list) from --json.
cat >"$T/checks.py" <<'EOF'
import json, sys
d = json.load(sys.stdin)
fail = sorted(c["json_field"] for c in d if c["exposure"])
on = set(c["json_field"] for c in d if c["set"])
want = """NoNewPrivileges PrivateTmp PrivateDevices ProtectHome ProtectSystem
    ProtectKernelTunables ProtectKernelModules ProtectKernelLogs
    ProtectControlGroups LockPersonality MemoryDenyWriteExecute
    RestrictRealtime RestrictSUIDSGID SystemCallArchitectures
    UserOrDynamicUser RestrictAddressFamilies_AF_PACKET
    RestrictAddressFamilies_AF_NETLINK RestrictAddressFamilies_OTHER
    CapabilityBoundingSet_CAP_SYS_ADMIN AmbientCapabilities""".split()
want += ["RestrictNamespaces_" + n
         for n in "user pid net uts mnt cgroup ipc".split()]
want += ["SystemCallFilter_" + n for n in """swap resources reboot raw_io
         privileged obsolete mount module debug cpu_emulation
         clock""".split()]
print("failing:", " ".join(fail))
print("unset:", " ".join(w for w in want if w not in on))
EOF
# What may add exposure, and why: the job talks to a mail server, Graph
# and resolvers anywhere (PrivateNetwork, IPAddressDeny, AF_INET*), logs
# to syslog (AF_UNIX), runs in the host's tree (RootDirectory: the
# mount namespace does that job), ProtectClock leaves the RTC readable
# (DeviceAllow), and UMask 0027 lets the forwarder's group read out/.
allowed="DeviceAllow IPAddressDeny PrivateNetwork"
allowed="$allowed RestrictAddressFamilies_AF_INET_INET6"
allowed="$allowed RestrictAddressFamilies_AF_UNIX RootDirectoryOrRootImage"
allowed="$allowed UMask"
for u in dmarcpipe.service dmarcpipe-watch.service; do
	if command -v python3 >/dev/null 2>&1; then
		checks=$(systemd-analyze security --offline=true --json=short \
		    "$T/units/$u" | python3 "$T/checks.py")
		is "$u: no exposure but the network, syslog, RTC and UMask" \
		    "$(printf '%s\n' "$checks" | sed -n 's/^failing: //p')" \
		    "$allowed"
		is "$u: systemd finds every option asked for in force" \
		    "$(printf '%s\n' "$checks" | sed -n 's/^unset: //p')" ""
	else
		skip "$u: security checks" "no python3"
		skip "$u: security checks" "no python3"
	fi
done

# The system calls the unit allows, from systemd's own table of groups:
# an empty SystemCallFilter= resets, ~ takes away, in order.
systemd-analyze syscall-filter 2>/dev/null >"$T/groups"
cat >"$T/allowed.awk" <<'EOF'
FNR == NR {
	if ($0 ~ /^@/) { g = $1; next }
	if ($0 ~ /^ *#/ || NF == 0) next
	m[g] = m[g] " " $1
	next
}
/^SystemCallFilter=/ {
	v = substr($0, length("SystemCallFilter=") + 1)
	if (v == "") { split("", on); next }
	deny = sub(/^~/, "", v)
	n = split(v, w, " ")
	for (i = 1; i <= n; i++) {
		split("", seen)
		expand(w[i], deny)
	}
}
END { for (s in on) print s }
function expand(x, deny,	k, a, j) {
	if (x !~ /^@/) {
		if (deny) delete on[x]; else on[x] = 1
		return
	}
	if (seen[x]++) return
	k = split(m[x], a, " ")
	for (j = 1; j <= k; j++) expand(a[j], deny)
}
EOF
unit_calls() { cat "$@" | awk -f "$T/allowed.awk" "$T/groups" - | sort; }
unit_calls "$SVC" >"$T/calls"
# what sandbox_enter() calls to confine a stage (landlock_*, seccomp,
# prctl), and some of what the job's shell, flock(1) and logger(1) use
need="landlock_create_ruleset landlock_add_rule landlock_restrict_self
    seccomp prctl flock socket connect sendto wait4 pipe2 dup2 execve"
is "the unit's system call filter has what the stages' sandboxes use" \
    "$(for c in $need; do grep -qx "$c" "$T/calls" || printf '%s ' "$c"
    done)" ""

e=$(exposure "$T/units/dmarcpipe-root.service")
run systemd-analyze verify --man=no "$T/units/dmarcpipe-root.service"
is "the root drop-in in dmarcpipe.service's comment: verify is content," \
    "$rc:$out$err" "0:"
ok "... and its exposure ${e:-?} <= 3.0" awk -v e="${e:-99}" \
    'BEGIN { exit !(e <= 3.0) }'

# ---------------------------------------------------------- a pass, confined

# confine.py: the restrictions a unit puts on its process, then exec.
cat >"$T/confine.py" <<'EOF'
# confine.py [--caps NAME,...] [--user NAME] --calls FILE
#     [--families N,...] [--mdwe] -- COMMAND...
import ctypes, ctypes.util, errno, os, pwd, sys

args = sys.argv[1:]
opt = {}
while args[0] != "--":
    k = args.pop(0)
    opt[k] = True if k == "--mdwe" else args.pop(0)
args.pop(0)

lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
libc = ctypes.CDLL(None, use_errno=True)

class Cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]

lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
    ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Cmp)]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
lib.seccomp_release.argtypes = [ctypes.c_void_p]
ALLOW, KILL_PROCESS = 0x7fff0000, 0x80000000
EQ, GT, MASKED_EQ = 4, 6, 7
def ERRNO(e): return 0x00050000 | e

def rule(ctx, action, name, *cmps):
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr == -1:	# not a call of this architecture
        return
    arr = (Cmp * len(cmps))(*cmps) if cmps else None
    if lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr) < 0 \
            and nr >= 0:
        sys.exit("confine.py: %s: rule refused" % name)

def load(ctx):	# with no_new_privs, libseccomp's default
    if lib.seccomp_load(ctx) < 0:
        sys.exit("confine.py: seccomp_load failed")
    lib.seccomp_release(ctx)

CAPS = """chown dac_override dac_read_search fowner fsetid kill setgid
    setuid setpcap linux_immutable net_bind_service net_broadcast
    net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot
    sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource
    sys_time sys_tty_config mknod lease audit_write audit_control
    setfcap mac_override mac_admin syslog wake_alarm block_suspend
    audit_read perfmon bpf checkpoint_restore""".split()
calls = open(opt["--calls"]).read().split()
if "--caps" in opt:	# CapabilityBoundingSet=: what execve leaves root
    keep = [CAPS.index(c) for c in opt["--caps"].split(",") if c]
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for c in range(last + 1):
        if c not in keep and libc.prctl(24, c, 0, 0, 0) != 0:
            sys.exit("confine.py: PR_CAPBSET_DROP %d failed" % c)
if "--user" in opt:	# User=, Group=
    pw = pwd.getpwnam(opt["--user"])
    os.setgroups([])
    os.setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid)
    os.setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid)

# RestrictAddressFamilies=, MemoryDenyWriteExecute=: filters that fail
# a call, as systemd's own do
ctx = lib.seccomp_init(ALLOW)
if "--families" in opt:
    fams = [int(f) for f in opt["--families"].split(",")]
    for f in range(64):
        if f not in fams:
            rule(ctx, ERRNO(errno.EAFNOSUPPORT), "socket", Cmp(0, EQ, f, 0))
    rule(ctx, ERRNO(errno.EAFNOSUPPORT), "socket", Cmp(0, GT, 63, 0))
if "--mdwe" in opt:
    wx, x = 0x2 | 0x4, 0x4	# PROT_WRITE | PROT_EXEC, PROT_EXEC
    rule(ctx, ERRNO(errno.EPERM), "mmap", Cmp(2, MASKED_EQ, wx, wx))
    rule(ctx, ERRNO(errno.EPERM), "mprotect", Cmp(2, MASKED_EQ, x, x))
    rule(ctx, ERRNO(errno.EPERM), "pkey_mprotect", Cmp(2, MASKED_EQ, x, x))
    rule(ctx, ERRNO(errno.EPERM), "shmat",
         Cmp(2, MASKED_EQ, 0o100000, 0o100000))
load(ctx)
# SystemCallFilter=: an allow-list; any other call kills the process
ctx = lib.seccomp_init(KILL_PROCESS)
for c in calls:
    rule(ctx, ALLOW, c)
load(ctx)
os.execvp(args[0], args)
EOF

# ro.sh RW... -- COMMAND...: ProtectSystem=strict with ReadWritePaths=RW,
# in the mount namespace of `unshare -m` (private: nothing is seen
# outside): / read-only but for the RW directories; then COMMAND.
cat >"$T/ro.sh" <<'EOF'
first=$1
rw=
while [ "$1" != -- ]; do rw="$rw $1"; shift; done
shift
for d in $rw; do mount --bind "$d" "$d" || exit 125; done
mount -o remount,bind,ro / || exit 125
if touch "$first/../probe" 2>/dev/null; then
	echo "ro.sh: / is still writable" >&2
	exit 125
fi
exec "$@"
EOF

why=
if [ "$(uname -s)" != Linux ]; then
	why="Linux only"
elif ! command -v python3 >/dev/null 2>&1 ||
    ! python3 -c 'import ctypes, ctypes.util, sys
sys.exit(not ctypes.util.find_library("seccomp"))' 2>/dev/null; then
	why="no python3 with libseccomp"
elif [ ! -x "$BIN/unzipd" ] || [ ! -x "$BIN/rua2kv" ] ||
    [ ! -x "$BIN/ptrresolve" ] || [ ! -x "$BIN/mailfetch" ]; then
	why="the programs are not built"
elif [ ! -s "$T/groups" ]; then
	why="systemd-analyze syscall-filter says nothing"
fi

# Root emulates User= (nobody) and ProtectSystem=; anyone else runs the
# pass as themselves under the filters alone.
asroot=
if [ "$(id -u)" = 0 ] && [ -z "$why" ]; then
	if unshare -m true 2>/dev/null; then
		asroot=yes
	else
		why="root, but no mount namespace for ProtectSystem="
	fi
fi

# The mails, when dovecot is here: three folders, one per pass.  (Not
# through mail.sh's own check, which would end this whole test.)
mail=
nmail=0
if [ -z "$why" ] &&
    { command -v dovecot || [ -x /usr/sbin/dovecot ]; } >/dev/null 2>&1 &&
    { command -v doveadm || [ -x /usr/sbin/doveadm ]; } >/dev/null 2>&1 &&
    command -v openssl >/dev/null 2>&1 &&
    { [ -z "$asroot" ] || { id dovecot && id dovenull; } >/dev/null 2>&1; }
then
	. "$TOP/tests/mail.sh"
	mail_start
	python3 "$TOP/tests/mkmail.py" \
	    --kind domain,aggregate,underscore,bracket "$T/m" 4 >"$T/m.list" ||
	    exit 1
	for f in ref confined root; do
		mail_put "$f" $(cut -f1 "$T/m.list") || exit 1
	done
	mail=yes
	nmail=$(awk -F'\t' '$3 == "dmarc" && $4 != "-"' "$T/m.list" | wc -l)
else
	echo "# no dovecot: the passes skip mailfetch" >&2
fi

# A syslog daemon for log_destination = syslog, when rsyslogd is here.
sys=
if [ -z "$why" ] &&
    { command -v rsyslogd || [ -x /usr/sbin/rsyslogd ]; } >/dev/null 2>&1 &&
    command -v logger >/dev/null 2>&1; then
	. "$TOP/tests/syslog.sh"
	syslog_start
	sys=yes
fi

# setup NAME STAGES SECRETS [KEY=VALUE...]: $T/NAME with a spool holding
# the four samples in drop/, a log directory, a private tmp,
# dmarcpipe.conf and the secrets file; the spool and the logs belong to
# the user STAGES, the secrets file to SECRETS ("" for ourselves)
setup() {
	_d=$T/$1
	_f=$1
	_o=$2
	_s=$3
	shift 3
	mkdir -p "$_d/spool/drop" "$_d/logs" "$_d/tmp" || exit 1
	cp "$TOP"/samples/*.xml "$_d/spool/drop/"
	case " $* " in
	*" skip_mail_download=1 "*)
		;;
	*)
		if [ -n "$mail" ]; then
			set -- mailserver_host=127.0.0.1 \
			    "mailserver_port=$MAIL_IMAPS_PORT" \
			    mailserver_protocol=IMAPS \
			    "mailserver_user=$MAIL_USER" \
			    "tls_ca_file=$MAIL_CA" \
			    mailserver_action=mark_read \
			    "mailserver_mailboxfolder=$_f" "$@"
		else
			set -- skip_mail_download=1 "$@"
		fi
		;;
	esac
	conf_file "$_d/dmarcpipe.conf" "spool=$_d/spool" resolve_ips=0 \
	    drop_quiet=0 retry_delay=0 log_level=10 -- "$@"
	printf 'mailserver_pwd = %s\n' "${MAIL_PASS:-x}" >"$_d/secrets"
	chmod 600 "$_d/secrets"
	chmod 755 "$_d"
	chmod 1777 "$_d/tmp"
	[ -z "$_o" ] || chown -R "$_o" "$_d/spool" "$_d/logs"
	[ -z "$_s" ] || chown "$_s" "$_d/secrets"
}

# events NAME: NAME's events, without the spool's own names in them
events() {
	cat "$T/$1"/spool/out/new/* 2>/dev/null |
	    sed 's/"file_name": "[^"]*", //' | sort
}
# same_events NAME: NAME's pass made the reference pass's events
same_events() {
	events ref >"$T/ref.events"
	events "$1" >"$T/$1.events"
	ok "... the same events as unconfined (and some)" \
	    test -s "$T/ref.events" -a -z "$(cmp "$T/ref.events" \
	    "$T/$1.events" 2>&1)" ||
	    diff "$T/ref.events" "$T/$1.events" | cut -c1-150 | head -n 6 |
	    sed 's/^/# /'
}
reports() { ls "$T/$1/spool/out/new" 2>/dev/null | wc -l | tr -d ' '; }

# confined NAME UNIT [extra confine.py options]: a pass for NAME as UNIT
# would run it
confined() {
	_d=$T/$1
	_u=$2
	shift 2
	if [ -n "$asroot" ]; then
		[ -n "$(last "$_u" User)" ] && set -- --user nobody "$@"
		set -- unshare -m sh "$T/ro.sh" "$_d/spool" "$_d/logs" \
		    "$_d/tmp" -- env TMPDIR="$_d/tmp" \
		    "$(command -v python3)" "$T/confine.py" "$@"
	else
		set -- env TMPDIR="$_d/tmp" python3 "$T/confine.py" "$@"
	fi
	set -- "$@" -- sh "$JOB" -c "$_d/dmarcpipe.conf"
	"$@" 2>"$_d/err"
	rc=$?
}
mdwe=
[ "$(last "$SVC" MemoryDenyWriteExecute)" = yes ] && mdwe=--mdwe
fams=$(last "$SVC" RestrictAddressFamilies | sed 's/AF_UNIX/1/;
    s/AF_INET6/10/; s/AF_INET/2/; s/ /,/g')

if [ -n "$why" ]; then
	skips 9 "a pass under the unit's restrictions" "$why"
	finish
fi

# The job as make install lays it out (sbin/ and bin/ under a PREFIX),
# in $T: the unit's user must be able to read it, and a checkout may be
# where nobody can (root's home, mode 0700).
make -s --no-print-directory -C "$TOP" install DESTDIR="$T/inst" \
    PREFIX=/usr/local >/dev/null && chmod -R a+rX "$T/inst" ||
    { echo "Bail out! make install into $T/inst failed"; exit 1; }
JOB=$T/inst/usr/local/sbin/dmarcpipe

# The reference: a pass with no restriction but the user.
if [ -n "$asroot" ]; then
	setup ref nobody nobody
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    sh "$JOB" -c "$T/ref/dmarcpipe.conf" \
	    2>"$T/ref/err"
	rc=$?
else
	setup ref "" ""
	sh "$JOB" -c "$T/ref/dmarcpipe.conf" 2>"$T/ref/err"
	rc=$?
fi
[ $rc = 0 ] || sed 's/^/# ref: /' "$T/ref/err" >&2
is "unconfined pass: exit 0, a file per report in out/" \
    "$rc $(reports ref)" "0 $((4 + nmail))"

# dmarcpipe.service's restrictions, its log to syslog: logger(1) on a
# unix socket, fed through a fifo in the private tmp
if [ -n "$sys" ]; then
	set -- log_destination=syslog "syslog_socket=$SYSLOG_SOCK"
else
	set -- "log_destination=$T/confined/logs/dmarcpipe.log"
fi
if [ -n "$asroot" ]; then
	setup confined nobody nobody "$@"
else
	setup confined "" "" "$@"
fi
confined confined "$SVC" --calls "$T/calls" --families "$fams" $mdwe
[ $rc = 0 ] || sed 's/^/# confined: /' "$T/confined/err" >&2
is "a pass confined as dmarcpipe.service: exit 0, a file per report" \
    "$rc $(reports confined)" "0 $((4 + nmail))"
same_events confined
if [ -n "$sys" ]; then
	ok "... its log reached syslog" syslog_wait \
	    'dmarcpipe: .*program=dmarcpipe .*message="the pass is over"' ||
	    sed 's/^/# syslog: /' "$SYSLOG_FILE" "$T/confined/err" >&2
else
	like "... its log in the log directory (no rsyslogd for syslog)" \
	    "$(cat "$T/confined/logs/dmarcpipe.log" 2>/dev/null)" \
	    'program=dmarcpipe .*message="the pass is over"'
fi
if [ -n "$mail" ]; then
	is "... mailfetch fetched the mails (and marked them read) under it" \
	    "$(mail_fetch confined | grep -c Seen)" "$nmail"
else
	skip "... mailfetch fetched the mails under it" "no dovecot"
fi

# The check has teeth: with no more than @system-service (and the
# unit's ~ lines), every stage dies of SIGSYS in its sandbox_enter().
printf 'SystemCallFilter=@system-service\n' |
    awk -f "$T/allowed.awk" "$T/groups" - | sort >"$T/system-service"
grep -Fx -f "$T/system-service" "$T/calls" >"$T/calls.bare"
if cmp -s "$T/calls.bare" "$T/calls"; then
	skip "@system-service alone kills the stages" \
	    "the unit adds no call to @system-service"
else
	if [ -n "$asroot" ]; then
		setup bare nobody nobody skip_mail_download=1
	else
		setup bare "" "" skip_mail_download=1
	fi
	confined bare "$SVC" --calls "$T/calls.bare" --families "$fams" $mdwe
	like "@system-service alone kills the stages (SIGSYS, status 159)" \
	    "$(cat "$T/bare/err")" 'rua2kv: failed (exit status 159)'
fi

# The drop-in of dmarcpipe.service's comment for root with run_as: its
# capabilities and calls are enough for every stage's own privilege
# drop and chroot.
if [ -n "$asroot" ]; then
	caps=$(cat "$SVC" "$T/dropin" | awk '
	/^CapabilityBoundingSet=/ {
		v = substr($0, length("CapabilityBoundingSet=") + 1)
		if (v == "") { s = ""; next }
		n = split(tolower(v), w, " ")
		for (i = 1; i <= n; i++) s = s "," substr(w[i], 5)
	}
	END { print substr(s, 2) }')
	unit_calls "$SVC" "$T/dropin" >"$T/rootcalls"
	setup root nobody "" run_as=nobody \
	    "log_destination=$T/root/logs/dmarcpipe.log"
	chmod 750 "$T/root/spool"
	confined root "$T/units/dmarcpipe-root.service" --caps "$caps" \
	    --calls "$T/rootcalls" --families "$fams" $mdwe
	[ $rc = 0 ] || sed 's/^/# root: /' "$T/root/err" \
	    "$T/root/logs/dmarcpipe.log" >&2
	is "as root with run_as and the drop-in: exit 0, a file per report" \
	    "$rc $(reports root)" "0 $((4 + nmail))"
	same_events root
	# LogsDirectory= makes the log directory
	like "... its log in the log directory" \
	    "$(cat "$T/root/logs/dmarcpipe.log" 2>/dev/null)" \
	    'program=dmarcpipe .*message="the pass is over"'
else
	skip "as root with run_as and the drop-in" "not root"
	skip "... the same events as unconfined" "not root"
	skip "... its log in the log directory" "not root"
fi

echo "# the units themselves were not started: PID 1 here is" \
    "$(cat /proc/1/comm 2>/dev/null || echo unknown), and this test" \
    "starts no systemd"
finish
