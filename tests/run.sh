#!/usr/bin/env bash
# Runs every test program (unit binaries, integration scripts) with TAP output, each in its own
# process with a time limit, and ends with the summary line "N passed, N failed".
set -u
BUILD=${BUILD:-build}
export PK_BIN="$PWD/$BUILD/platekeeper"
export PK_ROOT="$PWD"
export CMOCKA_MESSAGE_OUTPUT=TAP
pass=0 fail=0 failed_names=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() { # name, timeout, command...
    local name=$1 limit=$2
    shift 2
    timeout "$limit" "$@" >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -cE '^ok ' "$log")
    f=$(grep -cE '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or timed out outside a test
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        echo "FAIL $name (exit $rc)"
        grep -vE '^ok ' "$log" | tail -40
    else
        echo "ok   $name: $p passed"
    fi
}

filter=${1:-}
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    [ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
    run_one "$(basename "$t")" 600 "$t"
done
for t in tests/integration/test_*.py; do
    [ -f "$t" ] || continue
    [ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
    run_one "$(basename "$t")" 900 /usr/bin/python3 "$t"
done
if [ -z "$filter" ] && [ -f tests/e2e/run.sh ]; then
    run_one "e2e" 900 bash tests/e2e/run.sh
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
