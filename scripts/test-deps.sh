#!/usr/bin/env bash
#! Installs the programs the tests run besides the guest toolchain: nats-server (cluster
#! tests), chromium (the service dashboard's browser test), python3-venv, nodejs and npm
#! (host build for Python and JavaScript guests).
#
# Idempotent: it installs only what is missing (Debian packages, through apt-get as root
# or with sudo) and checks every piece afterwards. With --check it installs nothing and
# only checks. On failure it names the missing piece and exits non-zero.
set -euo pipefail

check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; fi

say() { echo "test-deps: $*" >&2; }
die() { echo "test-deps: error: $*" >&2; exit 1; }

# program -> Debian package
declare -A pkg_of=(
    [nats-server]=nats-server
    [chromium]=chromium
    [node]=nodejs
    [npm]=npm
)
need=()
for prog in "${!pkg_of[@]}"; do
    command -v "$prog" >/dev/null 2>&1 || need+=("${pkg_of[$prog]}")
done
if command -v python3 >/dev/null 2>&1; then
    # A venv without ensurepip cannot install componentize-py.
    probe="$(mktemp -d)"
    python3 -m venv "$probe/venv" >/dev/null 2>&1 || need+=(python3-venv)
    rm -rf "$probe"
else
    need+=(python3 python3-venv)
fi

if [ ${#need[@]} -gt 0 ]; then
    [ $check_only = 0 ] || die "missing Debian packages ${need[*]}; run scripts/test-deps.sh to install them"
    command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get here; install them by hand"
    sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "installing ${need[*]} needs root; run this script as root or install sudo"
        sudo=(sudo)
    fi
    say "installing Debian packages: ${need[*]}"
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >&2 \
        || die "apt-get could not install ${need[*]}"
fi

nats-server --version >/dev/null 2>&1 || die "nats-server does not run; reinstall the nats-server package"
chromium --version >/dev/null 2>&1 || die "chromium does not run; reinstall the chromium package"
say "nats-server $(nats-server --version | awk '{print $2}'), $(chromium --version 2>/dev/null | head -1)"
