//! What the operator and tenants watch: the dashboard page and the snapshot it polls,
//! `/metrics` in Prometheus's text format, and the admin's list of tenants.
//!
//! The admin token sees every tenant; a tenant's token sees only its own tasks, its
//! own history and its own tasks on the worker slots (the slots themselves, and how
//! many there are, are not a secret).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use serde_json::{Value as Json, json};

use super::views::{error_json, state_name, time};
use super::{ApiResult, Auth};
use crate::error::ApiError;
use crate::ids::object_id;
use crate::metrics::{family, label, render_tasks};
use crate::state::{AppState, Caller, TenantEntry};
use crate::tracker::{TenantTrack, lock, unix_ms};

/// The page itself: one file, no external resources.
const PAGE: &str = include_str!("../dashboard.html");

/// Recent tasks listed per tenant in the snapshot.
const RECENT: usize = 50;
/// Spans of the timeline in the snapshot, at most.
const SPANS: usize = 1500;

pub async fn page() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(PAGE),
    )
}

/// The tenants a caller may see.
fn visible(state: &AppState, caller: &Caller) -> Vec<Arc<TenantEntry>> {
    match caller {
        Caller::Admin => state.active_tenants(),
        Caller::Tenant(t) => vec![t.clone()],
    }
}

fn recent_json(state: &AppState, tenant: &TenantEntry) -> Vec<Json> {
    let entries: Vec<_> = lock(&tenant.track.tasks)
        .newest_first(None)
        .take(RECENT)
        .cloned()
        .collect();
    entries
        .iter()
        .map(|entry| {
            let state_name = state_name(state, tenant, entry);
            let info = entry.object.run_info();
            let mut out = json!({
                "id": object_id(entry.id()),
                "tenant": tenant.id,
                "function": entry.function(),
                "state": state_name,
                "submitted_ms": unix_ms(entry.submitted),
                "started_ms": info.as_ref().map(|i| unix_ms(i.started)),
                "finished_ms": info.as_ref().map(|i| unix_ms(i.finished)),
            });
            if (state_name == "failed" || state_name == "cancelled")
                && let Err(wask_core::GetError::Task { error, .. }) = tenant
                    .handle
                    .get_output(&entry.object, Some(std::time::Duration::ZERO))
            {
                out["error"] = error_json(&error);
            }
            out
        })
        .collect()
}

fn history_json(track: &TenantTrack) -> Json {
    json!(track.history())
}

/// `GET /v1/dashboard`: what the dashboard draws, as one JSON snapshot.
pub async fn snapshot(State(state): State<Arc<AppState>>, Auth(caller): Auth) -> ApiResult {
    let tenants = visible(&state, &caller);
    let ids: Vec<&str> = tenants.iter().map(|t| t.id.as_str()).collect();
    let sees = |tenant: &str| ids.contains(&tenant);
    let mut tenant_rows = Vec::new();
    let mut recent = Vec::new();
    for tenant in &tenants {
        let m = &tenant.track.metrics;
        tenant_rows.push(json!({
            "id": tenant.id,
            "queued": m.queued.load(Ordering::Relaxed).max(0),
            "running": m.running.load(Ordering::Relaxed).max(0),
            "submitted": m.submitted.load(Ordering::Relaxed),
            "succeeded": m.succeeded.load(Ordering::Relaxed),
            "failed": m.failed.load(Ordering::Relaxed),
            "cancelled": m.cancelled.load(Ordering::Relaxed),
            "queue_p50_s": m.queue_wait.quantile(0.5),
            "queue_p99_s": m.queue_wait.quantile(0.99),
            "run_p50_s": m.run_time.quantile(0.5),
            "run_p99_s": m.run_time.quantile(0.99),
            "history": history_json(&tenant.track),
        }));
        recent.extend(recent_json(&state, tenant));
    }
    recent.sort_by_key(|r| std::cmp::Reverse(r["submitted_ms"].as_u64()));
    recent.truncate(RECENT);
    let n_slots = state.runtime.n_workers();
    let mut hosts: Vec<Json> = vec![json!({ "host": null, "slots": n_slots })];
    let busy: Vec<Json> = state
        .tracker
        .busy()
        .into_iter()
        .filter(|(_, b)| sees(&b.tenant))
        .map(|((host, slot), b)| {
            json!({
                "host": host.as_deref(),
                "slot": slot,
                "tenant": b.tenant.as_ref(),
                "id": object_id(b.id),
                "function": b.function.as_ref(),
                "since_ms": unix_ms(b.since),
            })
        })
        .collect();
    let all = state.tracker.spans();
    let mine: Vec<_> = all.iter().filter(|s| sees(&s.tenant)).collect();
    let skip = mine.len().saturating_sub(SPANS);
    let mut spans = Vec::with_capacity(mine.len() - skip);
    for s in mine.into_iter().skip(skip) {
        // Hosts of a cluster show up as their tasks do.
        if let Some(h) = s.host.as_deref()
            && !hosts.iter().any(|x| x["host"].as_str() == Some(h))
        {
            hosts.push(json!({ "host": h, "slots": null }));
        }
        spans.push(json!({
            "tenant": s.tenant.as_ref(),
            "id": object_id(s.id),
            "function": s.function.as_ref(),
            "host": s.host.as_deref(),
            "slot": s.slot,
            "start_ms": unix_ms(s.started),
            "end_ms": unix_ms(s.finished),
            "state": s.outcome.as_str(),
        }));
    }
    let body = json!({
        "now_ms": unix_ms(SystemTime::now()),
        "started_at": time(state.started),
        "admin": matches!(caller, Caller::Admin),
        "tenant": match &caller { Caller::Tenant(t) => Some(t.id.as_str()), Caller::Admin => None },
        "draining": state.is_draining(),
        "workers": hosts,
        "busy": busy,
        "tenants": tenant_rows,
        "recent": recent,
        "timeline": spans,
    });
    Ok(axum::Json(body).into_response())
}

/// `GET /metrics`: Prometheus text format; a tenant's token sees its own lines.
pub async fn metrics(State(state): State<Arc<AppState>>, Auth(caller): Auth) -> ApiResult {
    let tenants = visible(&state, &caller);
    let mut out = String::new();
    let rows: Vec<(String, &crate::metrics::TaskMetrics)> = tenants
        .iter()
        .map(|t| (t.id.clone(), &t.track.metrics))
        .collect();
    render_tasks(&mut out, &rows);
    family(
        &mut out,
        "wask_object_bytes",
        "gauge",
        "Bytes the tenant's live results and objects hold.",
    );
    for t in &tenants {
        let _ = writeln!(
            out,
            "wask_object_bytes{{tenant=\"{}\"}} {}",
            label(&t.id),
            t.handle.object_bytes()
        );
    }
    family(
        &mut out,
        "wask_components",
        "gauge",
        "Components the tenant has uploaded.",
    );
    for t in &tenants {
        let _ = writeln!(
            out,
            "wask_components{{tenant=\"{}\"}} {}",
            label(&t.id),
            t.components.len()
        );
    }
    let busy = state.tracker.busy();
    let local_busy = busy.iter().filter(|((host, _), _)| host.is_none()).count();
    family(
        &mut out,
        "wask_worker_slots",
        "gauge",
        "Worker slots of this process's runtime.",
    );
    let _ = writeln!(out, "wask_worker_slots {}", state.runtime.n_workers());
    family(
        &mut out,
        "wask_worker_slots_busy",
        "gauge",
        "Worker slots running a task now (of the tenants the token sees).",
    );
    let visible_busy = match caller {
        Caller::Admin => local_busy,
        Caller::Tenant(ref t) => busy
            .iter()
            .filter(|((host, _), b)| host.is_none() && *b.tenant == *t.id)
            .count(),
    };
    let _ = writeln!(out, "wask_worker_slots_busy {visible_busy}");
    if matches!(caller, Caller::Admin) {
        family(
            &mut out,
            "wask_components_loaded",
            "gauge",
            "Components compiled and loaded in the runtime.",
        );
        let _ = writeln!(out, "wask_components_loaded {}", state.loaded.len());
        family(
            &mut out,
            "wask_store_memory_bytes",
            "gauge",
            "Bytes of values the object store holds in memory.",
        );
        let _ = writeln!(
            out,
            "wask_store_memory_bytes {}",
            state.runtime.store_memory_used()
        );
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// `GET /v1/tenants` (admin): every tenant in force with its settings, no tokens.
pub async fn tenants(State(state): State<Arc<AppState>>, Auth(caller): Auth) -> ApiResult {
    if !matches!(caller, Caller::Admin) {
        return Err(ApiError::forbidden(
            "admin_only",
            "only the admin token may list the tenants",
        ));
    }
    let rows: Vec<Json> = state
        .active_tenants()
        .iter()
        .map(|t| {
            let spec = t.spec();
            json!({
                "id": t.id,
                "max_concurrency": (spec.max_concurrency != usize::MAX).then_some(spec.max_concurrency),
                "object_quota_bytes": (spec.object_quota_bytes != usize::MAX).then_some(spec.object_quota_bytes),
                "priority": spec.priority,
                "rate_limit": spec.rate_limit.map(|(rate, burst)| json!({ "per_second": rate, "burst": burst })),
                "max_pending": spec.max_pending,
                "max_tasks": spec.max_tasks,
                "max_components": spec.max_components,
                "max_retries": spec.max_retries,
                "timeout_s": spec.limits.deadline.map(|d| d.as_secs_f64()),
                "fuel": spec.limits.fuel,
                "max_memory_bytes": spec.limits.max_memory_bytes,
                "allow_read": spec.capabilities.read_only_dirs.iter().map(|(h, g)| format!("{}::{g}", h.display())).collect::<Vec<_>>(),
                "components": t.components.len(),
                "object_bytes": t.handle.object_bytes(),
            })
        })
        .collect();
    Ok(axum::Json(json!({ "tenants": rows })).into_response())
}
