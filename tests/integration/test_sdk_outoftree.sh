#!/bin/sh
# The SDK proof: install the build tree into a staging root, build
# plugins/hello outside both trees with nothing but its plain Makefile and
# the installed bulwark.pc, and have the INSTALLED bulwarkd load it, checked
# with the installed bulwarkctl. TAP on stdout.
#
# Why not PKG_CONFIG_SYSROOT_DIR: pkgconf prefixes the sysroot to every
# package's -I/-L, glib's included, which then point nowhere. A staged
# install is used the way a packager would: a copy of bulwark.pc whose
# absolute paths point into the staging root.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/# /' "$2" | tail -n 40; fi
}
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; exit $?; }

tmp=$(mktemp -d /tmp/bwsdk-XXXXXX) || { echo "Bail out! mktemp failed"; exit 1; }
chmod 0700 "$tmp"
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	[ -n "${BW_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

root="$tmp/root"
pcvar() { sed -n "s|^$1=||p" "$top_builddir/core/bulwark.pc"; }
prefix=$(pcvar prefix)
if [ -z "$prefix" ]; then echo "Bail out! no prefix in $top_builddir/core/bulwark.pc"; exit 1; fi

# libtool relinks each module at install and meanwhile moves the build
# tree's .libs/mod_*.so aside: the other tests' daemons hold this lock
# shared while they may load modules (bwtest.ModulesLock)
# (the shell holds it, so that make runs as before, with the jobserver)
exec 9>>"$top_builddir/.bw-modules.lock"
if ! flock -w 600 -x 9; then
	echo "Bail out! the modules lock ($top_builddir/.bw-modules.lock) was not free within 600 s"
	exit 1
fi
if make -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=staging root"
else
	flock -u 9
	not_ok "make install DESTDIR=staging root" "$tmp/install.log"; finish
fi
flock -u 9
exec 9>&-

# bulwark.pc with its absolute paths moved into the staging root
pcdir="$tmp/pkgconfig"
mkdir -p "$pcdir"
installed_pc=$(find "$root" -name bulwark.pc -path '*/pkgconfig/*' | head -n 1)
if [ -n "$installed_pc" ] && sed "s|^\([A-Za-z_]*\)=/|\1=$root/|" "$installed_pc" >"$pcdir/bulwark.pc" &&
   PKG_CONFIG_PATH="$pcdir" pkg-config --exists bulwark; then
	ok "installed bulwark.pc found and usable by pkg-config"
else
	not_ok "installed bulwark.pc found and usable by pkg-config"; finish
fi
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir bulwark)

# build hello outside both trees, from its three files only
work="$tmp/hello"
mkdir -p "$work"
cp "$top_srcdir/plugins/hello/mod_hello.c" "$top_srcdir/plugins/hello/mod_hello.rng" \
	"$top_srcdir/plugins/hello/Makefile" "$work/"
if make -C "$work" >"$tmp/build.log" 2>&1 && [ -f "$work/mod_hello.so" ]; then
	ok "plugins/hello builds out of tree with pkg-config only"
else
	not_ok "plugins/hello builds out of tree with pkg-config only" "$tmp/build.log"; finish
fi
if grep -q -- "-I$root" "$tmp/build.log" && ! grep -q -- "-I$top_srcdir\|-I$top_builddir" "$tmp/build.log"; then
	ok "the compile used the installed headers, not the source tree"
else
	not_ok "the compile used the installed headers, not the source tree" "$tmp/build.log"
fi
moduledir=$(pkg-config --variable=moduledir bulwark)
if make -C "$work" install DESTDIR="$tmp/stage" >"$tmp/minstall.log" 2>&1 &&
   [ -f "$tmp/stage$moduledir/mod_hello.so" ] && [ -f "$tmp/stage$moduledir/mod_hello.rng" ]; then
	ok "make install DESTDIR= puts mod_hello.so and mod_hello.rng in moduledir"
else
	not_ok "make install DESTDIR= puts mod_hello.so and mod_hello.rng in moduledir" "$tmp/minstall.log"
fi

# run the installed daemon on the out-of-tree module; the in-tree hello
# that `make install` staged goes, so only ours can be found
find "$root" -name 'mod_hello.*' -exec rm -f {} +
bulwarkd=$(find "$root" -type f -name bulwarkd -perm -u+x | head -n 1)
bulwarkctl=$(find "$root" -type f -name bulwarkctl -perm -u+x | head -n 1)
if [ -z "$bulwarkd" ] || [ -z "$bulwarkctl" ]; then
	not_ok "installed bulwarkd and bulwarkctl found"; finish
fi
data="$tmp/data"
mkdir -m 0700 "$data"
cat >"$data/bulwark.xml" <<XML
<?xml version="1.0"?>
<bulwark>
  <system name="sdk" data-dir="$data"/>
  <modules>
    <module name="hello" greeting="out of tree"/>
  </modules>
</bulwark>
XML
chmod 0600 "$data/bulwark.xml"
LD_LIBRARY_PATH="$libdir" BULWARK_MODULE_PATH="$work" \
	"$bulwarkd" -c "$data/bulwark.xml" >"$tmp/daemon.log" 2>&1 &
pid=$!
ctl() { LD_LIBRARY_PATH="$libdir" "$bulwarkctl" -s "$data/bulwarkd.sock" "$@"; }
i=0
ready=no
while [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
	if [ -S "$data/bulwarkd.sock" ] && ctl status >/dev/null 2>&1; then ready=yes; break; fi
	i=$((i + 1))
	sleep 0.1
done
if [ "$ready" = yes ]; then
	ok "installed bulwarkd starts with the out-of-tree module path"
else
	not_ok "installed bulwarkd starts with the out-of-tree module path" "$tmp/daemon.log"; finish
fi
ctl modules >"$tmp/modules.out" 2>&1
if grep -E '(^|[[:space:]])hello([[:space:]]|$)' "$tmp/modules.out" | grep -q running; then
	ok "installed bulwarkctl shows hello running"
else
	not_ok "installed bulwarkctl shows hello running" "$tmp/modules.out"
fi
if ! grep -q "mod_hello\.so" "$tmp/modules.out" || grep -q "$work/mod_hello\.so" "$tmp/modules.out"; then
	ok "no other mod_hello.so was loaded"
else
	not_ok "no other mod_hello.so was loaded" "$tmp/modules.out"
fi
kill "$pid" 2>/dev/null
if wait "$pid"; then ok "bulwarkd stops cleanly on SIGTERM"; else not_ok "bulwarkd stops cleanly on SIGTERM" "$tmp/daemon.log"; fi
pid=
finish
