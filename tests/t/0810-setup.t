#!/bin/sh
# scripts/dmarcpipe-setup: the files it writes for IMAPS, POP3 and o365
# (key by key, the secrets file's mode and keys), every bad answer it
# refuses, its questions through a pipe and on a terminal, the answers
# it offers from an existing file, -f, mailfetch -P's final word, that
# no secret reaches a command line, the file or any output, and -t
# against a real dovecot on loopback (tests/mail.sh).
. "$(dirname "$0")/../lib.sh"
SETUP=$TOP/scripts/dmarcpipe-setup
if [ ! -x "$BIN/mailfetch" ]; then
	echo "1..0 # SKIP no bin/mailfetch"
	exit 0
fi
if ! "$BIN/mailfetch" -P -c /dev/null >/dev/null 2>&1; then
	echo "1..0 # SKIP bin/mailfetch has no -P, which dmarcpipe-setup needs"
	exit 0
fi
have_t=0
"$BIN/mailfetch" -Z 2>&1 | grep -q 'mailfetch -t' && have_t=1

# The mail server, when what tests/mail.sh needs is here (it would skip
# the whole file otherwise).
have_mail=1
for c in dovecot doveadm openssl python3; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
	    have_mail=0
done
if [ "$(id -u)" = 0 ]; then
	for u in dovecot dovenull nobody; do
		id "$u" >/dev/null 2>&1 || have_mail=0
	done
fi
if [ "$have_mail" = 1 ]; then
	. "$TOP/tests/mail.sh"
	mail_start
fi
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=
plan 113
cd "$T" || exit 1

PW='pw-Zq8#x y'		# the secrets: a space, a '#'
CS='cs-Kd4=s3cr3t'
PP='pp-Wm2:proxy'
printf '%s\n' "$PW" >"$T/pw"
printf '%s\n' "$CS" >"$T/cs"
printf '%s\n' "$PP" >"$T/pp"

# setup ARG...: dmarcpipe-setup, stdin empty: $out $err $rc
setup() { run "$SETUP" "$@" </dev/null; }

# answers TEXT ARG...: dmarcpipe-setup reading TEXT's lines as answers
answers() {
	_a=$1
	shift
	printf '%s' "$_a" >"$T/.in"
	run "$SETUP" "$@" <"$T/.in"
}

# keys FILE: its settings, KEY=VALUE a line, sorted
keys() {
	sed -e '/^[#;]/d' -e '/^\[main\]$/d' -e '/^$/d' \
	    -e 's/^\([a-z0-9_]*\) =[ ]\{0,1\}/\1=/' "$1" | LC_ALL=C sort
}

# conf_is DESCRIPTION FILE: FILE sets exactly the keys of $exp (see
# expect); what differs is shown: the line expected, then (+) the one found
conf_is() {
	keys "$2" >"$T/.got"
	printf '%s\n' "$exp" | LC_ALL=C sort >"$T/.exp"
	is "$1" "$(LC_ALL=C comm -3 "$T/.exp" "$T/.got" | tr '\t\n' '+ ')" ""
}

# asked: the keys asked for, one a line, from the prompts in $err
asked() {
	printf '%s\n' "$err" | grep -v '^test the mailbox' |
	    sed -n 's/^\([a-z][a-z0-9_]*\)\( .*\)\{0,1\}: $/\1/p'
}

# questions: the same on one line, each once
questions() { asked | uniq | paste -sd ' ' -; }

# nosecret DESCRIPTION FILE...: no secret of this test is in them
nosecret() {
	_d=$1
	shift
	ok "$_d" sh -c '! cat "$@" 2>/dev/null |
	    grep -qF -e "$PW" -e "$CS" -e "$PP" -e "${MAIL_PASS:-$PW}"' sh "$@"
}
export PW CS PP

# The keys every file written here has, and their values unless said
DEFAULTS="skip_mail_download=0 mailserver_host= mailserver_port=
mailserver_protocol= mailserver_mailboxfolder=Inbox mailserver_user=
o365_client_id= o365_tenant_id= mailserver_action=move
mailserver_moveto=Inbox/done/[YEAR]/week_[WEEK] proxy_use=0
proxy_server= proxy_username= output=json resolve_ips=1 log_level=20
spool=/var/spool/dmarcpipe run_as=nobody resolvers=
log_destination=stderr"
# expect KEY=VALUE...: $exp, the defaults with these instead, one a line
expect() {
	exp=$(set -f; for d in $DEFAULTS; do
		for s in "$@"; do
			[ "${s%%=*}" = "${d%%=*}" ] && continue 2
		done
		printf '%s\n' "$d"
	done; printf '%s\n' "$@")
}

# ---------------------------------------------------------- -n: IMAPS
mkdir imaps
setup -n -c "$T/imaps/dmarcpipe.conf" --mailserver_protocol=imaps \
    --mailserver_host=imap.example.org --mailserver_user=dmarc@example.org \
    --mailserver_mailboxfolder=INBOX --mailserver_action=MARK_READ \
    --output=kv --resolve_ips=no --log_level=warning \
    --spool=/srv/dmarc/spool --run_as=nobody --log_destination=syslog \
    --tls_ca_file=/etc/hostname --allow_plaintext=false \
    --password-file="$T/pw"
is "-n, IMAPS: exit 0" "$rc" 0
expect mailserver_protocol=IMAPS mailserver_host=imap.example.org \
    mailserver_port=993 mailserver_user=dmarc@example.org \
    mailserver_mailboxfolder=INBOX mailserver_action=mark_read output=kv \
    resolve_ips=0 log_level=30 spool=/srv/dmarc/spool \
    log_destination=syslog tls_ca_file=/etc/hostname allow_plaintext=0
conf_is "... the file, key by key (port 993 for IMAPS, words spelt out)" \
    imaps/dmarcpipe.conf
like "... says who wrote it, and when" "$(sed -n 1p imaps/dmarcpipe.conf)" \
    '^# dmarcpipe.conf, written by dmarcpipe-setup on 20[0-9-]* [0-9:]* UTC'
is "... the configuration is mode 0644" \
    "$(stat -c %a imaps/dmarcpipe.conf)" 644
is "... the secrets file, beside it, mode 0600" \
    "$(stat -c %a imaps/secrets)" 600
is "... holds the password and nothing else" \
    "$(grep -v '^#' imaps/secrets)" "mailserver_pwd = $PW"
nosecret "... no secret in the configuration, stdout or stderr" \
    imaps/dmarcpipe.conf "$T/.out" "$T/.err"
like "... says what it wrote" "$err" \
    "^dmarcpipe-setup: wrote $T/imaps/dmarcpipe.conf and $T/imaps/secrets"
is "... no temporary file left" "$(ls -A imaps | tr '\n' ' ')" \
    "dmarcpipe.conf secrets "
run "$BIN/mailfetch" -P -c imaps/dmarcpipe.conf
is "mailfetch -P takes it" "$rc" 0
like "... as written" "$out" "^cf_mailserver_action='mark_read'$"

# ---------------------------------------------------------- -n: POP3
mkdir pop3
rc=
run "$SETUP" -n -c "$T/pop3/dmarcpipe.conf" \
    --mailserver_protocol=pop3 --mailserver_host=pop.example.org \
    --mailserver_user=dmarc --mailserver_action=delete --run_as=nobody \
    --resolvers='127.0.0.1:5353, [::1]:53' --password-file=- <"$T/pw"
is "-n, POP3, the password on stdin: exit 0" "$rc" 0
expect mailserver_protocol=POP3 mailserver_host=pop.example.org \
    mailserver_port=110 mailserver_user=dmarc mailserver_action=delete \
    'resolvers=127.0.0.1:5353, [::1]:53'
conf_is "... the file, key by key (port 110)" pop3/dmarcpipe.conf
is "... the secrets: the password only" "$(grep -v '^#' pop3/secrets)" \
    "mailserver_pwd = $PW"
nosecret "... no secret in the file or any output" pop3/dmarcpipe.conf \
    "$T/.out" "$T/.err"
run "$BIN/mailfetch" -P -c pop3/dmarcpipe.conf
is "mailfetch -P takes it" "$rc" 0

# ---------------------------------------------------------- -n: o365
mkdir o365
setup -n -c "$T/o365/dmarcpipe.conf" --mailserver_protocol=O365 \
    --mailserver_user=dmarc@example.onmicrosoft.com \
    --mailserver_mailboxfolder=Inbox/DMARC \
    --o365_client_id=11111111-2222-3333-4444-555555555555 \
    --o365_tenant_id=example.onmicrosoft.com --proxy_use=1 \
    --proxy_server=http://proxy.example.org:3128 --proxy_username=px \
    --run_as=nobody --client-secret-file="$T/cs" \
    --proxy-password-file="$T/pp"
is "-n, o365 with a proxy: exit 0" "$rc" 0
expect mailserver_protocol=o365 mailserver_user=dmarc@example.onmicrosoft.com \
    mailserver_mailboxfolder=Inbox/DMARC \
    o365_client_id=11111111-2222-3333-4444-555555555555 \
    o365_tenant_id=example.onmicrosoft.com proxy_use=1 \
    proxy_server=http://proxy.example.org:3128 proxy_username=px
conf_is "... the file, key by key (no host, no port)" o365/dmarcpipe.conf
is "... the secrets: client secret and proxy password, no mailbox password" \
    "$(grep -v '^#' o365/secrets)" "o365_client_secret = $CS
proxy_pwd = $PP"
is "... mode 0600" "$(stat -c %a o365/secrets)" 600
nosecret "... no secret in the file or any output" o365/dmarcpipe.conf \
    "$T/.out" "$T/.err"
run "$BIN/mailfetch" -P -c o365/dmarcpipe.conf
is "mailfetch -P takes it" "$rc" 0

# ---------------------------------------------------------- -f
cp imaps/dmarcpipe.conf imaps.before
setup -n -c "$T/imaps/dmarcpipe.conf" --mailserver_protocol=IMAP \
    --mailserver_host=other.example.org --mailserver_user=x \
    --run_as=nobody --password-file="$T/pw"
is "an existing file is not replaced without -f: exit 73" "$rc" 73
like "... saying so" "$err" "^dmarcpipe-setup: .*exists; -f replaces it"
ok "... left as it was" cmp -s imaps.before imaps/dmarcpipe.conf
setup -n -f -c "$T/imaps/dmarcpipe.conf" --mailserver_host=other.example.org
is "-f replaces it: exit 0" "$rc" 0
expect mailserver_protocol=IMAPS mailserver_host=other.example.org \
    mailserver_port=993 mailserver_user=dmarc@example.org \
    mailserver_mailboxfolder=INBOX mailserver_action=mark_read output=kv \
    resolve_ips=0 log_level=30 spool=/srv/dmarc/spool \
    log_destination=syslog tls_ca_file=/etc/hostname
conf_is "... the flag changes its key, the rest is the old file's" \
    imaps/dmarcpipe.conf
is "... and the password is kept" "$(grep -v '^#' imaps/secrets)" \
    "mailserver_pwd = $PW"
setup -n -f -c "$T/imaps/dmarcpipe.conf" --mailserver_protocol=pop3s
is "another protocol takes its own port" \
    "$rc $(keys imaps/dmarcpipe.conf | grep '^mailserver_port=')" \
    "0 mailserver_port=995"

# ---------------------------------------------------------- bad values
# Each with what -n needs besides, into a directory that stays empty.
mkdir bad
set -f
for b in --mailserver_protocol=IMAP4 --mailserver_port=0 \
    --mailserver_port=65536 --mailserver_port=99x \
    --mailserver_action=archive --output=xml --resolve_ips=maybe \
    --skip_mail_download=2 --log_level=5 --log_level=60 \
    '--mailserver_host=bad host' --mailserver_host=-x.example.org \
    --mailserver_user= \
    '--resolvers=127.0.0.1; 10.0.0.1' --spool=var/spool \
    --tls_ca_file=/nonexistent/ca.pem --log_destination=dmarc.log \
    --run_as=root --run_as=no-such-user-here \
    --unzipd_user=no-such-user-here --mailfetch_user=root \
    '--mailserver_host=imap.example.org
spool = /tmp'; do
	flag=${b%%=*}
	setup -n -c "$T/bad/dmarcpipe.conf" --mailserver_protocol=IMAPS \
	    --mailserver_host=imap.example.org --mailserver_user=u \
	    --run_as=nobody --password-file="$T/pw" "$b"
	is "$(printf '%s' "$b" | tr '\n' ' '): exit 64, naming the flag" \
	    "$rc $(printf '%s' "$err" | grep -c "^dmarcpipe-setup: $flag: ")" \
	    "64 1"
done
set +f
is "... and nothing is written" "$(ls -A bad)" ""

setup -n -c "$T/bad/dmarcpipe.conf" --mailserver_protocol=IMAPS \
    --mailserver_user=u --run_as=nobody --password-file="$T/pw"
is "-n without a host it needs: exit 64, naming --mailserver_host" \
    "$rc $(printf '%s' "$err" |
	grep -c '^dmarcpipe-setup: --mailserver_host: needed')" "64 1"
setup -n -c "$T/bad/dmarcpipe.conf" --mailserver_protocol=IMAPS \
    --mailserver_host=h.example.org --mailserver_user=u --run_as=nobody
is "... without the password: exit 64, naming --password-file" \
    "$rc $(printf '%s' "$err" |
	grep -c '^dmarcpipe-setup: --password-file: needed')" "64 1"
printf '%s\nmore\n' "$PW" >"$T/pw2"
setup -n -c "$T/bad/dmarcpipe.conf" --mailserver_protocol=IMAPS \
    --mailserver_host=h.example.org --mailserver_user=u --run_as=nobody \
    --password-file="$T/pw2"
is "a password file of two lines: exit 64" "$rc" 64
printf ' %s\n' "$PW" >"$T/pw3"
setup -n -c "$T/bad/dmarcpipe.conf" --mailserver_protocol=IMAPS \
    --mailserver_host=h.example.org --mailserver_user=u --run_as=nobody \
    --password-file="$T/pw3"
is "a password starting with a space: exit 64" "$rc" 64
nosecret "... neither message shows the password" "$T/.err"
setup -n -c "$T/bad/dmarcpipe.conf" "--mailserver_pwd=$PW"
is "a password on the command line: exit 64" "$rc" 64
like "... said" "$err" \
    "^dmarcpipe-setup: --mailserver_pwd: a secret never goes on the command"
nosecret "... not shown" "$T/.err"
setup -n -c "$T/bad/dmarcpipe.conf" --no_such_key=1
is "an unknown key: exit 64" "$rc" 64
like "... named" "$err" "^dmarcpipe-setup: --no_such_key: not a key"
setup -x
is "an unknown option: exit 64" "$rc" 64
like "... and the usage" "$err" "^usage: dmarcpipe-setup \[-fnt\] \[-c conf\]"
is "... still nothing written" "$(ls -A bad)" ""

# ---------------------------------------------------------- -P's word
# A mailfetch whose -P refuses the file written (it is checked under
# its temporary name, which the message must not show).
mkdir fake p78
cat >fake/mailfetch <<EOF
#!/bin/sh
case "\$*" in
*/.dmarcpipe.conf.*)
	echo "mailfetch: \$3:5: mailserver_port: refused by the test" >&2
	exit 78 ;;
esac
exec "$BIN/mailfetch" "\$@"
EOF
chmod 755 fake/mailfetch
DMARCPIPE_BIN=$T/fake run "$SETUP" -n -c "$T/p78/dmarcpipe.conf" \
    --mailserver_protocol=IMAPS --mailserver_host=h.example.org \
    --mailserver_user=u --run_as=nobody --password-file="$T/pw" </dev/null
is "mailfetch -P refuses the result: exit 78" "$rc" 78
like "... its message names the file" "$err" \
    "^mailfetch: $T/p78/dmarcpipe.conf:5: mailserver_port: refused"
is "... and nothing is written, nothing left" "$(ls -A p78)" ""

# ---------------------------------------------------------- interactive
# Through a pipe: every question of an IMAPS setup, a bad port asked
# again, "-" for an empty value.
mkdir ask
answers '0
imaps
imap.example.org
99999
1993
INBOX
dmarc@example.org
'"$PW"'
move
Archive/[YEAR]
json

25

nobody
-

no
' -c "$T/ask/dmarcpipe.conf"
is "interactive, IMAPS: exit 0" "$rc" 0
expect mailserver_protocol=IMAPS mailserver_host=imap.example.org \
    mailserver_port=1993 mailserver_user=dmarc@example.org \
    mailserver_mailboxfolder=INBOX mailserver_moveto='Archive/[YEAR]'
conf_is "... the file, key by key (log level 25 rounded to 20)" \
    ask/dmarcpipe.conf
is "... the secrets" "$(grep -v '^#' ask/secrets)" "mailserver_pwd = $PW"
like "... prompts on stderr" "$err" '^mailserver_host: $'
like "... with the answer Enter takes" "$err" '^mailserver_port \[993\]: $'
like "... a bad answer said" "$err" \
    '^dmarcpipe-setup: mailserver_port: not a port number'
is "... and asked again" "$(asked | grep -c '^mailserver_port$')" 2
is "... the questions that apply, in order" "$(questions)" "$(echo \
    skip_mail_download mailserver_protocol mailserver_host mailserver_port \
    mailserver_mailboxfolder mailserver_user mailserver_pwd \
    mailserver_action mailserver_moveto output resolve_ips log_level spool \
    run_as resolvers log_destination)"
like "... the -t offer last" "$err" \
    'test the mailbox now (mailfetch -t)? (yes or no) \[yes\]: $'
nosecret "... the password in no output" "$T/.out" "$T/.err" \
    ask/dmarcpipe.conf
is "... stdout is empty" "$out" ""

# o365 and POP3: the questions that don't apply are not asked.
mkdir ask365
answers '
o365

dmarc@example.org
id-1
tenant.example.org
'"$CS"'
delete
1
proxy.example.org:8080
-
kv
0
40
/srv/spool
nobody
/var/log/dmarcpipe.log
' -c "$T/ask365/dmarcpipe.conf"
is "interactive, o365: exit 0" "$rc" 0
is "... no host, port or password asked; the proxy is" "$(questions)" "$(echo \
    skip_mail_download mailserver_protocol mailserver_mailboxfolder \
    mailserver_user o365_client_id o365_tenant_id o365_client_secret \
    mailserver_action proxy_use proxy_server proxy_username output \
    resolve_ips log_level spool run_as log_destination)"
expect mailserver_protocol=o365 mailserver_user=dmarc@example.org \
    o365_client_id=id-1 o365_tenant_id=tenant.example.org \
    mailserver_action=delete proxy_use=1 \
    proxy_server=proxy.example.org:8080 output=kv resolve_ips=0 \
    log_level=40 spool=/srv/spool log_destination=/var/log/dmarcpipe.log
conf_is "... the file, key by key" ask365/dmarcpipe.conf
is "... the secrets: the client secret only (a proxy without a user)" \
    "$(grep -v '^#' ask365/secrets)" "o365_client_secret = $CS"

mkdir askpop
answers '0
POP3
pop.example.org

dmarc
'"$PW"'
mark_read
json
1
20
/var/spool/dmarcpipe
nobody

stderr
' -c "$T/askpop/dmarcpipe.conf"
is "interactive, POP3: no folder, no move-to, no o365 questions" \
    "$rc $(questions)" "$(echo 0 \
    skip_mail_download mailserver_protocol mailserver_host mailserver_port \
    mailserver_user mailserver_pwd mailserver_action output resolve_ips \
    log_level spool run_as resolvers log_destination)"

mkdir askskip
answers 'yes
json
1
20
/var/spool/dmarcpipe
nobody

stderr
' -c "$T/askskip/dmarcpipe.conf"
is "interactive, skip_mail_download: nothing about the mailbox" \
    "$rc $(questions)" "$(echo 0 skip_mail_download output resolve_ips \
    log_level spool run_as resolvers log_destination)"
is "... no secrets file, the file says skip" \
    "$(ls askskip) $(keys askskip/dmarcpipe.conf | grep skip)" \
    "dmarcpipe.conf skip_mail_download=1"

answers '0
IMAPS
' -c "$T/askskip/x.conf"
is "stdin ending before the answers do: exit 64" "$rc" 64
is "... nothing written" "$(ls askskip)" "dmarcpipe.conf"

# An existing file: its values are the answers offered; Enter takes
# them all, the password kept; the file is replaced only when told.
cp ask/dmarcpipe.conf ask.before
cp ask/secrets ask.secrets
enter16=$(printf '%16s' '' | tr ' ' '\n'; echo .)	# 16 times Enter
enter16=${enter16%.}
answers "${enter16}no
" -c "$T/ask/dmarcpipe.conf"
is "an existing file, replacing it refused: exit 0" "$rc" 0
like "... nothing written, said" "$err" '^dmarcpipe-setup: nothing written'
ok "... the file as it was" cmp -s ask.before ask/dmarcpipe.conf
like "... its host offered" "$err" '^mailserver_host \[imap.example.org\]: $'
like "... its port" "$err" '^mailserver_port \[1993\]: $'
like "... its move-to folder" "$err" \
    '^mailserver_moveto (the folder to move reports to) \[Archive/\[YEAR\]\]: $'
like "... its password kept on Enter" "$err" \
    '^mailserver_pwd (not shown) \[the current one\]: $'
answers "${enter16}yes
no
" -c "$T/ask/dmarcpipe.conf"
is "replacing it, every answer taken as offered: exit 0" "$rc" 0
is "... the same settings" "$(keys ask/dmarcpipe.conf)" "$(keys ask.before)"
is "... the same password" "$(grep -v '^#' ask/secrets)" \
    "$(grep -v '^#' ask.secrets)"
nosecret "... which no output shows" "$T/.out" "$T/.err"

# ---------------------------------------------------------- no argv
# strace sees every program started, with its arguments.
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null
then
	mkdir st
	printf '%s' '0
IMAPS
imap.example.org

INBOX
u
'"$PW"'
delete
json
0
20
/var/spool/dmarcpipe
nobody
stderr
no
' >"$T/.in"
	strace -f -qq -s 65535 -e trace=execve -o "$T/trace1" "$SETUP" \
	    -c "$T/st/a/dmarcpipe.conf" <"$T/.in" >/dev/null 2>&1
	strace -f -qq -s 65535 -e trace=execve -o "$T/trace2" "$SETUP" -n \
	    -c "$T/st/b/dmarcpipe.conf" --mailserver_protocol=o365 \
	    --mailserver_user=u \
	    --o365_client_id=c --o365_tenant_id=t --proxy_use=1 \
	    --proxy_server=http://p:1 --proxy_username=p --run_as=nobody \
	    --client-secret-file="$T/cs" --proxy-password-file="$T/pp" \
	    </dev/null >/dev/null 2>&1
	is "traced: both setups wrote their files" \
	    "$(cd st && ls a b | tr '\n' ' ')" \
	    "a: dmarcpipe.conf secrets  b: dmarcpipe.conf secrets "
	ok "... ran mailfetch -P" grep -q 'mailfetch", \["[^"]*mailfetch", "-P"' \
	    "$T/trace1"
	nosecret "... no secret on any program's command line" \
	    "$T/trace1" "$T/trace2"
else
	skip "traced: both setups wrote their files" "no strace here"
	skip "... ran mailfetch -P" "no strace here"
	skip "... no secret on any program's command line" "no strace here"
fi

# ---------------------------------------------------------- a terminal
# On a terminal, echo is off for the secret only: the password is not
# seen, the answer after it is.  The other answers are flags here.
if [ -n "$PY" ]; then
	mkdir tty
	"$PY" - "$SETUP" "$T/tty/dmarcpipe.conf" "$PW" >"$T/tty.out" 2>&1 <<'EOF'
import os, pty, select, sys, time
setup, conf, pw = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(setup, [setup, "-c", conf, "--skip_mail_download=0",
        "--mailserver_protocol=IMAPS", "--mailserver_host=h.example.org",
        "--mailserver_port=993", "--mailserver_mailboxfolder=INBOX",
        "--mailserver_user=u", "--mailserver_action=delete",
        "--output=json", "--resolve_ips=0", "--log_level=20",
        "--spool=/var/spool/dmarcpipe", "--run_as=nobody",
        "--log_destination=stderr"])
seen = b""
def until(what):
    global seen
    end = time.monotonic() + 10
    while what not in seen and time.monotonic() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                b = os.read(fd, 4096)
            except OSError:
                break
            if not b:
                break
            seen += b
    return what in seen
if until(b"(not shown): "):
    os.write(fd, pw.encode() + b"\n")
if until(b"[yes]: "):
    os.write(fd, b"nope-then-no\n")
    until(b"yes or no")
    os.write(fd, b"no\n")
until(b"\0")
os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
EOF
	like "on a terminal: the password asked" "$(cat "$T/tty.out")" \
	    'mailserver_pwd (not shown): '
	nosecret "... not echoed" "$T/tty.out"
	like "... echo on again for the next answer" "$(cat "$T/tty.out")" \
	    'nope-then-no'
	is "... the password written" "$(grep -v '^#' tty/secrets)" \
	    "mailserver_pwd = $PW"
else
	for d in "on a terminal: the password asked" "... not echoed" \
	    "... echo on again for the next answer" "... the password written"
	do
		skip "$d" "no python3 for a terminal"
	done
fi

# ---------------------------------------------------------- -t
if [ "$have_mail" = 0 ]; then
	for i in 1 2 3 4 5 6 7; do
		skip "-t against dovecot" "no dovecot (scripts/install-deps)"
	done
elif [ "$have_t" = 0 ]; then
	for i in 1 2 3 4 5 6 7; do
		skip "-t against dovecot" "bin/mailfetch has no -t yet"
	done
else
	printf '%s\n' "$MAIL_PASS" >"$T/mailpw"
	printf 'wrong %s\n' "$MAIL_PASS" >"$T/badpw"
	mt() {	# mt DIR ARG...: setup for the test server's IMAPS
		_d=$1
		shift
		mkdir "$T/$_d"
		run "$SETUP" -c "$T/$_d/dmarcpipe.conf" \
		    --mailserver_protocol=IMAPS --mailserver_host=127.0.0.1 \
		    --mailserver_port="$MAIL_IMAPS_PORT" \
		    --mailserver_user="$MAIL_USER" \
		    --mailserver_mailboxfolder=INBOX --tls_ca_file="$MAIL_CA" \
		    --connect_timeout=5 --io_timeout=5 --run_as=nobody \
		    --output=json --resolve_ips=0 --log_level=20 \
		    --mailserver_action=mark_read --spool=/var/spool/dmarcpipe \
		    --log_destination=stderr "$@"
	}
	mt mt -n -t --password-file="$T/mailpw" </dev/null
	is "-t with the right password: exit 0" "$rc" 0
	like "... logged in, says mailfetch on stdout" "$out" \
	    "logged in as $MAIL_USER"
	run "$BIN/mailfetch" $RUN_AS -t -c "$T/mt/dmarcpipe.conf"
	is "mailfetch -t on the file written: exit 0" "$rc" 0
	mt mtbad -n -t --password-file="$T/badpw" </dev/null
	is "-t with a wrong password: exit 77, mailfetch's" "$rc" 77
	like "... the login refused" "$err" "login refused"
	nosecret "... the password in no output" "$T/.out" "$T/.err"
	printf '0\n%s\nyes\n' "$MAIL_PASS" >"$T/mt.in"
	mt mtask <"$T/mt.in"
	is "interactive: the -t offer taken, mailfetch logs in" \
	    "$rc $(printf '%s\n' "$out" | grep -c "logged in as $MAIL_USER")" \
	    "0 1"
fi

finish
