#!/usr/bin/env bash
# Run every test: a gcc build, a clang build and an ASan+UBSan build, each
# under CTest, then each libFuzzer harness for a bounded time (build-fuzz/).
# Usage: scripts/test.sh   (from anywhere; builds in build-*/)
# FUZZ_SECONDS=n fuzzes each harness n seconds (default 60; 0 skips).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
jobs=$(nproc)

run() { # name, cmake args...
	local dir="build-$1"
	shift
	echo "=== build $dir ($*)"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	echo "=== test $dir"
	ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

run gcc -DCMAKE_C_COMPILER=gcc
# The API reference from the header comments; Doxygen warnings are errors.
echo "=== docs (Doxygen, WARN_AS_ERROR)"
cmake --build build-gcc --target docs
run clang -DCMAKE_C_COMPILER=clang
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run asan -DCMAKE_C_COMPILER=gcc -DFUSECORE_SANITIZE=ON

# Fuzzing (docs/fuzzing.md): each harness under libFuzzer with ASan+UBSan and
# the leak checker, from a copy of its committed corpus, for a bounded time.
# A crash, a trapped invariant, a leak, a timeout (10 s per input) or an
# out-of-memory is a finding: the run fails and the input is kept.
fuzz_seconds=${FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
	dir=build-fuzz
	harnesses=(fuzz_reply fuzz_init fuzz_stack fuzz_virtqueue)
	echo "=== build $dir (clang, libFuzzer, ASan+UBSan)"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
		-DFUSECORE_FUZZ=ON >/dev/null
	cmake --build "$dir" -j "$jobs" --target "${harnesses[@]}"
	for h in "${harnesses[@]}"; do
		work="$dir/fuzz-work/$h"
		rm -rf "$work"
		mkdir -p "$work/corpus" "$work/artifacts"
		cp fuzz/corpus/"$h"/* "$work/corpus/"
		echo "=== fuzz $h (seed ${FUZZ_SEED:-1}, at most ${fuzz_seconds}x4 s)"
		# A fixed seed and a fixed number of runs (about a minute each here)
		# make the run the same on every machine: a finding is reproducible
		# and CI does not turn red by chance; FUZZ_SEED varies it.
		case "$h" in
		fuzz_reply) runs=1000000 ;;
		fuzz_init) runs=2500000 ;;
		fuzz_stack) runs=150000 ;;
		*) runs=1400000 ;;
		esac
		if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			timeout $((fuzz_seconds * 4 + 300)) "$dir/fuzz/$h" -seed="${FUZZ_SEED:-1}" \
			-runs="$runs" -max_total_time=$((fuzz_seconds * 4)) \
			-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
			-dict=fuzz/"$h".dict -artifact_prefix="$work/artifacts/" "$work/corpus" \
			>"$work/log" 2>&1; then
			tail -n 60 "$work/log"
			echo "=== fuzz $h: FINDING; reproduce with: $dir/fuzz/$h $work/artifacts/<file>"
			exit 1
		fi
		grep -E "DONE|^Done" "$work/log" || true
	done
fi
echo "=== all test builds passed"
