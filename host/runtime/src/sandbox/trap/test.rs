//! What a failed guest said on stderr, as the task's error shows it.

use super::panic_message;

fn check(stderr: &str, expected: Option<&str>) {
    assert_eq!(
        panic_message(stderr).as_deref(),
        expected,
        "stderr:\n{stderr}"
    );
}

#[test]
fn a_rust_panic_gives_its_location_and_message() {
    check(
        "thread '<unnamed>' panicked at src/lib.rs:12:13:\nsequence_size must be >= 0, got -1\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
        Some("panicked at src/lib.rs:12:13: sequence_size must be >= 0, got -1"),
    );
}

#[test]
fn a_python_exception_gives_its_type_message_and_traceback() {
    // As componentize-py 0.25 prints it before trapping.
    let stderr = "\
Traceback (most recent call last):
  File \"/0/_wask_app.py\", line 74, in boom
  File \"/0/kinds.py\", line 42, in boom
  File \"/0/kinds.py\", line 45, in _inner
ValueError: boom 4

thread '<unnamed>' (1) panicked at runtime/src/lib.rs:1280:25:
Python function threw an unexpected exception
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
";
    check(
        stderr,
        Some(
            "raised ValueError: boom 4 (traceback, most recent call last: kinds.py:42 in boom, kinds.py:45 in _inner)",
        ),
    );
}

#[test]
fn the_last_of_chained_python_tracebacks_is_the_one_shown() {
    let stderr = "\
Traceback (most recent call last):
  File \"/0/app.py\", line 3, in f
    int(text)
KeyError: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/0/app.py\", line 5, in f
    raise RuntimeError(\"no\")
RuntimeError: no
";
    check(
        stderr,
        Some("raised RuntimeError: no (traceback, most recent call last: app.py:5 in f)"),
    );
}

#[test]
fn a_javascript_exception_reported_by_the_wrapper_gives_type_message_and_stack() {
    let stderr = "\
wask: task raised RangeError: boom
wask:   at fail@index.js:22:9
wask:   at
boom
Stack:
  fail@index.js:22:9
Redirecting call to abort() to mozalloc_abort
";
    check(
        stderr,
        Some("raised RangeError: boom (stack: fail@index.js:22:9)"),
    );
}

#[test]
fn stderr_without_a_report_gives_nothing() {
    check("", None);
    check("some output\nmore\n", None);
}
