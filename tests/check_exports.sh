#!/bin/sh
# The shared library exports only the fc_-prefixed API (cmake/libfusecore.map)
# and carries a versioned soname.
#   check_exports.sh path/to/libfusecore.so
set -eu
lib=$1
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
case "$soname" in
libfusecore.so.[0-9]*) ;;
*) echo "soname is '$soname', expected libfusecore.so.<major>"; exit 1 ;;
esac
# "ADDR T fc_conn_new@@FUSECORE_0"; the version node itself is an "A" symbol.
syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u)
bad=$(printf '%s\n' "$syms" | grep -v '^fc_' || true)
if [ -n "$bad" ]; then
	echo "exported symbols without the fc_ prefix:"
	printf '%s\n' "$bad" | sed 's/^/  /'
	exit 1
fi
n=$(printf '%s\n' "$syms" | grep -c '^fc_')
for want in fc_conn_new fc_client_new fc_vfs_new fc_sys_open fc_daemon_launch \
	fc_fd_transport_new fc_decode fc_pagecache_sim_new fc_mock_new fc_platform_posix; do
	printf '%s\n' "$syms" | grep -qx "$want" || { echo "$want is not exported"; exit 1; }
done
echo "$lib: soname $soname, $n symbols exported, all fc_-prefixed: ok"
