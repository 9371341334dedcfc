//! The authoring figures: per language (Rust, Python, JavaScript), what `host new` and
//! `host build` cost an author, how large the component is, and its first `host run`
//! with an empty cache of compiled components (Cranelift compiles it) and with a full
//! one. Each guest is the `wordcount` that `host new` writes, built as an author would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, ensure};
use serde_json::{Value as Json, json};

use super::Bench;
use crate::project::repo;

/// The languages of `host new --lang`, each with its source file and a line that
/// changes it without changing what it does.
const LANGUAGES: [(&str, &str, &str); 3] = [
    ("rust", "src/lib.rs", "// changed\n"),
    ("python", "wordcount.py", "# changed\n"),
    ("js", "index.js", "// changed\n"),
];

/// The call of the scaffolded guest's example export, and what it prints.
const CALL: &str = "count-words(\"a b\")";
const EXPECT: &str = "2";

/// Measures every language; a language that cannot be measured (no network for its
/// tools, say) is reported with its error and costs the others nothing.
pub fn measure(bench: &mut Bench) -> anyhow::Result<Json> {
    let dir = bench.work_dir.join("authoring");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut languages = serde_json::Map::new();
    for (lang, source, change) in LANGUAGES {
        eprintln!("xtask bench: authoring in {lang}");
        let figures = language(bench, &dir.join(lang), lang, source, change)
            .unwrap_or_else(|e| json!({ "error": format!("{e:#}") }));
        languages.insert(lang.to_owned(), figures);
    }
    Ok(json!({ "languages": languages }))
}

/// One language: a first guest (which installs what is missing), then a new one built
/// cold and again after a change, then run with an empty and with a full cache.
fn language(
    bench: &mut Bench,
    dir: &Path,
    lang: &str,
    source: &str,
    change: &str,
) -> anyhow::Result<Json> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let first = new_guest(bench, dir, "first", lang)?;
    let first_build_s = build(bench, &first, &dir.join("first.wasm"))?;

    let guest = new_guest(bench, dir, "wordcount", lang)?;
    let wasm = dir.join("wordcount.wasm");
    let cold_build_s = build(bench, &guest, &wasm)?;
    let path = guest.join(source);
    let mut text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    text.push_str(change);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    let rebuild_s = build(bench, &guest, &wasm)?;
    let component_bytes = std::fs::metadata(&wasm)
        .with_context(|| format!("cannot read {}", wasm.display()))?
        .len();

    let cache = dir.join("cache");
    let first_run_s = run(bench, &wasm, &cache)?;
    let cached_run_s = run(bench, &wasm, &cache)?;
    Ok(json!({
        "first_build_s": first_build_s,
        "cold_build_s": cold_build_s,
        "rebuild_s": rebuild_s,
        "component_bytes": component_bytes,
        "first_run_s": first_run_s,
        "cached_run_s": cached_run_s,
    }))
}

/// `host new NAME --lang LANG` in `dir`; the guest's folder.
fn new_guest(bench: &mut Bench, dir: &Path, name: &str, lang: &str) -> anyhow::Result<PathBuf> {
    let guest = dir.join(name);
    bench.run(
        Command::new(&bench.host)
            .arg("new")
            .arg(&guest)
            .args(["--lang", lang]),
    )?;
    Ok(guest)
}

/// `host build GUEST --out WASM`, in seconds.
fn build(bench: &mut Bench, guest: &Path, wasm: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    bench.run(
        Command::new(&bench.host)
            .arg("build")
            .arg(guest)
            .arg("--out")
            .arg(wasm),
    )?;
    Ok(started.elapsed().as_secs_f64())
}

/// `host run` of the example call with the cache in `cache`, from spawn to exit, in
/// seconds, after checking what it printed.
fn run(bench: &mut Bench, wasm: &Path, cache: &Path) -> anyhow::Result<f64> {
    let mut cmd = Command::new(&bench.host);
    cmd.arg("run")
        .arg(wasm)
        .args(["--invoke", CALL, "--cache-dir"])
        .arg(cache);
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}");
    let started = Instant::now();
    let out = cmd
        .current_dir(repo())
        .output()
        .context("cannot start host run")?;
    let elapsed = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success() && stdout.trim() == EXPECT,
        "{text} printed {:?} and exited with {}: {}",
        stdout.trim(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(elapsed)
}
