//! Submitting a task: its arguments and options, the checks it passes before anything
//! is queued, and the refs it is answered with.
//!
//! A submission is checked whole before it is queued: the function exists, the
//! arguments fit its signature (a ref by the WIT type of the function producing it),
//! every ref is the tenant's own, and its limits are ones this runtime can enforce.
//! Then its refs are made and its job queued, at once or when its last input is ready.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wask_core::{CallError, Limits, SubmitError, Value, ValueType};

use super::Core;
use super::events::Observed;
use super::job::TaskJob;
use super::nested::NestedTasks;
use super::remote::Executor;
use super::tenant::{Tenant, TenantState};
use crate::entries::EntryDir;
use crate::object_store::{Completer, ObjectRef};
use crate::sandbox::{InvokeOptions, TaskComponent, TaskHost};

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
    /// Answers the call from the memo cache when the same call ran before, and stores
    /// its result when it succeeds (see [`crate::MemoStats`]). Only a *pure* task may
    /// be memoised: one that cannot observe the world outside it. It runs with fixed
    /// clocks; a component that imports randomness without a random seed, may read a
    /// granted folder, submits nested tasks or imports anything else that reaches
    /// outside (sockets, say) is refused at submission ([`SubmitError::Impure`]).
    /// Not yet in cluster mode ([`SubmitError::MemoUnavailable`]).
    pub memo: bool,
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

/// How a task's result is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    /// One ref for the whole result.
    One,
    /// One ref per element of a tuple result, as Ray's `num_returns`.
    PerElement,
}

/// What to run, for whom: a function, its arguments and options.
pub(crate) struct Submission {
    pub(crate) component: TaskComponent,
    pub(crate) func: usize,
    pub(crate) args: Vec<Arg>,
    pub(crate) options: TaskOptions,
    /// Where it runs: this process's workers, or the runtime's executor if it has one.
    pub(crate) place: Place,
}

/// Where a task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The runtime's executor if it has one, else this process.
    Anywhere,
    /// The runtime's executor if it has one (marked as a nested task), else this process.
    Nested,
    /// This process's worker threads, whatever the runtime's executor.
    Here,
}

/// A task being put together: its function, arguments and options, then submitted
/// with [`TaskBuilder::submit`] (or [`TaskBuilder::submit_returns`]). Made by
/// [`Tenant::task`] and [`Tenant::call`].
#[derive(Debug)]
#[must_use = "a task runs only once it is submitted"]
pub struct TaskBuilder<'t> {
    tenant: &'t Tenant,
    /// The component and function, or why the function name was refused.
    target: Result<(TaskComponent, usize), CallError>,
    args: Vec<Arg>,
    options: TaskOptions,
    local: bool,
}

impl<'t> TaskBuilder<'t> {
    pub(super) fn new(
        tenant: &'t Tenant,
        target: Result<(TaskComponent, usize), CallError>,
        args: Vec<Arg>,
    ) -> Self {
        TaskBuilder {
            tenant,
            target,
            args,
            options: TaskOptions::default(),
            local: false,
        }
    }

    /// Adds the next argument: a [`Value`] or an [`ObjectRef`].
    pub fn arg(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments in order.
    pub fn args(mut self, args: impl IntoIterator<Item = Arg>) -> Self {
        self.args.extend(args);
        self
    }

    /// Sets every option at once.
    pub fn options(mut self, options: TaskOptions) -> Self {
        self.options = options;
        self
    }

    /// Interrupts the task after this long (its deadline).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Runs the task again after a trap, up to `n` more times.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.options.max_retries = n;
        self
    }

    /// Among the tenant's queued tasks, higher priority runs first.
    pub fn priority(mut self, priority: i32) -> Self {
        self.options.priority = priority;
        self
    }

    /// Answers the call from the memo cache when it ran before; see [`TaskOptions::memo`].
    pub fn memo(mut self) -> Self {
        self.options.memo = true;
        self
    }

    /// Limits of this task instead of the tenant's.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.options.limits = Some(limits);
        self
    }

    /// Runs the task on this process's worker threads even when the runtime hands
    /// tasks to a cluster (a cluster worker runs what it pulled this way).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    fn into_submission(self) -> Result<(&'t Tenant, Submission), SubmitError> {
        let (component, func) = self.target?;
        Ok((
            self.tenant,
            Submission {
                component,
                func,
                args: self.args,
                options: self.options,
                place: if self.local {
                    Place::Here
                } else {
                    Place::Anywhere
                },
            },
        ))
    }

    /// Checks the task and queues it; its ref comes back at once.
    pub fn submit(self) -> Result<ObjectRef, SubmitError> {
        let (tenant, submission) = self.into_submission()?;
        let mut refs = tenant.enqueue(submission, Returns::One)?;
        Ok(refs.remove(0))
    }

    /// As [`TaskBuilder::submit`], for a function that returns a tuple: one ref per
    /// element, as Ray's `num_returns`.
    pub fn submit_returns(self) -> Result<Vec<ObjectRef>, SubmitError> {
        let (tenant, submission) = self.into_submission()?;
        tenant.enqueue(submission, Returns::PerElement)
    }
}

/// Checks a submission's arguments against the function's signature.
fn check_args(tenant: &TenantState, submission: &Submission) -> Result<(), SubmitError> {
    let signature = submission.component.function(submission.func).signature();
    if submission.args.len() != signature.params().len() {
        return Err(signature.arity_error(submission.args.len()).into());
    }
    for (position, arg) in submission.args.iter().enumerate() {
        match arg {
            Arg::Value(value) => signature.check_arg(position, value)?,
            Arg::Ref(object) => {
                object
                    .check_owner(&tenant.id)
                    .map_err(|_| SubmitError::ForeignRef {
                        id: object.id(),
                        owner: object.tenant().clone(),
                        caller: tenant.id.clone(),
                    })?;
                match (object.value_type(), object.peek()) {
                    (Some(ty), _) => signature.check_arg_type(position, ty)?,
                    (None, Some(Ok(output))) => signature.check_arg(position, &output.value)?,
                    // A failed or pending put: the failure or the value decides later.
                    (None, _) => {}
                }
            }
        }
    }
    Ok(())
}

/// The types of the refs a submission is answered with.
fn result_types(
    submission: &Submission,
    returns: Returns,
) -> Result<Vec<Option<ValueType>>, SubmitError> {
    let signature = submission.component.function(submission.func).signature();
    match (returns, signature.result()) {
        (Returns::One, result) => Ok(vec![result.cloned()]),
        (Returns::PerElement, Some(ValueType::Tuple(types))) => {
            Ok(types.iter().cloned().map(Some).collect())
        }
        (Returns::PerElement, other) => Err(SubmitError::NotATuple {
            func: signature.name().to_owned(),
            result: other.map_or_else(|| "nothing".into(), ToString::to_string),
        }),
    }
}

/// Checks a submission, makes its refs and queues its job (at once, or when its input
/// refs are ready).
pub(crate) fn enqueue(
    core: &Arc<Core>,
    tenant: &Arc<TenantState>,
    submission: Submission,
    returns: Returns,
) -> Result<Vec<ObjectRef>, SubmitError> {
    check_args(tenant, &submission)?;
    let result_types = result_types(&submission, returns)?;
    let Submission {
        component,
        func,
        args,
        options,
        place,
    } = submission;
    let mut limits = options.limits.unwrap_or(tenant.limits);
    if let Some(timeout) = options.timeout {
        limits.deadline = Some(timeout);
    }
    if limits.fuel.is_some() && !core.fuel {
        return Err(SubmitError::FuelOff);
    }
    let executor = match place {
        Place::Here => None,
        Place::Anywhere | Place::Nested => core.executor.clone(),
    };
    let memo = if options.memo {
        Some(check_memo(
            core,
            tenant,
            &component,
            func,
            executor.is_some(),
        )?)
    } else {
        None
    };
    let (refs, completers): (Vec<ObjectRef>, Vec<Completer>) = result_types
        .into_iter()
        .map(|ty| {
            let producer = component.function(func).signature().shared_name();
            core.objects
                .pending(&tenant.id, &tenant.account, ty, Some(producer))
        })
        .unzip();
    let host = component
        .imports_task_host()
        .then(|| Arc::new(NestedTasks::new(core, tenant, &component, limits)) as Arc<dyn TaskHost>);
    // The observer hears of the task once its refs exist, before it can start.
    let observed = Observed::submitted(
        core.observer.as_ref(),
        refs[0].id(),
        &tenant.id,
        component.function(func).signature().shared_name(),
        place == Place::Nested,
    );
    let job = TaskJob {
        invoke: InvokeOptions {
            limits,
            capabilities: tenant.capabilities.clone(),
            cancel: Some(completers[0].cancel_flag()),
            host,
            fixed_clocks: memo.is_some(),
        },
        component,
        func,
        args,
        max_retries: options.max_retries,
        completers,
        timeline: core.timeline.is_enabled().then(|| core.timeline.clone()),
        submitted: Instant::now(),
        id: refs[0].id(),
        tenant: tenant.id.clone(),
        priority: options.priority,
        nested: place == Place::Nested,
        observed,
        max_concurrency: tenant.max_concurrency,
        memo: memo.map(|entries| (core.memo.clone(), entries)),
    };
    queue(core, tenant, job, executor);
    Ok(refs)
}

/// Checks that a task may be memoised: it is pure with the tenant's capabilities, it
/// runs here, and the memo folder can be used. Gives the folder.
fn check_memo(
    core: &Core,
    tenant: &TenantState,
    component: &TaskComponent,
    func: usize,
    remote: bool,
) -> Result<Arc<EntryDir>, SubmitError> {
    if let Some(reason) = component.impurity(&tenant.capabilities) {
        return Err(SubmitError::Impure {
            component: component.name().to_owned(),
            func: component.function(func).name().to_owned(),
            reason,
        });
    }
    if remote {
        return Err(SubmitError::MemoUnavailable(
            "memoised tasks run only on this process's workers, not yet on a cluster".into(),
        ));
    }
    core.memo.entries().map_err(SubmitError::MemoUnavailable)
}

/// Queues a job now, or when the last of its input refs is ready: on its tenant's
/// queue of this process's workers, or with an executor.
fn queue(core: &Core, tenant: &TenantState, job: TaskJob, executor: Option<Arc<dyn Executor>>) {
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
    let launch = move || {
        if let Some(executor) = executor {
            if let Some(task) = job.into_remote() {
                executor.execute(task);
            }
        } else {
            let priority = job.priority;
            spawner.spawn(
                queue,
                priority,
                Box::new(move |worker_idx| job.run(worker_idx)),
            );
        }
    };
    if waiting.is_empty() {
        launch();
    } else {
        launch_when_ready(&waiting, launch);
    }
}

/// Runs `launch` on the thread that resolves the last of `inputs`.
fn launch_when_ready(inputs: &[ObjectRef], launch: impl FnOnce() + Send + 'static) {
    let countdown = Arc::new(AtomicUsize::new(inputs.len()));
    let launch = Arc::new(Mutex::new(Some(launch)));
    for input in inputs {
        let (countdown, launch) = (countdown.clone(), launch.clone());
        input.on_ready(Box::new(move || {
            if countdown.fetch_sub(1, Ordering::AcqRel) == 1 {
                let launch = launch
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take();
                if let Some(launch) = launch {
                    launch();
                }
            }
        }));
    }
}
