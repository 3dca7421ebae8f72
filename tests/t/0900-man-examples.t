#!/bin/sh
# Every example in the EXAMPLES section of each manual page (man/*.1,
# *.5, *.7, *.8) is run here, so the manuals can't drift from the
# programs and scripts, and every page is linted.
# Within each .Bd -literal block of that section: "$ command" is run,
# "> more" continues the command on the next line, and the lines after it
# are the output it must print (stdout and stderr together, white space
# at either end of a line ignored).  An output line ending in "..."
# matches any line that starts with the text before it; a line "..."
# alone, the last one shown, stands for one or more further lines; no
# output shown means none may be printed.  "$ echo $?" is not run: the
# number after it is the exit status the command before must have
# (otherwise 0).
#
# The commands of a page run in order, in a scratch directory of that
# page's own holding a copy of samples/, with bin/ first in PATH and
# scripts/ after it.  Root can't run our programs without -u, so there a
# wrapper for each program that has a section 1 page adds $RUN_AS, and
# the scratch tree is handed to nobody before each command so that the
# unprivileged programs can work in what the commands made; the scripts
# of the section 8 pages (dmarcpipe, dmarcpipe-setup) run the programs
# from bin/ themselves, with run_as, which their examples set to nobody.
# A command naming one of our programs that is not built, or one of our
# scripts while a program is not built, is skipped.
. "$(dirname "$0")/../lib.sh"

pages=
for man in "$TOP"/man/*.[1578]; do
	[ -f "$man" ] && pages="$pages $man"
done
if [ -z "$pages" ]; then
	echo "1..0 # SKIP no man/*.[1578] pages"
	exit 0
fi
mkdir "$T/bin"

# Our programs: one per section 1 page.  Our scripts: one per section 8
# page, in scripts/.
progs=
scripts=
for man in $pages; do
	case $man in
	*.1) progs="$progs $(basename "$man" .1)" ;;
	*.8) scripts="$scripts $(basename "$man" .8)" ;;
	esac
done

# split_examples MAN EX: the examples of page MAN into EX/N.cmd, N.exp
# (output shown), N.st (status), EX/count, EX/bad and EX/stray.  Only
# roff's escapes are undone; a literal block holds no other markup.
split_examples() {
awk -v ex="$2" '
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
}' "$1"
}

# Split every page first: the plan counts each page's commands, three
# checks of its EXAMPLES and its lint.
total=0
for man in $pages; do
	page=$(basename "$man")
	mkdir "$T/$page" "$T/$page/ex" "$T/$page/work"
	split_examples "$man" "$T/$page/ex"
	total=$((total + $(cat "$T/$page/ex/count") + 4))
done
plan $total

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

# Each program as the examples mean it: with -u when we are root.
for prog in $progs; do
	[ -x "$BIN/$prog" ] || continue
	cat >"$T/bin/$prog" <<EOF
#!/bin/sh
exec "$BIN/$prog" $RUN_AS "\$@"
EOF
	chmod 755 "$T/bin/$prog"
done

have_samples=0
set -- "$TOP"/samples/*.xml
[ -f "$1" ] && have_samples=1
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 60"
have_mandoc=0
command -v mandoc >/dev/null 2>&1 && have_mandoc=1

# names CMDFILE WORD: the command names WORD, as a command or argument
names() {
	grep -Eq "(^|[^[:alnum:]_./-])$2([^[:alnum:]_.-]|\$)" "$1"
}

# unbuilt: the first of our programs that is not built, if any
unbuilt() {
	for prog in $progs; do
		if [ ! -x "$BIN/$prog" ]; then
			echo "$BIN/$prog (make all)"
			return
		fi
	done
}

# missing CMDFILE: the first of our programs the command names that is
# not built, or the first of our scripts it names that is not there or
# has a program not built, if any.
missing() {
	for prog in $progs; do
		if names "$1" "$prog" && [ ! -x "$BIN/$prog" ]; then
			echo "$BIN/$prog (make all)"
			return
		fi
	done
	for script in $scripts; do
		names "$1" "$script" || continue
		if [ ! -x "$TOP/scripts/$script" ]; then
			echo "$TOP/scripts/$script"
			return
		fi
		unbuilt
		return
	done
}

for man in $pages; do
	page=$(basename "$man")
	EX=$T/$page/ex
	W=$T/$page/work
	n=$(cat "$EX/count")
	[ "$have_samples" = 1 ] && cp -R "$TOP/samples" "$W/samples"

	ok "$page: EXAMPLES holds commands ($n)" test "$n" -gt 0
	is "$page: EXAMPLES: only escapes this test understands" \
	    "$(cat "$EX/bad")" "unknown escapes:"
	d="every line is a command, its continuation, output or status"
	is "$page: EXAMPLES: $d" "$(cat "$EX/stray")" "stray lines:"

	gone=
	case $page in
	*.1)
		[ -x "$BIN/${page%.1}" ] || gone="no $BIN/${page%.1} (make all)"
		;;
	*.8)
		# a script runs the programs
		u=$(unbuilt)
		if [ ! -x "$TOP/scripts/${page%.8}" ]; then
			gone="no $TOP/scripts/${page%.8}"
		elif [ -n "$u" ]; then
			gone="no $u"
		fi
		;;
	esac
	i=1
	while [ "$i" -le "$n" ]; do
		cmd=$(cat "$EX/$i.cmd")
		want=$(cat "$EX/$i.st")
		# echo(1) in some shells eats backslashes: the name stops
		# before one
		name="$page: \$ $(head -n 1 "$EX/$i.cmd" | cut -c1-64 |
		    sed 's/\\.*/.../')"
		if [ "$have_samples" = 0 ] && grep -q 'samples/' "$EX/$i.cmd"
		then
			skip "$name" "no samples/*.xml in the tree"
			i=$((i + 1))
			continue
		fi
		# what follows a skipped command may depend on it: skip that too
		prog=$(missing "$EX/$i.cmd")
		[ -n "$prog" ] && [ -z "$gone" ] && gone="no $prog"
		if [ -n "$gone" ]; then
			skip "$name" "$gone"
			i=$((i + 1))
			continue
		fi
		[ -n "$RUN_AS" ] && chown -R nobody "$W"
		# shellcheck disable=SC2086
		(cd "$W" && DMARCPIPE_BIN=$BIN PATH="$T/bin:$BIN:$TOP/scripts:$PATH" \
		    $limit sh -c "$cmd") \
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

	if [ "$have_mandoc" = 1 ]; then
		run mandoc -Tlint -W warning "$man"
		is "$page: mandoc -Tlint -W warning: no message, exit 0" \
		    "$rc:$out$err" "0:"
	else
		skip "$page: mandoc -Tlint -W warning" "no mandoc"
	fi
done
finish
