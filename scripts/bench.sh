#!/usr/bin/env bash
# Run the benchmarks of docs/performance.md: install what they need, build
# Release in build-bench/, run fusecore-bench.  The rows against the Linux
# kernel mount a real FUSE file system and need root; without root they are
# skipped (the memory-transport and fd-transport rows still run).
# Usage: scripts/bench.sh [fusecore-bench options]   (see fusecore-bench --help)
# Writes build-bench/bench-results.json and build-bench/bench-results.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh --bench
if [ "$(id -u)" -ne 0 ]; then
	echo "bench.sh: not root: the rows against the Linux kernel are skipped" >&2
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
# Only what the benchmark needs (passthrough_ll comes along as a dependency).
cmake --build build-bench -j "$(nproc)" --target fusecore-bench
exec build-bench/bench/fusecore-bench --json build-bench/bench-results.json \
	--markdown build-bench/bench-results.md "$@"
