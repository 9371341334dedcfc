//! The small commands of `cargo xtask`: guests, demo, images, test and lint. The
//! benchmark suite has a module of its own (`bench`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::project::{
    bootstrap, cargo, demo_build, guests, repo, run, sample_images, seed_case_args,
    seed_python_build, shell_text,
};

/// Builds every guest and prints `NAME<TAB>PATH` lines.
pub fn list_guests() -> anyhow::Result<()> {
    for (name, path) in guests()? {
        println!("{name}\t{}", path.display());
    }
    Ok(())
}

/// Runs the seed demo (release build): the Rust guests, and the seed's own Python
/// built by `host build`; `extra` goes to the demo as it is.
pub fn demo(extra: &[String]) -> anyhow::Result<()> {
    // The host's optimised build and the guests' build each leave a core idle for
    // long stretches (the last crates of each compile one at a time): run them at once.
    let mut build = demo_build();
    eprintln!("xtask: {} (beside the guests' build)", shell_text(&build));
    let mut build = build
        .current_dir(repo())
        .spawn()
        .context("cannot start cargo build for the host and the seed demo")?;
    let out_dir = repo().join("target/demo");
    let images = out_dir.join("images");
    let guests = match guests().and_then(|g| sample_images(&images).map(|_| g)) {
        Ok(guests) => guests,
        Err(e) => {
            // Nothing to wait ten minutes for: the demo cannot run.
            let _ = build.kill();
            let _ = build.wait();
            return Err(e);
        }
    };
    eprintln!("xtask: the guests and the sample images are ready");
    let built = build.wait().context("cannot wait for cargo build")?;
    if !built.success() {
        bail!("building the host and the seed demo failed with {built}");
    }
    eprintln!("xtask: the host and the seed demo are built");
    let python = out_dir.join("seed-python.wasm");
    run(&mut seed_python_build(
        &repo().join("target/release/host"),
        &python,
    ))?;
    run(
        Command::new(repo().join("target/release/examples/seed_demo"))
            .args(seed_case_args(&guests, &images)?)
            .arg("--python")
            .arg(&python)
            .arg("--out-dir")
            .arg(&out_dir)
            .args(extra),
    )
}

/// Writes the sample images of seed case 3 to the folder given.
pub fn images(args: &[String]) -> anyhow::Result<()> {
    let dir = args.first().context("usage: cargo xtask images DIR")?;
    let files = sample_images(Path::new(dir))?;
    eprintln!("xtask: {} sample images in {dir}", files.len());
    Ok(())
}

/// The integration-test modules run a second time against a cluster of worker
/// processes (`WASK_TEST_BACKEND=cluster`, see `tests/backend.rs`).
/// `dataflow` and `tenants` pass there too when run by hand, but are left out until a
/// stall seen once two tests' drivers used one tenant name at once is understood.
const CLUSTER_SUITES: [&str; 2] = ["library::", "cli::"];

/// Bootstraps the guest toolchain and the programs the tests start (`nats-server`,
/// `chromium`, ...), then runs every test, and then the library and CLI suites again
/// against a cluster; `extra` goes to `cargo test` (what follows a `--` in it only to
/// the first run, which runs every test).
pub fn test(extra: &[String]) -> anyhow::Result<()> {
    bootstrap()?;
    run(Command::new("bash").arg("scripts/test-deps.sh"))?;
    // The release profile: the tests reuse the optimised build `cargo xtask demo` made
    // (one wasmtime build, not a debug one beside it), and guests compile faster.
    run(cargo()
        .args(["test", "--release", "--workspace"])
        .args(extra))?;
    let cargo_flags = extra.split(|a| a == "--").next().unwrap_or_default();
    // `--workspace --test all` rather than `--package wask-tests`: the first run's
    // package selection, so dependency features, and so builds, stay the same.
    run(cargo()
        .args(["test", "--release", "--workspace", "--test", "all"])
        .args(cargo_flags)
        .arg("--")
        .args(CLUSTER_SUITES)
        .env("WASK_TEST_BACKEND", "cluster"))
}

/// cargo fmt --check (host and guests) and clippy -D warnings.
pub fn lint() -> anyhow::Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // Clippy builds the tests package, whose build script builds the guests.
    bootstrap()?;
    for workspace in ["guest-tasks", "fuzz"] {
        run(cargo()
            .args(["fmt", "--all", "--manifest-path"])
            .arg(format!("{workspace}/Cargo.toml"))
            .args(["--", "--check"]))?;
    }
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    shared_build()
}

/// Checks that the demo's build (`host` and the seed demo) and the tests' (the whole
/// workspace with its dev-dependencies) resolve every dependency to the same
/// features, so the tests reuse the demo's optimised build instead of building
/// wasmtime again. A difference names the crate and the features to turn on in
/// host/workspace-hack.
fn shared_build() -> anyhow::Result<()> {
    let features = |selection: &[&str]| -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
        let out = cargo()
            .args(["tree", "--edges", "normal,build,dev", "--prefix", "none"])
            .args(["--format", "{p} [{f}]", "--target", "all"])
            .args(selection)
            .current_dir(repo())
            .output()
            .context("cannot run cargo tree")?;
        if !out.status.success() {
            bail!(
                "cargo tree {selection:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in String::from_utf8(out.stdout)?.lines() {
            // A package shown before is marked ` (*)`.
            let line = line.trim_end_matches(" (*)");
            // `name vX.Y.Z (path or "proc-macro")? [features]`, once per place it appears.
            let Some((package, rest)) = line.split_once(' ').and_then(|(name, rest)| {
                let (version, rest) = rest.split_once(' ')?;
                Some((format!("{name} {version}"), rest))
            }) else {
                continue;
            };
            let Some(features) = rest.rsplit_once('[').map(|(_, f)| f.trim_end_matches(']')) else {
                continue;
            };
            map.entry(package).or_default().insert(features.to_owned());
        }
        Ok(map)
    };
    let demo = features(&["--package", "wask-cli"])?;
    let tests = features(&["--workspace"])?;
    let differ: Vec<String> = demo
        .iter()
        .filter_map(|(package, f)| {
            let t = tests.get(package)?;
            (f != t).then(|| format!("{package}: demo {f:?}, tests {t:?}"))
        })
        .collect();
    if !differ.is_empty() {
        bail!(
            "the demo's build and the tests' resolve these dependencies to other features, \
             so `cargo xtask test` would build them (and what depends on them) again; turn \
             the tests' features on in host/workspace-hack/Cargo.toml:\n  {}",
            differ.join("\n  ")
        );
    }
    eprintln!("xtask: the demo's build and the tests' resolve every dependency alike");
    Ok(())
}

/// Runs the fuzz targets through `scripts/fuzz.sh`; `extra` goes to the script.
pub fn fuzz(extra: &[String]) -> anyhow::Result<()> {
    run(Command::new("bash").arg("scripts/fuzz.sh").args(extra))
}
