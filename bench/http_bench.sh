#!/usr/bin/env bash
# make bench-http: a fresh data directory, a real `platekeeper serve` on a free port, and
# bench/http_bench.c driving it (ingest, search, login+search). Prints the figures.
# Env: BENCH_SECONDS (default 10), BENCH_CLIENTS (default 4), BUILD (default build).
set -euo pipefail
BUILD=${BUILD:-build}
BIN="$PWD/$BUILD/platekeeper"
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
pw="Bench-Admin-Password-2026"
PLATEKEEPER_PASSWORD=$pw "$BIN" init --data "$dir/data" --admin admin >/dev/null
"$BIN" serve --data "$dir/data" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q serving "$dir/out" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'http://[^ ]*' "$dir/out" | sed 's/.*://')
"$BUILD/bench/http_bench" "$port" "$pw" "${BENCH_SECONDS:-10}" "${BENCH_CLIENTS:-4}"
kill -TERM $pid
wait $pid || true
grep -v '^$' "$dir/err" | tail -3 || true
