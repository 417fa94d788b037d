#!/usr/bin/env bash
# `make run`: a demo data directory (created once) and the server on 127.0.0.1:8080.
set -euo pipefail
BIN=${BIN:-build/platekeeper}
DATA=${DATA:-data}
LISTEN=${LISTEN:-127.0.0.1:8080}
echo "platekeeper: demo data and server are not wired up yet; the binary is $BIN"
exec "$BIN" version
