//! Shared helpers of the integration tests: built guest paths and the `host` binary.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

pub mod backend;
pub mod cluster;
pub mod service;

/// Paths of the guest components, built from source by build.rs.
pub mod guests {
    include!(concat!(env!("OUT_DIR"), "/guests.rs"));
}

/// The `host` binary of this workspace, brought up to date once per test run by
/// `cargo build` with the test's own profile and target dir, so it is never stale.
pub fn host_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_target(&["--package", "wask-cli", "--bin", "host"], "host"))
        .clone()
}

/// An example of the workspace, built like [`host_bin`]. With `--workspace`, so its
/// dependencies' features resolve as for the tests and the `host` binary, and no
/// dependency is built a second time for it.
pub fn example_bin(name: &str) -> PathBuf {
    let path = build_target(
        &["--workspace", "--example", name],
        &format!("examples/{name}"),
    );
    assert!(path.exists(), "cargo built no {}", path.display());
    path
}

/// What cargo sets for a test besides `CARGO_PKG_*` and `CARGO` (which is kept); xtask
/// removes the same before it runs cargo, so both build in the same environment.
const CARGO_TEST_VARS: [&str; 9] = [
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

/// Builds one target (`which`: the package and target flags) into the test's own target
/// dir and profile, and returns where it is (`relative` to the profile folder).
fn build_target(which: &[&str], relative: &str) -> PathBuf {
    // The test executable lives in target/<profile>/deps/.
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable is in target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("target/<profile>");
    let profile = profile_dir.file_name().unwrap().to_str().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    // Cargo gives the test its package's variables; build scripts that watch them
    // (ring's does) would see them changed and rebuild, here and again in the next
    // plain `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if name_str.starts_with("CARGO_PKG_") || CARGO_TEST_VARS.contains(&name_str.as_ref()) {
            build.env_remove(&name);
        }
    }
    build
        .args(["build", "--quiet"])
        .args(which)
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile == "release" {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build {which:?} failed");
    profile_dir.join(format!("{relative}{}", std::env::consts::EXE_SUFFIX))
}

/// Runs `host` with `args` and, if given, `stdin`.
pub fn run_host(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(host_bin());
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", host_bin().display()));
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// What a process wrote to stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a process wrote to stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `host` and checks its exit code and that stderr holds `stderr_has`.
pub fn check(args: &[&str], stdin: Option<&str>, code: i32, stderr_has: &str) -> Output {
    let out = run_host(args, stdin);
    assert_eq!(
        out.status.code(),
        Some(code),
        "host {args:?}\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(stderr_has),
        "host {args:?}: stderr lacks {stderr_has:?}:\n{}",
        stderr(&out)
    );
    out
}
