#!/usr/bin/env bash
#! Builds and runs the fuzz targets in fuzz/ (cargo-fuzz, libFuzzer) one after another.
#
# Usage: scripts/fuzz.sh [--smoke] [--seconds N] [TARGET...]
#   --smoke      a short run of each target (25 s), as CI would
#   --seconds N  how long each target runs (default 600)
#   TARGET       wave_call, codec_decode, json_value, component_load (default: all)
# Installs cargo-fuzz if it is missing; for component_load, builds the guests
# (scripts/build-guests.sh) to seed its corpus. Prints each target's executions and
# fails if any target found a crash (its input is kept in fuzz/artifacts/TARGET/).
#
# Targets are built with rustup's stable compiler and no sanitizer (`-s none`), which
# needs no nightly features: the code under test is safe Rust, and what a run looks for
# is a panic, an abort, an overflow (debug assertions are on) or a failed round trip.
# The corpus grows in fuzz/corpus/TARGET; fuzz/seeds/TARGET holds the committed seeds.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all_targets=(wave_call codec_decode json_value component_load)
seconds=600
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) seconds=25 ;;
        --seconds) seconds="${2:?--seconds needs a number}"; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^#!\? \?//'; exit 0 ;;
        -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
        *)
            case " ${all_targets[*]} " in
                *" $1 "*) targets+=("$1") ;;
                *) echo "fuzz: unknown target $1 (targets: ${all_targets[*]})" >&2; exit 2 ;;
            esac
            ;;
    esac
    shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked >&2
fi

cd "$repo/fuzz"
logs="$repo/target/fuzz"
mkdir -p "$logs"
summary=()
failed=0
for target in "${targets[@]}"; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    build=(-s none)
    flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=20)
    seeds=()
    [ -d "seeds/$target" ] && seeds=("seeds/$target")
    case "$target" in
        wave_call) flags+=(-dict=dict/wave.dict) ;;
        json_value) flags+=(-dict=dict/json.dict) ;;
        component_load)
            build+=(--features component)
            # One input compiles a component with Cranelift: seconds, not microseconds.
            flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=120 -rss_limit_mb=8192)
            # The real guests are the seeds; libFuzzer mutates them.
            while IFS=$'\t' read -r _ wasm; do
                cp "$wasm" "$corpus/guest-$(basename "$wasm")"
            done < <("$repo/scripts/build-guests.sh")
            ;;
    esac
    echo "fuzz: building $target" >&2
    cargo fuzz build "${build[@]}" "$target" >&2
    echo "fuzz: running $target for ${seconds}s (log: $logs/$target.log)" >&2
    status=0
    cargo fuzz run "${build[@]}" "$target" "$corpus" "${seeds[@]}" -- "${flags[@]}" \
        >"$logs/$target.log" 2>&1 || status=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target.log" | tail -1)"
    # Without final stats (a crash can skip them), the last progress line's count.
    [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$logs/$target.log" | tail -1 | tr -d '#')"
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="CRASH (exit $status; see $logs/$target.log and fuzz/artifacts/$target/)"
        failed=1
        grep -m1 -A3 -E "panicked at|ERROR: libFuzzer" "$logs/$target.log" | cut -c1-400 >&2 || true
    fi
    summary+=("$(printf '%-16s %6ss %14s executions  %s' "$target" "$seconds" "${execs:-?}" "$result")")
done

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
