//! Set-up time as a new user meets it: the README's two commands, `cargo xtask demo`
//! and then `cargo xtask test`, in a fresh clone of the commit being measured with an
//! empty target folder. Each is timed from spawn to exit with the CPU time the kernel
//! counted for it and its children, and the moments its steps began (the lines it
//! printed), so a miss shows where the time went.
//!
//! What a fresh Debian machine would also do and this run does not: download the
//! crates (the cargo registry here is warm), install the Debian packages, build the
//! guests' standard library, install componentize-py and componentize-js and compile
//! the components `host` caches in ~/.cache/wask (each done once per machine and kept
//! outside the clone). The report says so.

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, ensure};
use serde_json::{Value as Json, json};

use super::Bench;
use super::measure::{Usage, wait_with_rusage};
use crate::project::{repo, shell_env};

/// Clones HEAD and times the README's two commands in the clone. Never fails the
/// bench: what went wrong is written in the figures instead.
pub fn measure(bench: &mut Bench) -> Json {
    let clone = std::env::temp_dir().join(format!("wask-bench-setup-{}", std::process::id()));
    let logs = bench.work_dir.join("setup");
    let result = run_both(bench, &clone, &logs);
    // The clone's target folder is several gigabytes: never leave it behind.
    let _ = std::fs::remove_dir_all(&clone);
    result.unwrap_or_else(|e| json!({ "error": format!("{e:#}") }))
}

fn run_both(bench: &mut Bench, clone: &Path, logs: &Path) -> anyhow::Result<Json> {
    let _ = std::fs::remove_dir_all(clone);
    std::fs::create_dir_all(logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let status = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(repo())
        .arg(clone)
        .status()
        .context("cannot run git clone")?;
    ensure!(
        status.success(),
        "git clone of the repository failed with {status}"
    );
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(clone)
        .output()
        .context("cannot run git rev-parse")?;
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_owned();
    let mut figures = serde_json::Map::new();
    figures.insert("commit".into(), json!(commit));
    for step in ["demo", "test"] {
        let mut cmd = Command::new("cargo");
        cmd.args(["xtask", step]);
        bench.note(&cmd);
        let log = logs.join(format!("{step}.log"));
        eprintln!(
            "xtask bench: set-up: `cargo xtask {step}` in a fresh clone ({}), log in {}",
            clone.display(),
            log.display()
        );
        let (usage, events) = timed(&mut cmd, clone, &log)?;
        let mut one = usage.json();
        one["ok"] = json!(usage.code == 0);
        one["exit_code"] = json!(usage.code);
        one["events"] = json!(events);
        figures.insert(step.into(), one);
        // The tests need what the demo built; a failed demo leaves nothing to time.
        if usage.code != 0 {
            break;
        }
    }
    Ok(Json::Object(figures))
}

/// Runs `cmd` in `dir` with the environment of a user's shell (none of the variables
/// the outer cargo set for xtask), its output in `log` with each line's second; what
/// the kernel counted, and the moments its steps began: xtask's own `xtask:` lines,
/// cargo's `Finished` and `Running` lines, tests running for over a minute, and the
/// test totals that counted something.
fn timed(cmd: &mut Command, dir: &Path, log: &Path) -> anyhow::Result<(Usage, Vec<(f64, String)>)> {
    shell_env(cmd);
    let file =
        std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let file = Arc::new(Mutex::new(file));
    let events = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let mut child = cmd
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    let readers: Vec<_> = [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ]
    .into_iter()
    .map(|pipe| {
        let (file, events) = (Arc::clone(&file), Arc::clone(&events));
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let at = started.elapsed().as_secs_f64();
                let _ = writeln!(file.lock().expect("log lock"), "{at:8.1} {line}");
                if let Some(event) = event(&line) {
                    events.lock().expect("events lock").push((at, event));
                }
            }
        })
    })
    .collect();
    let usage = wait_with_rusage(&child, started)?;
    for reader in readers {
        let _ = reader.join();
    }
    let mut events = std::mem::take(&mut *events.lock().expect("events lock"));
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok((usage, events))
}

/// The step a printed line marks, shortened, or none.
fn event(line: &str) -> Option<String> {
    let line = line.trim();
    let keep = line.starts_with("xtask:")
        || line.starts_with("xtask ")
        || line.starts_with("Finished `")
        || line.starts_with("Running ")
        || line.ends_with("has been running for over 60 seconds")
        || (line.starts_with("test result:") && !line.contains(" 0 passed; 0 failed"));
    if !keep {
        return None;
    }
    // Paths of the clone and of rustup's cargo say nothing to a reader of the report.
    let mut text = line.replace('"', "");
    if let Some(cut) = text.find(" in /").or_else(|| text.find(" (target/")) {
        text.truncate(cut);
    }
    let words: Vec<&str> = text
        .split(' ')
        .map(|w| {
            if w.starts_with('/') {
                w.rsplit('/').next().unwrap_or(w)
            } else {
                w
            }
        })
        .collect();
    let mut text = words.join(" ");
    if text.chars().count() > 140 {
        text = text.chars().take(139).collect::<String>() + "…";
    }
    Some(text)
}

#[cfg(test)]
mod test {
    use super::event;

    #[test]
    fn the_steps_are_the_lines_that_start_them() {
        assert_eq!(
            event(r#"xtask: "/root/.rustup/toolchains/stable/bin/cargo" "build" "--release""#),
            Some("xtask: cargo build --release".into())
        );
        assert_eq!(
            event("    Finished `release` profile [optimized] target(s) in 9m 40s"),
            Some("Finished `release` profile [optimized] target(s) in 9m 40s".into())
        );
        assert_eq!(event("   Compiling syn v2.0.119"), None);
        assert_eq!(
            event("     Running all/main.rs (target/release/deps/all-dc4eb20b746abf6b)"),
            Some("Running all/main.rs".into())
        );
        assert_eq!(
            event("test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured"),
            None
        );
        assert!(event("test result: ok. 123 passed; 0 failed; 0 ignored").is_some());
    }
}
