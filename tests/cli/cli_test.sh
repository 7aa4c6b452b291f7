#!/bin/sh
# Tests of the fusecore command (tools/fusecore/), one CTest test per case:
#
#   cli_test.sh run-passthrough   conformance run against libfuse3's passthrough_ll:
#                                 passes; TAP, JUnit and JSON well-formed and agreeing
#   cli_test.sh run-hello         against hello_ll (read-only): passes, with skips
#   cli_test.sh run-modes         passthrough_ll under the preload handoff (and
#                                 fusermount as root)
#   cli_test.sh run-virtiofs      over virtio-fs with QEMU's virtiofsd (root; once the
#                                 library has the transport)
#   cli_test.sh sh                the shell, scripted on stdin, against passthrough_ll
#   cli_test.sh trace             the decoder on tests/vectors/*.fcap and broken captures
#   cli_test.sh errors            exit statuses: missing daemon, daemon dying, INIT
#                                 refused / garbage / unanswered, usage errors
#   cli_test.sh help              --help of every subcommand
#
# The programs come from the environment (tests/cli/CMakeLists.txt sets it):
# FUSECORE, PASSTHROUGH_LL, HELLO_LL, FAKE_DAEMON, CHECK_REPORTS, VECTORS.
# A daemon that CMake could not build is a skip (exit 77).
set -eu

case_=${1:?usage: cli_test.sh CASE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusecore-cli-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

need() { # VAR
	eval "v=\${$1:-}"
	if [ -z "$v" ] || [ ! -x "$v" ]; then
		echo "SKIP: $1 not built"
		exit 77
	fi
}

# expect_status WANT CMD...: run CMD, its status must be WANT.
expect_status() {
	want=$1
	shift
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "--- stdout"; cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"
		fail "exit status $got, expected $want: $*"
	fi
}

need FUSECORE

case "$case_" in
run-passthrough)
	need PASSTHROUGH_LL
	mkdir "$tmp/src"
	echo "existing file" >"$tmp/src/existing"
	"$FUSECORE" run --page-cache --tap --junit "$tmp/r.xml" --json "$tmp/r.json" -- \
		"$PASSTHROUGH_LL" -f -o source="$tmp/src" -o xattr >"$tmp/r.tap" ||
		{ cat "$tmp/r.tap"; fail "fusecore run against passthrough_ll"; }
	cat "$tmp/r.tap"
	"$CHECK_REPORTS" "$tmp/r.tap" "$tmp/r.xml" "$tmp/r.json"
	grep -q '^not ok' "$tmp/r.tap" && fail "a scenario failed"
	# Every write scenario ran against a writable daemon; only xattr may be
	# skipped, where the directory's file system has no user xattrs.
	grep '# SKIP' "$tmp/r.tap" | grep -v ' - xattr: ' | grep -q . && fail "a scenario was skipped"
	# The scratch tree is gone from the real directory, the rest untouched.
	[ "$(ls -A "$tmp/src")" = "existing" ] || fail "source dir left as: $(ls -A "$tmp/src")"
	# The readable report (not a terminal: one line per scenario, then a summary).
	"$FUSECORE" run -- "$PASSTHROUGH_LL" -f -o source="$tmp/src" >"$tmp/text" ||
		{ cat "$tmp/text"; fail "text report run"; }
	cat "$tmp/text"
	grep -q '^\[ 1/24\] PASS  init' "$tmp/text" || fail "no line for the first scenario"
	grep -q '^RESULT: PASS' "$tmp/text" || fail "no PASS verdict"
	grep -q '^24 scenarios: 22 passed, 0 failed, 2 skipped' "$tmp/text" ||
		fail "summary (xattr skipped without -o xattr, mmap without --page-cache)"
	;;
run-hello)
	need HELLO_LL
	"$FUSECORE" run --tap --junit "$tmp/r.xml" --json "$tmp/r.json" -- \
		"$HELLO_LL" -f >"$tmp/r.tap" || { cat "$tmp/r.tap"; fail "fusecore run against hello_ll"; }
	cat "$tmp/r.tap"
	"$CHECK_REPORTS" "$tmp/r.tap" "$tmp/r.xml" "$tmp/r.json"
	grep -q '^ok 4 - tree' "$tmp/r.tap" || fail "the tree scenario did not pass"
	grep -q '13 bytes read twice' "$tmp/r.tap" || fail "hello was not read"
	grep -q '^ok 5 - scratch.*# SKIP read-only' "$tmp/r.tap" || fail "read-only not detected"
	# --only and --list.
	"$FUSECORE" run -q --only init,statfs -- "$HELLO_LL" -f >"$tmp/only" || fail "--only"
	grep -q '^4 scenarios: 2 passed, 0 failed, 2 skipped' "$tmp/only" ||
		{ cat "$tmp/only"; fail "--only ran other scenarios"; }
	"$FUSECORE" run --list | grep -q '^concurrency ' || fail "--list"
	;;
run-modes)
	need PASSTHROUGH_LL
	mkdir "$tmp/src"
	modes="preload"
	[ "$(id -u)" = 0 ] && modes="preload fusermount"
	for m in $modes; do
		"$FUSECORE" run -q --page-cache --mode "$m" -- "$PASSTHROUGH_LL" -f -o source="$tmp/src" \
			>"$tmp/out" || { cat "$tmp/out"; fail "--mode $m"; }
		grep -q '^RESULT: PASS' "$tmp/out" || fail "--mode $m: no PASS"
		echo "mode $m: $(tail -n 1 "$tmp/out")"
	done
	expect_status 0 "$FUSECORE" run -q --io syscalls --only create-rw -- \
		"$PASSTHROUGH_LL" -f -o source="$tmp/src"
	# File data through the simulated page cache (write-through mode).
	"$FUSECORE" run -q --page-cache -- "$PASSTHROUGH_LL" -f -o source="$tmp/src" \
		>"$tmp/out" || { cat "$tmp/out"; fail "--page-cache"; }
	echo "page cache: $(tail -n 1 "$tmp/out")"
	;;
run-virtiofs)
	# QEMU's virtiofsd over the vhost-user virtio-fs transport, when the
	# library has it; virtiofsd needs root.
	if "$FUSECORE" run --help | grep -q 'no virtio-fs transport'; then
		echo "SKIP: this libfusecore has no virtio-fs transport yet"
		exit 77
	fi
	virtiofsd=${FUSECORE_VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
	if [ "$(id -u)" != 0 ] || [ ! -x "$virtiofsd" ]; then
		echo "SKIP: needs root and $virtiofsd (qemu-system-common)"
		exit 77
	fi
	mkdir "$tmp/src"
	echo "shared" >"$tmp/src/existing"
	"$FUSECORE" run --tap --junit "$tmp/r.xml" --json "$tmp/r.json" --transport virtiofs \
		--source "$tmp/src" -- "$virtiofsd" -o xattr >"$tmp/r.tap" ||
		{ cat "$tmp/r.tap"; fail "fusecore run over virtio-fs"; }
	cat "$tmp/r.tap"
	"$CHECK_REPORTS" "$tmp/r.tap" "$tmp/r.xml" "$tmp/r.json"
	grep -q 'over virtio-fs' "$tmp/r.tap" || fail "not over virtio-fs"
	[ "$(ls -A "$tmp/src")" = "existing" ] || fail "source dir left as: $(ls -A "$tmp/src")"
	printf 'write f virtio\ncat f\nrm f\n' |
		"$FUSECORE" sh -e --transport virtiofs --source "$tmp/src" >"$tmp/out" ||
		{ cat "$tmp/out"; fail "fusecore sh over virtio-fs"; }
	[ "$(cat "$tmp/out")" = virtio ] || fail "shell over virtio-fs printed: $(cat "$tmp/out")"
	expect_status 3 "$FUSECORE" run --transport virtiofs --source "$tmp/src" -- /nonexistent/virtiofsd
	;;
sh)
	need PASSTHROUGH_LL
	mkdir "$tmp/src"
	cat >"$tmp/script" <<'EOF'
pwd
mkdir d
write d/f hello world
cat d/f
append d/f "second line"
cat d/f
ls d
mv d/f d/g
ln -s g d/link
readlink d/link
cat d/link
truncate d/g 5
append d/g
cat d/g
ls -l d
stat d/g
write keep.txt kept; ls
rm d/g
rm d/link
rmdir d
cd /
ls
mounts
info
exit 0
EOF
	"$FUSECORE" sh -e -- "$PASSTHROUGH_LL" -f -o source="$tmp/src" \
		<"$tmp/script" >"$tmp/out" 2>"$tmp/err" ||
		{ cat "$tmp/out" "$tmp/err"; fail "fusecore sh"; }
	cat "$tmp/out"
	# Exact output of the commands whose output does not vary.
	sed -n '1,9p' "$tmp/out" >"$tmp/head"
	cat >"$tmp/want" <<'EOF'
/mnt
hello world
hello world
second line
f
g
hello world
second line
hello
EOF
	cmp -s "$tmp/head" "$tmp/want" || { diff "$tmp/want" "$tmp/head"; fail "shell output"; }
	grep -q '^lrwxrwxrwx .* link -> g$' "$tmp/out" || fail "ls -l of the link"
	grep -q '^-rw-r--r-- .* 6 .* g$' "$tmp/out" || fail "ls -l of the file"
	grep -q 'Size: 6 .* regular file' "$tmp/out" || fail "stat"
	grep -q '^keep.txt$' "$tmp/out" && grep -q '^d/$' "$tmp/out" || fail "ls"
	grep -q ' /mnt rw,relatime - fuse.passthrough_ll ' "$tmp/out" || fail "mounts"
	grep -q '^protocol: *7\.' "$tmp/out" || fail "info"
	# Through to the real file system, and cleaned up there.
	[ "$(cat "$tmp/src/keep.txt")" = kept ] || fail "keep.txt not in the source dir"
	[ "$(ls -A "$tmp/src")" = keep.txt ] || fail "source dir: $(ls -A "$tmp/src")"
	# -e stops at the first failing command with status 1, -c runs commands.
	expect_status 1 "$FUSECORE" sh -e -c 'cat missing; write after x' -- \
		"$PASSTHROUGH_LL" -f -o source="$tmp/src"
	grep -q 'cat: missing: No such file or directory (ENOENT)' "$tmp/err" || fail "error text"
	[ ! -e "$tmp/src/after" ] || fail "-e did not stop"
	expect_status 0 "$FUSECORE" sh -c 'ls; exit' -- "$PASSTHROUGH_LL" -f -o source="$tmp/src"
	grep -q '^keep.txt$' "$tmp/out" || fail "-c ls"
	;;
trace)
	n=0
	for v in "$VECTORS"/*.fcap; do
		n=$((n + 1))
		"$FUSECORE" trace "$v" >"$tmp/out" || fail "trace $v"
		requests=$(grep -c '^K>D ' "$tmp/out")
		replies=$(grep -c '^D>K ' "$tmp/out")
		grep -q "^--- $((requests + replies)) records: $requests requests" "$tmp/out" ||
			{ tail -n 30 "$tmp/out"; fail "summary of $v"; }
		grep -q '^K>D INIT ' "$tmp/out" || fail "no INIT line in $v"
		# The filter: only LOOKUP requests and their replies.
		"$FUSECORE" trace -q --opcode lookup "$v" >"$tmp/lk" || fail "--opcode"
		[ -s "$tmp/lk" ] || fail "--opcode LOOKUP printed nothing"
		if grep -v -e '^K>D LOOKUP ' -e '^D>K reply LOOKUP ' "$tmp/lk" | grep -q .; then
			grep -v -e '^K>D LOOKUP ' -e '^D>K reply LOOKUP ' "$tmp/lk" | head -n 3
			fail "--opcode LOOKUP let other messages through"
		fi
		# Standard input, summary only.
		"$FUSECORE" trace -s - <"$v" >"$tmp/sum" || fail "trace -"
		grep -q '^LOOKUP ' "$tmp/sum" || fail "summary table"
		grep -q '^K>D' "$tmp/sum" && fail "-s printed messages"
		echo "$v: $requests requests, $replies replies, $(wc -l <"$tmp/lk") LOOKUP lines"
		# A truncated capture: the framing error is reported, exit 8.
		size=$(wc -c <"$v")
		head -c $((size - 5)) "$v" >"$tmp/trunc.fcap"
		expect_status 8 "$FUSECORE" trace "$tmp/trunc.fcap"
		grep -q 'truncated or malformed' "$tmp/err" || fail "truncation message"
	done
	[ "$n" -gt 0 ] || fail "no vectors in $VECTORS"
	printf 'NOTFCAP!' >"$tmp/bad.fcap"
	expect_status 8 "$FUSECORE" trace "$tmp/bad.fcap"
	grep -q 'not an FCAP capture' "$tmp/err" || fail "bad header message"
	expect_status 8 "$FUSECORE" trace "$tmp/does-not-exist.fcap"
	expect_status 2 "$FUSECORE" trace --opcode NOSUCHOP "$v"
	expect_status 2 "$FUSECORE" trace
	;;
errors)
	need FAKE_DAEMON
	expect_status 3 "$FUSECORE" run -- /nonexistent/daemon
	grep -q '/nonexistent/daemon' "$tmp/err" || fail "missing daemon message"
	expect_status 3 "$FUSECORE" run -- no-such-fuse-daemon-xyz -f
	expect_status 4 "$FUSECORE" run -- /bin/sh -c 'echo dying >&2; exit 3' sh %m
	grep -q 'exited with status 3' "$tmp/err" || fail "exit status not reported"
	grep -q '| dying' "$tmp/err" || fail "the daemon's output not shown"
	expect_status 5 "$FUSECORE" run -- "$FAKE_DAEMON" refuse
	expect_status 5 "$FUSECORE" run --tap -- "$FAKE_DAEMON" garbage
	grep -q '^Bail out!' "$tmp/out" || fail "TAP bail-out"
	expect_status 6 "$FUSECORE" run --init-timeout 300 -- "$FAKE_DAEMON" silent
	grep -q 'did not answer FUSE_INIT' "$tmp/err" || fail "timeout message"
	expect_status 4 "$FUSECORE" run -- "$FAKE_DAEMON" die-after-init
	grep -q 'went away' "$tmp/out" || fail "daemon death not in the report"
	grep -q 'exited with status 7' "$tmp/out" || fail "its status not in the report"
	expect_status 4 "$FUSECORE" sh -c 'ls' -- "$FAKE_DAEMON" die-after-init
	expect_status 5 "$FUSECORE" sh -- "$FAKE_DAEMON" refuse
	expect_status 2 "$FUSECORE" run
	expect_status 2 "$FUSECORE" run --mode nonsense -- /bin/true
	expect_status 2 "$FUSECORE" run --only no-such-scenario -- /bin/true
	expect_status 2 "$FUSECORE" frobnicate
	if "$FUSECORE" run --help | grep -q 'no virtio-fs transport'; then
		expect_status 7 "$FUSECORE" run --transport virtiofs --source "$tmp"
	else
		expect_status 2 "$FUSECORE" run --transport virtiofs
	fi
	echo "exit statuses 2..7 as documented"
	;;
help)
	for sub in run sh trace; do
		"$FUSECORE" "$sub" --help >"$tmp/out" || fail "$sub --help"
		grep -q '^usage: fusecore '"$sub" "$tmp/out" || fail "$sub usage line"
		grep -q '^Exit status:' "$tmp/out" || fail "$sub --help lacks the exit statuses"
	done
	"$FUSECORE" tap --help | grep -q 'usage: fusecore tap' || fail "tap --help"
	"$FUSECORE" --help | grep -q '^  4  the daemon died' || fail "fusecore --help"
	"$FUSECORE" --version | grep -q '^fusecore [0-9]' || fail "--version"
	;;
*)
	fail "unknown case $case_"
	;;
esac
echo "PASS: $case_"
