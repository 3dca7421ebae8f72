# What the mailfetch tests share, sourced after lib.sh.  A test keeps
# each case in $T/NAME: NAME/dmarcpipe.conf, NAME/secrets, NAME/spool.
#
#	mfdir NAME		make $T/NAME/spool (nobody's, as root)
#	mf NAME [ARG...]	one pass of mailfetch for NAME: $out $err
#				$rc; its messages also go to $T/all.err
#	crash NAME		crash_loop (lib.sh) over passes for NAME
#	spooled NAME		the report ids (mkmail.py's Message-IDs) of
#				NAME's mail/new, sorted, on one line; a
#				report there twice is there twice

mfdir() {
	mkdir -p "$T/$1/spool"
	[ -n "$RUN_AS" ] && chown nobody "$T/$1/spool"
	return 0
}

mf() {
	_d=$T/$1
	shift
	run "$BIN/mailfetch" $RUN_AS -c "$_d/dmarcpipe.conf" -d "$_d/spool" \
	    "$@"
	cat "$T/.err" >>"$T/all.err"
}

crash() {
	crash_loop "$T/$1/err" "$BIN/mailfetch" $RUN_AS \
	    -c "$T/$1/dmarcpipe.conf" -d "$T/$1/spool"
}

spooled() {
	cat "$T/$1/spool/mail/new"/* 2>/dev/null |
	    sed -n 's/^Message-ID: <\(.*\)@mkmail.test>.*/\1/Ip' | sort |
	    tr '\n' ' '
}
