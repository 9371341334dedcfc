//! Components: upload (raw bytes, idempotent), list, show and delete a tenant's own.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sha2::{Digest as _, Sha256};

use super::views::time;
use super::{ApiResult, TenantAuth, read_body};
use crate::components::Owned;
use crate::error::ApiError;
use crate::ids::{Digest, component_id, parse_component_id};
use crate::state::AppState;

/// `?name=` of an upload.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    name: Option<String>,
}

/// A component as JSON: its content id and its exports with their WIT signatures.
fn component_json(digest: &Digest, owned: &Owned) -> Json {
    let exports: Vec<Json> = owned
        .component
        .exports()
        .functions()
        .iter()
        .map(|f| {
            let params: Vec<Json> = f
                .params()
                .iter()
                .map(|(name, ty)| json!({ "name": name, "type": ty.to_string() }))
                .collect();
            json!({
                "name": f.name(),
                "signature": f.to_string(),
                "params": params,
                "result": f.result().map(ToString::to_string),
            })
        })
        .collect();
    json!({
        "id": component_id(digest),
        "name": owned.name,
        "size": owned.component.bytes().len(),
        "uploaded_at": time(owned.uploaded),
        "exports": exports,
        "imports": owned.component.imports(),
    })
}

/// A component name a user gave, kept printable and short; the content id otherwise.
fn display_name(name: Option<&str>, digest: &Digest) -> String {
    let fallback = || format!("{}.wasm", &component_id(digest)[..19]);
    match name {
        Some(n) if !n.trim().is_empty() => {
            let clean: String = n.chars().filter(|c| !c.is_control()).take(100).collect();
            if clean.is_empty() { fallback() } else { clean }
        }
        _ => fallback(),
    }
}

/// `POST /v1/components`: the body is the component's bytes. 201 the first time the
/// tenant uploads them, 200 after (nothing changes).
pub async fn upload(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    if state.is_draining() {
        return Err(ApiError::shutting_down());
    }
    let bytes = read_body(&state, &headers, body, state.http.max_component_bytes).await?;
    let digest: Digest = Sha256::digest(&bytes).into();
    if let Some(owned) = tenant.components.get(&digest) {
        return Ok(axum::Json(component_json(&digest, &owned)).into_response());
    }
    let max = tenant.spec().max_components;
    if tenant.components.len() >= max {
        return Err(quota(&tenant.id, max));
    }
    let name = display_name(query.name.as_deref(), &digest);
    let component = if let Some(component) = state.loaded.get(&digest) {
        component
    } else {
        // Compiling takes long: off the I/O threads.
        let loader = state.clone();
        let load_name = name.clone();
        tokio::task::spawn_blocking(move || loader.runtime.load_bytes(&load_name, &bytes))
            .await
            .map_err(|e| ApiError::internal(format!("loading the component failed: {e}")))?
            .map_err(|e| ApiError::bad_request("invalid_component", e.to_string()))?
    };
    let owned = Owned {
        component: component.clone(),
        name,
        uploaded: SystemTime::now(),
    };
    match tenant.components.add(digest, owned.clone(), max) {
        Ok(true) => {
            state.loaded.hold(digest, &component);
            tracing::info!(tenant = %tenant.id, component = %component_id(&digest), "component uploaded");
            Ok((
                StatusCode::CREATED,
                axum::Json(component_json(&digest, &owned)),
            )
                .into_response())
        }
        // Another upload of the same bytes got there first.
        Ok(false) => {
            let owned = tenant.components.get(&digest).unwrap_or(owned);
            Ok(axum::Json(component_json(&digest, &owned)).into_response())
        }
        Err(_) => Err(quota(&tenant.id, max)),
    }
}

fn quota(tenant: &str, max: usize) -> ApiError {
    ApiError::forbidden(
        "quota_exceeded",
        format!(
            "tenant `{tenant}` has {max} components, its max-components: delete one before uploading another"
        ),
    )
}

/// `GET /v1/components`: the tenant's components.
pub async fn list(TenantAuth(tenant): TenantAuth) -> ApiResult {
    let all: Vec<Json> = tenant
        .components
        .list()
        .iter()
        .map(|(d, o)| component_json(d, o))
        .collect();
    Ok(axum::Json(json!({ "components": all })).into_response())
}

fn owned_or_404(tenant: &crate::state::TenantEntry, id: &str) -> Result<(Digest, Owned), ApiError> {
    parse_component_id(id)
        .and_then(|d| tenant.components.get(&d).map(|o| (d, o)))
        .ok_or_else(|| ApiError::not_found("component", id))
}

/// `GET /v1/components/{id}`.
pub async fn show(TenantAuth(tenant): TenantAuth, Path(id): Path<String>) -> ApiResult {
    let (digest, owned) = owned_or_404(&tenant, &id)?;
    Ok(axum::Json(component_json(&digest, &owned)).into_response())
}

/// `DELETE /v1/components/{id}`: the tenant can no longer call it; tasks already
/// submitted run on.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    TenantAuth(tenant): TenantAuth,
    Path(id): Path<String>,
) -> ApiResult {
    let (digest, _) = owned_or_404(&tenant, &id)?;
    if tenant.components.remove(&digest).is_some() {
        state.loaded.release(&digest);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
