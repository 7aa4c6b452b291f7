#!/bin/sh
# The protocol core must embed in a kernel: its objects may reference only
# the mem* functions besides each other (the platform table is reached
# through pointers, so it shows no symbol).  Sanitizer and coverage hooks
# are allowed in instrumented builds.
set -eu
allowed='^(memcpy|memmove|memset|memcmp|__asan_.*|__ubsan_.*|__sanitizer_.*|__stack_chk_fail|__gcov_.*|__llvm_.*|_GLOBAL_OFFSET_TABLE_)$'
defined=$(nm --defined-only "$@" | awk 'NF==3 {print $3}' | sort -u)
bad=0
for sym in $(nm -u "$@" | awk '{print $NF}' | sort -u); do
	if printf '%s\n' "$defined" | grep -qx "$sym"; then
		continue
	fi
	if ! printf '%s\n' "$sym" | grep -Eq "$allowed"; then
		echo "core references host symbol: $sym"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "core objects reference only mem* and each other: ok"
exit "$bad"
