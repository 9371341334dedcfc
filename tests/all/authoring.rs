//! Writing tasks: `host new` and `host build` for Rust, Python and JavaScript, each run
//! in a folder outside the repository with the real toolchains (installed on first use
//! into the tools folder), and the components they make run by `host run`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wask_tests::{guests, host_bin};

/// A fresh folder for one test, outside the repository.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wask-authoring-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `host` in `dir` with `env` set, and checks its exit code.
fn host_env(dir: &Path, args: &[&str], env: &[(&str, &Path)], code: i32) -> Output {
    let mut cmd = Command::new(host_bin());
    cmd.current_dir(dir).args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "host {args:?} in {}\nstdout: {}\nstderr: {}",
        dir.display(),
        stdout(&out),
        stderr(&out)
    );
    out
}

fn host(dir: &Path, args: &[&str], code: i32) -> Output {
    host_env(dir, args, &[], code)
}

/// Copies `tests/fixtures/<name>` into `to`.
fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    copy_tree(&from, to);
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::copy(from, to).unwrap();
        return;
    }
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        copy_tree(&entry.path(), &to.join(entry.file_name()));
    }
}

/// `host new wordcount --lang LANG && host build wordcount && host run ...` prints 2.
fn new_build_and_count_words(lang: &str) {
    let dir = scratch(&format!("new-{lang}"));
    host(&dir, &["new", "wordcount", "--lang", lang], 0);
    let built = host(&dir, &["build", "wordcount"], 0);
    let wasm = stdout(&built).trim().to_owned();
    assert_eq!(wasm, "wordcount/target/wask/wordcount.wasm");
    assert!(
        stderr(&built).contains("count-words: func(text: string)"),
        "host build lists the exports:\n{}",
        stderr(&built)
    );
    let out = host(&dir, &["run", &wasm, "--invoke", "count-words(\"a b\")"], 0);
    assert_eq!(stdout(&out), "2\n");
    // Built again with nothing changed: Python and JavaScript skip their long build.
    let again = host(&dir, &["build", "wordcount"], 0);
    assert_eq!(stdout(&again).trim(), wasm);
    if lang != "rust" {
        assert!(
            stderr(&again).contains("is up to date"),
            "{}",
            stderr(&again)
        );
    }
    let out = host(&dir, &["run", &wasm, "--input", "wordcount/calls.txt"], 0);
    assert_eq!(stdout(&out), "2\n");
    let snake = host(&dir, &["run", &wasm, "--invoke", "count_words(\"a b\")"], 2);
    assert!(
        stderr(&snake).contains("did you mean `count-words`? (WIT names are kebab-case)"),
        "{}",
        stderr(&snake)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_new_rust_task_builds_and_counts_words() {
    new_build_and_count_words("rust");
}

#[test]
fn a_new_python_task_builds_and_counts_words() {
    new_build_and_count_words("python");
}

#[test]
fn a_new_javascript_task_builds_and_counts_words() {
    new_build_and_count_words("js");
}

#[test]
fn host_new_refuses_bad_names_and_folders_in_use() {
    let dir = scratch("new-refusals");
    let out = host(&dir, &["new", "Word_Count"], 2);
    assert!(
        stderr(&out).contains("`Word_Count` cannot name a task"),
        "{}",
        stderr(&out)
    );
    std::fs::create_dir_all(dir.join("taken")).unwrap();
    std::fs::write(dir.join("taken/notes.txt"), "mine").unwrap();
    let out = host(&dir, &["new", "taken", "--lang", "python"], 2);
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    let out = host(&dir, &["build", "nowhere"], 2);
    assert!(
        stderr(&out).contains("nowhere does not exist"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_python_module_with_hints_and_no_wit_runs_with_each_type() {
    let dir = scratch("python-kinds");
    copy_fixture("python/kinds.py", &dir.join("kinds.py"));
    let built = host(&dir, &["build", "kinds.py"], 0);
    let wasm = stdout(&built).trim().to_owned();
    assert_eq!(wasm, "target/wask/kinds.wasm");
    let wit = std::fs::read_to_string(dir.join("target/wask/python/wit/world.wit")).unwrap();
    for line in [
        "    record stats {",
        "        label: option<string>,",
        "        minmax: tuple<f64, f64>,",
        "    export add: func(a: s64, b: s64) -> s64;",
        "    export mean: func(values: list<f64>) -> f64;",
        "    export shout: func(text: string, loud: bool) -> string;",
        "    export reverse-bytes: func(data: list<u8>) -> list<u8>;",
        "    export swap: func(pair: tuple<s64, string>) -> tuple<string, s64>;",
        "    export first-word: func(text: string) -> option<string>;",
        "    export describe: func(values: list<f64>, label: option<string>) -> stats;",
        "    export scale: func(stats: stats, factor: f64) -> stats;",
    ] {
        assert!(wit.lines().any(|l| l == line), "no {line:?} in\n{wit}");
    }
    let calls = [
        ("add(2, -5)", "-3"),
        ("mean([1.0, 2.0, 6.0])", "3"),
        ("shout(\"hi\", true)", "\"HI!\""),
        ("reverse-bytes([1, 2, 3])", "[3, 2, 1]"),
        ("swap((7, \"s\"))", "(\"s\", 7)"),
        ("first-word(\"\")", "none"),
        ("first-word(\"a b\")", "some(\"a\")"),
        (
            "describe([1.0, 3.0], some(\"x\"))",
            "{count: 2, mean: 2, label: some(\"x\"), minmax: (1, 3)}",
        ),
        (
            "scale({count: 2, mean: 1.5, label: none, minmax: (1.0, 2.0)}, 2.0)",
            "{count: 2, mean: 3, minmax: (2, 4)}",
        ),
    ];
    let text = calls.map(|(call, _)| call).join("\n");
    std::fs::write(dir.join("calls.txt"), text).unwrap();
    let out = host(&dir, &["run", &wasm, "--input", "calls.txt"], 0);
    let expected: Vec<&str> = calls.iter().map(|(_, value)| *value).collect();
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), expected);

    // A Python exception shows its type, message and traceback, without the wrapper's
    // frames; with --show-output, the whole stderr of the failed task too.
    let out = host(
        &dir,
        &["run", &wasm, "--invoke", "fail(\"boom\")", "--show-output"],
        1,
    );
    let line = stdout(&out);
    assert!(
        line.contains("guest raised ValueError: boom (traceback, most recent call last: kinds.py:")
            && line.contains(" in fail, kinds.py:")
            && line.contains(" in _check)")
            && !line.contains("_wask_app"),
        "{line}"
    );
    assert!(
        stderr(&out).contains("[task 0 stderr] ValueError: boom"),
        "{}",
        stderr(&out)
    );
    // An int that does not fit s64 is named, with the function.
    let out = host(&dir, &["run", &wasm, "--invoke", "too-big()"], 1);
    assert!(
        stdout(&out).contains(
            "raised OverflowError: too_big() returned 1180591620717411303424, which does not fit its WIT type s64"
        ),
        "{}",
        stdout(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn python_hints_without_a_wit_type_are_named_with_function_and_parameter() {
    let dir = scratch("python-bad-hints");
    copy_fixture("python/bad_hints.py", &dir.join("bad_hints.py"));
    let out = host(&dir, &["build", "bad_hints.py"], 2);
    for expected in [
        "the module's type hints do not all map to WIT",
        "bad_hints.py:2: function `tally`, parameter `counts`: the hint `dict[str, int]` is a dict",
        "bad_hints.py:6: function `pick`, parameter `choice`: the hint `int | str` is a union",
        "bad_hints.py:10: function `untyped`, parameter `value`: needs a type hint",
    ] {
        assert!(
            stderr(&out).contains(expected),
            "no {expected:?} in\n{}",
            stderr(&out)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_javascript_guest_gets_signed_s64_and_reports_exceptions() {
    let dir = scratch("js-kinds");
    copy_fixture("js", &dir.join("kinds"));
    let built = host(&dir, &["build", "kinds"], 0);
    let wasm = stdout(&built).trim().to_owned();
    assert_eq!(wasm, "kinds/target/wask/js-kinds.wasm");
    let calls = [
        ("negate(-3)", "3"),
        ("total([1.5, 2.5])", "4"),
        ("count-words(\"a b c\")", "3"),
        ("checked(4)", "ok(8)"),
        ("checked(-1)", "err(\"Error: negative: -1\")"),
    ];
    let text = calls.map(|(call, _)| call).join("\n");
    std::fs::write(dir.join("calls.txt"), text).unwrap();
    let out = host(&dir, &["run", &wasm, "--input", "calls.txt"], 0);
    let expected: Vec<&str> = calls.iter().map(|(_, value)| *value).collect();
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), expected);
    let out = host(&dir, &["run", &wasm, "--invoke", "fail(\"boom\")"], 1);
    assert!(
        stdout(&out).contains("guest raised RangeError: boom (stack: fail@src/tasks.js:"),
        "{}",
        stdout(&out)
    );
    // componentize-js 0.23 cannot return a negative s64; the wrapper says so.
    let out = host(&dir, &["run", &wasm, "--invoke", "negate(5)"], 1);
    assert!(
        stdout(&out).contains(
            "negate() returned -5, and componentize-js 0.23.0 traps on a negative s64 result"
        ),
        "{}",
        stdout(&out)
    );
    let out = host(&dir, &["run", &wasm, "--invoke", "countWords(\"a\")"], 2);
    assert!(
        stderr(&out).contains("did you mean `count-words`?"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_crate_made_by_cargo_component_builds_and_is_left_as_it_was() {
    let dir = scratch("cargo-component");
    copy_fixture("cargo-component", &dir.join("hello"));
    let bindings = std::fs::read_to_string(dir.join("hello/src/bindings.rs")).unwrap();
    let built = host(&dir, &["build", "hello"], 0);
    let wasm = stdout(&built).trim().to_owned();
    assert_eq!(wasm, "hello/target/wask/hello.wasm");
    let out = host(&dir, &["run", &wasm, "--invoke", "hello-world()"], 0);
    assert_eq!(stdout(&out), "\"Hello, World!\"\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("hello/src/bindings.rs")).unwrap(),
        bindings
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_lists_exports_without_compiling() {
    let dir = scratch("inspect");
    let cache = dir.join("cache");
    let out = host_env(
        &dir,
        &["inspect", guests::FIBONACCI],
        &[("WASK_CACHE_DIR", &cache)],
        0,
    );
    assert!(
        stdout(&out).starts_with("generate-fibonacci: func"),
        "{}",
        stdout(&out)
    );
    let compiled = std::fs::read_dir(&cache).map_or(0, Iterator::count);
    assert_eq!(compiled, 0, "inspect wrote to the compiled-component cache");
    std::fs::remove_dir_all(&dir).unwrap();
}
