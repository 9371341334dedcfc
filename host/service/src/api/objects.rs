//! Objects: bytes a tenant puts (Ray's `put`), to pass to tasks as `{"$ref": ID}`
//! without sending them with every call; read back raw, and forgotten.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;
use wask_core::{GetError, TaskError, Value};

use super::tasks::outcome_response;
use super::{ApiResult, TenantAuth, read_body};
use crate::error::ApiError;
use crate::ids::{object_id, parse_object_id};
use crate::registry::EntryKind;
use crate::request::find_entry;
use crate::state::AppState;
use crate::tracker::lock;

/// `POST /v1/objects`: the body's bytes become a `list<u8>` object of the tenant.
pub async fn put(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    if state.is_draining() {
        return Err(ApiError::shutting_down());
    }
    let bytes = read_body(&state, &headers, body, state.http.max_body_bytes).await?;
    let size = bytes.len();
    let object = tenant.handle.put(Value::Bytes(bytes.to_vec().into()));
    if let Err(GetError::Task {
        error: error @ TaskError::QuotaExceeded { .. },
        ..
    }) = tenant.handle.get(&object, Some(Duration::ZERO))
    {
        return Err(ApiError::forbidden(
            "quota_exceeded",
            format!("tenant `{}`: {error}", tenant.id),
        ));
    }
    let max_tasks = tenant.spec().max_tasks;
    let entry = lock(&tenant.track.tasks).insert(
        object,
        EntryKind::Object,
        std::time::SystemTime::now(),
        max_tasks,
    );
    let id = object_id(entry.id());
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "id": id, "kind": "object", "size": size })),
    )
        .into_response())
}

/// `GET /v1/objects/{id}`: an object's value (bytes raw, else JSON); a task's id
/// gives its result, as `/v1/tasks/{id}/result` does.
pub async fn show(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let entry = find_entry(&tenant, &id).ok_or_else(|| ApiError::not_found("object", &id))?;
    outcome_response(&state, &tenant, &entry)
}

/// `DELETE /v1/objects/{id}`: forgets the object and frees its bytes.
pub async fn forget(TenantAuth(tenant): TenantAuth, Path(id): Path<String>) -> ApiResult {
    parse_object_id(&id)
        .and_then(|oid| lock(&tenant.track.tasks).remove(oid))
        .ok_or_else(|| ApiError::not_found("object", &id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
