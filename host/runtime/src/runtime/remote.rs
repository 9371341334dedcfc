//! Remote execution: tasks a runtime hands to an [`Executor`] (a cluster) instead of
//! running them on its own worker threads.
//!
//! The runtime still does everything around the run: it checks the call, makes the
//! refs, holds the task until its input refs are ready, and keeps the object store.
//! The executor gets a [`RemoteTask`] with the argument values and the limits, runs it
//! where it likes, and resolves it exactly once with the outcome.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use wask_core::{Limits, ObjectId, TaskError, TaskOutput, TenantId, Value};

use crate::object_store::{Completer, RunInfo};
use crate::sandbox::{Capabilities, TaskComponent};
use crate::timeline::{Recorder, TaskSpan};

/// Runs tasks somewhere other than this process's worker threads.
///
/// **Invariant:** every [`RemoteTask`] given to `execute` is resolved exactly once,
/// by [`RemoteTask::resolve`] or, if the executor drops it unresolved, by its drop
/// (as [`TaskError::Shutdown`]).
pub trait Executor: Send + Sync + std::fmt::Debug {
    /// Starts a task whose inputs are ready.
    fn execute(&self, task: RemoteTask);

    /// Asks that the task behind `id` stop: a queued one never runs, a running one is
    /// interrupted. An id the executor does not know is ignored.
    fn cancel(&self, tenant: &TenantId, id: ObjectId);
}

/// A task to run elsewhere: what to call, with which values, under which limits.
pub struct RemoteTask {
    pub id: ObjectId,
    pub tenant: TenantId,
    pub component: TaskComponent,
    /// The index of the function in the component's exports.
    pub func: usize,
    pub args: Vec<Value>,
    pub limits: Limits,
    pub capabilities: Arc<Capabilities>,
    pub max_retries: u32,
    pub priority: i32,
    /// Submitted by a running task (through `wask:runtime/tasks`), not by a caller.
    pub nested: bool,
    /// Tasks of the tenant that may run at once.
    pub max_concurrency: usize,
    completers: Vec<Completer>,
    /// The timeline to record the task's span in, and when it was submitted.
    timeline: Option<(Arc<Recorder>, Instant)>,
}

impl std::fmt::Debug for RemoteTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteTask")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("function", &self.function_name())
            .finish_non_exhaustive()
    }
}

impl RemoteTask {
    #[allow(clippy::too_many_arguments, reason = "one constructor, called once")]
    pub(crate) fn new(
        id: ObjectId,
        tenant: TenantId,
        component: TaskComponent,
        func: usize,
        args: Vec<Value>,
        limits: Limits,
        capabilities: Arc<Capabilities>,
        max_retries: u32,
        priority: i32,
        nested: bool,
        max_concurrency: usize,
        completers: Vec<Completer>,
        timeline: Option<(Arc<Recorder>, Instant)>,
    ) -> Self {
        RemoteTask {
            id,
            tenant,
            component,
            func,
            args,
            limits,
            capabilities,
            max_retries,
            priority,
            nested,
            max_concurrency,
            completers,
            timeline,
        }
    }

    /// The name of the called function.
    pub fn function_name(&self) -> &str {
        self.component.function(self.func).name()
    }

    /// Whether the caller has cancelled the task.
    pub fn is_cancelled(&self) -> bool {
        self.completers.first().is_some_and(Completer::is_cancelled)
    }

    /// Resolves the task's refs with its outcome, how many times it ran, and where.
    pub fn resolve(
        self,
        outcome: Result<TaskOutput, TaskError>,
        attempts: u32,
        run_info: Option<&RunInfo>,
    ) {
        if let (Some((timeline, submitted)), Some(info)) = (&self.timeline, run_info) {
            timeline.record(span(
                self.id,
                self.function_name(),
                info,
                *submitted,
                outcome.is_ok(),
            ));
        }
        for completer in &self.completers {
            completer.set_attempts(attempts);
            if let Some(info) = run_info {
                completer.set_run_info(info.clone());
            }
        }
        super::job::resolve(self.completers, outcome);
    }
}

/// A timeline span from where and when a task ran elsewhere: its wall-clock times
/// become this process's instants by their distance from now.
fn span(id: ObjectId, label: &str, info: &RunInfo, submitted: Instant, ok: bool) -> TaskSpan {
    let (now, now_wall) = (Instant::now(), SystemTime::now());
    let at = |t: SystemTime| match now_wall.duration_since(t) {
        Ok(ago) => now.checked_sub(ago).unwrap_or(now),
        Err(ahead) => now + ahead.duration(),
    };
    TaskSpan {
        object: id,
        label: label.to_owned(),
        host: info.host.clone(),
        worker_idx: info.worker_idx,
        submitted,
        started: at(info.started).max(submitted),
        instantiated: info.instantiated.map(at),
        returned: info.returned.map(at),
        resolved: at(info.finished).max(submitted),
        ok,
    }
}
