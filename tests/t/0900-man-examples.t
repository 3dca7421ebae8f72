#!/bin/sh
# Every example in the EXAMPLES section of man/rua2kv.1 is run here, so
# the manual can't drift from the program.  Within each .Bd -literal
# block of that section: "$ command" is run, "> more" continues the
# command on the next line, and the lines after it are the output it
# must print (stdout and stderr together, white space at either end of a
# line ignored).  An output line ending in "..." matches any line that
# starts with the text before it; a line "..." alone, the last one shown,
# stands for one or more further lines; no output shown means none may be
# printed.  "$ echo $?" is not run: the number after it is the exit
# status the command before must have (otherwise 0).
#
# The commands run in order, in one scratch directory holding a copy of
# samples/, with bin/ first in PATH.  Root can't run rua2kv without -u,
# so there a wrapper adds $RUN_AS, and the scratch tree is handed to
# nobody before each command so that the unprivileged rua2kv can work in
# what the commands made.
. "$(dirname "$0")/../lib.sh"

MAN=$TOP/man/rua2kv.1
EX=$T/ex
W=$T/work
mkdir "$EX" "$W" "$T/bin"

if [ ! -f "$MAN" ] || [ ! -x "$BIN/rua2kv" ]; then
	echo "1..0 # SKIP no $MAN or no $BIN/rua2kv (make all)"
	exit 0
fi

# Split the examples into $EX/N.cmd, N.exp (output shown), N.st (status).
# Only roff's escapes are undone; a literal block holds no other markup.
awk -v ex="$EX" '
function special(nm) {
	if (nm == "aq") return "\047"
	if (nm == "dq") return "\""
	if (nm == "ti") return "~"
	if (nm == "ha") return "^"
	if (nm == "ga") return "`"
	if (nm == "rs") return "\\"
	if (nm == "em") return "--"
	bad = bad " \\(" nm
	return ""
}
function unescape(s,	out, i, j, c) {
	out = ""
	while ((i = index(s, "\\")) > 0) {
		out = out substr(s, 1, i - 1)
		c = substr(s, i + 1, 1)
		s = substr(s, i + 2)
		if (c == "e" || c == "\\")
			out = out "\\"
		else if (c == "-")
			out = out "-"
		else if (c == "&" || c == ")")
			;
		else if (c == "(") {
			out = out special(substr(s, 1, 2))
			s = substr(s, 3)
		} else if (c == "[" && (j = index(s, "]")) > 0) {
			out = out special(substr(s, 1, j - 1))
			s = substr(s, j + 1)
		} else
			bad = bad " \\" c
	}
	return out s
}
function close_cmd() {
	if (n > 0) {
		close(ex "/" n ".cmd")
		close(ex "/" n ".exp")
	}
}
/^\.Sh[ \t]/ {
	close_cmd()
	insec = $0 ~ /^\.Sh[ \t]+EXAMPLES[ \t]*$/
	next
}
!insec { next }
/^\.Bd[ \t]+-literal/ { inblk = 1; state = ""; next }
/^\.Ed/ { inblk = 0; next }
!inblk { next }
/^\.\\"/ { next }
/^\./ { stray = stray " [" $0 "]"; next }
{
	line = unescape($0)
	if (substr(line, 1, 2) == "$ ") {
		close_cmd()
		line = substr(line, 3)
		if (line == "echo $?") {
			if (n == 0 || state == "status")
				stray = stray " [$ echo $? after no command]"
			state = "status"
			next
		}
		n++
		print line > (ex "/" n ".cmd")
		printf "" > (ex "/" n ".exp")
		print 0 > (ex "/" n ".st")
		close(ex "/" n ".st")
		state = "cmd"
	} else if (state == "cmd" && (substr(line, 1, 2) == "> " || line == ">"))
		print substr(line, 3) > (ex "/" n ".cmd")
	else if (state == "status") {
		if (line !~ /^[0-9]+$/)
			stray = stray " [status " line "]"
		print line > (ex "/" n ".st")
		close(ex "/" n ".st")
		state = "done"
	} else if (state == "cmd" || state == "out") {
		print line > (ex "/" n ".exp")
		state = "out"
	} else
		stray = stray " [" line "]"
}
END {
	close_cmd()
	print n + 0 > (ex "/count")
	print "unknown escapes:" bad > (ex "/bad")
	print "stray lines:" stray > (ex "/stray")
}' "$MAN"

n=$(cat "$EX/count")
plan $((n + 4))

ok "EXAMPLES holds commands ($n)" test "$n" -gt 0
is "EXAMPLES: only escapes this test understands" \
    "$(cat "$EX/bad")" "unknown escapes:"
is "EXAMPLES: every line is a command, its continuation, output or status" \
    "$(cat "$EX/stray")" "stray lines:"

# Expected output ($1) against what was printed ($2): nothing when they
# agree, else one line saying where they don't.
compare() {
	awk '
	function trim(s) {
		sub(/^[ \t]+/, "", s)
		sub(/[ \t]+$/, "", s)
		return s
	}
	FILENAME == ARGV[1] { if (trim($0) != "") e[++ne] = trim($0); next }
	{ if (trim($0) != "") a[++na] = trim($0) }
	END {
		j = 1
		for (k = 1; k <= ne; k++) {
			x = e[k]
			if (x == "...") {
				if (k != ne) {
					print "\"...\" alone must be the last line shown"
					exit
				}
				if (j > na) {
					print "more output expected after line " na
					exit
				}
				j = na + 1
				break
			}
			if (j > na) {
				print "missing: " x
				exit
			}
			if (x ~ /\.\.\.$/) {
				p = trim(substr(x, 1, length(x) - 3))
				if (substr(a[j], 1, length(p)) != p) {
					print "line " j " [" substr(a[j], 1, 100) "]" \
					    " does not start with [" p "]"
					exit
				}
			} else if (a[j] != x) {
				print "line " j " [" substr(a[j], 1, 100) "], expected [" x "]"
				exit
			}
			j++
		}
		if (j <= na)
			print "unexpected output: " a[j]
	}' "$1" "$2"
}

# rua2kv as the examples mean it: with -u when we are root.
cat >"$T/bin/rua2kv" <<EOF
#!/bin/sh
exec "$BIN/rua2kv" $RUN_AS "\$@"
EOF
chmod 755 "$T/bin/rua2kv"

have_samples=0
set -- "$TOP"/samples/*.xml
if [ -f "$1" ]; then
	cp -R "$TOP/samples" "$W/samples"
	have_samples=1
fi
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 60"

i=1
while [ "$i" -le "$n" ]; do
	cmd=$(cat "$EX/$i.cmd")
	want=$(cat "$EX/$i.st")
	# echo(1) in some shells eats backslashes: the name stops before one
	name="\$ $(head -n 1 "$EX/$i.cmd" | cut -c1-64 | sed 's/\\.*/.../')"
	if [ "$have_samples" = 0 ] && grep -q 'samples/' "$EX/$i.cmd"; then
		skip "$name" "no samples/*.xml in the tree"
		i=$((i + 1))
		continue
	fi
	[ -n "$RUN_AS" ] && chown -R nobody "$W"
	# shellcheck disable=SC2086
	(cd "$W" && PATH="$T/bin:$BIN:$PATH" $limit sh -c "$cmd") \
	    </dev/null >"$T/got" 2>&1
	got=$?
	why=$(compare "$EX/$i.exp" "$T/got")
	if [ "$got" != "$want" ]; then
		why="exit status $got, expected $want${why:+; }$why"
	fi
	is "$name (exit $want)" "$why" ""
	if [ -n "$why" ]; then
		echo "#   printed:"
		head -n 10 "$T/got" | cut -c1-200 | sed 's/^/#     /'
	fi
	i=$((i + 1))
done

if command -v mandoc >/dev/null 2>&1; then
	run mandoc -Tlint -W warning "$MAN"
	is "mandoc -Tlint -W warning: no message, exit 0" "$rc:$out$err" "0:"
else
	skip "mandoc -Tlint -W warning" "no mandoc"
fi
finish
