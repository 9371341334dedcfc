//! `GET /v1/events`: a server-sent-events stream of task events (`submitted`,
//! `started`, `finished`), the caller's own (the admin's: every tenant's, or one
//! tenant's with `?tenant=`). A reader that falls behind gets a `lagged` event
//! saying how many it missed. The stream ends when the service stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{ApiResult, Auth};
use crate::error::ApiError;
use crate::state::{AppState, Caller};
use crate::units::shorten;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    tenant: Option<String>,
}

pub async fn stream(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(
            "invalid_query",
            format!("{}; the one filter is tenant", e.body_text()),
        )
    })?;
    let only: Option<Arc<str>> = match (&caller, query.tenant) {
        (Caller::Tenant(t), None) => Some(t.id.as_str().into()),
        (Caller::Tenant(t), Some(asked)) if asked == t.id => Some(asked.into()),
        (Caller::Tenant(_), Some(asked)) => {
            return Err(ApiError::not_found("tenant", &shorten(&asked)));
        }
        (Caller::Admin, asked) => asked.map(Into::into),
    };
    if state.is_draining() {
        return Err(ApiError::shutting_down());
    }
    let events = state.tracker.subscribe();
    let closing = state.closing();
    let stream = stream::unfold(
        (events, closing, only),
        |(mut events, mut closing, only)| async move {
            loop {
                let received = tokio::select! {
                    received = events.recv() => received,
                    _ = closing.wait_for(|closed| *closed) => return None,
                };
                let event = match received {
                    Ok(event) => {
                        if only.as_deref().is_some_and(|t| t != event.tenant) {
                            continue;
                        }
                        SseEvent::default()
                            .event(event.kind)
                            .id(event.seq.to_string())
                            .json_data(&*event)
                            .unwrap_or_default()
                    }
                    Err(RecvError::Lagged(missed)) => SseEvent::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}")),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok::<_, Infallible>(event), (events, closing, only)));
            }
        },
    );
    Ok(sse(stream).into_response())
}

fn sse<S>(stream: S) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>>
where
    S: Stream<Item = Result<SseEvent, Infallible>> + Send + 'static,
{
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
