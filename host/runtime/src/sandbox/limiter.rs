//! The resource limiter that enforces a task's memory, table and instance limits in
//! its store, and remembers which one refused a request so the trap that follows can
//! be named.

use wask_core::{Limit, LimitHit, Limits};

/// Enforces the memory, table and instance limits of one store, and remembers which
/// one refused a request, so a trap that follows can be named.
#[derive(Debug)]
pub(super) struct TaskLimiter {
    limits: Limits,
    pub(super) hit: Option<LimitHit>,
}

impl TaskLimiter {
    pub(super) fn new(limits: Limits) -> Self {
        TaskLimiter { limits, hit: None }
    }
}

impl wasmtime::ResourceLimiter for TaskLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.max_memory_bytes {
            let hit = LimitHit {
                limit: Limit::Memory,
                value: self.limits.max_memory_bytes as u64,
            };
            self.hit = Some(hit);
            // Trap rather than let memory.grow return -1: a guest that copes with a
            // refused growth would end as if nothing had happened.
            return Err(wasmtime::format_err!("task exceeded its {hit}"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.max_table_elements {
            let hit = LimitHit {
                limit: Limit::TableElements,
                value: self.limits.max_table_elements as u64,
            };
            self.hit = Some(hit);
            return Err(wasmtime::format_err!("task exceeded its {hit}"));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.limits.max_instances
    }
}
