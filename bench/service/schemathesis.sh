#!/usr/bin/env bash
# Schemathesis (from PyPI) against `host serve`'s /openapi.json: every generated case,
# valid and not, must get an answer other than 5xx (the `not_a_server_error` check).
#
# Usage: bash bench/service/schemathesis.sh [EXTRA SCHEMATHESIS ARGS...]
#   HOST          the host binary (default: target/release/host, built if missing)
#   ST_VENV       the virtualenv with schemathesis (default: target/schemathesis-venv)
#   MAX_EXAMPLES  generated cases per operation and token (default: 100)
# It starts its own `host serve` on a free loopback port with a throwaway tenants
# file (two tenants and an admin), runs the cases once with a tenant's token and once
# with the admin's, stops the server with SIGTERM and exits non-zero on any failure.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=$(realpath -m "${ST_VENV:-$root/target/schemathesis-venv}")
host=${HOST:-$root/target/release/host}
max_examples=${MAX_EXAMPLES:-100}

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis==$SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
if [ ! -x "$host" ]; then
    log "building $host"
    (cd "$root" && cargo build --release -p wask-cli)
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" || true
    fi
    rm -rf -- "$work"
}
trap cleanup EXIT

token() { "$host" token | sed -n 's/^token = "\(.*\)"$/\1/p'; }
admin=$(token)
alice=$(token)
bob=$(token)
hash() { printf '%s' "$1" | "$host" token --hash; }
cat >"$work/tenants.toml" <<EOF
admin-token = "$(hash "$admin")"

[tenants.alice]
token = "$(hash "$alice")"
max-concurrency = 1

[tenants.alice.limits]
timeout = "5s"

[tenants.bob]
token = "$(hash "$bob")"
EOF

"$host" serve --listen 127.0.0.1:0 --tenants "$work/tenants.toml" -j 2 --grace 2s \
    2>"$work/serve.log" &
server_pid=$!
url=
for _ in $(seq 600); do
    url=$(sed -n 's/.* tenants on \(http:.*\)$/\1/p' "$work/serve.log")
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { log "host serve did not start"; cat "$work/serve.log" >&2; exit 1; }
log "host serve is at $url"

status=0
for who in alice admin; do
    case $who in alice) tok=$alice ;; admin) tok=$admin ;; esac
    log "cases with $who's token"
    # /v1/events is a stream that never ends: its own test reads it. Run from the
    # scratch folder, where schemathesis leaves its .schemathesis/ cache.
    (cd "$work" && "$venv/bin/schemathesis" run "$url/openapi.json" \
        --header "Authorization: Bearer $tok" \
        --checks not_a_server_error \
        --exclude-path /v1/events \
        --max-examples "$max_examples" \
        --request-timeout 70 \
        --no-color \
        --generation-database none \
        "$@") || status=1
done
if ! kill -0 "$server_pid" 2>/dev/null; then
    log "host serve died during the run"
    status=1
fi
if grep -q -i "panicked" "$work/serve.log"; then
    log "host serve logged a panic:"
    grep -i -A5 "panicked" "$work/serve.log" >&2
    status=1
fi
exit $status
