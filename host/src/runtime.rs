//! The runtime: Ray-style `submit`, `get`, `wait`, `put` and `cancel` over the sandbox,
//! the scheduler and the object store, for one or many tenants.
//!
//! `submit` hands back an [`ObjectRef`] at once and queues a job on the scheduler; the
//! job runs the call in a fresh sandboxed store and resolves the ref with the value or
//! with the [`TaskError`] the task ended with. A failure stays in its own ref.
//!
//! A *tenant* is one party whose tasks share the host with others': it has its own
//! limits, capabilities, concurrency cap and object-store quota, its objects are its
//! alone, and the scheduler takes turns between tenants. [`Runtime`]'s own methods act
//! for the built-in tenant [`DEFAULT_TENANT`]; [`Runtime::add_tenant`] adds others.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::error::{GetError, LoadError, SetupError, SubmitError, TaskError};
use crate::object_store::{Account, ObjectRef, ObjectStore, TenantId};
use crate::sandbox::{
    Call, Capabilities, InvokeOptions, Limits, Phases, Sandbox, SandboxConfig, TaskComponent,
    TaskOutput, Value,
};
use crate::scheduler::{QueueKey, Scheduler};
use crate::timeline::{Recorder, TaskSpan, Timeline};

/// The tenant that [`Runtime`]'s own methods act for.
pub const DEFAULT_TENANT: &str = "default";

/// Settings of a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Worker threads, and so tasks that run at once.
    pub n_workers: usize,
    pub sandbox: SandboxConfig,
    /// The settings of the default tenant, and the start for others.
    pub default_tenant: TenantConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            n_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            sandbox: SandboxConfig::default(),
            default_tenant: TenantConfig::default(),
        }
    }
}

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

/// Per-task options.
#[derive(Debug, Clone, Default)]
pub struct TaskOptions {
    /// Limits of this task instead of the tenant's.
    pub limits: Option<Limits>,
    /// Shortcut to override only the deadline.
    pub timeout: Option<Duration>,
}

struct TenantState {
    id: TenantId,
    queue: QueueKey,
    limits: Limits,
    capabilities: Arc<Capabilities>,
    account: Arc<Account>,
}

#[derive(Debug)]
pub struct Runtime {
    // Field order is drop order: workers stop before the sandbox they use goes away.
    scheduler: Scheduler,
    objects: ObjectStore,
    sandbox: Sandbox,
    timeline: Arc<Recorder>,
    fuel: bool,
    tenants: RwLock<HashMap<TenantId, Arc<TenantState>>>,
    default_tenant: Arc<TenantState>,
}

impl std::fmt::Debug for TenantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantState").field("id", &self.id).finish()
    }
}

impl Runtime {
    pub fn new(mut config: RuntimeConfig) -> Result<Self, SetupError> {
        config.n_workers = config.n_workers.max(1);
        let min_instances = u32::try_from(config.n_workers).unwrap_or(u32::MAX);
        config.sandbox.max_instances = config.sandbox.max_instances.max(min_instances);
        let fuel = config.sandbox.fuel;
        let scheduler = Scheduler::new(config.n_workers);
        let default_tenant = new_tenant(
            &scheduler,
            TenantId::new(DEFAULT_TENANT),
            0,
            config.default_tenant,
        );
        let tenants = HashMap::from([(default_tenant.id.clone(), default_tenant.clone())]);
        Ok(Runtime {
            sandbox: Sandbox::new(config.sandbox)?,
            scheduler,
            objects: ObjectStore::new(),
            timeline: Arc::default(),
            fuel,
            tenants: RwLock::new(tenants),
            default_tenant,
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

    /// Adds a tenant with its own limits, capabilities, concurrency and quota.
    pub fn add_tenant(&self, id: &str, config: TenantConfig) -> Result<Tenant<'_>, SubmitError> {
        let id = TenantId::new(id);
        let mut tenants = self.tenants.write().expect("tenants lock");
        if tenants.contains_key(&id) {
            return Err(SubmitError::DuplicateTenant(id));
        }
        let queue = tenants.len() as QueueKey;
        let state = new_tenant(&self.scheduler, id.clone(), queue, config);
        tenants.insert(id, state.clone());
        Ok(Tenant {
            runtime: self,
            state,
        })
    }

    /// A tenant added before.
    pub fn tenant(&self, id: &str) -> Result<Tenant<'_>, SubmitError> {
        let id = TenantId::new(id);
        let state = self
            .tenants
            .read()
            .expect("tenants lock")
            .get(&id)
            .cloned()
            .ok_or(SubmitError::UnknownTenant(id))?;
        Ok(Tenant {
            runtime: self,
            state,
        })
    }

    /// The built-in tenant that [`Runtime`]'s own methods act for.
    pub fn default_tenant(&self) -> Tenant<'_> {
        Tenant {
            runtime: self,
            state: self.default_tenant.clone(),
        }
    }

    /// Queues a checked call with the default tenant's limits and returns its ref.
    pub fn submit(&self, call: Call) -> ObjectRef {
        self.default_tenant()
            .submit_with(call, TaskOptions::default())
            .expect("default options are always accepted")
    }

    /// [`Runtime::submit`] with per-task options.
    pub fn submit_with(&self, call: Call, options: TaskOptions) -> Result<ObjectRef, SubmitError> {
        self.default_tenant().submit_with(call, options)
    }

    /// Stores a value; the ref is ready at once.
    pub fn put(&self, value: Value) -> ObjectRef {
        self.default_tenant().put(value)
    }

    /// Waits for one ref's value, at most `timeout` (forever with `None`).
    pub fn get(&self, object: &ObjectRef, timeout: Option<Duration>) -> Result<Value, GetError> {
        self.default_tenant().get(object, timeout)
    }

    /// Waits for one ref's value together with the task's captured stdout and stderr.
    pub fn get_output(
        &self,
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Arc<TaskOutput>, GetError> {
        self.default_tenant().get_output(object, timeout)
    }

    /// Waits for every ref in order; the first failure or timeout ends the wait.
    pub fn get_all(
        &self,
        objects: &[ObjectRef],
        timeout: Option<Duration>,
    ) -> Result<Vec<Value>, GetError> {
        self.default_tenant().get_all(objects, timeout)
    }

    /// Waits until `num_returns` refs are ready or `timeout` passes: (ready, pending).
    pub fn wait(
        &self,
        objects: &[ObjectRef],
        num_returns: usize,
        timeout: Option<Duration>,
    ) -> Result<(Vec<ObjectRef>, Vec<ObjectRef>), GetError> {
        self.default_tenant().wait(objects, num_returns, timeout)
    }

    /// Cancels the task behind a ref: a queued task never runs, a running one is
    /// interrupted. Its ref then holds [`TaskError::Cancelled`]. A finished task
    /// keeps its outcome.
    pub fn cancel(&self, object: &ObjectRef) -> Result<(), GetError> {
        self.default_tenant().cancel(object)
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
}

fn new_tenant(
    scheduler: &Scheduler,
    id: TenantId,
    queue: QueueKey,
    config: TenantConfig,
) -> Arc<TenantState> {
    scheduler.set_max_running(queue, config.max_concurrency);
    Arc::new(TenantState {
        id,
        queue,
        limits: config.limits,
        capabilities: Arc::new(config.capabilities),
        account: Arc::new(Account::new(config.object_quota_bytes)),
    })
}

/// One tenant's view of the runtime: what it submits, reads and cancels is its own.
#[derive(Debug)]
pub struct Tenant<'rt> {
    runtime: &'rt Runtime,
    state: Arc<TenantState>,
}

impl Tenant<'_> {
    pub fn id(&self) -> &TenantId {
        &self.state.id
    }

    /// Bytes of values this tenant's live objects hold now.
    pub fn object_bytes(&self) -> usize {
        self.state.account.used()
    }

    /// Queues a checked call and returns its ref at once.
    pub fn submit(&self, call: Call) -> Result<ObjectRef, SubmitError> {
        self.submit_with(call, TaskOptions::default())
    }

    /// [`Tenant::submit`] with per-task options.
    pub fn submit_with(&self, call: Call, options: TaskOptions) -> Result<ObjectRef, SubmitError> {
        let mut limits = options.limits.unwrap_or(self.state.limits);
        if let Some(timeout) = options.timeout {
            limits.deadline = Some(timeout);
        }
        if limits.fuel.is_some() && !self.runtime.fuel {
            return Err(SubmitError::FuelOff);
        }
        let rt = self.runtime;
        let (object, completer) = rt.objects.pending(&self.state.id, &self.state.account);
        let timeline = rt.timeline.is_enabled().then(|| rt.timeline.clone());
        let submitted = Instant::now();
        let id = object.id();
        let invoke_options = InvokeOptions {
            limits,
            capabilities: self.state.capabilities.clone(),
            cancel: Some(completer.cancel_flag()),
        };
        rt.scheduler.spawn(
            self.state.queue,
            Box::new(move |worker_idx| {
                let started = Instant::now();
                let mut phases = Phases::default();
                let outcome = if completer.is_cancelled() {
                    Err(TaskError::Cancelled)
                } else {
                    catch_unwind(AssertUnwindSafe(|| {
                        call.invoke_traced(&invoke_options, &mut phases)
                    }))
                    .unwrap_or_else(|panic| Err(TaskError::HostPanic(panic_text(&panic))))
                };
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
            }),
        );
        Ok(object)
    }

    /// Stores a value; the ref is ready at once.
    pub fn put(&self, value: Value) -> ObjectRef {
        self.runtime
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
        self.runtime.objects.get(object, timeout)
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
        self.runtime.objects.wait(objects, num_returns, timeout)
    }

    /// See [`Runtime::cancel`].
    pub fn cancel(&self, object: &ObjectRef) -> Result<(), GetError> {
        object.check_owner(&self.state.id)?;
        object
            .cancel_flag()
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
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
