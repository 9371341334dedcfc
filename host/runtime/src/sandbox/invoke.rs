//! One call: a fresh store with the task's limits, an instance, the export's call,
//! and the result checked against its limits.
//!
//! This is the sandbox boundary: the store, its memory and its WASI context exist only
//! for this call. A trap, including a guest panic, and every limit hit come back as a
//! [`TaskError`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use wask_core::{Limit, LimitHit, Limits, TaskError, TaskOutput, Value};
use wasmtime::component::{Instance, ResourceTable, Val};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::component::{ComponentInner, TaskFunction};
use super::limiter::TaskLimiter;
use super::wasi::Capture;
use super::{Capabilities, TaskComponent, TaskHost, convert, fast, trap, wasi};

/// How one invocation runs: its limits, capabilities, cancellation flag and host.
#[derive(Clone, Default)]
pub(crate) struct InvokeOptions {
    pub(crate) limits: Limits,
    pub(crate) capabilities: Arc<Capabilities>,
    /// Set to interrupt the running task; it then ends with [`TaskError::Cancelled`].
    pub(crate) cancel: Option<Arc<AtomicBool>>,
    /// Serves the task's nested-task calls (none: such calls fail with an error).
    pub(crate) host: Option<Arc<dyn TaskHost>>,
    /// Gives the task clocks that read the same in every run (a memoised task).
    pub(crate) fixed_clocks: bool,
}

impl std::fmt::Debug for InvokeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeOptions")
            .field("limits", &self.limits)
            .field("capabilities", &self.capabilities)
            .field("fixed_clocks", &self.fixed_clocks)
            .finish_non_exhaustive()
    }
}

/// When each phase of a call ended, for timelines.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Phases {
    /// The fresh instance was ready.
    pub(crate) instantiated: Option<Instant>,
    /// The export returned or trapped.
    pub(crate) returned: Option<Instant>,
}

/// The store of a finished call, kept so its drop happens after the task's ref is
/// resolved: dropping a store returns its instance slot to the pooling allocator,
/// which unmaps or zeroes the linear memory the task touched (tens of milliseconds
/// for the ~470 MB of a Fibonacci task), and that need not delay the result.
///
/// **Invariant:** a spent store is only ever dropped, never entered again; its slot's
/// memory is reset by the allocator before any later store gets it, so no task sees
/// another's memory. A worker drops it before it runs its next task, and
/// [`TaskComponent::invoke`] drops the previous one before it makes a store, so a
/// retry never needs two slots.
#[derive(Default)]
pub(crate) struct Spent(Option<Store<TaskState>>);

impl std::fmt::Debug for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Spent").field(&self.0.is_some()).finish()
    }
}

/// Per-store state. A component that imports nothing never touches `wasi`, so it is
/// built only for components that import WASI.
pub(crate) struct TaskState {
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub(super) limiter: TaskLimiter,
    /// When the deadline passes (checked at each epoch tick).
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
    /// Why the epoch callback interrupted the task.
    pub(super) interrupted: Option<TaskError>,
    pub(super) host: Option<Arc<dyn TaskHost>>,
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(|| WasiCtx::builder().build()),
            table: &mut self.table,
        }
    }
}

fn hit(limit: Limit, value: u64) -> TaskError {
    TaskError::LimitExceeded(LimitHit { limit, value })
}

impl TaskComponent {
    /// Runs export `func` with `args` (which fit its signature: see [`super::Call`])
    /// in a fresh store, noting in `phases` when each phase ended. The store is left in
    /// `spent` (after the one there is dropped), for the caller to drop once the
    /// result is delivered.
    pub(crate) fn invoke(
        &self,
        func: usize,
        args: &[Value],
        options: &InvokeOptions,
        phases: &mut Phases,
        spent: &mut Spent,
    ) -> Result<TaskOutput, TaskError> {
        spent.0 = None;
        let inner = &*self.inner;
        let func = &inner.functions[func];
        let limits = &options.limits;
        if inner.core_instances > limits.max_instances {
            return Err(hit(Limit::Instances, limits.max_instances as u64));
        }
        let capture = Capture::new(limits);
        let store = spent.0.insert(new_store(inner, options, &capture)?);
        let instance = instantiate(inner, store, limits)?;
        phases.instantiated = Some(Instant::now());
        let called = call_export(func, &instance, store, args);
        phases.returned = Some(Instant::now());
        let result = called.map_err(|e| {
            trap::classify(&e, store.data_mut(), limits, inner.max_wasm_stack, &capture)
        })?;
        finish(result, limits, capture)
    }
}

/// A store for one call, with its limits, deadline and cancellation wired in.
fn new_store(
    inner: &ComponentInner,
    options: &InvokeOptions,
    capture: &Capture,
) -> Result<Store<TaskState>, TaskError> {
    let limits = &options.limits;
    let wasi = if inner.imports_wasi {
        Some(wasi::context(
            &options.capabilities,
            capture,
            options.fixed_clocks,
        )?)
    } else {
        None
    };
    let mut store = Store::new(
        inner.pre.engine(),
        TaskState {
            wasi,
            table: ResourceTable::new(),
            limiter: TaskLimiter::new(*limits),
            deadline: limits.deadline.map(|d| Instant::now() + d),
            cancel: options.cancel.clone(),
            interrupted: None,
            host: options.host.clone(),
        },
    );
    store.limiter(|state| &mut state.limiter);
    // The generic path lifts a result into a value per element (the bulk path spends
    // one unit per byte of a `list<u8>`); let either carry a result up to the task's
    // result limit, so that limit (not wasmtime's default of 128 MiB of hostcall data)
    // is the one a large result meets.
    store.set_hostcall_fuel(
        limits
            .max_result_bytes
            .saturating_mul(std::mem::size_of::<Val>())
            .max(128 << 20),
    );
    if inner.fuel {
        // Fuel is on in this engine, so setting it cannot fail.
        let _ = store.set_fuel(limits.fuel.unwrap_or(u64::MAX));
    }
    if limits.deadline.is_none() && options.cancel.is_none() {
        store.set_epoch_deadline(u64::MAX / 2);
        return Ok(store);
    }
    // Checked at every epoch tick: cheap, and it reaches a task in a loop.
    store.set_epoch_deadline(1);
    let deadline_ms = limits
        .deadline
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    store.epoch_deadline_callback(move |mut ctx| {
        let state = ctx.data_mut();
        if state
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            state.interrupted = Some(TaskError::Cancelled);
            return Ok(UpdateDeadline::Interrupt);
        }
        if state.deadline.is_some_and(|d| Instant::now() >= d) {
            state.interrupted = Some(hit(Limit::Deadline, deadline_ms));
            return Ok(UpdateDeadline::Interrupt);
        }
        Ok(UpdateDeadline::Continue(1))
    });
    Ok(store)
}

fn instantiate(
    inner: &ComponentInner,
    store: &mut Store<TaskState>,
    limits: &Limits,
) -> Result<Instance, TaskError> {
    inner
        .pre
        .instantiate(&mut *store)
        .map_err(|e| trap::instantiation(&e, store.data_mut(), limits))
}

/// Calls the export: through the bulk path when its signature moves bytes, else
/// through wasmtime's dynamic `Val`s. The result is `None` for a function that
/// returns nothing.
fn call_export(
    func: &TaskFunction,
    instance: &Instance,
    store: &mut Store<TaskState>,
    args: &[Value],
) -> wasmtime::Result<Option<Value>> {
    if let Some(result) = func
        .fast()
        .and_then(|plan| fast::call(plan, instance, store, func.index(), args))
    {
        return result;
    }
    let f = instance
        .get_func(&mut *store, func.index())
        .ok_or_else(|| wasmtime::format_err!("the export `{}` is missing", func.name()))?;
    let vals: Vec<Val> = args.iter().map(convert::to_val).collect();
    let result_type = func.signature().result();
    let mut results = vec![Val::Bool(false); usize::from(result_type.is_some())];
    f.call(&mut *store, &vals, &mut results)?;
    match (results.pop(), result_type) {
        (Some(val), Some(ty)) => convert::from_val(val, ty)
            .map(Some)
            .map_err(|problem| wasmtime::format_err!("the task returned {problem}")),
        _ => Ok(None),
    }
}

/// The task's output, once its captured output and result are within their limits.
fn finish(
    result: Option<Value>,
    limits: &Limits,
    capture: Capture,
) -> Result<TaskOutput, TaskError> {
    if let Some(limit) = capture.overflowed() {
        return Err(limit);
    }
    let value = result.unwrap_or_else(Value::unit);
    if value.size() > limits.max_result_bytes {
        return Err(hit(Limit::ResultSize, limits.max_result_bytes as u64));
    }
    let (stdout, stderr) = capture.into_contents();
    Ok(TaskOutput {
        value,
        stdout,
        stderr,
    })
}
