//! The runtime: Ray-style `submit`, `get`, `wait` and `put` over the sandbox, the
//! scheduler and the object store.
//!
//! `submit` hands back an [`ObjectRef`] at once and queues a job on the scheduler; the
//! job runs the call in a fresh sandboxed store and resolves the ref with the value or
//! with the [`TaskError`] the task ended with. A failure stays in its own ref.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{GetError, LoadError, SetupError, TaskError};
use crate::object_store::{ObjectRef, ObjectStore};
use crate::sandbox::{Call, Phases, Sandbox, SandboxConfig, TaskComponent, Value};
use crate::scheduler::Scheduler;
use crate::timeline::{Recorder, TaskSpan, Timeline};

/// Settings of a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Worker threads, and so tasks that run at once.
    pub n_workers: usize,
    pub sandbox: SandboxConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            n_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            sandbox: SandboxConfig::default(),
        }
    }
}

/// Per-task options.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskOptions {
    /// Wall-clock time the task may run before it is interrupted (`None`: no limit).
    pub timeout: Option<Duration>,
}

#[derive(Debug)]
pub struct Runtime {
    // Field order is drop order: workers stop before the sandbox they use goes away.
    scheduler: Scheduler,
    objects: ObjectStore,
    sandbox: Sandbox,
    timeline: Arc<Recorder>,
}

impl Runtime {
    pub fn new(mut config: RuntimeConfig) -> Result<Self, SetupError> {
        config.n_workers = config.n_workers.max(1);
        let min_instances = u32::try_from(config.n_workers).unwrap_or(u32::MAX);
        config.sandbox.max_instances = config.sandbox.max_instances.max(min_instances);
        Ok(Runtime {
            sandbox: Sandbox::new(config.sandbox)?,
            scheduler: Scheduler::new(config.n_workers),
            objects: ObjectStore::new(),
            timeline: Arc::default(),
        })
    }

    pub fn n_workers(&self) -> usize {
        self.scheduler.n_workers()
    }

    /// Loads a component file: compiled once (or taken from the cache), pre-instantiated.
    pub fn load(&self, path: &Path) -> Result<TaskComponent, LoadError> {
        self.sandbox.load(path)
    }

    /// Whether a component's compiled form is already in the on-disk cache.
    pub fn is_cached(&self, component_bytes: &[u8]) -> bool {
        self.sandbox.is_cached(component_bytes)
    }

    /// Queues a checked call and returns its ref at once.
    pub fn submit(&self, call: Call) -> ObjectRef {
        self.submit_with(call, TaskOptions::default())
    }

    /// [`Runtime::submit`] with per-task options.
    pub fn submit_with(&self, call: Call, options: TaskOptions) -> ObjectRef {
        let (object, completer) = self.objects.pending();
        let timeline = self.timeline.is_enabled().then(|| self.timeline.clone());
        let submitted = Instant::now();
        let id = object.id();
        self.scheduler.spawn(Box::new(move |worker_idx| {
            let started = Instant::now();
            let mut phases = Phases::default();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                call.invoke_traced(options.timeout, &mut phases)
            }))
            .unwrap_or_else(|panic| Err(TaskError::HostPanic(panic_text(&panic))));
            // Record before resolving, so a caller that has every value also has
            // every span.
            if let Some(timeline) = timeline {
                timeline.record(TaskSpan {
                    object: id,
                    label: call.function().name().to_owned(),
                    worker_idx,
                    submitted,
                    started,
                    instantiated: phases.instantiated,
                    returned: phases.returned,
                    resolved: Instant::now(),
                    ok: outcome.is_ok(),
                });
            }
            completer.resolve(outcome);
        }));
        object
    }

    /// Starts recording a [`Timeline`] of the tasks submitted from now on.
    pub fn start_timeline(&self) {
        self.timeline.start();
    }

    /// Stops recording and returns the spans of the tasks that finished since
    /// [`Runtime::start_timeline`], in submission order.
    pub fn take_timeline(&self) -> Timeline {
        self.timeline.take(self.n_workers())
    }

    /// Stores a value; the ref is ready at once.
    pub fn put(&self, value: Value) -> ObjectRef {
        self.objects.put(value)
    }

    /// Waits for one ref's value, at most `timeout` (forever with `None`).
    pub fn get(&self, object: &ObjectRef, timeout: Option<Duration>) -> Result<Value, GetError> {
        self.objects
            .get(object, timeout)
            .map(|value| Value::clone(&value))
    }

    /// Waits for every ref in order; the first failure or timeout ends the wait.
    pub fn get_all(
        &self,
        objects: &[ObjectRef],
        timeout: Option<Duration>,
    ) -> Result<Vec<Value>, GetError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        objects
            .iter()
            .map(|o| {
                let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                self.get(o, left)
            })
            .collect()
    }

    /// Waits until `num_returns` refs are ready or `timeout` passes: (ready, pending).
    pub fn wait(
        &self,
        objects: &[ObjectRef],
        num_returns: usize,
        timeout: Option<Duration>,
    ) -> Result<(Vec<ObjectRef>, Vec<ObjectRef>), GetError> {
        self.objects.wait(objects, num_returns, timeout)
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Loads a component without a runtime, to list its exports (as `host inspect` does).
pub fn inspect(path: &Path) -> Result<TaskComponent, crate::error::InspectError> {
    let sandbox = Sandbox::new(SandboxConfig {
        max_instances: 1,
        ..SandboxConfig::default()
    })?;
    Ok(sandbox.load(path)?)
}
