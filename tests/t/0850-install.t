#!/bin/sh
# make install into a staging directory (PREFIX, DESTDIR): what lands
# where, with which mode; the examples' paths follow PREFIX; and the
# installed dmarcpipe finds the installed programs and runs a pass.
. "$(dirname "$0")/../lib.sh"
built mailfetch unzipd rua2kv ptrresolve
plan 12
S=$T/stage
run make -C "$TOP" --no-print-directory install PREFIX=/opt/dp \
    "DESTDIR=$S"
is "make install PREFIX=/opt/dp DESTDIR=...: exit 0" "$rc" 0
mode() { stat -c %a "$S/opt/dp/$1" 2>/dev/null || echo missing; }
is "the four programs in bin/, 0755" \
    "$(for p in mailfetch unzipd rua2kv ptrresolve; do mode bin/$p; done |
    tr '\n' ' ')" "755 755 755 755 "
is "dmarcpipe and dmarcpipe-setup in sbin/, 0755" \
    "$(mode sbin/dmarcpipe) $(mode sbin/dmarcpipe-setup)" "755 755"
is "every man page, in its section, 0644" \
    "$(cd "$TOP/man" && for m in *.[1-8]; do
	mode "share/man/man${m##*.}/$m"; done | sort -u)" 644
ok "... the overview, the config, the spool and the job among them" \
    test -f "$S/opt/dp/share/man/man7/dmarcpipe.7" -a \
    -f "$S/opt/dp/share/man/man5/dmarcpipe.conf.5" -a \
    -f "$S/opt/dp/share/man/man5/dmarc-spool.5" -a \
    -f "$S/opt/dp/share/man/man8/dmarcpipe.8"
E=$S/opt/dp/share/doc/dmarcpipe/examples
is "the examples: config, Splunk, systemd, cron" \
    "$(cd "$E" && find . -type f | sort | tr '\n' ' ')" \
    "$(cd "$TOP/scripts" && { echo ./dmarcpipe.conf
	find ./splunk -name '*.conf'; find ./systemd ./cron -type f; } |
	sort | tr '\n' ' ')"
ok "... the systemd units name the installed job" \
    grep -q '^ExecStart=/opt/dp/sbin/dmarcpipe ' "$E/systemd/dmarcpipe.service"
ok "... and so does the cron line" grep -q ' /opt/dp/sbin/dmarcpipe ' \
    "$E/cron/dmarcpipe"
ok "... and nothing names /usr/local any more" \
    sh -c '! grep -rq /usr/local "$1"' - "$E"
ok "nothing else was installed" test "$(cd "$S" && find . -type f |
    grep -cv '^./opt/dp/\(bin\|sbin\|share/man\|share/doc/dmarcpipe\)/')" \
    = 0

# The installed job, on a sample mail: it must find ../bin/ beside it.
mkdir -p "$T/spool/mail/new"
cp "$TOP/samples/mail/3-google.com.eml" "$T/spool/mail/new/m"
[ -z "$RUN_AS" ] || chown -R nobody "$T/spool"
conf_file "$T/dp.conf" -- skip_mail_download=1 resolve_ips=0 \
    "spool=$T/spool" "run_as=$([ -z "$RUN_AS" ] || echo nobody)"
run env PATH=/usr/bin:/bin "$S/opt/dp/sbin/dmarcpipe" -c "$T/dp.conf"
is "the installed dmarcpipe runs the installed programs: exit 0" "$rc" 0
is "... the events are out" "$(cat "$T"/spool/out/new/* | wc -l)" 4
finish
