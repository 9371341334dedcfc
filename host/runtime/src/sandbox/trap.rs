//! Why a call failed, from wasmtime's typed errors and the store's own records: an
//! interruption (cancel, deadline), a limit the guest ran into, or a plain trap with
//! the guest's panic message. No message text is matched.

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

/// A Rust guest's panic, from the standard library's report on stderr:
/// `thread '<unnamed>' panicked at src/lib.rs:9:5:` then the message, then a `note:`.
/// Gives `panicked at src/lib.rs:9:5: message` on one line.
pub(super) fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let header = lines.by_ref().find(|l| l.contains(" panicked at "))?;
    let location = header[header.find("panicked at ")?..].trim_end_matches(':');
    let message: Vec<&str> = lines
        .take_while(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    Some(format!("{location}: {}", message.join(" ").trim()))
}
