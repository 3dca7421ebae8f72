#!/bin/sh
# The README's two commands, as a newcomer runs them, on a clean copy of
# the tree (what `git clone` would give once the work is committed: the
# tracked files and the new ones git doesn't ignore; no ../shared beside
# it, so the corpus tests skip there).  The first must print the sample
# events, the second must pass every test.
#
# The commands say `sudo sh -c 'apt-get update && apt-get install -y make
# && make ...'`.  Tests reach nothing beyond loopback, so apt-get is a
# stand-in here: `update` does nothing, `install` succeeds only when every
# package named is already installed (as `make check` has made sure);
# everything else runs as written.  sudo resets PATH, which would bypass
# that stand-in: the test runs as root, with the `sudo` left out as the
# README says to.  Inside, the nested `make check` skips this test.
. "$(dirname "$0")/../lib.sh"
if [ -n "${DMARCPIPE_README_NESTED:-}" ]; then
	echo "1..0 # SKIP the README's make check, inside the README's make check"
	exit 0
fi
if [ -n "${DMARCPIPE_SANITIZER_LOG:-}" ]; then
	# The copy builds its own plain programs: nothing here is sanitized.
	echo "1..0 # SKIP the README's commands ran in make check's plain pass"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the README's commands use sudo; run as root"
	exit 0
fi
if ! git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	echo "1..0 # SKIP $TOP is not a git tree"
	exit 0
fi
plan 7

# The two commands: the indented lines of the quick start that start
# with "sudo sh -c".
grep '^    sudo sh -c ' "$TOP/README" | sed 's/^    sudo //' >"$T/cmds"
is "the README has two commands" "$(wc -l <"$T/cmds")" 2
like "... the first runs make demo" "$(sed -n 1p "$T/cmds")" \
    "^sh -c '.*make demo'\$"
like "... the second make check" "$(sed -n 2p "$T/cmds")" \
    "^sh -c '.*make check'\$"

mkdir "$T/shim" "$T/clone"
cat >"$T/shim/apt-get" <<'EOF'
#!/bin/sh
# apt-get's stand-in for tests/t/0890-readme.t: no network.
case $1 in
update) exit 0 ;;
install)
	shift
	for p in "$@"; do
		case $p in -*) continue ;; esac
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' && continue
		echo "apt-get (test stand-in): $p is not installed" >&2
		exit 100
	done
	exit 0 ;;
esac
echo "apt-get (test stand-in): $*: not done in a test" >&2
exit 100
EOF
chmod +x "$T/shim/apt-get"
(cd "$TOP" && git ls-files -z -c -o --exclude-standard |
    xargs -0 cp --parents -t "$T/clone") ||
    { echo "Bail out! can't copy the tree"; exit 1; }

cd "$T/clone" || exit 1
PATH=$T/shim:$PATH
export PATH
run sh -c "$(sed -n 1p "$T/cmds")"
is "the first command: exit 0" "$rc" 0
is "... prints the sample events, one JSON line each" \
    "$(printf '%s\n' "$out" | grep -c '^{"feedback": {')" 12
# The nested make check runs its plain pass only (CHECK_PASSES, which
# make takes from the environment): the sanitized and valgrind passes of
# the same tree are the outer make check's, and would only double the
# time here.
DMARCPIPE_README_NESTED=1
CHECK_PASSES=plain
export DMARCPIPE_README_NESTED CHECK_PASSES
run sh -c "$(sed -n 2p "$T/cmds")"
is "the second command: exit 0" "$rc" 0
like "... every test passed" "$out" '^Result: PASS$'
# On failure, what failed inside, on stderr so that prove shows it.
[ "$rc" = 0 ] || printf '%s\n' "$out" | grep -v '\.\. ok$' | tail -n 60 |
    sed 's/^/0890 nested: /' >&2
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -n 20 | sed 's/^/0890 nested: /' >&2
finish
