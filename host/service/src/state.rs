//! The service's state: the runtime, the tenants as the tenants file last gave them,
//! the components loaded, and the tracker that follows every task.
//!
//! Tenants are added to the runtime once and never removed: a reload that drops a
//! tenant turns its token off (its tasks in flight run on), and one that brings it
//! back turns it on again. A reload changes a tenant's token, limits, priority, rate
//! limit and the service's own caps at once; its concurrency cap, object quota and
//! granted folders are fixed in the runtime when the tenant is added, so a change to
//! them is reported and takes effect at the next start.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use wask::{Executor, Runtime, RuntimeConfig, TenantConfig};

use crate::auth::{TokenHash, find_token};
use crate::components::{Loaded, TenantComponents};
use crate::error::ApiError;
use crate::ratelimit::Bucket;
use crate::tenants::{TenantSpec, TenantsFile};
use crate::tracker::{TenantTrack, Tracker, lock};

/// Settings of the HTTP side of the service.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest request body, except a component upload.
    pub max_body_bytes: usize,
    /// Largest component upload.
    pub max_component_bytes: usize,
    /// Longest a client may take to send a request's headers (slow clients).
    pub header_timeout: Duration,
    /// Longest a client may take to send a request's body.
    pub body_timeout: Duration,
    /// Longest a long poll waits; a longer wait asked for is cut to this.
    pub max_wait: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// On SIGTERM, how long tasks in flight may take to finish before they are
    /// cancelled.
    pub grace: Duration,
    /// Calls in one batch, at most.
    pub max_batch: usize,
    /// Largest result inlined in a task's JSON; a larger one is read from
    /// `/v1/tasks/{id}/result`.
    pub max_inline_result_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 16 << 20,
            max_component_bytes: 64 << 20,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_wait: Duration::from_mins(1),
            max_connections: 4096,
            grace: Duration::from_secs(30),
            max_batch: 10_000,
            max_inline_result_bytes: 1 << 20,
        }
    }
}

/// Settings of a [`Service`](crate::Service).
#[derive(Debug, Clone, Default)]
pub struct ServiceConfig {
    /// The runtime's workers and sandbox; the service sets its observer.
    pub runtime: RuntimeConfig,
    /// Where tasks run instead of this process's workers (a cluster), if anywhere.
    pub executor: Option<Arc<dyn Executor>>,
    pub http: HttpConfig,
    /// The tenants file, read again on SIGHUP (`None`: tenants given in code only).
    pub tenants_path: Option<PathBuf>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Tenants(#[from] crate::tenants::TenantsError),
    #[error("cannot start the runtime: {0}")]
    Runtime(#[from] wask_core::SetupError),
    #[error("cannot add tenant `{id}`: {cause}")]
    Tenant {
        id: String,
        cause: Box<wask_core::SubmitError>,
    },
    #[error("cannot listen on {addr}: {cause}")]
    Listen { addr: String, cause: std::io::Error },
    #[error("cannot start the service's threads: {0}")]
    Io(#[from] std::io::Error),
}

/// One tenant of the service.
#[derive(Debug)]
pub struct TenantEntry {
    pub id: String,
    /// Its handle on the runtime: everything it submits and reads goes through it.
    pub handle: wask::Tenant,
    spec: RwLock<Arc<TenantSpec>>,
    pub track: Arc<TenantTrack>,
    pub components: TenantComponents,
    bucket: Mutex<Bucket>,
    active: AtomicBool,
}

impl TenantEntry {
    /// Its settings as the tenants file last gave them.
    pub fn spec(&self) -> Arc<TenantSpec> {
        self.spec
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Takes one request from its rate limit, or answers 429.
    pub fn take_request(&self) -> Result<(), ApiError> {
        let Some((rate, burst)) = self.spec().rate_limit else {
            return Ok(());
        };
        lock(&self.bucket)
            .take(rate, burst, Instant::now())
            .map_err(|wait| {
                self.track
                    .metrics
                    .rate_limited
                    .fetch_add(1, Ordering::Relaxed);
                ApiError::too_many(
                    "rate_limited",
                    format!(
                        "tenant `{}` is limited to {rate} requests per second (bursts of {burst}); try again in {:.2} s",
                        self.id,
                        wait.as_secs_f64()
                    ),
                    wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                )
            })
    }
}

/// Who a request is from.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin,
    Tenant(Arc<TenantEntry>),
}

/// The tokens in force, each with whose it is.
#[derive(Debug, Default)]
struct TokenTable {
    hashes: Vec<TokenHash>,
    callers: Vec<Caller>,
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    pub runtime: Runtime,
    pub tracker: Arc<Tracker>,
    pub loaded: Loaded,
    tokens: RwLock<Arc<TokenTable>>,
    /// Every tenant ever added, active or not.
    tenants: Mutex<HashMap<String, Arc<TenantEntry>>>,
    pub http: HttpConfig,
    pub tenants_path: Option<PathBuf>,
    draining: AtomicBool,
    /// Turns true when the service closes: streams still open end.
    closing: tokio::sync::watch::Sender<bool>,
    pub started: SystemTime,
    fuel: bool,
}

impl AppState {
    pub fn new(config: ServiceConfig, file: &TenantsFile) -> Result<AppState, ServiceError> {
        let tracker = Arc::new(Tracker::default());
        let mut runtime_config = config.runtime;
        runtime_config.observer = Some(tracker.clone());
        if file.needs_fuel {
            runtime_config.sandbox.fuel = true;
        }
        let max_memory = file
            .tenants
            .iter()
            .map(|t| t.limits.max_memory_bytes)
            .max()
            .unwrap_or(0);
        runtime_config.sandbox.max_memory_bytes =
            runtime_config.sandbox.max_memory_bytes.max(max_memory);
        runtime_config.sandbox.max_component_bytes = runtime_config
            .sandbox
            .max_component_bytes
            .max(config.http.max_component_bytes as u64);
        let fuel = runtime_config.sandbox.fuel;
        let runtime = match config.executor {
            None => Runtime::new(runtime_config)?,
            Some(executor) => Runtime::with_executor(runtime_config, executor)?,
        };
        let state = AppState {
            runtime,
            tracker,
            loaded: Loaded::default(),
            tokens: RwLock::default(),
            tenants: Mutex::default(),
            http: config.http,
            tenants_path: config.tenants_path,
            draining: AtomicBool::new(false),
            closing: tokio::sync::watch::Sender::new(false),
            started: SystemTime::now(),
            fuel,
        };
        state.apply(file)?;
        Ok(state)
    }

    /// Who a token is, if anyone.
    pub fn caller(&self, token: &str) -> Option<Caller> {
        let table = self
            .tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        find_token(&TokenHash::of(token), &table.hashes).map(|i| table.callers[i].clone())
    }

    /// Every tenant in force now, by id.
    pub fn active_tenants(&self) -> Vec<Arc<TenantEntry>> {
        let mut all: Vec<_> = lock(&self.tenants)
            .values()
            .filter(|t| t.active.load(Ordering::Relaxed))
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// From now on, no new work is taken.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Turns true when the service closes.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Ends the streams still open.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Puts a tenants file in force: new tenants are added, known ones updated, and
    /// those left out turned off. Gives what could only change at the next start.
    pub fn apply(&self, file: &TenantsFile) -> Result<Vec<String>, ServiceError> {
        if file.needs_fuel && !self.runtime_meters_fuel() {
            return Err(ServiceError::Tenant {
                id: file
                    .tenants
                    .iter()
                    .find(|t| t.limits.fuel.is_some())
                    .map(|t| t.id.clone())
                    .unwrap_or_default(),
                cause: Box::new(wask_core::SubmitError::FuelOff),
            });
        }
        let mut notes = Vec::new();
        let mut tenants = lock(&self.tenants);
        // Add every new tenant first, so a failure leaves the old table in force.
        for spec in &file.tenants {
            if tenants.contains_key(&spec.id) {
                continue;
            }
            let handle = self
                .runtime
                .add_tenant(
                    &spec.id,
                    TenantConfig {
                        limits: spec.limits,
                        capabilities: spec.capabilities.clone(),
                        max_concurrency: spec.max_concurrency,
                        object_quota_bytes: spec.object_quota_bytes,
                    },
                )
                .map_err(|cause| ServiceError::Tenant {
                    id: spec.id.clone(),
                    cause: Box::new(cause),
                })?;
            let entry = TenantEntry {
                id: spec.id.clone(),
                handle,
                spec: RwLock::new(Arc::new(spec.clone())),
                track: self.tracker.add_tenant(&spec.id, spec.max_tasks),
                components: TenantComponents::default(),
                bucket: Mutex::new(Bucket::new(spec.rate_limit.map_or(1.0, |r| r.1))),
                active: AtomicBool::new(true),
            };
            tenants.insert(spec.id.clone(), Arc::new(entry));
        }
        let mut table = TokenTable::default();
        if let Some(admin) = file.admin_token {
            table.hashes.push(admin);
            table.callers.push(Caller::Admin);
        }
        for entry in tenants.values() {
            let Some(spec) = file.tenants.iter().find(|s| s.id == entry.id) else {
                if entry.active.swap(false, Ordering::Relaxed) {
                    notes.push(format!(
                        "tenant `{}` was removed: its token is refused from now on (tasks in flight run on)",
                        entry.id
                    ));
                }
                continue;
            };
            let old = entry.spec();
            for (changed, what) in [
                (
                    old.max_concurrency != spec.max_concurrency,
                    "max-concurrency",
                ),
                (
                    old.object_quota_bytes != spec.object_quota_bytes,
                    "object-quota",
                ),
                (old.capabilities != spec.capabilities, "allow-read"),
            ] {
                if changed {
                    notes.push(format!(
                        "tenant `{}`: the new {what} takes effect when the service starts again",
                        entry.id
                    ));
                }
            }
            *entry.spec.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(spec.clone());
            entry
                .track
                .max_tasks
                .store(spec.max_tasks, Ordering::Relaxed);
            entry.active.store(true, Ordering::Relaxed);
            table.hashes.push(spec.token);
            table.callers.push(Caller::Tenant(entry.clone()));
        }
        drop(tenants);
        *self.tokens.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(table);
        Ok(notes)
    }

    /// Whether the runtime meters fuel, so tasks may have a fuel limit.
    pub fn runtime_meters_fuel(&self) -> bool {
        self.fuel
    }
}
