//! Tests of showing commands as a person would type them.

use std::process::Command;

use super::{quote, repo, shell_text};

#[test]
fn quoting() {
    assert_eq!(quote("--fib-size"), "--fib-size");
    assert_eq!(quote("noop()"), "'noop()'");
    assert_eq!(quote(""), "''");
    assert_eq!(quote("it's"), r"'it'\''s'");
}

#[test]
fn commands_as_typed() {
    let mut cmd = Command::new(repo().join("target/release/host"));
    cmd.env("CRITERION_HOME", repo().join("target/bench/criterion"))
        .arg("run")
        .args(["--invoke", "noop()"]);
    assert_eq!(
        shell_text(&cmd),
        "CRITERION_HOME=target/bench/criterion target/release/host run --invoke 'noop()'"
    );
}
