//! Why a call failed, from wasmtime's typed errors and the store's own records: an
//! interruption (cancel, deadline), a limit the guest ran into, or a plain trap with
//! what the guest said on stderr as it failed (a Rust panic, a Python traceback, or a
//! JavaScript exception reported by the wrapper `host build` generates). Only that
//! guest text is read; no wasmtime message text is matched.

#[cfg(test)]
mod test;

use std::fmt::Write as _;

use wask_core::{Limit, LimitHit, Limits, TaskError};
use wasmtime::{PoolConcurrencyLimitError, Trap, WasmBacktrace};

use super::invoke::TaskState;
use super::wasi::Capture;

fn hit(limit: Limit, value: u64) -> TaskError {
    TaskError::LimitExceeded(LimitHit { limit, value })
}

/// Names why the export's call failed.
pub(super) fn classify(
    e: &wasmtime::Error,
    state: &mut TaskState,
    limits: &Limits,
    max_wasm_stack: usize,
    capture: &Capture,
) -> TaskError {
    if let Some(reason) = state.interrupted.take() {
        return reason;
    }
    let trap = e.downcast_ref::<Trap>();
    match trap {
        Some(Trap::OutOfFuel) => return hit(Limit::Fuel, limits.fuel.unwrap_or(0)),
        Some(Trap::StackOverflow) => return hit(Limit::Stack, max_wasm_stack as u64),
        _ => {}
    }
    if let Some(limit_hit) = state.limiter.hit {
        return TaskError::LimitExceeded(limit_hit);
    }
    if let Some(overflow) = capture.overflowed() {
        return overflow;
    }
    if is_hostcall_fuel_exhausted(e) {
        return hit(Limit::ResultSize, limits.max_result_bytes as u64);
    }
    let stderr = capture.stderr_text();
    let message = match trap {
        Some(Trap::MemoryOutOfBounds) => match stack_depth(e) {
            Some(depth) if depth >= DEEP_STACK => format!(
                "{}; {depth} calls deep, so probably the guest's own stack (in its linear memory) overflowed",
                Trap::MemoryOutOfBounds
            ),
            _ => Trap::MemoryOutOfBounds.to_string(),
        },
        Some(trap) => trap.to_string(),
        None => e.to_string(),
    };
    TaskError::Trap {
        message,
        panic: panic_message(&stderr),
        stderr,
    }
}

/// Calls deep past which an out-of-bounds access is named as a likely overflow of the
/// guest's own stack: its stack lives in its linear memory, below its data, so running
/// off it reads or writes out of bounds before wasmtime's stack limit is reached.
const DEEP_STACK: usize = 1000;

/// How many wasm frames were on the stack when the trap happened.
fn stack_depth(e: &wasmtime::Error) -> Option<usize> {
    e.downcast_ref::<WasmBacktrace>().map(|b| b.frames().len())
}

/// wasmtime 48 keeps the type of this error private, so it is known by its exact
/// text: the guest handed the host more data in one call than the store's hostcall
/// fuel allows, which Wask sizes from the task's result limit.
fn is_hostcall_fuel_exhausted(e: &wasmtime::Error) -> bool {
    const TEXT: &str = "too much data is being copied between the host and the guest: \
                        fuel allocated for hostcalls has been exhausted";
    e.chain().any(|cause| cause.to_string() == TEXT)
}

/// Names why a fresh instance could not be made (its start code runs under the
/// task's limits too).
pub(super) fn instantiation(
    e: &wasmtime::Error,
    state: &mut TaskState,
    limits: &Limits,
) -> TaskError {
    if let Some(reason) = state.interrupted.take() {
        return reason;
    }
    if let Some(limit_hit) = state.limiter.hit {
        return TaskError::LimitExceeded(limit_hit);
    }
    if let Some(Trap::OutOfFuel) = e.downcast_ref::<Trap>() {
        return hit(Limit::Fuel, limits.fuel.unwrap_or(0));
    }
    if let Some(pool) = e.downcast_ref::<PoolConcurrencyLimitError>() {
        return TaskError::Instantiate(format!(
            "the runtime's instance pool is exhausted ({pool}); raise the sandbox's max_instances or run fewer tasks at once"
        ));
    }
    TaskError::Instantiate(format!("{e:#}"))
}

/// What the guest reported as it failed, on one line: a Python exception with its
/// traceback, a JavaScript exception reported by Wask's generated wrapper, or a Rust
/// panic with its location.
pub(super) fn panic_message(stderr: &str) -> Option<String> {
    python_exception(stderr)
        .or_else(|| js_exception(stderr))
        .or_else(|| rust_panic(stderr))
}

/// The prefix of the lines Wask's JavaScript wrapper writes for an uncaught exception:
/// `wask: task raised RangeError: boom`, then `wask:   at fail@index.js:22:9` per frame.
const JS_RAISED: &str = "wask: task raised ";
const JS_FRAME: &str = "wask:   at ";

/// The last Python traceback on stderr, as componentize-py prints it before it traps:
/// `Traceback (most recent call last):`, a `File "...", line N, in f` line per frame,
/// then the exception (`ValueError: message`). Gives
/// `raised ValueError: message (traceback, most recent call last: tasks.py:36 in f)`.
/// Frames of the wrapper `host build` generates (`_wask_app.py`) are left out.
fn python_exception(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.trim_end() == "Traceback (most recent call last):")?;
    let mut frames = Vec::new();
    let mut rest = lines[start + 1..].iter().peekable();
    while let Some(line) = rest.next_if(|l| l.starts_with(' ')) {
        if let Some(frame) = python_frame(line) {
            frames.push(frame);
        }
    }
    let exception: Vec<&str> = rest
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("thread '"))
        .map(|l| l.trim())
        .collect();
    if exception.is_empty() {
        return None;
    }
    let mut message = format!("raised {}", exception.join(" "));
    if !frames.is_empty() {
        let _ = write!(
            message,
            " (traceback, most recent call last: {})",
            frames.join(", ")
        );
    }
    Some(message)
}

/// `  File "/0/tasks.py", line 36, in describe` as `tasks.py:36 in describe`; `None`
/// for source lines and the generated wrapper's frames.
fn python_frame(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let (file, rest) = rest.split_once('"')?;
    let file = file.strip_prefix("/0/").unwrap_or(file);
    if file.ends_with("_wask_app.py") {
        return None;
    }
    let rest = rest.trim_start_matches(',').trim();
    let line_no = rest.strip_prefix("line ")?.split(',').next()?.trim();
    let function = rest.split_once(", in ").map_or("", |(_, f)| f.trim());
    Some(format!("{file}:{line_no} in {function}"))
}

/// An exception reported by Wask's JavaScript wrapper ([`JS_RAISED`]):
/// `raised RangeError: boom (stack: fail@index.js:22:9, ...)`.
fn js_exception(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines().skip_while(|l| !l.starts_with(JS_RAISED));
    let raised = lines.next()?.strip_prefix(JS_RAISED)?;
    let frames: Vec<&str> = lines
        .map_while(|l| l.strip_prefix(JS_FRAME))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let mut message = format!("raised {}", raised.trim());
    if !frames.is_empty() {
        let _ = write!(message, " (stack: {})", frames.join(", "));
    }
    Some(message)
}

/// A Rust guest's panic, from the standard library's report on stderr:
/// `thread '<unnamed>' panicked at src/lib.rs:9:5:` then the message, then a `note:`.
/// Gives `panicked at src/lib.rs:9:5: message` on one line.
fn rust_panic(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let header = lines.by_ref().find(|l| l.contains(" panicked at "))?;
    let location = header[header.find("panicked at ")?..].trim_end_matches(':');
    let message: Vec<&str> = lines
        .take_while(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    Some(format!("{location}: {}", message.join(" ").trim()))
}
