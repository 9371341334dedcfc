//! Builds every guest in guest-tasks/ for wasm32-wasip2 and writes their paths as constants.
//!
//! The nested build runs through scripts/build-guests.sh, which checks the guest
//! toolchain but never installs it (`cargo xtask bootstrap` does that).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest_dir.parent().unwrap().to_owned();
    for watched in ["guest-tasks", "wit", "scripts/build-guests.sh"] {
        println!("cargo::rerun-if-changed={}", repo.join(watched).display());
    }
    println!("cargo::rerun-if-env-changed=WASK_TOOLCHAIN_DIR");
    let target_dir = repo.join("target").join("guests");
    let output = Command::new("bash")
        .arg(repo.join("scripts/build-guests.sh"))
        .arg("--check")
        .arg(&target_dir)
        .output()
        .expect("bash runs scripts/build-guests.sh");
    assert!(
        output.status.success(),
        "building the guest tasks failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut consts = String::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let (name, path) = line.split_once('\t').expect("NAME<TAB>PATH lines");
        let _ = writeln!(
            consts,
            "/// The `{name}` guest component, built from guest-tasks/{name}.\npub const {}: &str = {path:?};",
            name.to_uppercase().replace('-', "_")
        );
    }
    // Written beside and renamed into place, never over the old file: a target folder
    // seeded with hard links shares that file with other checkouts.
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let fresh = out_dir.join("guests.rs.new");
    std::fs::write(&fresh, consts).unwrap();
    std::fs::rename(fresh, out_dir.join("guests.rs")).unwrap();
}
