//! Tasks: submit one or a batch, read one (with a long poll), read its result, list,
//! cancel, forget, and wait on many (Ray's `wait`).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use serde::Deserialize;
use serde_json::json;
use wask::ObjectRef;
use wask_core::Value;

use super::views::{Detail, Progress, entry_json, progress, state_name};
use super::{ApiResult, TenantAuth, query_wait, read_body};
use crate::error::ApiError;
use crate::ids::{object_id, parse_component_id};
use crate::registry::{Entry, EntryKind};
use crate::request::{BatchRequest, CheckedTask, TaskRequest, check, decode, find_entry};
use crate::state::{AppState, TenantEntry};
use crate::tracker::lock;
use crate::units::{Dur, shorten};

/// `?wait=` on reads.
#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    wait: Option<String>,
}

/// Refuses work while the service is stopping, and a submission of `n` tasks that
/// would take the tenant past its cap of unfinished tasks.
fn admit(state: &AppState, tenant: &TenantEntry, n: usize) -> Result<(), ApiError> {
    if state.is_draining() {
        return Err(ApiError::shutting_down());
    }
    let max = tenant.spec().max_pending;
    let pending = lock(&tenant.track.tasks).pending();
    if pending + n > max {
        return Err(ApiError::too_many(
            "too_many_pending",
            format!(
                "tenant `{}` has {pending} unfinished tasks and may have at most {max} (max-pending); {n} more do not fit, try again once some finish",
                tenant.id
            ),
            1,
        ));
    }
    Ok(())
}

/// Submits checked tasks and registers them; all were checked before the first runs.
/// Should the runtime still refuse one, those already queued are cancelled, so a
/// batch runs whole or not at all.
fn submit_all(tenant: &TenantEntry, tasks: Vec<CheckedTask>) -> Result<Vec<Arc<Entry>>, ApiError> {
    let mut refs: Vec<(ObjectRef, EntryKind)> = Vec::with_capacity(tasks.len());
    let submitted = SystemTime::now();
    let n = tasks.len();
    for (i, task) in tasks.into_iter().enumerate() {
        let kind = EntryKind::Task {
            component: task.digest,
            function: task.function.clone(),
        };
        match task.submit(&tenant.handle) {
            Ok(object) => refs.push((object, kind)),
            Err(error) => {
                for (object, _) in &refs {
                    let _ = tenant.handle.cancel(object);
                }
                return Err(if n > 1 {
                    error.within(&format!("tasks[{i}]"))
                } else {
                    error
                });
            }
        }
    }
    let max_tasks = tenant.spec().max_tasks;
    let mut table = lock(&tenant.track.tasks);
    Ok(refs
        .into_iter()
        .map(|(object, kind)| table.insert(object, kind, submitted, max_tasks))
        .collect())
}

/// Waits until the entry's ref resolves, at most `wait`.
async fn settle(object: &ObjectRef, wait: Duration) {
    if !wait.is_zero() && !object.is_ready() {
        let _ = tokio::time::timeout(wait, object.output()).await;
    }
}

fn created(id: &str, body: serde_json::Value) -> axum::response::Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/tasks/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /v1/tasks`: one call; with `wait`, answers once it finished (or the wait
/// ran out).
pub async fn submit(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Query(query): Query<WaitQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    let body = read_body(&state, &headers, body, state.http.max_body_bytes).await?;
    let mut request: TaskRequest = decode(
        &body,
        "a task: a JSON object such as {\"component\": \"sha256:…\", \"call\": \"fib(10)\"}",
    )?;
    let wait = match (request.wait.take(), query.wait.as_deref()) {
        (Some(Dur(wait)), _) => wait.min(state.http.max_wait),
        (None, text) => query_wait(&state, text)?,
    };
    let spec = tenant.spec();
    let task = check(&tenant, &spec, state.runtime_meters_fuel(), request, None)?;
    admit(&state, &tenant, 1)?;
    let entry = submit_all(&tenant, vec![task])?.remove(0);
    settle(&entry.object, wait).await;
    let id = object_id(entry.id());
    Ok(created(
        &id,
        entry_json(&state, &tenant, &entry, Detail::Full),
    ))
}

/// `POST /v1/tasks/batch`: many calls, checked all before any is queued.
pub async fn batch(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    let body = read_body(&state, &headers, body, state.http.max_body_bytes).await?;
    let request: BatchRequest = decode(
        &body,
        "a batch: a JSON object such as {\"component\": \"sha256:…\", \"tasks\": [{\"call\": \"fib(10)\"}]}",
    )?;
    let n = request.tasks.len();
    if n == 0 || n > state.http.max_batch {
        return Err(ApiError::bad_request(
            "invalid_batch",
            format!(
                "a batch holds 1 to {} tasks, this one {n}",
                state.http.max_batch
            ),
        ));
    }
    let spec = tenant.spec();
    let fuel = state.runtime_meters_fuel();
    let mut checked = Vec::with_capacity(n);
    for (i, task) in request.tasks.into_iter().enumerate() {
        if task.wait.is_some() {
            return Err(ApiError::bad_request(
                "invalid_option",
                "`wait` is for single calls: wait on a batch's ids with POST /v1/wait",
            )
            .within(&format!("tasks[{i}]")));
        }
        let task = check(&tenant, &spec, fuel, task, request.component.as_deref())
            .map_err(|e| e.within(&format!("tasks[{i}]")))?;
        checked.push(task);
    }
    admit(&state, &tenant, n)?;
    let entries = submit_all(&tenant, checked)?;
    let ids: Vec<String> = entries.iter().map(|e| object_id(e.id())).collect();
    Ok((StatusCode::CREATED, axum::Json(json!({ "ids": ids }))).into_response())
}

fn entry_or_404(tenant: &TenantEntry, id: &str, what: &str) -> Result<Arc<Entry>, ApiError> {
    find_entry(tenant, id).ok_or_else(|| ApiError::not_found(what, id))
}

/// `GET /v1/tasks/{id}`: the task, after waiting up to `?wait=` for it to finish.
pub async fn show(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Path(id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> ApiResult {
    let wait = query_wait(&state, query.wait.as_deref())?;
    let entry = entry_or_404(&tenant, &id, "task")?;
    settle(&entry.object, wait).await;
    Ok(axum::Json(entry_json(&state, &tenant, &entry, Detail::Full)).into_response())
}

/// A value as an answer: a `list<u8>` (or the `ok` bytes of a `result<list<u8>, E>`,
/// as the image filters give) raw, anything else as JSON.
pub fn value_response(value: &Value) -> axum::response::Response {
    let bytes = match value {
        Value::Bytes(bytes) => Some(bytes),
        Value::Result(Ok(Some(inner))) => match &**inner {
            Value::Bytes(bytes) => Some(bytes),
            _ => None,
        },
        _ => None,
    };
    match bytes {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            axum::body::Bytes::copy_from_slice(bytes),
        )
            .into_response(),
        None => axum::Json(value.to_json()).into_response(),
    }
}

/// `GET /v1/tasks/{id}/result`: the value (bytes raw, see [`value_response`]), 202
/// with the task while it has not finished, 409 if it failed.
pub async fn result(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Path(id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> ApiResult {
    let wait = query_wait(&state, query.wait.as_deref())?;
    let entry = entry_or_404(&tenant, &id, "task")?;
    settle(&entry.object, wait).await;
    outcome_response(&state, &tenant, &entry)
}

/// The value of a finished entry, or why there is none.
pub fn outcome_response(state: &AppState, tenant: &TenantEntry, entry: &Entry) -> ApiResult {
    match progress(state, tenant, entry) {
        Progress::Finished(Ok(output)) => Ok(value_response(&output.value)),
        Progress::Finished(Err(error)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "task_failed",
            error.to_string(),
        )),
        Progress::Queued | Progress::Running => Ok((
            StatusCode::ACCEPTED,
            axum::Json(entry_json(state, tenant, entry, Detail::Summary)),
        )
            .into_response()),
    }
}

/// `POST /v1/tasks/{id}/cancel`: a queued task never runs, a running one is
/// interrupted; a finished one keeps its outcome.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let entry = entry_or_404(&tenant, &id, "task")?;
    tenant
        .handle
        .cancel(&entry.object)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(axum::Json(entry_json(&state, &tenant, &entry, Detail::Summary)).into_response())
}

/// `DELETE /v1/tasks/{id}`: forgets the task and frees its result (a task still
/// running runs on; cancel it first to stop it).
pub async fn forget(TenantAuth(tenant): TenantAuth, Path(id): Path<String>) -> ApiResult {
    let entry = crate::ids::parse_object_id(&id)
        .and_then(|oid| lock(&tenant.track.tasks).remove(oid))
        .ok_or_else(|| ApiError::not_found("task", &id))?;
    drop(entry);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /v1/tasks` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    function: Option<String>,
    component: Option<String>,
    kind: Option<String>,
    limit: Option<usize>,
    /// The `next` of an earlier page.
    before: Option<u64>,
}

const STATES: [&str; 5] = ["queued", "running", "succeeded", "failed", "cancelled"];

/// `GET /v1/tasks`: the tenant's tasks, newest first, with filters and pages.
pub async fn list(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(
            "invalid_query",
            format!(
                "{}; filters are state, function, component, kind, limit and before",
                e.body_text()
            ),
        )
    })?;
    if let Some(s) = &query.state
        && !STATES.contains(&s.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("state `{}` is not one of {}", shorten(s), STATES.join(", ")),
        ));
    }
    let component = match &query.component {
        None => None,
        Some(text) => Some(parse_component_id(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_id",
                format!(
                    "component `{}` is not a content id (sha256:…)",
                    shorten(text)
                ),
            )
        })?),
    };
    let kind = query.kind.as_deref();
    if let Some(k) = kind
        && k != "task"
        && k != "object"
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("kind `{}` is not `task` or `object`", shorten(k)),
        ));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries: Vec<Arc<Entry>> = lock(&tenant.track.tasks)
        .newest_first(query.before)
        .filter(|e| match (&e.kind, kind) {
            (EntryKind::Task { .. }, Some("object")) | (EntryKind::Object, Some("task")) => false,
            (
                EntryKind::Task {
                    function,
                    component: c,
                },
                _,
            ) => {
                query
                    .function
                    .as_deref()
                    .is_none_or(|f| f == function.as_ref())
                    && component.is_none_or(|d| d == *c)
            }
            (EntryKind::Object, _) => query.function.is_none() && component.is_none(),
        })
        .cloned()
        .collect();
    let mut page = Vec::new();
    let mut next: Option<u64> = None;
    let mut last_seq = 0;
    for entry in entries {
        if query
            .state
            .as_deref()
            .is_some_and(|s| s != state_name(&state, &tenant, &entry))
        {
            continue;
        }
        if page.len() == limit {
            // There is more: the next page starts before the last entry shown.
            next = page.last().and(Some(last_seq));
            break;
        }
        last_seq = entry.seq;
        page.push(entry_json(&state, &tenant, &entry, Detail::Summary));
    }
    Ok(axum::Json(json!({ "tasks": page, "next": next })).into_response())
}

/// `POST /v1/wait` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitRequest {
    ids: Vec<String>,
    num_returns: Option<usize>,
    timeout: Option<Dur>,
}

/// `POST /v1/wait`: waits until `num_returns` of the ids are finished or the timeout
/// passes, and splits them into ready and pending, as Ray's `wait`.
pub async fn wait(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    let body = read_body(&state, &headers, body, state.http.max_body_bytes).await?;
    let request: WaitRequest = decode(
        &body,
        "a wait: a JSON object such as {\"ids\": [\"…\"], \"num_returns\": 1, \"timeout\": \"10s\"}",
    )?;
    let num_returns = request.num_returns.unwrap_or(1);
    if num_returns > request.ids.len() {
        return Err(ApiError::bad_request(
            "invalid_option",
            format!(
                "num_returns is {num_returns}, more than the {} ids given",
                request.ids.len()
            ),
        ));
    }
    let timeout = request
        .timeout
        .map_or(state.http.max_wait, |d| d.0.min(state.http.max_wait));
    let mut entries = Vec::with_capacity(request.ids.len());
    for (i, id) in request.ids.iter().enumerate() {
        let entry = find_entry(&tenant, id).ok_or_else(|| {
            ApiError::not_found("task or object", id).within(&format!("ids[{i}]"))
        })?;
        entries.push(entry);
    }
    let mut n_ready = entries.iter().filter(|e| e.object.is_ready()).count();
    if n_ready < num_returns {
        let mut pending: FuturesUnordered<_> = entries
            .iter()
            .filter(|e| !e.object.is_ready())
            .map(|e| e.object.output())
            .collect();
        let _ = tokio::time::timeout(timeout, async {
            while n_ready < num_returns && pending.next().await.is_some() {
                n_ready += 1;
            }
        })
        .await;
    }
    let (mut ready, mut waiting) = (Vec::new(), Vec::new());
    for (entry, id) in entries.iter().zip(&request.ids) {
        if ready.len() < num_returns && entry.object.is_ready() {
            ready.push(id.clone());
        } else {
            waiting.push(id.clone());
        }
    }
    Ok(axum::Json(json!({ "ready": ready, "pending": waiting })).into_response())
}
