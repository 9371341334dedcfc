//! Why a call failed, from wasmtime's typed errors and the store's own records: an
//! interruption (cancel, deadline), a limit the guest ran into, or a plain trap with
//! the guest's panic message. No message text is matched.

use wask_core::{Limit, LimitHit, Limits, TaskError};
use wasmtime::{PoolConcurrencyLimitError, Trap};

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
    let stderr = capture.stderr_text();
    TaskError::Trap {
        message: match trap {
            Some(trap) => trap.to_string(),
            None => e.to_string(),
        },
        panic: panic_message(&stderr),
        stderr,
    }
}

/// Names why a fresh instance could not be made.
pub(super) fn instantiation(e: &wasmtime::Error, state: &TaskState) -> TaskError {
    if let Some(limit_hit) = state.limiter.hit {
        return TaskError::LimitExceeded(limit_hit);
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
