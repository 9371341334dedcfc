#!/usr/bin/env bash
# Ray side of the Wask-vs-Ray benchmark: creates (idempotently) the virtualenv with Ray 2.60.0, numpy and Pillow.
#
# Usage: bash bench/ray/setup.sh
#   RAY_VENV  where the virtualenv goes (default: <repo>/target/ray-venv)
#   PYTHON    the interpreter that creates it (default: python3)
# Prints what it does to stderr and the virtualenv's python path to stdout.
set -euo pipefail

RAY_VERSION=2.60.0
# Floors only: the benchmark records the versions it ran with in its JSON output.
REQUIREMENTS=("ray==$RAY_VERSION" "numpy>=1.24" "pillow>=10" "psutil>=5.9")

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${RAY_VENV:-$root/target/ray-venv}
python=${PYTHON:-python3}

log() { printf 'ray-setup: %s\n' "$*" >&2; }
die() { printf 'ray-setup: error: %s\n' "$*" >&2; exit 1; }

# True when the virtualenv has the pinned Ray and every other requirement importable.
venv_ready() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$RAY_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
if version("ray") != sys.argv[1]:
    sys.exit(1)
import numpy, PIL, psutil, ray  # noqa: F401  (all must import, not just be listed)
EOF
}

if venv_ready; then
    log "$venv already has ray==$RAY_VERSION, numpy, pillow and psutil; nothing to do"
    echo "$venv/bin/python"
    exit 0
fi

command -v "$python" >/dev/null 2>&1 || die "'$python' not found: install Python 3 (Debian: apt-get install python3) or set PYTHON"
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || die "'$python' does not run"
"$python" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] < (3, 14) else 1)' \
    || die "'$python' is Python $pyver; Ray $RAY_VERSION needs Python 3.9 to 3.13 (set PYTHON to another interpreter)"
log "using $python (Python $pyver, $(command -v "$python"))"

# A virtualenv that no longer runs (e.g. its base interpreter moved) is rebuilt; anything
# at that path that is not a virtualenv is left alone.
if [ -e "$venv" ] && [ -n "$(ls -A -- "$venv" 2>/dev/null)" ] && ! "$venv/bin/python" -c 'pass' >/dev/null 2>&1; then
    [ -f "$venv/pyvenv.cfg" ] || die "$venv exists and is not a virtualenv; remove it or set RAY_VENV"
    log "$venv is a broken virtualenv; removing it"
    rm -rf -- "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
    # Debian splits ensurepip (which `python3 -m venv` needs) into the python3-venv package.
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            log "'$python -m venv' needs the Debian package python3-venv; installing it"
            log "running: apt-get update"
            apt-get update >&2 || die "apt-get update failed"
            log "running: apt-get install -y python3-venv"
            DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >&2 \
                || die "apt-get install python3-venv failed"
            "$python" -c 'import venv, ensurepip' >/dev/null 2>&1 \
                || die "'$python' still has no venv/ensurepip after installing python3-venv (is it Debian's python3? set PYTHON=/usr/bin/python3)"
        else
            die "'$python -m venv' needs the Debian package python3-venv: run 'sudo apt-get install python3-venv' (or set PYTHON to an interpreter with venv)"
        fi
    fi
    log "creating virtualenv $venv"
    mkdir -p -- "$(dirname -- "$venv")"
    "$python" -m venv -- "$venv" >&2 || die "'$python -m venv $venv' failed"
fi

log "installing ${REQUIREMENTS[*]} into $venv (Ray is a ~80 MB wheel; this takes a few minutes the first time)"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input "${REQUIREMENTS[@]}" >&2 \
    || die "pip install failed (PyPI must be reachable; see the pip output above)"

venv_ready || die "the virtualenv at $venv still lacks a working ray==$RAY_VERSION, numpy, pillow or psutil after pip install"
log "ready: $("$venv/bin/python" -c 'import ray, numpy, PIL, psutil; print("ray", ray.__version__, "numpy", numpy.__version__, "pillow", PIL.__version__, "psutil", psutil.__version__)')"
echo "$venv/bin/python"
