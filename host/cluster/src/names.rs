//! Every name Wask uses in NATS: subjects, streams, buckets, consumers and keys. They
//! are an API between drivers and workers of possibly different builds, so they are
//! made here and nowhere else.
//!
//! - Stream `WASK_TASKS` (work queue, file storage) holds the queued tasks, on
//!   `wask.tasks.<tenant>.top.<driver>` (submitted by a caller) and
//!   `wask.tasks.<tenant>.nested.<driver>` (submitted by a running task). Each tenant
//!   has two durable pull consumers, one per kind: `top-<tenant>` caps the tenant's
//!   tasks running at once across the cluster (its `max_ack_pending`);
//!   `nested-<tenant>` has no cap, so a parent waiting on its children never starves
//!   them. The driver's id ends the subject, so a driver that stops purges its own
//!   queued tasks with one request.
//! - KV bucket `wask_results`: one create-only entry per task, `<driver>.<task>`, the
//!   first completion written wins.
//! - KV bucket `wask_tasks`: `run.<driver>.<task>` (which worker runs a task) and
//!   `cancel.<driver>.<task>` (a running task to interrupt).
//! - KV bucket `wask_tenants`: one entry per tenant, its cap, written by drivers and
//!   watched by workers, which serve each tenant's consumers.
//! - KV bucket `wask_workers`: one heartbeat per worker, expiring unless renewed.
//! - Object stores `wask_components` (component bytes by SHA-256) and `wask_values`
//!   (arguments and results too large to travel inline).

/// The work-queue stream of queued tasks.
pub const TASKS_STREAM: &str = "WASK_TASKS";
/// All task subjects.
pub const TASKS_SUBJECTS: &str = "wask.tasks.>";

pub const RESULTS_BUCKET: &str = "wask_results";
pub const STATE_BUCKET: &str = "wask_tasks";
pub const TENANTS_BUCKET: &str = "wask_tenants";
pub const WORKERS_BUCKET: &str = "wask_workers";
pub const COMPONENTS_STORE: &str = "wask_components";
pub const VALUES_STORE: &str = "wask_values";

fn kind(nested: bool) -> &'static str {
    if nested { "nested" } else { "top" }
}

/// The subject a driver's task of a tenant is queued on.
pub fn task_subject(tenant: &str, nested: bool, driver: &str) -> String {
    format!("wask.tasks.{tenant}.{}.{driver}", kind(nested))
}

/// The subjects of a tenant's tasks of one kind, from every driver.
pub fn tenant_subjects(tenant: &str, nested: bool) -> String {
    format!("wask.tasks.{tenant}.{}.*", kind(nested))
}

/// The subjects of all a driver's queued tasks.
pub fn driver_subjects(driver: &str) -> String {
    format!("wask.tasks.*.*.{driver}")
}

/// The durable consumer that serves a tenant's tasks of one kind.
pub fn consumer_name(tenant: &str, nested: bool) -> String {
    format!("{}-{tenant}", kind(nested))
}

/// A task's key: its driver and its index there.
pub fn task_key(driver: &str, index: u64) -> String {
    format!("{driver}.{index}")
}

/// The state entry naming the worker that runs a task.
pub fn run_key(task: &str) -> String {
    format!("run.{task}")
}

/// The state entry asking the task's worker to interrupt it.
pub fn cancel_key(task: &str) -> String {
    format!("cancel.{task}")
}

/// The prefix of all cancel entries (workers watch it).
pub const CANCEL_KEYS: &str = "cancel.>";

/// The object holding a task's large arguments.
pub fn args_object(task: &str) -> String {
    format!("args.{task}")
}

/// The object holding a task's large result.
pub fn result_object(task: &str) -> String {
    format!("result.{task}")
}

/// A component's object: its SHA-256 in hex.
pub fn component_object(digest: &[u8; 32]) -> String {
    hex(digest)
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}
