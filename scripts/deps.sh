#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing platekeeper need.
# Idempotent: packages already present are not touched, and apt is not called at all when
# nothing is missing. Training packages (torch, fonts) are separate: `scripts/deps.sh --train`.
set -euo pipefail

build_pkgs=(gcc make pkg-config clang-format sqlite3 libsqlite3-dev libjansson-dev libsodium-dev
    libmicrohttpd-dev libgnutls28-dev libturbojpeg0-dev libexif-dev libjpeg-dev libpng-dev
    libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libcmocka-dev libpq-dev
    python3 curl openssl)
test_pkgs=(postgresql wrk chromium nodejs npm)
train_pkgs=(python3-torch python3-numpy python3-pil fonts-roadgeek fonts-urw-base35
    fonts-dejavu-core fonts-liberation2)

want=("${build_pkgs[@]}")
for arg in "$@"; do
    case "$arg" in
    --test) want+=("${test_pkgs[@]}") ;;
    --train) want+=("${train_pkgs[@]}") ;;
    --all) want+=("${test_pkgs[@]}" "${train_pkgs[@]}") ;;
    *) echo "deps.sh: unknown option '$arg' (use --test, --train or --all)" >&2; exit 2 ;;
    esac
done

# A tool that is already on PATH from elsewhere (e.g. Node.js from NodeSource, whose nodejs
# package carries npm and conflicts with Debian's npm) counts as present.
have_cmd_for() {
    case "$1" in
    nodejs) command -v node >/dev/null 2>&1 ;;
    npm) command -v npm >/dev/null 2>&1 ;;
    chromium) command -v chromium >/dev/null 2>&1 ;;
    *) return 1 ;;
    esac
}

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' &&
        ! have_cmd_for "$p"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
