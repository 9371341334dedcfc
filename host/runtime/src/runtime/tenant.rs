//! Tenants: one party's handle on the runtime. What it submits, reads and cancels is
//! its own, under its own limits, capabilities, concurrency cap and quota.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use wask_core::{GetError, Limits, ObjectId, SubmitError, TaskOutput, TenantId, Value};

use super::Core;
use super::submit::{Arg, Returns, Submission, TaskBuilder, enqueue};
use crate::object_store::{Account, ObjectRef};
use crate::sandbox::{Call, Capabilities, TaskComponent};
use crate::scheduler::{QueueKey, Scheduler};

/// What one tenant may do.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantConfig {
    /// Limits of each task, unless a submission overrides them.
    pub limits: Limits,
    /// What each task may reach; nothing by default.
    pub capabilities: Capabilities,
    /// Tasks of this tenant that run at once, at most.
    pub max_concurrency: usize,
    /// Bytes of values this tenant's live objects may hold.
    pub object_quota_bytes: usize,
}

impl Default for TenantConfig {
    fn default() -> Self {
        TenantConfig {
            limits: Limits::default(),
            capabilities: Capabilities::default(),
            max_concurrency: usize::MAX,
            object_quota_bytes: usize::MAX,
        }
    }
}

/// A tenant's settings as the runtime keeps them.
pub(crate) struct TenantState {
    pub(crate) id: TenantId,
    /// Tasks of the tenant that may run at once (here, or across a cluster).
    pub(crate) max_concurrency: usize,
    pub(crate) queue: QueueKey,
    pub(crate) limits: Limits,
    pub(crate) capabilities: Arc<Capabilities>,
    pub(crate) account: Arc<Account>,
}

/// Refuses an id that could not name a tenant everywhere it goes (messages, file
/// names, message subjects): 1 to 64 ASCII letters, digits, `-` or `_`.
pub(super) fn check_id(id: &str) -> Result<(), SubmitError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SubmitError::BadTenantId(wask_core::escape_control(id)))
    }
}

/// One tenant's handle on a runtime, cheap to clone and free to move between threads.
/// Everything it submits, reads and cancels is checked to be this tenant's own.
#[derive(Clone)]
pub struct Tenant {
    core: Arc<Core>,
    state: Arc<TenantState>,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("id", &self.state.id)
            .finish_non_exhaustive()
    }
}

impl Tenant {
    pub(super) fn new(
        core: &Arc<Core>,
        scheduler: &Scheduler,
        id: TenantId,
        queue: QueueKey,
        config: TenantConfig,
    ) -> Tenant {
        scheduler.set_max_running(queue, config.max_concurrency);
        Tenant {
            core: core.clone(),
            state: Arc::new(TenantState {
                id,
                max_concurrency: config.max_concurrency,
                queue,
                limits: config.limits,
                capabilities: Arc::new(config.capabilities),
                account: Arc::new(Account::new(config.object_quota_bytes)),
            }),
        }
    }

    pub fn id(&self) -> &TenantId {
        &self.state.id
    }

    /// Bytes of values this tenant's live objects hold now.
    pub fn object_bytes(&self) -> usize {
        self.state.account.used()
    }

    /// Queues a checked call with this tenant's limits and returns its ref at once.
    pub fn submit(&self, call: Call) -> Result<ObjectRef, SubmitError> {
        self.call(call).submit()
    }

    /// A task of a checked call, to give options before submitting it.
    pub fn call(&self, call: Call) -> TaskBuilder<'_> {
        let component = call.component().clone();
        let func = call.func_idx();
        let args = call.into_args().into_iter().map(Arg::Value).collect();
        TaskBuilder::new(self, Ok((component, func)), args)
    }

    /// A task of `function`, whose arguments (values, or refs to other tasks'
    /// results) and options are given before it is submitted. A ref's type is checked
    /// against its parameter at submit, from the WIT result type of the function that
    /// produces it; the task runs once every ref is ready, and if a ref's task fails,
    /// this task fails too, naming it.
    pub fn task(&self, component: &TaskComponent, function: &str) -> TaskBuilder<'_> {
        let target = component
            .find(function)
            .map(|func| (component.clone(), func));
        TaskBuilder::new(self, target, Vec::new())
    }

    pub(super) fn enqueue(
        &self,
        submission: Submission,
        returns: Returns,
    ) -> Result<Vec<ObjectRef>, SubmitError> {
        enqueue(&self.core, &self.state, submission, returns)
    }

    /// Stores a value; the ref is ready at once.
    pub fn put(&self, value: Value) -> ObjectRef {
        self.core
            .objects
            .put(&self.state.id, &self.state.account, value)
    }

    /// Waits for one ref's value, at most `timeout` (forever with `None`).
    pub fn get(&self, object: &ObjectRef, timeout: Option<Duration>) -> Result<Value, GetError> {
        self.get_output(object, timeout)
            .map(|output| output.value.clone())
    }

    /// Waits for one ref's value together with the task's captured stdout and stderr.
    pub fn get_output(
        &self,
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Arc<TaskOutput>, GetError> {
        object.check_owner(&self.state.id)?;
        self.core.objects.get(object, timeout)
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
        for object in objects {
            object.check_owner(&self.state.id)?;
        }
        self.core.objects.wait(objects, num_returns, timeout)
    }

    /// Turns an [`ObjectId`] (say, one written down or sent from elsewhere) back
    /// into a ref of this tenant, while the object is alive.
    pub fn lookup(&self, id: ObjectId) -> Result<ObjectRef, GetError> {
        let object = self.core.objects.lookup(id)?;
        object.check_owner(&self.state.id)?;
        Ok(object)
    }

    /// Cancels the task behind a ref: a queued task never runs, a running one is
    /// interrupted. Its ref then holds [`TaskError::Cancelled`](wask_core::TaskError).
    /// A finished task keeps its outcome.
    pub fn cancel(&self, object: &ObjectRef) -> Result<(), GetError> {
        object.check_owner(&self.state.id)?;
        object.cancel_flag().store(true, Ordering::Relaxed);
        if let Some(executor) = &self.core.executor {
            executor.cancel(&self.state.id, object.id());
        }
        Ok(())
    }
}
