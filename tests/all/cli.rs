//! Integration tests of the real `host` binary: output, exit codes and error messages.
//! Every `host run` goes to the test backend (`WASK_TEST_BACKEND`): a local run, or
//! `--nats URL` to a cluster of worker processes.

use wask_tests::backend::{check, host_args};
use wask_tests::{guests, stderr, stdout};

#[test]
fn fib_100_prints_its_value() {
    let out = check(
        &["run", guests::FIBONACCI, "--invoke", "fib(100)"],
        None,
        0,
        "ok: 1",
    );
    assert_eq!(stdout(&out), "\"354224848179261915075\"\n");
}

#[test]
fn repeat_runs_in_parallel_and_prints_one_line_each() {
    let args = [
        "run",
        guests::FIBONACCI,
        "--parallel",
        "8",
        "--invoke",
        "generate-fibonacci(100000)",
        "--repeat",
        "8",
    ];
    let out = check(&args, None, 0, "tasks: 8, ok: 8, failed: 0");
    assert_eq!(stdout(&out), "100000\n".repeat(8));
}

#[test]
fn batch_input_from_stdin_keeps_submission_order() {
    let calls = "# a comment\nfib(10)\n\nfib(1)\ngenerate-fibonacci(7)\nfib(20)\n";
    let out = check(
        &["run", guests::FIBONACCI, "--input", "-"],
        Some(calls),
        0,
        "ok: 4",
    );
    assert_eq!(stdout(&out), "\"55\"\n\"1\"\n7\n\"6765\"\n");
}

#[test]
fn batch_input_from_a_file_and_json_output() {
    let path = std::env::temp_dir().join(format!("wask-calls-{}.txt", std::process::id()));
    std::fs::write(&path, "fib(3)\ngenerate-fibonacci(4)\n").unwrap();
    let out = check(
        &[
            "run",
            guests::FIBONACCI,
            "-i",
            path.to_str().unwrap(),
            "--json",
        ],
        None,
        0,
        "ok: 2",
    );
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [serde_json::json!({"ok": "2"}), serde_json::json!({"ok": 4})]
    );
}

#[test]
fn a_trapping_invocation_leaves_the_others_intact() {
    let args = [
        "run",
        guests::FIBONACCI,
        "--invoke",
        "fib(10)",
        "--invoke",
        "generate-fibonacci(4294967295)",
        "--invoke",
        "fib(11)",
    ];
    let out = check(&args, None, 1, "tasks: 3, ok: 2, failed: 1");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], "\"55\"");
    assert!(lines[1].starts_with("error: "), "{}", lines[1]);
    assert!(lines[1].contains("capacity overflow"), "{}", lines[1]);
    assert_eq!(lines[2], "\"89\"");
}

#[test]
fn a_single_export_component_takes_bare_arguments_but_this_one_has_two() {
    check(
        &["run", guests::FIBONACCI, "--invoke", "100"],
        None,
        2,
        "gives only arguments, which works only when the component exports exactly one function",
    );
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let fib = guests::FIBONACCI;
    check(
        &["run", fib, "--invoke", "fib(\"ten\")"],
        None,
        2,
        "argument 1 (`n`) of `fib`: expected u32, got `\"ten\"`",
    );
    check(
        &["run", fib, "--invoke", "fib(1, 2)"],
        None,
        2,
        "`fib` takes 1 argument (fib: func(n: u32) -> string), but 2 were given",
    );
    check(
        &["run", fib, "--invoke", "fibb(1)"],
        None,
        2,
        "unknown function `fibb`; fibonacci.wasm exports:",
    );
    check(
        &["run", fib, "--invoke", "fib(1"],
        None,
        2,
        "cannot parse call `fib(1`",
    );
    check(
        &["run", "/no/such/component.wasm", "--invoke", "fib(1)"],
        None,
        2,
        "cannot read component /no/such/component.wasm: No such file or directory",
    );
    check(&["run", fib], None, 2, "nothing to run");
    check(
        &["run", fib, "--invoke", "fib(1)", "--parallel", "0"],
        None,
        2,
        "at least 1",
    );
    // One bad line in a batch runs nothing, and names its line.
    let out = check(
        &["run", fib, "-i", "-"],
        Some("fib(1)\nfib(-1)\n"),
        2,
        "stdin line 2: argument 1 (`n`) of `fib`: expected u32",
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_file_that_is_not_a_component_is_named_as_such() {
    let dir = std::env::temp_dir().join(format!("wask-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("readme.txt");
    std::fs::write(&text, "hello").unwrap();
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    check(
        &["run", text.to_str().unwrap(), "--invoke", "f()"],
        None,
        2,
        "is not a WebAssembly component: it does not start with the wasm magic bytes",
    );
    check(
        &["inspect", core.to_str().unwrap()],
        None,
        2,
        "is a core WebAssembly module, not a component",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_prints_the_wit_signatures() {
    let out = check(&["inspect", guests::FIBONACCI], None, 0, "");
    assert_eq!(
        stdout(&out),
        "generate-fibonacci: func(sequence-size: u32) -> u32\nfib: func(n: u32) -> string\n"
    );
}

#[test]
fn a_folder_of_images_becomes_one_call_per_file_with_results_in_output_dir() {
    let base = std::env::temp_dir().join(format!("wask-cli-images-{}", std::process::id()));
    let (images, out) = (base.join("images"), base.join("out"));
    let written = wask_kernels::sample_images::write_sample_set(&images, 3, 64).unwrap();
    let result = check(
        &[
            "run",
            guests::IMAGE_FILTERS,
            "--invoke",
            "grayscale-blur(@)",
            images.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
        ],
        None,
        0,
        "tasks: 3, ok: 3",
    );
    let expected: Vec<String> = written
        .iter()
        .map(|p| format!("\"{}\"", out.join(p.file_name().unwrap()).display()))
        .collect();
    assert_eq!(stdout(&result).lines().collect::<Vec<_>>(), expected);
    for input in &written {
        let png = std::fs::read(out.join(input.file_name().unwrap())).unwrap();
        let image = wask_kernels::image_filters::decode(&png).unwrap();
        assert_eq!((image.width(), image.height()), (64, 64));
    }
    // `@path` names one file; a glob pattern matches files.
    let first = written[0].to_str().unwrap();
    let one = check(
        &[
            "run",
            guests::IMAGE_FILTERS,
            "--invoke",
            &format!("resize(@{first}, 8, 4)"),
            "--json",
        ],
        None,
        0,
        "ok: 1",
    );
    assert!(
        stdout(&one).starts_with("{\"ok\":{\"ok\":["),
        "{}",
        stdout(&one)
    );
    let pattern = format!("{}/sample-0[01].png", images.display());
    check(
        &[
            "run",
            guests::IMAGE_FILTERS,
            "--invoke",
            "rotate(@, 1)",
            &pattern,
        ],
        None,
        0,
        "tasks: 2, ok: 2",
    );
    check(
        &["run", guests::IMAGE_FILTERS, "--invoke", "rotate(@, 1)"],
        None,
        2,
        "a bare `@` stands for each input file, but no input files were given",
    );
    check(
        &[
            "run",
            guests::IMAGE_FILTERS,
            "--invoke",
            "rotate(@, 1)",
            "/no/such/dir",
        ],
        None,
        2,
        "input /no/such/dir does not exist",
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn limits_and_captured_output_from_the_command_line() {
    let hostile = guests::HOSTILE;
    let out = check(
        &["run", hostile, "--invoke", "spin()", "--timeout", "0.2"],
        None,
        1,
        "failed: 1",
    );
    assert!(
        stdout(&out).contains("task exceeded its deadline of 0.200 s"),
        "{}",
        stdout(&out)
    );
    let out = check(
        &[
            "run",
            hostile,
            "--invoke",
            "memory-bomb()",
            "--max-memory",
            "64M",
        ],
        None,
        1,
        "failed: 1",
    );
    assert!(stdout(&out).contains("task exceeded its memory limit of 64 MiB"));
    let out = check(
        &[
            "run",
            hostile,
            "--invoke",
            "stdout-flood(1)",
            "--max-output",
            "4K",
        ],
        None,
        1,
        "failed: 1",
    );
    assert!(stdout(&out).contains("task exceeded its stdout limit of 4 KiB"));
    check(
        &[
            "run",
            hostile,
            "--invoke",
            "add(1, 2)",
            "--max-memory",
            "lots",
        ],
        None,
        2,
        "expected a size in bytes such as 65536, 64K, 16M or 2G, got `lots`",
    );
    // --show-output prints what a task wrote, marked with its index.
    let out = check(
        &[
            "run",
            hostile,
            "--invoke",
            "stdout-flood(0)",
            "--show-output",
        ],
        None,
        0,
        "[task 0 stderr]",
    );
    assert_eq!(stdout(&out), "0\n");
}

#[test]
fn retries_are_counted_in_the_error_line() {
    let out = check(
        &[
            "run",
            guests::DATAFLOW,
            "--invoke",
            "check(1, true)",
            "--retries",
            "2",
        ],
        None,
        1,
        "failed: 1",
    );
    assert!(
        stdout(&out).trim_end().ends_with("(after 3 attempts)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn exit_code_3_when_results_cannot_be_written_after_tasks_ran() {
    // /dev/full opens, and every write to it fails (ENOSPC): the task runs and prints
    // its result, then writing the timeline fails. (A clash in --output-dir cannot be
    // staged: output names are planned and refused before anything runs.)
    let result = check(
        &[
            "run",
            guests::FIBONACCI,
            "--invoke",
            "fib(10)",
            "--timeline",
            "/dev/full",
        ],
        None,
        3,
        "cannot write --timeline /dev/full",
    );
    assert_eq!(
        stdout(&result).trim(),
        r#""55""#,
        "the task ran and printed"
    );
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_141() {
    use std::io::{BufRead, BufReader};
    let args = host_args(&[
        "run",
        guests::FIBONACCI,
        "--invoke",
        "fib(10)",
        "--repeat",
        "1000000",
    ]);
    let mut child = std::process::Command::new(wask_tests::host_bin())
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "\"55\"\n");
    // The reader is gone now: the next writes fail with a broken pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a closed pipe is not an error to report");
}

#[test]
fn exit_codes_0_1_and_2_each_mean_one_thing() {
    check(
        &["run", guests::FIBONACCI, "--invoke", "fib(3)"],
        None,
        0,
        "failed: 0",
    );
    check(
        &["run", guests::HOSTILE, "--invoke", r#"panic("x")"#],
        None,
        1,
        "failed: 1",
    );
    let out = check(
        &["run", guests::FIBONACCI, "--invoke", "fib(-1)"],
        None,
        2,
        "error:",
    );
    assert_eq!(stdout(&out), "", "nothing ran");
}
