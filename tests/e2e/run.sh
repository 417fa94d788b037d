#!/usr/bin/env bash
# Browser tests: the real UI (web/) served by a real `platekeeper serve`, driven by Debian's
# chromium through playwright-core (installed here with npm when missing). Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PK_BIN=${PK_BIN:-$root/build/platekeeper}
export PK_ROOT=${PK_ROOT:-$root}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null 2>&1; then
    echo "1..0 # SKIP chromium or node missing (scripts/deps.sh --test installs them)"
    exit 0
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm install --no-audit --no-fund --silent --no-save playwright-core@1 >/dev/null 2>&1) || {
        echo "not ok 1 - npm install playwright-core"
        exit 1
    }
fi
export CHROMIUM
exec node "$here/ui.test.mjs"
