#!/usr/bin/env bash
# Load on `host serve` over loopback, the figures of the service's issue: no-op tasks
# submitted one per request with the answer long-polled in the same request
# (`"wait"`), at full speed (wrk) and at a fixed 1,000 requests/s (hey, for p99);
# then batched submits (bench/service/batch.py). Prints each tool's report.
#
# Usage: bash bench/service/load.sh
#   HOST      the host binary (default: target/release/host, built if missing)
#   NOOP      the noop guest (default: target/guests/wasm32-wasip2/release/noop.wasm)
#   SECONDS_  seconds of each wrk/hey run (default: 20)
#   WORKERS   host serve -j (default: the machine's cores)
#   TASKS     no-op tasks of the batched run (default: 200000)
# The load generators run on the same machine: on 2 cores they take CPU from the
# server, so these are figures of the whole loop, not of the server alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
host=${HOST:-$root/target/release/host}
noop=${NOOP:-$root/target/guests/wasm32-wasip2/release/noop.wasm}
duration=${SECONDS_:-20}
workers=${WORKERS:-$(nproc)}
n_tasks=${TASKS:-200000}

log() { printf 'load.sh: %s\n' "$*" >&2; }

for tool in wrk hey; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || { log "$tool is missing: apt-get install $tool"; exit 1; }
        log "installing $tool (Debian)"
        apt-get install -y "$tool" >&2
    fi
done
if [ ! -x "$host" ]; then
    log "building $host"
    (cd "$root" && cargo build --release -p wask-cli)
fi
[ -f "$noop" ] || { log "no $noop: run cargo xtask guests, or set NOOP"; exit 1; }

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

token=$("$host" token | sed -n 's/^token = "\(.*\)"$/\1/p')
cat >"$work/tenants.toml" <<EOF
[tenants.bench]
token = "$(printf '%s' "$token" | "$host" token --hash)"
max-pending = 1000000
max-tasks = 100000
EOF
"$host" serve --listen 127.0.0.1:0 --tenants "$work/tenants.toml" -j "$workers" \
    2>"$work/serve.log" &
server_pid=$!
url=
for _ in $(seq 600); do
    url=$(sed -n 's/.* tenants on \(http:.*\)$/\1/p' "$work/serve.log")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { log "host serve did not start"; cat "$work/serve.log" >&2; exit 1; }
component=$(curl -sf -H "Authorization: Bearer $token" --data-binary "@$noop" \
    "$url/v1/components?name=noop.wasm" | sed -n 's/.*"id":"\(sha256:[0-9a-f]*\)".*/\1/p')
[ -n "$component" ] || { log "upload failed"; exit 1; }
body="{\"component\": \"$component\", \"call\": \"noop()\", \"wait\": \"10s\"}"

echo "## machine"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "host serve -j $workers, $("$host" --version 2>/dev/null || echo host)"

# Warm up: the first calls instantiate the component's pools.
hey -n 2000 -c 8 -m POST -T application/json -H "Authorization: Bearer $token" \
    -d "$body" "$url/v1/tasks" >/dev/null

cat >"$work/submit.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
EOF
echo
echo "## single-call submit + long-poll result, full speed (wrk -t2 -c32 -d${duration}s)"
wrk -t2 -c32 -d"${duration}s" --latency -s "$work/submit.lua" "$url/v1/tasks"

echo
echo "## single-call submit + long-poll result at 1,000 requests/s (hey -c 20 -q 50 -z ${duration}s)"
hey -z "${duration}s" -c 20 -q 50 -m POST -T application/json \
    -H "Authorization: Bearer $token" -d "$body" "$url/v1/tasks"

echo
echo "## batched submit (batch.py: batches of 5000 no-op calls, 2 connections, each batch waited for)"
python3 "$here/batch.py" "$url" "$token" "$component" --tasks "$n_tasks" --batch 5000 --connections 2
