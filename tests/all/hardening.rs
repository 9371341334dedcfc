//! The host against hostile input that is not a task: a tampered compiled cache,
//! special files, huge sizes, colliding outputs, odd values, terminal escapes and
//! signals. Each failed in a hostile review before it was fixed.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wask_tests::{check, guests, host_bin, stderr, stdout};

/// A fresh folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("wask-hardening-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `.cwasm` entries of a cache folder.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    found.sort();
    found
}

#[test]
fn a_damaged_cache_entry_is_compiled_again_with_a_warning_never_run() {
    let scratch = Scratch::new("damaged");
    let cache = scratch.arg("cache");
    let args = [
        "run",
        guests::NOOP,
        "--cache-dir",
        &cache,
        "--invoke",
        "add(2, 3)",
    ];
    assert_eq!(stdout(&check(&args, None, 0, "ok: 1")), "5\n");
    let found = entries(Path::new(&cache));
    let [entry] = found.as_slice() else {
        panic!("expected one cache entry, found {found:?}");
    };
    // Flip bytes in the compiled code (past the header), then zero a stretch.
    let mut bytes = std::fs::read(entry).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 2..n / 2 + 64] {
        *b ^= 0xff;
    }
    std::fs::write(entry, &bytes).unwrap();
    let out = check(&args, None, 0, "ignoring the cached compiled component");
    assert_eq!(stdout(&out), "5\n");
    assert!(
        stderr(&out).contains("do not match their digest"),
        "{}",
        stderr(&out)
    );
    // Compiled afresh and stored again: the next run is quiet.
    let out = check(&args, None, 0, "ok: 1");
    assert!(!stderr(&out).contains("ignoring"), "{}", stderr(&out));
}

#[test]
fn an_entry_copied_under_another_components_name_is_refused() {
    let scratch = Scratch::new("copied");
    let cache = scratch.arg("cache");
    let noop = [
        "run",
        guests::NOOP,
        "--cache-dir",
        &cache,
        "--invoke",
        "add(2, 3)",
    ];
    check(&noop, None, 0, "ok: 1");
    let found = entries(Path::new(&cache));
    let [noop_entry] = found.as_slice() else {
        panic!("expected one cache entry, found {found:?}");
    };
    let fib = [
        "run",
        guests::FIBONACCI,
        "--cache-dir",
        &cache,
        "--invoke",
        "fib(10)",
    ];
    check(&fib, None, 0, "ok: 1");
    let fib_entry = entries(Path::new(&cache))
        .into_iter()
        .find(|e| e != noop_entry)
        .unwrap();
    // The fibonacci entry now stands where the noop entry was.
    std::fs::copy(&fib_entry, noop_entry).unwrap();
    let out = check(&noop, None, 0, "compiled from another component");
    assert_eq!(stdout(&out), "5\n", "the noop component ran, not fibonacci");
}

#[test]
fn the_cache_folder_is_private_and_one_others_can_write_to_is_refused() {
    let scratch = Scratch::new("perms");
    let cache = scratch.path("cache");
    let arg = cache.display().to_string();
    let args = [
        "run",
        guests::NOOP,
        "--cache-dir",
        &arg,
        "--invoke",
        "noop()",
    ];
    check(&args, None, 0, "ok: 1");
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = check(&args, None, 2, "others can write to it");
    assert_eq!(stdout(&out), "", "nothing ran");
}

#[test]
fn the_cache_keeps_one_entry_whatever_the_limits_and_evicts_past_its_cap() {
    let scratch = Scratch::new("cap");
    let cache = scratch.arg("cache");
    for extra in [&["--max-memory", "64M"][..], &["--max-stack", "1M"], &[]] {
        let mut args = vec![
            "run",
            guests::NOOP,
            "--cache-dir",
            &cache,
            "--invoke",
            "noop()",
        ];
        args.extend_from_slice(extra);
        check(&args, None, 0, "ok: 1");
    }
    assert_eq!(
        entries(Path::new(&cache)).len(),
        1,
        "limits share the compiled code"
    );
    // With a cap smaller than two entries, the one used longest ago goes.
    let fib = [
        "run",
        guests::FIBONACCI,
        "--cache-dir",
        &cache,
        "--cache-max-size",
        "1",
        "--invoke",
        "fib(1)",
    ];
    check(&fib, None, 0, "ok: 1");
    assert_eq!(
        entries(Path::new(&cache)).len(),
        1,
        "the older entry was evicted"
    );
    check(&fib, None, 0, "ok: 1");
}

#[test]
fn special_files_and_huge_sizes_are_refused_before_anything_runs() {
    let scratch = Scratch::new("special");
    check(
        &["run", "/dev/zero", "--invoke", "noop()"],
        None,
        2,
        "not a regular file",
    );
    check(&["inspect", "/dev/zero"], None, 2, "not a regular file");
    check(
        &["run", guests::NOOP, "--invoke", "echo(@/dev/zero)"],
        None,
        2,
        "not a regular file",
    );
    check(
        &["run", guests::NOOP, "--input", "/dev/zero"],
        None,
        2,
        "not a regular file",
    );
    std::fs::write(scratch.path("big.bin"), vec![7u8; 4096]).unwrap();
    let big = format!("echo(@{})", scratch.arg("big.bin"));
    check(
        &[
            "run",
            guests::NOOP,
            "--max-file-size",
            "1K",
            "--invoke",
            &big,
        ],
        None,
        2,
        "larger than the limit of 1 KiB (--max-file-size)",
    );
    check(
        &[
            "run",
            guests::NOOP,
            "--max-component-size",
            "1K",
            "--invoke",
            "noop()",
        ],
        None,
        2,
        "--max-component-size",
    );
    // More workers than the machine can give memory slots: a clear error, no abort.
    let out = check(
        &[
            "run",
            guests::NOOP,
            "--parallel",
            "20000",
            "--invoke",
            "noop()",
        ],
        None,
        2,
        "--parallel",
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn outputs_with_the_same_name_mirror_their_folders_and_never_overwrite() {
    let scratch = Scratch::new("outputs");
    for folder in ["a", "b"] {
        wask_kernels::sample_images::write_sample_set(&scratch.path(folder), 1, 16).unwrap();
    }
    let out_dir = scratch.arg("out");
    let args = [
        "run",
        guests::IMAGE_FILTERS,
        "--invoke",
        "grayscale-blur(@)",
        &scratch.arg("a"),
        &scratch.arg("b"),
        "--output-dir",
        &out_dir,
    ];
    check(&args, None, 0, "ok: 2");
    let name = std::fs::read_dir(scratch.path("a"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    for folder in ["a", "b"] {
        assert!(scratch.path("out").join(folder).join(&name).is_file());
    }
    // A second run would overwrite them: refused before anything runs.
    let again = check(&args, None, 2, "exists already");
    assert_eq!(stdout(&again), "");
    // The same input twice can only write one name twice: refused too.
    let twice = [
        "run",
        guests::IMAGE_FILTERS,
        "--invoke",
        "grayscale-blur(@)",
        &scratch.arg("a"),
        &scratch.arg("a"),
        "--output-dir",
        &scratch.arg("out2"),
    ];
    check(&twice, None, 2, "would both write");
}

#[test]
fn a_file_passes_to_a_string_parameter() {
    let scratch = Scratch::new("string");
    std::fs::write(scratch.path("s.txt"), "héllo").unwrap();
    let call = format!("string-len(@{})", scratch.arg("s.txt"));
    let out = check(
        &["run", guests::SHAPES, "--invoke", &call],
        None,
        0,
        "ok: 1",
    );
    assert_eq!(stdout(&out), "6\n");
}

#[test]
fn values_are_checked_whole_and_printed_losslessly() {
    // An unknown record field is named, not dropped.
    check(
        &[
            "run",
            guests::SHAPES,
            "--invoke",
            r#"echo-point({x: 1, y: 2, label: "a", z: 3})"#,
        ],
        None,
        2,
        "unknown field `z`",
    );
    // A float literal out of range is refused, not turned into infinity.
    check(
        &["run", guests::SHAPES, "--invoke", "echo-f64(1e309)"],
        None,
        2,
        "out of range for f64",
    );
    // NaN, infinities and none stay apart in JSON; records keep their field order.
    let out = check(
        &[
            "run",
            guests::SHAPES,
            "--json",
            "--invoke",
            "echo-f64(nan)",
            "--invoke",
            "echo-f32(-inf)",
            "--invoke",
            "echo-option(none)",
            "--invoke",
            "echo-point({y: 2, x: 1})",
        ],
        None,
        0,
        "ok: 4",
    );
    assert_eq!(
        stdout(&out),
        "{\"ok\":\"nan\"}\n{\"ok\":\"-inf\"}\n{\"ok\":null}\n{\"ok\":{\"x\":1,\"y\":2,\"label\":null}}\n"
    );
    // A long call is quoted around its error only.
    let scratch = Scratch::new("long");
    let calls = scratch.path("calls.txt");
    std::fs::write(
        &calls,
        format!("byte-count([{}300])", "1, ".repeat(200_000)),
    )
    .unwrap();
    let calls = calls.display().to_string();
    let out = check(
        &["run", guests::SHAPES, "--input", &calls],
        None,
        2,
        "out of range for u8",
    );
    assert!(
        stderr(&out).len() < 1000,
        "{} bytes of error",
        stderr(&out).len()
    );
}

#[test]
fn a_guest_cannot_write_terminal_escapes_through_its_errors_or_output() {
    let out = check(
        &[
            "run",
            guests::HOSTILE,
            "--invoke",
            r#"panic("\u{1b}[31mred\u{7}")"#,
        ],
        None,
        1,
        "failed: 1",
    );
    let all = stdout(&out) + &stderr(&out);
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
    assert!(all.contains("\\u{1b}[31mred"), "{all:?}");
    let out = check(
        &[
            "run",
            guests::SHAPES,
            "--invoke",
            r#"echo-string("\u{1b}]0;title\u{7}")"#,
        ],
        None,
        0,
        "ok: 1",
    );
    assert!(!stdout(&out).contains('\u{1b}'), "{:?}", stdout(&out));
}

#[test]
fn limits_are_named_with_their_flags() {
    for (args, message) in [
        (
            &[
                "run",
                guests::FIBONACCI,
                "--fuel",
                "0",
                "--invoke",
                "fib(3)",
            ][..],
            "fuel limit of 0 units",
        ),
        (
            &[
                "run",
                guests::SHAPES,
                "--max-result",
                "1M",
                "--invoke",
                "make-bytes(2000000)",
            ],
            "result size limit of 1 MiB",
        ),
        (
            &[
                "run",
                guests::HOSTILE,
                "--timeout",
                "300ms",
                "--invoke",
                "spin()",
            ],
            "deadline of 0.300 s",
        ),
    ] {
        let out = check(args, None, 1, "failed: 1");
        assert!(stdout(&out).contains(message), "{args:?}: {}", stdout(&out));
    }
    check(
        &[
            "run",
            guests::NOOP,
            "--allow-read",
            "/no/such/folder",
            "--invoke",
            "noop()",
        ],
        None,
        2,
        "cannot grant read access to /no/such/folder",
    );
    check(
        &[
            "run",
            guests::NOOP,
            "--timeout",
            "2 fortnights",
            "--invoke",
            "noop()",
        ],
        None,
        2,
        "expected a positive duration",
    );
}

#[test]
fn a_signal_stops_the_run_prints_what_finished_and_writes_the_timeline() {
    let scratch = Scratch::new("signal");
    let timeline = scratch.arg("run.json");
    let mut child = Command::new(host_bin())
        .args([
            "run",
            guests::HOSTILE,
            "--parallel",
            "2",
            "--invoke",
            "add(1, 2)",
            "--invoke",
            "spin()",
            "--repeat",
            "50",
            "--timeline",
            &timeline,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first result, so the run is under way.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    // SAFETY: kill has no memory preconditions; the pid is our child's.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stopped by SIGTERM"),
        "{}",
        stderr(&out)
    );
    assert_eq!(&first, b"3\n");
    assert!(rest.contains("task was cancelled"), "{rest}");
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&timeline).unwrap()).unwrap();
    assert!(trace["traceEvents"].as_array().unwrap().len() > 2);
}

#[test]
fn a_batch_mixing_every_hostile_case_returns_every_benign_result_in_order() {
    let scratch = Scratch::new("mixed");
    let hostile_calls = [
        "spin()",
        "memory-bomb()",
        "recurse(100000000)",
        r#"panic("\u{1b}[2Jboom")"#,
        "giant-result(64)",
        "stdout-flood(8)",
        r#"read-file("/etc/passwd")"#,
        r#"read-env("HOME")"#,
        r#"open-socket("127.0.0.1", 22)"#,
    ];
    let mut calls = String::new();
    let mut expected = Vec::new();
    for (i, hostile) in hostile_calls.iter().enumerate() {
        let _ = writeln!(calls, "add({i}, 1)\n{hostile}");
        expected.push(Some(format!("{}", i + 1)));
        expected.push(None);
    }
    std::fs::write(scratch.path("calls.txt"), calls).unwrap();
    let out = check(
        &[
            "run",
            guests::HOSTILE,
            "--parallel",
            "2",
            "--timeout",
            "2s",
            "--max-memory",
            "64M",
            "--max-result",
            "1M",
            "--max-output",
            "1M",
            "--input",
            &scratch.arg("calls.txt"),
        ],
        None,
        1,
        "tasks: 18, ok: 12, failed: 6",
    );
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, want) in lines.iter().zip(&expected) {
        match want {
            Some(value) => assert_eq!(line, value),
            None => assert!(
                line.starts_with("error: ") || line.starts_with("err("),
                "a hostile call either fails or is refused by its guest: {line}"
            ),
        }
        assert!(!line.contains('\u{1b}'), "{line:?}");
    }
}

#[test]
fn imports_the_host_lacks_are_listed_and_named_when_it_runs() {
    // A component importing an interface (wasi:http) and a bare function (log) that
    // no host provides; written as text so the test needs no other toolchain.
    let scratch = Scratch::new("imports");
    let component = scratch.path("needs-http.wasm");
    let wasm = wat::parse_str(
        r#"(component
            (import "wasi:http/outgoing-handler@0.2.0" (instance))
            (import "log" (func (param "msg" string)))
            (import "wasi:random/random@0.2.3" (instance))
            (core module $m (func (export "f") (result i32) i32.const 7))
            (core instance $i (instantiate $m))
            (func (export "seven") (result u32) (canon lift (core func $i "f"))))"#,
    )
    .unwrap();
    std::fs::write(&component, wasm).unwrap();
    let path = component.to_str().unwrap();
    let out = check(&["inspect", "--imports", path], None, 0, "");
    let text = stdout(&out);
    assert!(text.contains("seven: func() -> u32"), "{text}");
    assert!(
        text.contains("import wasi:http/outgoing-handler@0.2.0  (missing"),
        "{text}"
    );
    assert!(text.contains("import log  (missing"), "{text}");
    assert!(
        text.lines().any(|l| l == "import wasi:random/random@0.2.3"),
        "a provided import is not marked: {text}"
    );
    // Without --imports, the listing still says it cannot run here.
    check(
        &["inspect", path],
        None,
        0,
        "does not provide 2 of the component's imports",
    );
    // Running it fails before anything runs, naming an import it lacks.
    let out = check(&["run", path, "--invoke", "seven()"], None, 2, "");
    assert!(
        stderr(&out).contains("wasi:http/outgoing-handler") || stderr(&out).contains("log"),
        "{}",
        stderr(&out)
    );
}
