#!/usr/bin/env bash
# Install the Debian packages libfusecore builds, tests and runs with.
# Skips apt entirely when everything is already there; needs root otherwise.
# --bench adds what only the benchmarks use (scripts/bench.sh).
set -euo pipefail
packages=(
	build-essential cmake pkg-config clang   # compilers and build
	libclang-rt-14-dev                       # libFuzzer + sanitizer runtimes (fuzz/)
	check                                    # unit tests (libcheck)
	liburing-dev                             # io_uring path of the fd transport
	libfuse3-dev fuse3                       # reference daemons (libfuse3 examples)
	qemu-system-common                       # /usr/lib/qemu/virtiofsd
	libedit-dev                              # the fusecore shell's line editing
	libcjson-dev                             # fusecore run --json, report checks, fusecore-bench
	doxygen                                  # the API reference (docs/Doxyfile)
)
if [ "${1:-}" = "--bench" ]; then
	packages+=(valgrind)                     # fusecore-bench: instructions per round trip (callgrind)
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# Without --no-install-recommends qemu-system-common alone pulls in over a hundred packages.
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
