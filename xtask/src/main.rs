//! `cargo xtask`: the project's own commands: bootstrap, build guests, demo, test, lint, ci.
//!
//! If `cargo xtask ci` passes locally, CI passes: `.ci/run` calls the same commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

mod bench;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  bootstrap   install and check the guest toolchain (wasm32-wasip2)
  guests      build every guest in guest-tasks/ and print NAME<TAB>PATH lines
  demo        run the seed demo (release build): three cases, serial vs parallel
  images DIR  write the 16 sample images (1024x1024 PNG) of seed case 3 to DIR
  test        bootstrap, then run every test
  lint        cargo fmt --check (host and guests) and clippy -D warnings
  bench       measure Wask against Ray, native Rust and its targets; write
              docs/BENCHMARKS.md and docs/benchmarks.json (--quick for a short run)
  ci          lint, then test";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        bail!("no command given\n{USAGE}");
    };
    let rest = &args[1..];
    match command.as_str() {
        "bootstrap" => bootstrap(),
        "guests" => {
            for (name, path) in guests()? {
                println!("{name}\t{}", path.display());
            }
            Ok(())
        }
        "demo" => demo(rest),
        "images" => {
            let dir = rest.first().context("usage: cargo xtask images DIR")?;
            let files = sample_images(Path::new(dir))?;
            eprintln!("xtask: {} sample images in {dir}", files.len());
            Ok(())
        }
        "test" => test(rest),
        "lint" => lint(),
        "bench" => bench::run(rest),
        "ci" => lint().and_then(|()| test(&[])),
        other => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ sits in the repository root")
        .to_owned()
}

/// Runs a command in the repository root, failing with its name if it fails.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
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

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn bootstrap() -> anyhow::Result<()> {
    run(Command::new("bash").arg("scripts/guest-toolchain.sh"))
}

fn guests() -> anyhow::Result<Vec<(String, PathBuf)>> {
    bootstrap()?;
    let out = Command::new("bash")
        .arg("scripts/build-guests.sh")
        .current_dir(repo())
        .stderr(std::process::Stdio::inherit())
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

fn guest(guests: &[(String, PathBuf)], name: &str) -> anyhow::Result<PathBuf> {
    guests
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| p.clone())
        .with_context(|| format!("no guest `{name}` was built"))
}

/// Number and size of the sample images of seed case 3.
const SAMPLE_IMAGES: u32 = 16;
const SAMPLE_SIZE: u32 = 1024;

/// Writes the sample images of seed case 3, unless they are there already.
fn sample_images(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    wask_kernels::sample_images::write_sample_set(dir, SAMPLE_IMAGES, SAMPLE_SIZE)
        .with_context(|| format!("cannot write sample images to {}", dir.display()))
}

fn demo(extra: &[String]) -> anyhow::Result<()> {
    let guests = guests()?;
    let out_dir = repo().join("target/demo");
    let images = out_dir.join("images");
    sample_images(&images)?;
    run(cargo().args([
        "build",
        "--release",
        "--package",
        "wask",
        "--example",
        "seed_demo",
        "--package",
        "wask-cli",
        "--bin",
        "host",
    ]))?;
    // The seed's own Python functions, built by `host build` as any author would.
    let python = out_dir.join("seed-python.wasm");
    run(Command::new(repo().join("target/release/host"))
        .args(["build", "guest-tasks/python/seed.py", "--out"])
        .arg(&python))?;
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

/// The flags that give the seed demo (and the bench suite) the three seed cases'
/// components and the images of case 3.
fn seed_case_args(
    guests: &[(String, PathBuf)],
    images: &Path,
) -> anyhow::Result<Vec<std::ffi::OsString>> {
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

fn test(extra: &[String]) -> anyhow::Result<()> {
    bootstrap()?;
    run(cargo().args(["test", "--workspace"]).args(extra))
}

fn lint() -> anyhow::Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // Clippy builds the tests package, whose build script builds the guests.
    bootstrap()?;
    run(cargo().args([
        "fmt",
        "--all",
        "--manifest-path",
        "guest-tasks/Cargo.toml",
        "--",
        "--check",
    ]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}
