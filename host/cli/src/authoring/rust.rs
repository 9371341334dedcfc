//! Rust guests: a crate built for `wasm32-wasip2` with cargo.
//!
//! There are two routes, which `scripts/guest-toolchain.sh` (shipped inside `host`)
//! picks and installs what is missing for:
//! - *rustup*: rustup has the `wasm32-wasip2` target, so a plain cargo build works.
//! - *debian*: Debian's `rustc-web` with `lld-19`, `wasi-libc` and
//!   `wasm-component-ld`. The standard library for the guest target is built from
//!   source once per compiler (`-Zbuild-std`, a few minutes), kept as a sysroot in the
//!   tools folder, and given to every build after with `--sysroot`: no guest builds
//!   it again, whatever its profile.
//!
//! Each route has one cargo target folder in the tools folder, shared by every crate,
//! so a new crate reuses what others compiled (wit-bindgen and its proc-macros). Cargo
//! names a cdylib's output after the crate alone, so the folder remembers which crate
//! last built each name, and has cargo link it again when another crate of that name
//! builds.
//!
//! A crate made by `cargo component new` has bindings that cargo-component rewrites
//! on every build (`src/bindings.rs`, for `wit-bindgen-rt`). It is built from a copy
//! in the tools folder whose `src/bindings.rs` is `wit_bindgen::generate!` over the
//! crate's `wit/` folder instead; the crate itself is left as it is.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::tools::{self, Tools, say};

/// Installs and checks the guest toolchain; prints the route it chose on stdout.
const GUEST_TOOLCHAIN_SH: &str = include_str!("../../../../scripts/guest-toolchain.sh");

/// The wit-bindgen that `host new` crates use and cargo-component crates are built with.
pub const WIT_BINDGEN_VERSION: &str = "0.63";

/// Where Debian's pieces of the guest toolchain are.
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_LLVM_BIN: &str = "/usr/lib/llvm-19/bin";
const DEBIAN_WASI_LIBC: &str = "/usr/lib/wasm32-wasi";

/// The flag every Rust guest is built with: wasm's 128-bit SIMD.
const GUEST_SIMD: &str = "-Ctarget-feature=+simd128";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Rustup,
    Debian,
}

/// What `host build` needs from a crate's Cargo.toml.
struct Manifest {
    package: String,
    /// The name of the cdylib's output, `<lib>.wasm`.
    lib: String,
    cdylib: bool,
    /// Made by `cargo component new`: `[package.metadata.component]`.
    cargo_component: bool,
    /// The world named in `[package.metadata.component.target]`, if any.
    world: Option<String>,
    table: toml::Table,
}

impl Manifest {
    fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        let package = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .with_context(|| {
                format!(
                    "{} has no [package] name: a guest is one crate, not a workspace",
                    path.display()
                )
            })?
            .to_owned();
        let lib = table.get("lib");
        let lib_name = lib
            .and_then(|l| l.get("name"))
            .and_then(toml::Value::as_str)
            .map_or_else(|| package.replace('-', "_"), str::to_owned);
        let cdylib = lib
            .and_then(|l| l.get("crate-type"))
            .and_then(toml::Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("cdylib")));
        let component = table
            .get("package")
            .and_then(|p| p.get("metadata"))
            .and_then(|m| m.get("component"));
        let world = component
            .and_then(|c| c.get("target"))
            .and_then(|t| t.get("world"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned);
        Ok(Manifest {
            package,
            lib: lib_name,
            cdylib,
            cargo_component: component.is_some(),
            world,
            table,
        })
    }
}

/// Builds the crate in `dir` and gives the component's path.
pub fn build(
    tools: &Tools,
    dir: &Path,
    output: &dyn Fn(&str) -> PathBuf,
) -> anyhow::Result<PathBuf> {
    let manifest = Manifest::read(dir)?;
    if !manifest.cdylib {
        let what = if dir.join("src/main.rs").is_file() && !dir.join("src/lib.rs").is_file() {
            "is a binary crate, which builds a command rather than a task component"
        } else {
            "builds no cdylib"
        };
        bail!(
            "the crate `{}` {what}: a task is a library with `[lib] crate-type = [\"cdylib\"]` in Cargo.toml, its functions exported through wit-bindgen (see `host new NAME --lang rust`)",
            manifest.package
        );
    }
    let route = route(tools)?;
    let sysroot = match route {
        Route::Debian => Some(sysroot(tools)?),
        Route::Rustup => None,
    };
    let crate_dir = std::fs::canonicalize(dir)
        .with_context(|| format!("cannot find the crate folder {}", dir.display()))?;
    let build_dir = if manifest.cargo_component {
        overlay(tools, &crate_dir, &manifest)?
    } else {
        crate_dir.clone()
    };
    let route_name = match route {
        Route::Rustup => "rustup",
        Route::Debian => "debian",
    };
    let _lock = tools.lock(&format!("rust-target-{route_name}"))?;
    let target_dir = tools.dir(&format!("rust/target-{route_name}"))?;
    let release = target_dir.join("wasm32-wasip2").join("release");
    claim_output(&release, &manifest.lib, &crate_dir)?;
    let mut cargo = cargo(route, tools)?;
    // Wasm SIMD, as `scripts/build-guests.sh` builds the project's own guests: loops
    // vectorise as they do natively, and wasmtime runs them on the host's vectors.
    let mut flags: Vec<&std::ffi::OsStr> = vec![GUEST_SIMD.as_ref()];
    if let Some(sysroot) = &sysroot {
        flags.extend([
            "--sysroot".as_ref(),
            sysroot.as_os_str(),
            "-L".as_ref(),
            DEBIAN_WASI_LIBC.as_ref(),
        ]);
    }
    cargo.env("CARGO_ENCODED_RUSTFLAGS", encoded_flags(&flags));
    cargo
        .current_dir(&build_dir)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--message-format", "json-render-diagnostics"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    let out = cargo
        .output()
        .context("cannot start cargo to build the crate")?;
    if !out.status.success() {
        bail!(
            "cargo could not build the crate `{}` ({}); its errors are above",
            manifest.package,
            out.status
        );
    }
    let built = artifact(&out.stdout, &build_dir.join("Cargo.toml")).with_context(|| {
        format!(
            "cargo built no component for the crate `{}`",
            manifest.package
        )
    })?;
    let path = output(&manifest.package);
    let tmp = path.with_extension(format!("wasm.tmp{}", std::process::id()));
    std::fs::copy(&built, &tmp)
        .with_context(|| format!("cannot copy {} to {}", built.display(), tmp.display()))?;
    super::place(&tmp, &path)?;
    Ok(path)
}

/// Runs the guest toolchain script (installing what is missing) and gives its route.
fn route(tools: &Tools) -> anyhow::Result<Route> {
    let out = Command::new("bash")
        .arg("-c")
        .arg(GUEST_TOOLCHAIN_SH)
        .arg("guest-toolchain")
        .env("WASK_TOOLCHAIN_DIR", tools.dir("guest-toolchain")?)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot start bash to check the Rust guest toolchain")?;
    if !out.status.success() {
        bail!("the Rust guest toolchain is not ready; the reason is above");
    }
    match String::from_utf8_lossy(&out.stdout).trim() {
        "rustup" => Ok(Route::Rustup),
        "debian" => Ok(Route::Debian),
        other => bail!("the guest toolchain script chose an unknown route `{other}`"),
    }
}

/// A cargo command for the route, in a clean environment: settings that a parent
/// cargo (a build script, a test) exports must not reach a build for another target.
fn cargo(route: Route, tools: &Tools) -> anyhow::Result<Command> {
    let mut cmd = match route {
        Route::Rustup => Command::new("cargo"),
        Route::Debian => Command::new(DEBIAN_CARGO),
    };
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let inherited = [
            "RUSTC",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTDOC",
            "RUSTFLAGS",
            "RUSTDOCFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_ENCODED_RUSTDOCFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_MAKEFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
            "OUT_DIR",
            "TARGET",
            "HOST",
            "RUSTC_LINKER",
        ]
        .contains(&name.as_ref())
            || [
                "CARGO_PROFILE_",
                "CARGO_CFG_",
                "CARGO_FEATURE_",
                "CARGO_TARGET_",
                "CARGO_PKG_",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || name.starts_with("CARGO_MANIFEST_")
            || name == "CARGO_PRIMARY_PACKAGE";
        if inherited {
            cmd.env_remove(name.as_ref());
        }
    }
    if route == Route::Debian {
        cmd.env("PATH", debian_path(tools)?)
            .env("RUSTC", DEBIAN_RUSTC)
            .args([
                "--config",
                "target.wasm32-wasip2.linker=\"wasm-component-ld\"",
            ]);
    }
    Ok(cmd)
}

/// `PATH` with the guest toolchain's programs first: wasm-component-ld and wasm-ld.
fn debian_path(tools: &Tools) -> anyhow::Result<std::ffi::OsString> {
    let mut dirs = vec![
        tools.dir("guest-toolchain")?.join("bin"),
        PathBuf::from(DEBIAN_LLVM_BIN),
        PathBuf::from("/usr/bin"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).context("a folder on PATH holds a `:`")
}

/// Flags as `CARGO_ENCODED_RUSTFLAGS` takes them: separated by 0x1f, so a path may
/// hold spaces.
fn encoded_flags(flags: &[&std::ffi::OsStr]) -> std::ffi::OsString {
    let mut out = std::ffi::OsString::new();
    for (i, flag) in flags.iter().enumerate() {
        if i > 0 {
            out.push("\u{1f}");
        }
        out.push(flag);
    }
    out
}

/// The standard library for wasm32-wasip2, built from Debian's library source once
/// per compiler and kept as a sysroot: `<tools>/rust/sysroot-<commit>`.
fn sysroot(tools: &Tools) -> anyhow::Result<PathBuf> {
    let version = tools::run_captured(Command::new(DEBIAN_RUSTC).arg("-vV"), "tell its version")?;
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let commit = version
        .lines()
        .find_map(|l| l.strip_prefix("commit-hash: "))
        .map_or("unknown", str::trim);
    let key: String = commit.chars().take(12).collect();
    let rust_dir = tools.dir("rust")?;
    let sysroot = rust_dir.join(format!("sysroot-{key}"));
    if tools::is_complete(&sysroot, &version) {
        return Ok(sysroot);
    }
    let _lock = tools.lock("rust-sysroot")?;
    if tools::is_complete(&sysroot, &version) {
        return Ok(sysroot);
    }
    say(&format!(
        "building the Rust standard library for wasm32-wasip2 from source, once for this compiler (a few minutes); it is kept in {} for every guest crate",
        sysroot.display()
    ));
    let seed = rust_dir.join("std-build");
    tools::fresh_dir(&seed.join("src"))?;
    std::fs::write(
        seed.join("Cargo.toml"),
        "[package]\nname = \"wask-std-seed\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n\
         [lib]\ncrate-type = [\"rlib\"]\n\n\
         [profile.release]\npanic = \"abort\"\nopt-level = 3\ndebug = false\n\n[workspace]\n",
    )
    .and_then(|()| std::fs::write(seed.join("src/lib.rs"), "#![no_std]\n"))
    .with_context(|| format!("cannot write the std seed crate in {}", seed.display()))?;
    let target = seed.join("target");
    let mut cargo = cargo(Route::Debian, tools)?;
    cargo
        .current_dir(&seed)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", format!("-L {DEBIAN_WASI_LIBC}"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args(["-Zbuild-std=std,panic_abort"])
        .arg("--target-dir")
        .arg(&target);
    tools::run(&mut cargo, "build the standard library for wasm32-wasip2")?;
    let lib = sysroot.join("lib/rustlib/wasm32-wasip2/lib");
    tools::fresh_dir(&lib)?;
    let deps = target.join("wasm32-wasip2/release/deps");
    let entries =
        std::fs::read_dir(&deps).with_context(|| format!("cannot list {}", deps.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rlib = Path::new(&name).extension().is_some_and(|e| e == "rlib");
        if rlib && !name.starts_with("libwask_std_seed-") {
            std::fs::copy(entry.path(), lib.join(&name))
                .with_context(|| format!("cannot copy {name} into {}", lib.display()))?;
        }
    }
    tools::mark_complete(&sysroot, &version)?;
    let _ = std::fs::remove_dir_all(&seed);
    Ok(sysroot)
}

/// Makes sure cargo links `<lib>.wasm` for this crate: when another crate of the same
/// name built it last in the shared target folder, its outputs go, so cargo cannot
/// take them as this crate's.
fn claim_output(release: &Path, lib: &str, crate_dir: &Path) -> anyhow::Result<()> {
    let owner_file = release.join(format!(".wask-owner-{lib}"));
    let owner = crate_dir.to_string_lossy();
    if std::fs::read_to_string(&owner_file).ok().as_deref() != Some(owner.as_ref()) {
        for stale in [
            release.join(format!("{lib}.wasm")),
            release.join("deps").join(format!("{lib}.wasm")),
        ] {
            if stale.exists() {
                std::fs::remove_file(&stale)
                    .with_context(|| format!("cannot remove {}", stale.display()))?;
            }
        }
        std::fs::create_dir_all(release)
            .and_then(|()| std::fs::write(&owner_file, owner.as_bytes()))
            .with_context(|| format!("cannot write {}", owner_file.display()))?;
    }
    Ok(())
}

/// The component cargo linked for the crate whose manifest is `manifest`, from its
/// JSON messages.
fn artifact(messages: &[u8], manifest: &Path) -> anyhow::Result<PathBuf> {
    let manifest = manifest.to_string_lossy();
    for line in String::from_utf8_lossy(messages).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_ours = message["reason"] == "compiler-artifact"
            && message["manifest_path"].as_str() == Some(manifest.as_ref())
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib"));
        if !is_ours {
            continue;
        }
        let wasm = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .find(|f| Path::new(f).extension().is_some_and(|e| e == "wasm"));
        if let Some(wasm) = wasm {
            return Ok(PathBuf::from(wasm));
        }
    }
    bail!("cargo reported no .wasm file for it")
}

/// A copy of a cargo-component crate that builds with plain cargo (see the module
/// documentation), in `<tools>/rust/cargo-component/<package>-<hash>`.
fn overlay(tools: &Tools, crate_dir: &Path, manifest: &Manifest) -> anyhow::Result<PathBuf> {
    let wit_dir = crate_dir.join("wit");
    let (resolve, world) = super::wit::world(&wit_dir, manifest.world.as_deref())?;
    let world_name = resolve.worlds[world].name.clone();
    let key = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        crate_dir.hash(&mut hasher);
        hasher.finish()
    };
    let copy = tools
        .dir("rust/cargo-component")?
        .join(format!("{}-{key:016x}", manifest.package));
    tools::fresh_dir(&copy)?;
    tools::copy_tree(crate_dir, &copy)?;
    if let Ok(lock) = std::fs::read(crate_dir.join("Cargo.lock")) {
        std::fs::write(copy.join("Cargo.lock"), lock)
            .with_context(|| format!("cannot write {}/Cargo.lock", copy.display()))?;
    }
    let mut table = manifest.table.clone();
    absolute_paths(&mut table, crate_dir);
    let deps = table
        .entry("dependencies")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(deps) = deps.as_table_mut() {
        let mut wit_bindgen = toml::Table::new();
        wit_bindgen.insert("version".into(), WIT_BINDGEN_VERSION.into());
        wit_bindgen.insert("default-features".into(), false.into());
        wit_bindgen.insert(
            "features".into(),
            toml::Value::Array(vec!["macros".into(), "realloc".into(), "std".into()]),
        );
        deps.insert("wit-bindgen".into(), toml::Value::Table(wit_bindgen));
    }
    table
        .entry("workspace")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let text = toml::to_string(&table).context("cannot write the copy's Cargo.toml")?;
    std::fs::write(copy.join("Cargo.toml"), text)
        .with_context(|| format!("cannot write {}/Cargo.toml", copy.display()))?;
    std::fs::create_dir_all(copy.join("src"))
        .and_then(|()| {
            std::fs::write(
                copy.join("src/bindings.rs"),
                format!(
                    "// Written by `host build` in place of cargo-component's generated bindings.\nwit_bindgen::generate!({{ path: \"wit\", world: {world_name:?} }});\n"
                ),
            )
        })
        .with_context(|| format!("cannot write {}/src/bindings.rs", copy.display()))?;
    say(&format!(
        "`{}` is a cargo-component crate: building a copy with wit-bindgen's generate! in place of src/bindings.rs, in {}",
        manifest.package,
        copy.display()
    ));
    Ok(copy)
}

/// Makes every relative `path = "..."` of a dependency absolute, so a copy of the
/// manifest elsewhere finds the same crates.
fn absolute_paths(table: &mut toml::Table, base: &Path) {
    for (key, value) in table.iter_mut() {
        let Some(inner) = value.as_table_mut() else {
            continue;
        };
        if key.ends_with("dependencies") {
            for (_, dep) in inner.iter_mut() {
                if let Some(path) = dep.get_mut("path")
                    && let Some(rel) = path.as_str()
                    && Path::new(rel).is_relative()
                {
                    *path = base.join(rel).to_string_lossy().into_owned().into();
                }
            }
        } else if key == "target" {
            for (_, per_target) in inner.iter_mut() {
                if let Some(t) = per_target.as_table_mut() {
                    absolute_paths(t, base);
                }
            }
        }
    }
}
