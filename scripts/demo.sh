#!/usr/bin/env bash
# The main job: install what is needed, build, and run `fusecore run`, the
# conformance report, against libfuse3's stock passthrough_ll example over
# a temporary source directory.  The daemon runs unmodified; libfusecore
# plays the kernel side over the fd transport (/dev/fuse framing on a
# socketpair handed over as /dev/fd/N), so no real mount is made and no
# privileges are needed.  Exit status: fusecore's (0: everything passed).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Only what the demo runs: the fusecore command, its helpers, passthrough_ll
# (built from /usr/share/doc/libfuse3-dev/examples).
cmake --build build -j "$(nproc)" --target fusecore fc-tap fc-fusermount fc-preload \
	libfuse3_passthrough_ll
src=$(mktemp -d "${TMPDIR:-/tmp}/fusecore-demo.XXXXXX")
trap 'rm -rf "$src"' EXIT
echo "this file was here before the run" >"$src/README"
mkdir "$src/subdir"
echo "--- fusecore run --page-cache -- passthrough_ll -f -o source=$src -o xattr"
build/tools/fusecore run --page-cache -- \
	build/tests/libfuse3-examples/passthrough_ll -f -o source="$src" -o xattr
