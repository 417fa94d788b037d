#!/usr/bin/env bash
# `make run`: a demo data directory (created once) and the server on 127.0.0.1:8080.
#
# The first run creates ./data with `platekeeper init` (the administrator's password is
# generated there and kept in data/ADMIN-PASSWORD.txt, mode 600, so later runs can print it
# again) and fills it with `platekeeper demo`. Every run then starts `platekeeper serve`.
# DATA, LISTEN, READS and ADMIN override the defaults; NO_SERVE=1 stops before serving (tests).
set -euo pipefail
BIN=${BIN:-build/platekeeper}
DATA=${DATA:-data}
LISTEN=${LISTEN:-127.0.0.1:8080}
READS=${READS:-100000}
ADMIN=${ADMIN:-admin}
PWFILE="$DATA/ADMIN-PASSWORD.txt"

if [ ! -e "$DATA/platekeeper.db" ]; then
    echo "== creating $DATA (platekeeper init)"
    # init generates the password and prints it once; keep it, readable by this user only
    umask 077
    out=$(env -u PLATEKEEPER_PASSWORD "$BIN" init --data "$DATA" --admin "$ADMIN" \
        --full-name "Demo Administrator" --job-title "ALPR administrator")
    pw=$(printf '%s\n' "$out" | sed -n 's/^password: //p')
    if [ -z "$pw" ]; then
        echo "run-demo: init did not print a password" >&2
        exit 1
    fi
    printf '%s\n' "$out" | grep -v '^password:' || true
    printf 'username: %s\npassword: %s\n' "$ADMIN" "$pw" >"$PWFILE"
    chmod 600 "$PWFILE"
    echo "== filling $DATA with $READS demo reads (platekeeper demo)"
    PLATEKEEPER_PASSWORD="$pw" "$BIN" demo --data "$DATA" --user "$ADMIN" --reads "$READS"
fi

user=$(sed -n 's/^username: //p' "$PWFILE" 2>/dev/null || true)
pw=$(sed -n 's/^password: //p' "$PWFILE" 2>/dev/null || true)
echo
echo "platekeeper is starting on http://$LISTEN/"
echo "  administrator login: ${user:-$ADMIN} / ${pw:-(see $PWFILE)}"
echo "  demo accounts (every role): $DATA/DEMO-USERS.txt"
echo "  stop with Ctrl-C"
echo
[ "${NO_SERVE:-0}" = 1 ] && exit 0
exec "$BIN" serve --data "$DATA" --listen "$LISTEN"
