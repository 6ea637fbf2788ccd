#!/bin/sh
# make check entry for the WebAdmin browser tests (TAP). Skips, with a TAP
# skip line saying why, only when chromium or tests/browser/node_modules is
# really absent (build.sh runs `npm ci` there); otherwise runs every
# *.test.mjs here (one file per page or flow).
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "1..0 # SKIP $chromium not found (apt-get install chromium)"
	exit 0
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "1..0 # SKIP $here/node_modules/playwright-core missing (cd tests/browser && npm ci)"
	exit 0
fi
if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node not found"
	exit 0
fi
cd "$here" && exec node --test --test-reporter=tap ./*.test.mjs
