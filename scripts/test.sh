#!/usr/bin/env bash
# Run every test: a gcc build, a clang build and an ASan+UBSan build, each
# under CTest.  Usage: scripts/test.sh   (from anywhere; builds in build-*/)
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
run clang -DCMAKE_C_COMPILER=clang
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run asan -DCMAKE_C_COMPILER=gcc -DFUSECORE_SANITIZE=ON
echo "=== all test builds passed"
