//! Task events: an observer that a runtime tells when each of its tasks is submitted,
//! starts on a worker slot and finishes, so an embedder can follow states the object
//! store does not keep (queued or running, which slot, queue depth, latencies).
//!
//! Set one with [`RuntimeConfig::observer`](super::RuntimeConfig::observer). The
//! runtime calls it on the thread where the event happens (the submitting thread, a
//! worker, the thread that resolves a remote task), so each call must be quick and
//! must neither block nor panic. Every task submitted is finished exactly once,
//! after its ref has resolved (so a reader woken by the ref may see the event after
//! the value), except a task dropped unrun when the runtime shuts down. A task that
//! runs elsewhere (see [`Executor`](super::Executor)) is started only if its executor
//! calls [`RemoteTask::started`](super::RemoteTask::started).

use std::sync::Arc;

use wask_core::{ObjectId, TaskError, TenantId};

use crate::object_store::RunInfo;

/// Which task an event is about.
#[derive(Debug, Clone, Copy)]
pub struct TaskEvent<'a> {
    /// The id of the task's (first) ref.
    pub id: ObjectId,
    pub tenant: &'a TenantId,
    /// The called function's name.
    pub function: &'a str,
    /// Submitted by a running task (through `wask:runtime/tasks`), not by a caller.
    pub nested: bool,
}

/// Told of every task's submission, start and end. Every method does nothing unless
/// implemented.
pub trait TaskObserver: Send + Sync + std::fmt::Debug {
    /// The task's refs exist; it is queued, or waits for its input refs.
    fn on_submitted(&self, task: &TaskEvent<'_>) {
        let _ = task;
    }

    /// A worker slot took the task: `host` is `None` for this process's workers, or a
    /// cluster worker's id.
    fn on_started(&self, task: &TaskEvent<'_>, host: Option<&str>, worker_idx: usize) {
        let _ = (task, host, worker_idx);
    }

    /// The task's refs have resolved: `error` is `None` if it succeeded. `run_info`
    /// says where and when it ran (absent if it never reached a worker).
    fn on_finished(
        &self,
        task: &TaskEvent<'_>,
        error: Option<&TaskError>,
        run_info: Option<&RunInfo>,
    ) {
        let _ = (task, error, run_info);
    }
}

/// What a queued task carries to tell the observer about itself.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    observer: Arc<dyn TaskObserver>,
    id: ObjectId,
    tenant: TenantId,
    function: Arc<str>,
    nested: bool,
}

impl Observed {
    /// Tells `observer` (if any) that the task was submitted, and gives what the task
    /// keeps to report the rest.
    pub(crate) fn submitted(
        observer: Option<&Arc<dyn TaskObserver>>,
        id: ObjectId,
        tenant: &TenantId,
        function: Arc<str>,
        nested: bool,
    ) -> Option<Observed> {
        let observed = Observed {
            observer: observer?.clone(),
            id,
            tenant: tenant.clone(),
            function,
            nested,
        };
        observed.observer.on_submitted(&observed.event());
        Some(observed)
    }

    fn event(&self) -> TaskEvent<'_> {
        TaskEvent {
            id: self.id,
            tenant: &self.tenant,
            function: &self.function,
            nested: self.nested,
        }
    }

    pub(crate) fn started(&self, host: Option<&str>, worker_idx: usize) {
        self.observer.on_started(&self.event(), host, worker_idx);
    }

    pub(crate) fn finished(&self, error: Option<&TaskError>, run_info: Option<&RunInfo>) {
        self.observer.on_finished(&self.event(), error, run_info);
    }
}
