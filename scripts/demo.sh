#!/usr/bin/env bash
# The main job: install what is needed, build, and run the demo: FUSE_INIT
# negotiated with the mock daemon over the memory transport, the
# negotiated state printed for the /dev/fuse and the virtio-fs profiles.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
echo "--- /dev/fuse profile"
build/examples/init_demo fuse
echo "--- virtio-fs profile"
build/examples/init_demo virtiofs
