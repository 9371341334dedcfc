//! How tasks, objects and errors look in JSON answers.
//!
//! A task's `state` is `queued` (waiting for its inputs or a worker slot), `running`,
//! `succeeded`, `failed` or `cancelled`. Times are RFC 3339 in UTC with milliseconds.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value as Json, json};
use wask_core::{GetError, TaskError, TaskOutput};

use crate::ids::{component_id, object_id};
use crate::registry::{Entry, EntryKind};
use crate::state::{AppState, TenantEntry};

/// An RFC 3339 time with milliseconds.
pub fn time(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Milliseconds between two times (0 if `to` is before `from`).
fn millis(from: SystemTime, to: SystemTime) -> f64 {
    to.duration_since(from)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// Where a task stands.
#[derive(Debug)]
pub enum Progress {
    Queued,
    Running,
    Finished(Result<Arc<TaskOutput>, TaskError>),
}

impl Progress {
    pub fn name(&self) -> &'static str {
        match self {
            Progress::Queued => "queued",
            Progress::Running => "running",
            Progress::Finished(Ok(_)) => "succeeded",
            Progress::Finished(Err(TaskError::Cancelled)) => "cancelled",
            Progress::Finished(Err(_)) => "failed",
        }
    }
}

/// Where an entry stands, reading its outcome (and so its value) if it finished.
pub fn progress(state: &AppState, tenant: &TenantEntry, entry: &Entry) -> Progress {
    match tenant
        .handle
        .get_output(&entry.object, Some(Duration::ZERO))
    {
        Ok(output) => Progress::Finished(Ok(output)),
        Err(GetError::Task { error, .. }) => Progress::Finished(Err(error)),
        Err(GetError::Timeout { .. }) => {
            if state.tracker.started(entry.id()).is_some() {
                Progress::Running
            } else {
                Progress::Queued
            }
        }
        Err(other) => Progress::Finished(Err(TaskError::Store(other.to_string()))),
    }
}

/// The state's name without reading a value: what lists and the dashboard show.
pub fn state_name(state: &AppState, tenant: &TenantEntry, entry: &Entry) -> &'static str {
    if entry.object.is_ready() {
        match entry.outcome() {
            Some(outcome) => outcome.as_str(),
            None => progress(state, tenant, entry).name(),
        }
    } else if state.tracker.started(entry.id()).is_some() {
        "running"
    } else {
        "queued"
    }
}

/// The kind of an error, stable for clients to branch on, with its message.
pub fn error_json(error: &TaskError) -> Json {
    let kind = match error {
        TaskError::Trap { .. } => "trap",
        TaskError::LimitExceeded(_) => "limit_exceeded",
        TaskError::Cancelled => "cancelled",
        TaskError::Store(_) => "store",
        TaskError::Upstream { .. } => "upstream",
        TaskError::QuotaExceeded { .. } => "quota_exceeded",
        TaskError::Instantiate(_) => "instantiate",
        TaskError::Shutdown => "shutdown",
        TaskError::HostPanic(_) => "host_panic",
        TaskError::WorkerLost { .. } => "worker_lost",
        TaskError::Cluster(_) => "cluster",
    };
    let mut out = json!({ "kind": kind, "message": error.to_string() });
    if let TaskError::Upstream { object, .. } = error {
        out["upstream"] = json!(object_id(*object));
    }
    out
}

/// How much of an entry to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// For lists: no result, no captured output.
    Summary,
    /// Everything, with the result inlined when small enough.
    Full,
}

/// An entry as JSON.
pub fn entry_json(state: &AppState, tenant: &TenantEntry, entry: &Entry, detail: Detail) -> Json {
    let id = object_id(entry.id());
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    match &entry.kind {
        EntryKind::Task {
            component,
            function,
        } => {
            out.insert("kind".into(), json!("task"));
            out.insert("component".into(), json!(component_id(component)));
            out.insert("function".into(), json!(function.as_ref()));
        }
        EntryKind::Object => {
            out.insert("kind".into(), json!("object"));
        }
    }
    let progress = match detail {
        Detail::Full => Some(progress(state, tenant, entry)),
        Detail::Summary => None,
    };
    let name = progress
        .as_ref()
        .map_or_else(|| state_name(state, tenant, entry), Progress::name);
    out.insert("state".into(), json!(name));
    out.insert("submitted_at".into(), json!(time(entry.submitted)));
    if let Some(info) = entry.object.run_info() {
        out.insert("started_at".into(), json!(time(info.started)));
        out.insert("finished_at".into(), json!(time(info.finished)));
        out.insert(
            "queue_ms".into(),
            json!(millis(entry.submitted, info.started)),
        );
        out.insert("run_ms".into(), json!(millis(info.started, info.finished)));
        out.insert(
            "worker".into(),
            json!({ "host": info.host.as_deref(), "slot": info.worker_idx }),
        );
        out.insert("attempts".into(), json!(entry.object.attempts()));
    } else if let Some(started) = state.tracker.started(entry.id()) {
        out.insert("started_at".into(), json!(time(started.wall)));
        out.insert(
            "queue_ms".into(),
            json!(millis(entry.submitted, started.wall)),
        );
        out.insert(
            "worker".into(),
            json!({ "host": started.host.as_deref(), "slot": started.slot }),
        );
    }
    if let Some(ty) = entry.object.value_type() {
        out.insert("result_type".into(), json!(ty.to_string()));
    }
    match progress {
        Some(Progress::Finished(Ok(output))) => {
            if output.value.size() <= state.http.max_inline_result_bytes {
                out.insert("result".into(), output.value.to_json());
                out.insert("result_wave".into(), json!(output.value.to_string()));
            } else {
                out.insert(
                    "result_omitted".into(),
                    json!(format!(
                        "the result takes {} bytes, more than {} inlined: read it from /v1/tasks/{id}/result",
                        output.value.size(),
                        state.http.max_inline_result_bytes
                    )),
                );
            }
            if !output.stdout.is_empty() {
                out.insert(
                    "stdout".into(),
                    json!(String::from_utf8_lossy(&output.stdout)),
                );
            }
            if !output.stderr.is_empty() {
                out.insert(
                    "stderr".into(),
                    json!(String::from_utf8_lossy(&output.stderr)),
                );
            }
        }
        Some(Progress::Finished(Err(error))) => {
            out.insert("error".into(), error_json(&error));
        }
        _ => {
            if detail == Detail::Summary
                && name == "failed"
                && let Progress::Finished(Err(error)) = self::progress(state, tenant, entry)
            {
                out.insert("error".into(), error_json(&error));
            }
        }
    }
    Json::Object(out)
}
