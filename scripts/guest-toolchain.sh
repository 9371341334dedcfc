#!/usr/bin/env bash
#! Installs and checks the toolchain that builds guest tasks for wasm32-wasip2.
#
# Idempotent: it installs only what is missing and prints each step. Two routes:
#   1. rustup already has the wasm32-wasip2 target: nothing to install.
#   2. otherwise (the usual case on a fresh Debian 12 machine, where rustup cannot
#      download targets): Debian's rustc-web/cargo-web 1.96 with the library source,
#      lld-19 and wasi-libc, plus wasm-component-ld from the Rust package registry.
#      std is then built from source (-Zbuild-std) by scripts/build-guests.sh.
# With --check it installs nothing and only checks.
# On success it prints the route it chose. On failure it names the missing piece
# and how to get it, and exits non-zero.
set -euo pipefail

tool_dir="${WASK_TOOLCHAIN_DIR:-$HOME/.cache/wask/guest-toolchain}"
check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; fi
bootstrap_hint="run scripts/guest-toolchain.sh (or cargo xtask bootstrap) to install it"

say() { echo "guest-toolchain: $*" >&2; }
die() { echo "guest-toolchain: error: $*" >&2; exit 1; }

if [ "${WASK_GUEST_ROUTE:-}" != "debian" ] && command -v rustup >/dev/null 2>&1 \
    && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    say "rustup has the wasm32-wasip2 target; nothing to install"
    echo rustup
    exit 0
fi

say "rustup has no wasm32-wasip2 target; using Debian's rust-web toolchain with -Zbuild-std"

need_pkgs=()
[ -x /usr/bin/cargo ] && /usr/bin/cargo --version 2>/dev/null | grep -q '^cargo 1\.9[6-9]\|^cargo 1\.[1-9][0-9][0-9]' \
    || need_pkgs+=(rustc-web cargo-web)
[ -d /usr/lib/rustlib/src/rust/library/std ] || need_pkgs+=(rust-web-src)
[ -x /usr/lib/llvm-19/bin/wasm-ld ] || need_pkgs+=(lld-19)
[ -d /usr/lib/wasm32-wasi ] || need_pkgs+=(wasi-libc)

if [ ${#need_pkgs[@]} -gt 0 ] && [ $check_only = 1 ]; then
    die "the guest toolchain lacks the Debian packages ${need_pkgs[*]}; $bootstrap_hint"
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 \
        || die "missing ${need_pkgs[*]} and no apt-get here; install rustup's wasm32-wasip2 target instead (rustup target add wasm32-wasip2)"
    sudo=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "installing ${need_pkgs[*]} needs root; run this script as root or install sudo"
        sudo=(sudo)
    fi
    say "installing Debian packages: ${need_pkgs[*]}"
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
    web=()
    for p in "${need_pkgs[@]}"; do
        case "$p" in rustc-web|cargo-web|rust-web-src) web+=("$p") ;; esac
    done
    other=()
    for p in "${need_pkgs[@]}"; do
        case "$p" in rustc-web|cargo-web|rust-web-src) ;; *) other+=("$p") ;; esac
    done
    if [ ${#web[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -qq -t bookworm-security "${web[@]}" >&2 \
            || die "apt-get could not install ${web[*]} from bookworm-security (Rust 1.96); is the bookworm-security suite in the apt sources?"
    fi
    if [ ${#other[@]} -gt 0 ]; then
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${other[@]}" >&2 \
            || die "apt-get could not install ${other[*]}"
    fi
fi

if [ ! -x "$tool_dir/bin/wasm-component-ld" ]; then
    [ $check_only = 0 ] || die "no wasm-component-ld in $tool_dir/bin; $bootstrap_hint"
    say "installing wasm-component-ld into $tool_dir (from the Rust package registry, about 1.5 min)"
    cargo install --locked --quiet wasm-component-ld --root "$tool_dir" >&2 \
        || die "cargo install wasm-component-ld failed; it is the linker rustc uses for wasm32-wasip2"
fi

# Check every piece, so a half-installed machine fails here with a name, not later.
/usr/bin/cargo --version >/dev/null 2>&1 || die "/usr/bin/cargo does not run; reinstall cargo-web (apt-get install -t bookworm-security cargo-web)"
[ -d /usr/lib/rustlib/src/rust/library/std ] || die "no library source at /usr/lib/rustlib/src/rust; install rust-web-src"
[ -x /usr/lib/llvm-19/bin/wasm-ld ] || die "no wasm-ld at /usr/lib/llvm-19/bin; install lld-19"
[ -d /usr/lib/wasm32-wasi ] || die "no wasi-libc at /usr/lib/wasm32-wasi; install wasi-libc"
"$tool_dir/bin/wasm-component-ld" --version >/dev/null 2>&1 || die "$tool_dir/bin/wasm-component-ld does not run; delete it and run this script again"
say "ready: $(/usr/bin/cargo --version), wasm-component-ld in $tool_dir/bin"
echo debian
