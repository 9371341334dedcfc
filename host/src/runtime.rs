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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::error::{GetError, LoadError, SetupError, SubmitError, TaskError};
use crate::object_store::{
    Account, Completer, ObjectId, ObjectRef, ObjectStore, StoreConfig, TenantId,
};
use crate::sandbox::{
    Call, Capabilities, FuncIdx, InvokeOptions, Limits, Phases, Sandbox, SandboxConfig,
    TaskComponent, TaskHost, TaskOutput, Value, ValueType, value_to_wave, wit_type,
};
use crate::scheduler::{QueueKey, Scheduler, Spawner};
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
    /// The object store's memory cap and where values spill past it.
    pub store: StoreConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            n_workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            sandbox: SandboxConfig::default(),
            default_tenant: TenantConfig::default(),
            store: StoreConfig::default(),
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
    /// Runs again after a trap (or host panic), up to this many more times. Limits,
    /// cancellation and upstream failures are not retried. See [`ObjectRef::attempts`].
    pub max_retries: u32,
    /// Among the tenant's queued tasks, higher priority runs first (default 0).
    /// Tenants still take turns: a priority never lets one tenant pass another.
    pub priority: i32,
}

/// An argument of a submission: a value, or a ref whose value it will be.
#[derive(Debug, Clone)]
pub enum Arg {
    Value(Value),
    Ref(ObjectRef),
}

impl From<Value> for Arg {
    fn from(value: Value) -> Self {
        Arg::Value(value)
    }
}

impl From<ObjectRef> for Arg {
    fn from(object: ObjectRef) -> Self {
        Arg::Ref(object)
    }
}

impl From<&ObjectRef> for Arg {
    fn from(object: &ObjectRef) -> Self {
        Arg::Ref(object.clone())
    }
}

/// One queued task: what to run, and the refs to resolve.
///
/// **Invariant:** `run` is called at most once, and only when every `Arg::Ref` in
/// `args` is ready; every completer is resolved by it, or by its drop.
struct TaskJob {
    component: TaskComponent,
    func_idx: FuncIdx,
    args: Vec<Arg>,
    invoke: InvokeOptions,
    max_retries: u32,
    /// One per ref: several when the tuple result is split.
    completers: Vec<Completer>,
    timeline: Option<Arc<Recorder>>,
    submitted: Instant,
    id: ObjectId,
}

impl TaskJob {
    fn run(self, worker_idx: usize) {
        let started = Instant::now();
        let mut phases = Phases::default();
        let mut attempts = 0;
        let outcome = match self.inputs() {
            Err(e) => Err(e),
            Ok(_) if self.completers[0].is_cancelled() => Err(TaskError::Cancelled),
            Ok(values) => {
                let call = Call::checked(self.component.clone(), self.func_idx, values);
                loop {
                    attempts += 1;
                    let outcome = catch_unwind(AssertUnwindSafe(|| {
                        call.invoke_traced(&self.invoke, &mut phases)
                    }))
                    .unwrap_or_else(|panic| Err(TaskError::HostPanic(panic_text(&panic))));
                    let retry = matches!(
                        outcome,
                        Err(TaskError::Trap { .. } | TaskError::HostPanic(_))
                    ) && attempts <= self.max_retries
                        && !self.completers[0].is_cancelled();
                    if !retry {
                        break outcome;
                    }
                }
            }
        };
        // Record before resolving, so a caller that has every value also has every span.
        if let Some(timeline) = &self.timeline {
            timeline.record(TaskSpan {
                object: self.id,
                label: self.component.function(self.func_idx).name().to_owned(),
                worker_idx,
                submitted: self.submitted,
                started,
                instantiated: phases.instantiated,
                returned: phases.returned,
                resolved: Instant::now(),
                ok: outcome.is_ok(),
            });
        }
        for completer in &self.completers {
            completer.set_attempts(attempts);
        }
        let mut completers = self.completers;
        if completers.len() == 1 {
            completers.remove(0).resolve(outcome);
            return;
        }
        match outcome {
            Ok(TaskOutput {
                value: Value::Tuple(items),
                stdout,
                stderr,
            }) if items.len() == completers.len() => {
                let mut output = Some((stdout, stderr));
                for (completer, value) in completers.into_iter().zip(items) {
                    // The captured output goes with the first element only.
                    let (stdout, stderr) = output.take().unwrap_or_default();
                    completer.resolve(Ok(TaskOutput {
                        value,
                        stdout,
                        stderr,
                    }));
                }
            }
            Ok(_) => unreachable!("a checked call returns its declared tuple"),
            Err(e) => {
                for completer in completers {
                    completer.resolve(Err(e.clone()));
                }
            }
        }
    }

    /// The argument values, or the error of the first input that failed.
    fn inputs(&self) -> Result<Vec<Value>, TaskError> {
        let func = self.component.function(self.func_idx);
        self.args
            .iter()
            .enumerate()
            .map(|(position, arg)| match arg {
                Arg::Value(value) => Ok(value.clone()),
                Arg::Ref(input) => match input.peek().expect("inputs are ready when a job runs") {
                    Ok(output) => {
                        // A put's value was checked at submit only if it was ready then.
                        func.check_arg(position, &output.value)
                            .map_err(|e| TaskError::Instantiate(e.to_string()))?;
                        Ok(output.value.clone())
                    }
                    Err(TaskError::Upstream {
                        object,
                        function,
                        error,
                    }) => Err(TaskError::Upstream {
                        object,
                        function,
                        error,
                    }),
                    Err(error) => Err(TaskError::Upstream {
                        object: input.id(),
                        function: input.producer().unwrap_or("put").to_owned(),
                        error: Box::new(error),
                    }),
                },
            })
            .collect()
    }
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
    core: Arc<Core>,
    sandbox: Sandbox,
    tenants: RwLock<HashMap<TenantId, Arc<TenantState>>>,
    default_tenant: Arc<TenantState>,
}

/// What queuing a task needs, shared with running tasks (for nested tasks) and with
/// callbacks that queue a task once its inputs are ready.
#[derive(Debug)]
struct Core {
    objects: ObjectStore,
    spawner: Spawner,
    timeline: Arc<Recorder>,
    fuel: bool,
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
        let core = Arc::new(Core {
            objects: ObjectStore::new(config.store),
            spawner: scheduler.spawner(),
            timeline: Arc::default(),
            fuel,
        });
        Ok(Runtime {
            sandbox: Sandbox::new(config.sandbox)?,
            scheduler,
            core,
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

    /// See [`Tenant::submit_args`].
    pub fn submit_args(
        &self,
        component: &TaskComponent,
        function: &str,
        args: Vec<Arg>,
        options: TaskOptions,
    ) -> Result<ObjectRef, SubmitError> {
        self.default_tenant()
            .submit_args(component, function, args, options)
    }

    /// See [`Tenant::submit_returns`].
    pub fn submit_returns(
        &self,
        component: &TaskComponent,
        function: &str,
        args: Vec<Arg>,
        options: TaskOptions,
    ) -> Result<Vec<ObjectRef>, SubmitError> {
        self.default_tenant()
            .submit_returns(component, function, args, options)
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

    /// See [`Tenant::lookup`].
    pub fn lookup(&self, id: ObjectId) -> Result<ObjectRef, GetError> {
        self.default_tenant().lookup(id)
    }

    /// Bytes of values the object store holds in memory now (spilled ones excluded).
    pub fn store_memory_used(&self) -> usize {
        self.core.objects.memory_used()
    }

    /// Cancels the task behind a ref: a queued task never runs, a running one is
    /// interrupted. Its ref then holds [`TaskError::Cancelled`]. A finished task
    /// keeps its outcome.
    pub fn cancel(&self, object: &ObjectRef) -> Result<(), GetError> {
        self.default_tenant().cancel(object)
    }

    /// Starts recording a [`Timeline`] of the tasks submitted from now on.
    pub fn start_timeline(&self) {
        self.core.timeline.start();
    }

    /// Stops recording and returns the spans of the tasks that finished since
    /// [`Runtime::start_timeline`], in submission order.
    pub fn take_timeline(&self) -> Timeline {
        self.core.timeline.take(self.n_workers())
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
        let args = call.args().iter().cloned().map(Arg::Value).collect();
        let mut refs = self.enqueue(call.component(), call.func_idx(), args, options, false)?;
        Ok(refs.remove(0))
    }

    /// Queues a call of `function` whose arguments may be refs to other tasks'
    /// results. The task runs once every ref is ready; the values pass from task to
    /// task without coming back to the caller. A ref's type is checked against its
    /// parameter now, from the WIT result type of the function producing it; if a
    /// ref's task fails, this task fails too, naming it.
    pub fn submit_args(
        &self,
        component: &TaskComponent,
        function: &str,
        args: Vec<Arg>,
        options: TaskOptions,
    ) -> Result<ObjectRef, SubmitError> {
        let func = component.find(function)?;
        let mut refs = self.enqueue(component, func, args, options, false)?;
        Ok(refs.remove(0))
    }

    /// As [`Tenant::submit_args`], for a function that returns a tuple: one ref per
    /// element, as Ray's `num_returns`.
    pub fn submit_returns(
        &self,
        component: &TaskComponent,
        function: &str,
        args: Vec<Arg>,
        options: TaskOptions,
    ) -> Result<Vec<ObjectRef>, SubmitError> {
        let func = component.find(function)?;
        self.enqueue(component, func, args, options, true)
    }

    fn enqueue(
        &self,
        component: &TaskComponent,
        func_idx: FuncIdx,
        args: Vec<Arg>,
        options: TaskOptions,
        split: bool,
    ) -> Result<Vec<ObjectRef>, SubmitError> {
        enqueue(
            &self.runtime.core,
            &self.state,
            component,
            func_idx,
            args,
            options,
            split,
        )
    }

    /// Stores a value; the ref is ready at once.
    pub fn put(&self, value: Value) -> ObjectRef {
        self.runtime
            .core
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
        self.runtime.core.objects.get(object, timeout)
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
        self.runtime
            .core
            .objects
            .wait(objects, num_returns, timeout)
    }

    /// Turns an [`ObjectId`] (say, one written down or sent from elsewhere) back
    /// into a ref of this tenant, while the object is alive.
    pub fn lookup(&self, id: ObjectId) -> Result<ObjectRef, GetError> {
        let object = self.runtime.core.objects.lookup(id)?;
        object.check_owner(&self.state.id)?;
        Ok(object)
    }

    /// See [`Runtime::cancel`].
    pub fn cancel(&self, object: &ObjectRef) -> Result<(), GetError> {
        object.check_owner(&self.state.id)?;
        object.cancel_flag().store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// Checks a submission, makes its refs and queues its job (at once, or when its input
/// refs are ready).
fn enqueue(
    core: &Arc<Core>,
    tenant: &Arc<TenantState>,
    component: &TaskComponent,
    func_idx: FuncIdx,
    args: Vec<Arg>,
    options: TaskOptions,
    split: bool,
) -> Result<Vec<ObjectRef>, SubmitError> {
    let func = component.function(func_idx);
    if args.len() != func.params().len() {
        return Err(func.wrong_arity(args.len()).into());
    }
    for (position, arg) in args.iter().enumerate() {
        match arg {
            Arg::Value(value) => func.check_arg(position, value)?,
            Arg::Ref(object) => {
                object
                    .check_owner(&tenant.id)
                    .map_err(|_| SubmitError::ForeignRef {
                        id: object.id(),
                        owner: object.tenant().clone(),
                        caller: tenant.id.clone(),
                    })?;
                match (object.value_type(), object.peek()) {
                    (Some(ty), _) => func.check_arg_type(position, ty)?,
                    (None, Some(Ok(output))) => func.check_arg(position, &output.value)?,
                    // A failed or pending put: the failure or the value decides later.
                    (None, _) => {}
                }
            }
        }
    }
    let result_types: Vec<Option<ValueType>> = if split {
        match func.result() {
            Some(ValueType::Tuple(tuple)) => tuple.types().map(Some).collect(),
            other => {
                return Err(SubmitError::NotATuple {
                    func: func.name().to_owned(),
                    result: other.map_or_else(|| "nothing".into(), wit_type),
                });
            }
        }
    } else {
        vec![func.result().cloned()]
    };
    let mut limits = options.limits.unwrap_or(tenant.limits);
    if let Some(timeout) = options.timeout {
        limits.deadline = Some(timeout);
    }
    if limits.fuel.is_some() && !core.fuel {
        return Err(SubmitError::FuelOff);
    }

    let producer = func.shared_name();
    let (refs, completers): (Vec<ObjectRef>, Vec<Completer>) = result_types
        .into_iter()
        .map(|ty| {
            core.objects
                .pending(&tenant.id, &tenant.account, ty, Some(producer.clone()))
        })
        .unzip();
    let job = TaskJob {
        component: component.clone(),
        func_idx,
        args,
        invoke: InvokeOptions {
            limits,
            capabilities: tenant.capabilities.clone(),
            cancel: Some(completers[0].cancel_flag()),
            host: component.imports_task_host().then(|| {
                Arc::new(NestedTasks {
                    core: core.clone(),
                    tenant: tenant.clone(),
                    component: component.clone(),
                    limits,
                    handles: Mutex::default(),
                }) as Arc<dyn TaskHost>
            }),
        },
        max_retries: options.max_retries,
        completers,
        timeline: core.timeline.is_enabled().then(|| core.timeline.clone()),
        submitted: Instant::now(),
        id: refs[0].id(),
    };
    let waiting: Vec<ObjectRef> = job
        .args
        .iter()
        .filter_map(|arg| match arg {
            Arg::Ref(input) if !input.is_ready() => Some(input.clone()),
            _ => None,
        })
        .collect();
    let spawner = core.spawner.clone();
    let queue = tenant.queue;
    let priority = options.priority;
    let launch = move || {
        spawner.spawn(
            queue,
            priority,
            Box::new(move |worker_idx| job.run(worker_idx)),
        )
    };
    if waiting.is_empty() {
        launch();
    } else {
        // The last input to resolve queues the job, on the thread that resolved it.
        let countdown = Arc::new(AtomicUsize::new(waiting.len()));
        let launch = Arc::new(Mutex::new(Some(launch)));
        for input in &waiting {
            let (countdown, launch) = (countdown.clone(), launch.clone());
            input.on_ready(Box::new(move || {
                if countdown.fetch_sub(1, Ordering::AcqRel) == 1 {
                    let launch = launch.lock().expect("launch lock").take();
                    if let Some(launch) = launch {
                        launch();
                    }
                }
            }));
        }
    }
    Ok(refs)
}

/// Serves one running task's `wask:runtime/tasks` calls: its nested tasks run as
/// tasks of the same component and tenant, with the same limits.
struct NestedTasks {
    core: Arc<Core>,
    tenant: Arc<TenantState>,
    component: TaskComponent,
    limits: Limits,
    /// Refs of the nested tasks not yet waited for, by handle (their object ids).
    handles: Mutex<HashMap<u64, ObjectRef>>,
}

impl TaskHost for NestedTasks {
    fn submit(&self, call: &str) -> Result<u64, String> {
        let call = self.component.parse_call(call).map_err(|e| e.to_string())?;
        let args = call.args().iter().cloned().map(Arg::Value).collect();
        let options = TaskOptions {
            limits: Some(self.limits),
            ..TaskOptions::default()
        };
        let object = enqueue(
            &self.core,
            &self.tenant,
            call.component(),
            call.func_idx(),
            args,
            options,
            false,
        )
        .map_err(|e| e.to_string())?
        .remove(0);
        let handle = object.id().as_u64();
        self.handles
            .lock()
            .expect("handles lock")
            .insert(handle, object);
        Ok(handle)
    }

    fn get(&self, handle: u64) -> Result<String, String> {
        let object = self
            .handles
            .lock()
            .expect("handles lock")
            .remove(&handle)
            .ok_or_else(|| format!("no nested task with handle {handle} is waiting to be read"))?;
        // Waiting gives this worker's place to another thread, so the nested task
        // (or its own children) can run even on a pool of one.
        let outcome = self
            .core
            .spawner
            .block_in_place(self.tenant.queue, || self.core.objects.get(&object, None));
        outcome
            .map(|output| value_to_wave(&output.value))
            .map_err(|e| e.to_string())
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
