//! Per-task limits, and the limit a task hit.
//!
//! A *limit* bounds one resource of one task: wall-clock time, fuel, linear memory,
//! table elements, instances, result size, captured stdout and stderr. A task that
//! hits one ends with [`TaskError::LimitExceeded`](crate::TaskError::LimitExceeded),
//! which names the limit and its value. The wasm stack size is the one limit set per
//! runtime (wasmtime sets it per engine), in the runtime's sandbox settings.

use std::time::Duration;

/// The limits of one task. `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Wall-clock time the task may run, enforced through epoch interruption.
    pub deadline: Option<Duration>,
    /// Fuel (roughly, wasm instructions) the task may use, for deterministic metering.
    /// Needs fuel metering on in the runtime's sandbox settings.
    pub fuel: Option<u64>,
    /// Bytes of linear memory each of the task's memories may grow to.
    pub max_memory_bytes: usize,
    /// Elements each of the task's tables may grow to.
    pub max_table_elements: usize,
    /// Core and component instances the task may create.
    pub max_instances: usize,
    /// Bytes of the task's result (as counted by [`crate::Value::size`]).
    pub max_result_bytes: usize,
    /// Bytes of stdout kept; writing more is an error.
    pub max_stdout_bytes: usize,
    /// Bytes of stderr kept; writing more is an error.
    pub max_stderr_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Some(Duration::from_mins(5)),
            fuel: None,
            // Seed case 1 holds about 470 MB of big integers in one instance.
            max_memory_bytes: 2 << 30,
            max_table_elements: 100_000,
            max_instances: 64,
            max_result_bytes: 256 << 20,
            max_stdout_bytes: 1 << 20,
            max_stderr_bytes: 1 << 20,
        }
    }
}

/// Which limit a task hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Limit {
    Deadline,
    Fuel,
    Memory,
    TableElements,
    Instances,
    Stack,
    ResultSize,
    Stdout,
    Stderr,
}

/// A limit that was hit, with the value it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LimitHit {
    pub limit: Limit,
    /// Milliseconds for the deadline, units of fuel, elements or instances for those,
    /// bytes for the rest.
    pub value: u64,
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value;
        match self.limit {
            Limit::Deadline => write!(f, "deadline of {:.3} s", v as f64 / 1e3),
            Limit::Fuel => write!(f, "fuel limit of {v} units"),
            Limit::Memory => write!(f, "memory limit of {}", format_bytes(v)),
            Limit::TableElements => write!(f, "table limit of {v} elements"),
            Limit::Instances => write!(f, "instance limit of {v}"),
            Limit::Stack => write!(f, "wasm stack limit of {}", format_bytes(v)),
            Limit::ResultSize => write!(f, "result size limit of {}", format_bytes(v)),
            Limit::Stdout => write!(f, "stdout limit of {}", format_bytes(v)),
            Limit::Stderr => write!(f, "stderr limit of {}", format_bytes(v)),
        }
    }
}

/// A byte count in the largest unit that divides it: `2 GiB`, `512 KiB`, `1000 bytes`.
pub fn format_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}
