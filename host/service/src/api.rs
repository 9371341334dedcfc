//! The HTTP API: routes, who a request is from, and how its body is read.
//!
//! Every `/v1` route and `/metrics` needs `Authorization: Bearer TOKEN`. A tenant's
//! token acts for that tenant alone; the admin token sees every tenant (dashboard,
//! metrics, events, the tenant list) and submits nothing. The dashboard page, the
//! `OpenAPI` document and `/healthz` need no token. A request's body is read whole,
//! under a size cap (413) and a deadline (408), before anything is decoded.

mod components;
mod dashboard;
mod events;
mod objects;
mod tasks;
pub(crate) mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::{AppState, Caller, TenantEntry};

/// The service's routes over its state.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/healthz", get(health))
        .route("/openapi.json", get(openapi))
        .route("/metrics", get(dashboard::metrics))
        .route("/v1/whoami", get(whoami))
        .route("/v1/tenants", get(dashboard::tenants))
        .route("/v1/dashboard", get(dashboard::snapshot))
        .route("/v1/events", get(events::stream))
        .route(
            "/v1/components",
            post(components::upload).get(components::list),
        )
        .route(
            "/v1/components/{id}",
            get(components::show).delete(components::delete),
        )
        .route("/v1/tasks", post(tasks::submit).get(tasks::list))
        .route("/v1/tasks/batch", post(tasks::batch))
        .route("/v1/tasks/{id}", get(tasks::show).delete(tasks::forget))
        .route("/v1/tasks/{id}/result", get(tasks::result))
        .route("/v1/tasks/{id}/cancel", post(tasks::cancel))
        .route("/v1/wait", post(tasks::wait))
        .route("/v1/objects", post(objects::put))
        .route(
            "/v1/objects/{id}",
            get(objects::show).delete(objects::forget),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The `OpenAPI` document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn health(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> ApiResult {
    if state.is_draining() {
        return Err(ApiError::shutting_down());
    }
    Ok(axum::Json(serde_json::json!({ "status": "ok" })).into_response())
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route `{}`: the API is described at /openapi.json",
            crate::units::shorten(uri.path())
        ),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "`{method}` is not a method of `{}`: the API is described at /openapi.json",
            crate::units::shorten(uri.path())
        ),
    )
}

async fn whoami(caller: Auth) -> ApiResult {
    let body = match caller.0 {
        Caller::Admin => serde_json::json!({ "admin": true, "tenant": null }),
        Caller::Tenant(t) => serde_json::json!({ "admin": false, "tenant": t.id }),
    };
    Ok(axum::Json(body).into_response())
}

pub type ApiResult = Result<axum::response::Response, ApiError>;

/// Who the request is from: its bearer token's owner. A tenant's request is taken
/// from its rate limit here.
#[derive(Debug)]
pub struct Auth(pub Caller);

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing token: send the header `Authorization: Bearer TOKEN`")
        })?;
        let token = crate::auth::bearer(header.as_bytes()).ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`")
        })?;
        let caller = state.caller(token).ok_or_else(|| {
            tracing::debug!(path = %parts.uri.path(), "refused a request with an unknown token");
            ApiError::unauthorized("unknown token")
        })?;
        if let Caller::Tenant(tenant) = &caller {
            tenant.take_request()?;
        }
        Ok(Auth(caller))
    }
}

/// A request that acts for a tenant: the admin token is refused (403).
#[derive(Debug)]
pub struct TenantAuth(pub Arc<TenantEntry>);

impl FromRequestParts<Arc<AppState>> for TenantAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        match Auth::from_request_parts(parts, state).await?.0 {
            Caller::Tenant(tenant) => Ok(TenantAuth(tenant)),
            Caller::Admin => Err(ApiError::forbidden(
                "admin_token",
                "the admin token acts for no tenant: use a tenant's token here",
            )),
        }
    }
}

/// Reads a request body whole: at most `limit` bytes, within the service's body
/// deadline.
pub async fn read_body(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than the limit of {} for this endpoint",
                wask_core::format_bytes(limit as u64)
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(body, limit);
    match tokio::time::timeout(state.http.body_timeout, read).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!(
                "the request body did not arrive within {} s",
                state.http.body_timeout.as_secs_f64()
            ),
        )),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(error) = source {
                if error.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large());
                }
                source = error.source();
            }
            Err(ApiError::bad_request(
                "bad_body",
                format!("the request body could not be read: {e}"),
            ))
        }
    }
}

/// A duration from a query string (`?wait=5s`), capped at the service's longest wait.
pub fn query_wait(state: &AppState, text: Option<&str>) -> Result<Duration, ApiError> {
    let Some(text) = text else {
        return Ok(Duration::ZERO);
    };
    let wait = crate::units::parse_duration(text)
        .map_err(|e| ApiError::bad_request("invalid_option", format!("wait: {e}")))?;
    Ok(wait.min(state.http.max_wait))
}
