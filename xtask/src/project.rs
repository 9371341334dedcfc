//! The repository and its tools, for every command: where the repository is, running
//! commands in it (and showing them as a person would type them), the guests, and the
//! sample images of seed case 3.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// Number and size of the sample images of seed case 3.
pub const SAMPLE_IMAGES: u32 = 16;
const SAMPLE_SIZE: u32 = 1024;

/// The repository root (the folder above xtask/).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository root")
        .to_owned()
}

/// Runs a command in the repository root, failing with its name if it fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = shell_text(cmd);
    eprintln!("xtask: {shown}");
    let status = cmd
        .current_dir(repo())
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// What cargo sets for a program it runs (xtask, or a test) besides `CARGO` and
/// `CARGO_PKG_*`. tests/lib.rs removes the same before its nested builds.
pub const CARGO_RUN_VARS: [&str; 9] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// The cargo that runs xtask (`$CARGO`), or `cargo` from the path, in the environment
/// of the shell that ran `cargo xtask`: without what cargo set for xtask itself.
/// Build scripts that watch such variables (ring's watches `CARGO_PKG_NAME` and
/// `CARGO_MANIFEST_DIR`) would otherwise see them change between these builds and
/// the tests' own nested ones, and rebuild their crate and all that depends on it.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    shell_env(&mut cmd);
    cmd
}

/// Takes out of `cmd`'s environment what cargo set for xtask itself, leaving that of
/// the shell that ran `cargo xtask`.
pub fn shell_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("CARGO_PKG_") || CARGO_RUN_VARS.contains(&text.as_ref()) {
            cmd.env_remove(&name);
        }
    }
}

/// The one optimised build of the host: the `host` binary and the seed demo, built
/// together with the release profile. `cargo xtask test` runs the tests with the same
/// profile, and its dependencies resolve to the same features (the workspace's one
/// wasmtime line, and host/workspace-hack for what the tests' dev-dependencies turn on;
/// `cargo xtask lint` checks it), so after the demo only the test targets themselves
/// are left to compile.
pub fn demo_build() -> Command {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "--package",
        "wask-cli",
        "--bin",
        "host",
        "--example",
        "seed_demo",
    ]);
    cmd
}

/// Installs and checks the guest toolchain (wasm32-wasip2).
pub fn bootstrap() -> anyhow::Result<()> {
    run(Command::new("bash").arg("scripts/guest-toolchain.sh"))
}

/// Builds every guest in guest-tasks/; each guest's name and the path of its component.
pub fn guests() -> anyhow::Result<Vec<(String, PathBuf)>> {
    bootstrap()?;
    let out = Command::new("bash")
        .arg("scripts/build-guests.sh")
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run scripts/build-guests.sh")?;
    if !out.status.success() {
        bail!("building the guests failed");
    }
    String::from_utf8(out.stdout)?
        .lines()
        .map(|line| {
            let (name, path) = line
                .split_once('\t')
                .with_context(|| format!("unexpected line from build-guests.sh: {line}"))?;
            Ok((name.to_owned(), PathBuf::from(path)))
        })
        .collect()
}

/// The component of the guest called `name`, among those [`guests`] built.
pub fn guest(guests: &[(String, PathBuf)], name: &str) -> anyhow::Result<PathBuf> {
    guests
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.clone())
        .with_context(|| format!("no guest `{name}` was built"))
}

/// Writes the sample images of seed case 3, unless they are there already.
pub fn sample_images(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    wask_kernels::sample_images::write_sample_set(dir, SAMPLE_IMAGES, SAMPLE_SIZE)
        .with_context(|| format!("cannot write sample images to {}", dir.display()))
}

/// The flags that give the seed demo (and the bench suite) the three seed cases'
/// Rust components and the images of case 3 (the demo's `--python` is apart: the
/// suite has no Python).
pub fn seed_case_args(
    guests: &[(String, PathBuf)],
    images: &Path,
) -> anyhow::Result<Vec<OsString>> {
    let mut args = Vec::new();
    for (flag, name) in [
        ("--fibonacci", "fibonacci"),
        ("--monte-carlo-pi", "monte-carlo-pi"),
        ("--image-filters", "image-filters"),
    ] {
        args.push(flag.into());
        args.push(guest(guests, name)?.into());
    }
    args.push("--images".into());
    args.push(images.into());
    Ok(args)
}

/// The seed's own Python functions (cases 1 and 2 as the chapter writes them), which
/// the seed demo runs beside the Rust guests with `--python`.
pub const SEED_PYTHON: &str = "guest-tasks/python/seed.py";

/// `host build` of [`SEED_PYTHON`] to `out`, as any author would build it (the first
/// build installs componentize-py). Its stdout, the component's path, is dropped so
/// that stdout stays the demo's table.
pub fn seed_python_build(host: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(host);
    cmd.args(["build", SEED_PYTHON, "--out"])
        .arg(out)
        .stdout(Stdio::null());
    cmd
}

/// A command as a person would type it from the repository root: paths inside the
/// repository made relative, arguments quoted for the shell where needed.
pub fn shell_text(cmd: &Command) -> String {
    let root = format!("{}/", repo().display());
    let mut words: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    let program = cmd.get_program().to_string_lossy().into_owned();
    // cargo is run through $CARGO (a full path to rustup's cargo): show it as `cargo`.
    let program = if Path::new(&program)
        .file_name()
        .is_some_and(|n| n == "cargo")
    {
        "cargo".to_owned()
    } else {
        program
    };
    words.push(program);
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    words
        .iter()
        .map(|w| quote(&w.replace(&root, "")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word for the shell: as it is if that is safe, else in single quotes.
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod test;
