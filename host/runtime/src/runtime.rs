//! The runtime: Ray-style `submit`, `get`, `wait`, `put` and `cancel` over the sandbox,
//! the scheduler and the object store, for one or many tenants.
//!
//! `submit` hands back an [`ObjectRef`] at once and queues a job on the scheduler; the
//! job runs the call in a fresh sandboxed store and resolves the ref with the value or
//! with the [`TaskError`](wask_core::TaskError) the task ended with. A failure stays
//! in its own ref.
//!
//! A *tenant* is one party whose tasks share the host with others': it has its own
//! limits, capabilities, concurrency cap and object-store quota, its objects are its
//! alone, and the scheduler takes turns between tenants. A [`Runtime`] is also its
//! default tenant ([`DEFAULT_TENANT`]): through `Deref`, every [`Tenant`] method called
//! on a runtime acts for that tenant. [`Runtime::add_tenant`] adds others.

mod events;
mod job;
mod memo;
mod nested;
mod remote;
mod submit;
mod tenant;

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use wask_core::{LoadError, SetupError, SubmitError, TenantId};

use crate::object_store::{ObjectStore, StoreConfig};
use crate::sandbox::{Sandbox, SandboxConfig, TaskComponent};
use crate::scheduler::{Scheduler, Spawner};
use crate::timeline::{Recorder, Timeline};

pub use self::events::{TaskEvent, TaskObserver};
use self::memo::Memo;
pub use self::memo::{MemoStats, default_memo_dir};
pub use self::remote::{Executor, RemoteTask};
pub use self::submit::{Arg, TaskBuilder, TaskOptions};
pub use self::tenant::{Tenant, TenantConfig};

/// The tenant that a [`Runtime`]'s own `Tenant` methods act for.
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
    /// Told when each task is submitted, starts and finishes (see [`TaskObserver`]).
    pub observer: Option<Arc<dyn TaskObserver>>,
    /// Folder of memoised results ([`TaskOptions::memo`]); `None` refuses memoised
    /// tasks. It is made private to this user when the first memoised task is
    /// submitted; one that others can write to is refused.
    pub memo_dir: Option<PathBuf>,
    /// Bytes the memo folder may hold; past this, the least recently used results go.
    pub memo_max_bytes: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            n_workers: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            sandbox: SandboxConfig::default(),
            default_tenant: TenantConfig::default(),
            store: StoreConfig::default(),
            observer: None,
            memo_dir: default_memo_dir(),
            memo_max_bytes: 1 << 30,
        }
    }
}

/// What queuing a task needs, shared by every tenant handle, by running tasks (for
/// nested tasks) and by callbacks that queue a task once its inputs are ready.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) objects: ObjectStore,
    pub(crate) spawner: Spawner,
    pub(crate) timeline: Arc<Recorder>,
    pub(crate) fuel: bool,
    /// Where tasks run when not on this process's workers (a cluster), if anywhere.
    pub(crate) executor: Option<Arc<dyn Executor>>,
    /// Told of each task's submission, start and end, if set.
    pub(crate) observer: Option<Arc<dyn TaskObserver>>,
    /// The cache of memoised results.
    pub(crate) memo: Arc<Memo>,
}

/// Runs tasks: loads components, and is the default tenant that submits them.
#[derive(Debug)]
pub struct Runtime {
    // Field order is drop order: workers stop before the sandbox they use goes away.
    scheduler: Scheduler,
    default_tenant: Tenant,
    core: Arc<Core>,
    sandbox: Sandbox,
    tenants: RwLock<HashMap<TenantId, Tenant>>,
}

impl Deref for Runtime {
    type Target = Tenant;

    /// The default tenant: `runtime.submit(..)` submits for [`DEFAULT_TENANT`].
    fn deref(&self) -> &Tenant {
        &self.default_tenant
    }
}

impl Runtime {
    /// Starts the worker threads and the sandbox. A default tenant with a fuel limit
    /// on a sandbox without fuel metering is refused here, not at the first submit.
    pub fn new(config: RuntimeConfig) -> Result<Self, SetupError> {
        Self::build(config, None)
    }

    /// A runtime whose tasks run on `executor` (a cluster) instead of its own worker
    /// threads; the API is the same. Its own workers still run tasks submitted with
    /// [`TaskBuilder::local`].
    pub fn with_executor(
        config: RuntimeConfig,
        executor: Arc<dyn Executor>,
    ) -> Result<Self, SetupError> {
        Self::build(config, Some(executor))
    }

    fn build(
        mut config: RuntimeConfig,
        executor: Option<Arc<dyn Executor>>,
    ) -> Result<Self, SetupError> {
        config.n_workers = config.n_workers.max(1);
        let min_instances = u32::try_from(config.n_workers).unwrap_or(u32::MAX);
        config.sandbox.max_instances = config.sandbox.max_instances.max(min_instances);
        let fuel = config.sandbox.fuel;
        if config.default_tenant.limits.fuel.is_some() && !fuel {
            return Err(SetupError::FuelOff {
                what: "default tenant".into(),
            });
        }
        config
            .default_tenant
            .capabilities
            .check()
            .map_err(|(path, problem)| SetupError::Capability { path, problem })?;
        let sandbox = Sandbox::new(config.sandbox)?;
        let scheduler = Scheduler::new(config.n_workers).map_err(|cause| SetupError::Thread {
            what: format!("{} worker threads", config.n_workers),
            cause,
        })?;
        let core = Arc::new(Core {
            objects: ObjectStore::new(&config.store),
            spawner: scheduler.spawner(),
            timeline: Arc::default(),
            fuel,
            executor,
            observer: config.observer,
            memo: Arc::new(Memo::new(
                config.memo_dir,
                config.memo_max_bytes,
                sandbox.memo_salt(),
            )),
        });
        let default_tenant = Tenant::new(
            &core,
            &scheduler,
            TenantId::new(DEFAULT_TENANT),
            0,
            config.default_tenant,
        );
        let tenants = HashMap::from([(default_tenant.id().clone(), default_tenant.clone())]);
        Ok(Runtime {
            scheduler,
            default_tenant,
            core,
            sandbox,
            tenants: RwLock::new(tenants),
        })
    }

    pub fn n_workers(&self) -> usize {
        self.scheduler.n_workers()
    }

    /// Loads a component file: compiled once (or taken from the cache), pre-instantiated.
    pub fn load(&self, path: &Path) -> Result<TaskComponent, LoadError> {
        self.sandbox.load(path)
    }

    /// Loads a component from its bytes (fetched from elsewhere, say); `name` names it
    /// in messages.
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<TaskComponent, LoadError> {
        self.sandbox.load_bytes(name, bytes)
    }

    /// Whether a component's compiled form is already in the on-disk cache.
    pub fn is_cached(&self, component_bytes: &[u8]) -> bool {
        self.sandbox.is_cached(component_bytes)
    }

    /// Adds a tenant with its own limits, capabilities, concurrency and quota.
    pub fn add_tenant(&self, id: &str, config: TenantConfig) -> Result<Tenant, SubmitError> {
        tenant::check_id(id)?;
        if config.limits.fuel.is_some() && !self.core.fuel {
            return Err(SubmitError::FuelOff);
        }
        config
            .capabilities
            .check()
            .map_err(|(path, problem)| SubmitError::BadCapability { path, problem })?;
        let id = TenantId::new(id);
        let mut tenants = self
            .tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tenants.contains_key(&id) {
            return Err(SubmitError::DuplicateTenant(id));
        }
        let queue = tenants.len() as u64;
        let tenant = Tenant::new(&self.core, &self.scheduler, id.clone(), queue, config);
        tenants.insert(id, tenant.clone());
        Ok(tenant)
    }

    /// A tenant added before.
    pub fn tenant(&self, id: &str) -> Result<Tenant, SubmitError> {
        let id = TenantId::new(id);
        self.tenants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
            .ok_or(SubmitError::UnknownTenant(id))
    }

    /// The built-in tenant that the runtime's own `Tenant` methods act for.
    pub fn default_tenant(&self) -> &Tenant {
        &self.default_tenant
    }

    /// How often memoised tasks were answered from the memo cache, run, stored.
    pub fn memo_stats(&self) -> MemoStats {
        self.core.memo.stats()
    }

    /// Bytes of values the object store holds in memory now (spilled ones excluded).
    pub fn store_memory_used(&self) -> usize {
        self.core.objects.memory_used()
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
