#!/bin/sh
# The newcomer's entry point. On a fresh Debian 12 machine:
#   ./build.sh run     install what is missing, build, start bulwarkd in the foreground
#   ./build.sh check   the same set-up, then the test suite; ends with "N passed, N failed"
# Also: deps | build | bench | fuzz | clean. The build lives in _build/ (out of tree).
set -eu

cd "$(dirname "$0")"
TOP=$(pwd)
BUILD="$TOP/_build"
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages: the build, the tests' real peers and the fuzzers.
PKGS="build-essential autoconf automake libtool pkg-config
libglib2.0-dev libjson-glib-dev libxml2-dev libxml2-utils libsqlite3-dev libssl-dev libre-dev
openssl python3 clang libclang-rt-14-dev
libsrtp2-dev liburing-dev libsnmp-dev snmp snmpd snmptrapd smitools libcurl4-openssl-dev python3-aiosmtpd
baresip sip-tester sipsak libnet-sip-perl kamailio kamailio-tls-modules sox tshark
lighttpd lighttpd-mod-openssl libfcgi-dev libargon2-dev sslscan
chromium nodejs npm"

say() { printf '%s\n' "build.sh: $*" >&2; }

# A package counts as present when dpkg has it, or, for the few tools that
# also come from elsewhere (nodesource ships npm inside its nodejs), when
# its command is on PATH.
missing_pkgs() {
	for p in $PKGS; do
		case $p in
		npm|nodejs|chromium) command -v "$([ "$p" = nodejs ] && echo node || echo "$p")" >/dev/null 2>&1 && continue ;;
		esac
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$p"
	done
}

deps() {
	miss=$(missing_pkgs)
	[ -z "$miss" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing Debian packages; as root run:"
		printf '  apt-get install -y %s\n' "$miss" >&2
		exit 1
	fi
	say "installing: $miss"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $miss >/dev/null
}

configure_flags() {
	flags="--enable-werror --prefix=/usr/local --sysconfdir=/etc --localstatedir=/var"
	command -v clang >/dev/null 2>&1 && flags="$flags --enable-fuzzers"
	echo "$flags ${BW_CONFIGURE_FLAGS:-}"
}

build() {
	deps
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ mk/modules.m4 -nt configure ]; then
		say "bootstrapping autotools"
		autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	fi
	mkdir -p "$BUILD"
	cd "$BUILD"
	flags=$(configure_flags)
	if [ ! -f Makefile ] || [ "$(cat .flags 2>/dev/null)" != "$flags" ] || [ ../configure -nt Makefile ]; then
		say "configuring: $flags"
		# shellcheck disable=SC2086
		../configure -q $flags
		echo "$flags" > .flags
	fi
	make -s -j"$JOBS"
	cd "$TOP"
}

# The browser tests drive Debian's chromium with playwright-core from npm,
# pinned by tests/browser/package-lock.json.
browser_deps() {
	dir="$TOP/tests/browser"
	if [ -d "$dir/node_modules/playwright-core" ] && [ "$dir/node_modules" -nt "$dir/package-lock.json" ]; then
		return 0
	fi
	say "installing the browser tests' npm packages (npm ci in tests/browser)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || say "npm ci failed: the browser tests will be skipped"
}

module_path() {
	find "$BUILD" -name 'mod_*.so' -path '*/.libs/*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -
}

run() {
	build
	if [ "$(id -u)" -eq 0 ]; then
		data=/var/lib/bulwark
		id bulwark >/dev/null 2>&1 || useradd --system --home-dir "$data" --shell /usr/sbin/nologin bulwark
		install -d -m 0750 -o bulwark -g bulwark "$data"
	else
		data="$TOP/_run"
		install -d -m 0700 "$data"
	fi
	say "starting bulwarkd on etc/bulwark.xml, data in $data (Ctrl-C stops it)"
	BULWARK_MODULE_PATH=$(module_path) exec "$BUILD/bulwarkd" -c "$TOP/etc/bulwark.xml" -d "$data" "$@"
}

# automake prints "# PASS: n" etc.; CI wants one line "N passed, N failed".
summary() {
	log=$1
	pass=$(sed -n 's/^# PASS: *\([0-9]*\).*/\1/p' "$log" | awk -v x="$2" '{s+=$1} END {print s+x}')
	fail=$(sed -n 's/^# \(FAIL\|ERROR\|XPASS\): *\([0-9]*\).*/\2/p' "$log" | awk -v x="$3" '{s+=$1} END {print s+x}')
	skip=$(sed -n 's/^# SKIP: *\([0-9]*\).*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

check() {
	build
	browser_deps
	log="$BUILD/check-output.log"
	rc=0 fz_pass=0 fz_fail=0
	(cd "$BUILD" && make -j"$JOBS" check "$@") 2>&1 | tee "$log" || true
	if ! grep -q '^# TOTAL:' "$log"; then
		say "make check did not reach the test summary (build failure?)"
		rc=1
	fi
	# A short libFuzzer run of every harness (full runs: ./build.sh fuzz).
	if [ $# -eq 0 ] && grep -q '^FUZZ_CC = ..*' "$BUILD/Makefile"; then
		if (cd "$BUILD" && make fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-10}") >"$BUILD/fuzz-smoke.log" 2>&1; then
			fz_pass=1; say "fuzz smoke run: ok"
		else
			fz_fail=1; tail -30 "$BUILD/fuzz-smoke.log"; say "fuzz smoke run: FAILED"
		fi
	fi
	summary "$log" "$fz_pass" "$fz_fail" || rc=1
	return $rc
}

case "${1:-run}" in
deps)  deps ;;
build) build ;;
run)   shift 2>/dev/null || true; run "$@" ;;
check) shift; check "$@" ;;
bench) build; cd "$BUILD" && make bench ;;
fuzz)  build; cd "$BUILD" && make fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-60}" ;;
clean) rm -rf "$BUILD" "$TOP/_run" ;;
*) echo "usage: $0 run|check|build|deps|bench|fuzz|clean" >&2; exit 2 ;;
esac
