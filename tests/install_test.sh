#!/bin/sh
# Install the build into a temporary prefix and build the out-of-tree example
# (examples/out-of-tree/) against it both ways: CMake's find_package(fusecore)
# (shared and static targets) and pkg-config (Makefile); run each.  No root.
#   install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER [EXTRA_FLAGS]
set -eu
build=$1
src=$2
cc=$3
flags=${4:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fusecore-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
	cat "$tmp/install.log"; fail "cmake --install"; }
echo "installed into $prefix:"
(cd "$prefix" && find . -type f -o -type l | sort | sed 's/^\.\//  /')

# The layout.
[ -f "$prefix/include/fusecore/conn.h" ] || fail "headers"
pc=$(find "$prefix" -name libfusecore.pc | head -n 1)
[ -n "$pc" ] || fail "libfusecore.pc"
libdir=$(dirname "$(dirname "$pc")")
for f in libfusecore.a libfusecore.so libfusecore.so.0; do
	[ -e "$libdir/$f" ] || fail "$libdir/$f"
done
[ -f "$libdir/cmake/fusecore/fusecoreConfig.cmake" ] || fail "fusecoreConfig.cmake"
[ -f "$libdir/cmake/fusecore/fusecoreConfigVersion.cmake" ] || fail "version file"
for f in fusecore fc-tap; do
	[ -x "$prefix/bin/$f" ] || fail "bin/$f"
done
for f in fc-fusermount fc-preload.so; do
	[ -e "$prefix/libexec/fusecore/$f" ] || fail "libexec/fusecore/$f"
done

# CMake: find_package(fusecore), both targets.
cmake -S "$src/examples/out-of-tree" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$flags" \
	-DCMAKE_EXE_LINKER_FLAGS="$flags" >"$tmp/cmake.log" 2>&1 || {
	cat "$tmp/cmake.log"; fail "configure the out-of-tree example"; }
cmake --build "$tmp/cmake" >"$tmp/build.log" 2>&1 || {
	cat "$tmp/build.log"; fail "build the out-of-tree example"; }
echo "cmake, shared: $("$tmp/cmake/oot")"
echo "cmake, static: $("$tmp/cmake/oot_static")"
ldd "$tmp/cmake/oot" | grep -q "$libdir/libfusecore.so.0" ||
	fail "oot does not use the installed libfusecore.so.0: $(ldd "$tmp/cmake/oot")"
ldd "$tmp/cmake/oot_static" | grep -q libfusecore && fail "oot_static uses the shared library"

# pkg-config (Makefile).
mkdir "$tmp/make"
cp "$src/examples/out-of-tree/Makefile" "$src/examples/out-of-tree/main.c" "$tmp/make/"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -C "$tmp/make" CC="$cc" \
	CFLAGS="-O0 -Wall -Wextra -Werror $flags" LDFLAGS="$flags" >"$tmp/make.log" 2>&1 || {
	cat "$tmp/make.log"; fail "make with pkg-config"; }
echo "pkg-config:    $(LD_LIBRARY_PATH="$libdir" "$tmp/make/oot-pc")"
[ "$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion libfusecore)" != "" ] ||
	fail "pkg-config --modversion"

# The installed command finds the installed fc-tap (it prints its usage, status 2).
"$prefix/bin/fusecore" --version
set +e
env -u FUSECORE_FC_TAP "$prefix/bin/fusecore" tap >"$tmp/tap.out" 2>&1
st=$?
set -e
[ "$st" = 2 ] && grep -q 'usage: fc-tap' "$tmp/tap.out" ||
	{ cat "$tmp/tap.out"; fail "installed fusecore tap did not run the installed fc-tap ($st)"; }
echo "install test: ok"
