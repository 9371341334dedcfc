#!/usr/bin/env bash
#! Builds every guest task in guest-tasks/ to a wasm32-wasip2 component.
#
# Usage: scripts/build-guests.sh [--check] [TARGET_DIR]
#   --check     only check the guest toolchain, never install it (for build scripts);
#               without it, scripts/guest-toolchain.sh installs what is missing.
#   TARGET_DIR  cargo target dir for guests (default: <repo>/target/guests). One dir is
#               shared by all guests, so std (built from source on Debian) is built once.
# Prints one line per built component: NAME<TAB>PATH.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=()
if [ "${1:-}" = "--check" ]; then check=(--check); shift; fi
target_dir="${1:-$repo/target/guests}"
tool_dir="${WASK_TOOLCHAIN_DIR:-$HOME/.cache/wask/guest-toolchain}"

route="$("$repo/scripts/guest-toolchain.sh" "${check[@]}")"

# When run from a build script, the outer cargo's settings must not leak into the
# nested guest build (it targets another platform with another compiler).
unset RUSTC RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTDOC RUSTFLAGS CARGO_ENCODED_RUSTFLAGS \
    CARGO_TARGET_DIR CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS CARGO_MAKEFLAGS MAKEFLAGS MFLAGS \
    CARGO_PRIMARY_PACKAGE CARGO_MANIFEST_DIR CARGO_MANIFEST_PATH CARGO_PKG_NAME OUT_DIR TARGET HOST \
    RUSTC_LINKER CARGO_ENCODED_RUSTDOCFLAGS RUSTDOCFLAGS
while IFS='=' read -r name _; do
    case "$name" in CARGO_PROFILE_*|CARGO_CFG_*|CARGO_FEATURE_*|CARGO_TARGET_*) unset "$name" ;; esac
done < <(env)

# Wasm SIMD (128-bit vectors): the kernels' loops vectorise as they do natively, and
# wasmtime compiles them to the host's vector instructions.
simd="-C target-feature=+simd128"

cd "$repo/guest-tasks"
case "$route" in
    rustup)
        RUSTFLAGS="$simd" \
            cargo build --quiet --release --target wasm32-wasip2 --target-dir "$target_dir" >&2
        ;;
    debian)
        PATH="$tool_dir/bin:/usr/lib/llvm-19/bin:/usr/bin:$PATH" \
        RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="-L /usr/lib/wasm32-wasi $simd" \
            /usr/bin/cargo build --quiet --release --target wasm32-wasip2 --target-dir "$target_dir" \
            -Zbuild-std=std,panic_abort \
            --config 'target.wasm32-wasip2.linker="wasm-component-ld"' >&2
        ;;
    *) echo "build-guests: unknown toolchain route '$route'" >&2; exit 1 ;;
esac

for manifest in "$repo"/guest-tasks/*/Cargo.toml; do
    name="$(basename "$(dirname "$manifest")")"
    wasm="$target_dir/wasm32-wasip2/release/${name//-/_}.wasm"
    [ -f "$wasm" ] || { echo "build-guests: $name built but $wasm is missing" >&2; exit 1; }
    printf '%s\t%s\n' "$name" "$wasm"
done
