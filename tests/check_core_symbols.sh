#!/bin/sh
# The protocol core must embed in a kernel: its objects may reference only
# the mem* functions besides each other (the platform table is reached
# through pointers, so it shows no symbol).  Sanitizer and coverage hooks
# are allowed in instrumented builds.
#
# With "--sources 'a.c;b.c;...'" (FUSECORE_CORE_SOURCES) it first checks
# that every listed source has its object among the arguments, so a file
# added to the core cannot escape the check.
#
# CTest hands $<TARGET_OBJECTS:...> over as one argument with the objects
# separated by ';': every argument is split there.  A missing or unreadable
# object is an error (so the check can never pass on nothing).
set -eu
sources=
if [ "${1:-}" = "--sources" ]; then
	sources=$2
	shift 2
fi
objs=$(for a in "$@"; do printf '%s\n' "$a" | tr ';' '\n'; done | sed '/^$/d')
[ -n "$objs" ] || { echo "no object files given"; exit 1; }
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086
set -- $objs
IFS=$old_ifs
for obj in "$@"; do
	[ -r "$obj" ] || { echo "cannot read object $obj"; exit 1; }
done
if [ -n "$sources" ]; then
	n=0
	missing=0
	old_ifs=$IFS
	IFS=';'
	for src in $sources; do
		IFS=$old_ifs
		n=$((n + 1))
		found=0
		for obj in "$@"; do
			case "$obj" in
			*/"$src".o | */"$src".obj) found=1 ;;
			esac
		done
		if [ "$found" = 0 ]; then
			echo "core source without a checked object: $src"
			missing=1
		fi
		IFS=';'
	done
	IFS=$old_ifs
	[ "$missing" = 0 ] || exit 1
	echo "all $n core sources have their object checked ($# objects)"
fi
allowed='^(memcpy|memmove|memset|memcmp|__asan_.*|__ubsan_.*|__sanitizer_.*|__stack_chk_fail|__gcov_.*|__llvm_.*|_GLOBAL_OFFSET_TABLE_)$'
nm --defined-only "$@" >/dev/null || { echo "nm failed"; exit 1; }
defined=$(nm --defined-only "$@" | awk 'NF==3 {print $3}' | sort -u)
bad=0
for sym in $(nm -u "$@" | awk 'NF == 2 && $1 == "U" {print $2}' | sort -u); do
	if printf '%s\n' "$defined" | grep -qx "$sym"; then
		continue
	fi
	if ! printf '%s\n' "$sym" | grep -Eq "$allowed"; then
		echo "core references host symbol: $sym"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "$# core objects reference only mem* and each other: ok"
exit "$bad"
