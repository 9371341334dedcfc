//! A blocking client of the service's API, as `host submit` uses it: upload a
//! component, submit calls, and wait for their results.
//!
//! It speaks plain HTTP; put TLS in front of the service (see SECURITY.md) and reach
//! it through a local tunnel or proxy if the network between needs it.

use std::time::Duration;

use serde_json::{Value as Json, json};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error.
    #[error("the service answered {status} ({code}): {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The service could not be reached, or the connection broke.
    #[error("cannot reach {server}: {cause}")]
    Transport { server: String, cause: String },
    /// The answer was not what the API describes.
    #[error("unexpected answer from {server}: {message}")]
    Decode { server: String, message: String },
}

/// An answer: status, content type and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Option<Json> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A client of one service, with one token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: String,
    agent: ureq::Agent,
}

/// The longest a single long poll asks to wait.
const POLL: Duration = Duration::from_secs(30);

impl Client {
    /// A client of the service at `server` (`http://host:port`).
    pub fn new(server: &str, token: &str) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(POLL + Duration::from_secs(30)))
            .build()
            .into();
        Client {
            base: server.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            agent,
        }
    }

    /// Sends one request; `body` is its content type and bytes.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Reply, ClientError> {
        let transport = |cause: String| ClientError::Transport {
            server: self.base.clone(),
            cause,
        };
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token));
        if let Some((content_type, _)) = body {
            builder = builder.header("content-type", content_type);
        }
        let request = builder
            .body(body.map(|(_, b)| b.to_vec()).unwrap_or_default())
            .map_err(|e| transport(e.to_string()))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| transport(e.to_string()))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .map_err(|e| transport(e.to_string()))?;
        Ok(Reply {
            status,
            content_type,
            retry_after,
            body,
        })
    }

    /// Sends a request whose answer must be 2xx JSON.
    pub fn call_json(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Json, ClientError> {
        let reply = self.call(method, path, body)?;
        let json = reply.json();
        if (200..300).contains(&reply.status) {
            return json.ok_or_else(|| ClientError::Decode {
                server: self.base.clone(),
                message: format!("a {} answer that is not JSON", reply.status),
            });
        }
        let error = json.as_ref().and_then(|j| j.get("error"));
        Err(ClientError::Api {
            status: reply.status,
            code: error
                .and_then(|e| e["code"].as_str())
                .unwrap_or("unknown")
                .to_owned(),
            message: error.and_then(|e| e["message"].as_str()).map_or_else(
                || String::from_utf8_lossy(&reply.body).into_owned(),
                str::to_owned,
            ),
        })
    }

    /// Uploads a component's bytes; gives its JSON (its `id`, exports and more).
    pub fn upload(&self, bytes: &[u8], name: &str) -> Result<Json, ClientError> {
        let name: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.call_json(
            "POST",
            &format!("/v1/components?name={name}"),
            Some(("application/wasm", bytes)),
        )
    }

    /// Submits calls as one batch; gives their ids in order.
    pub fn submit_batch(
        &self,
        component: &str,
        calls: &[Json],
    ) -> Result<Vec<String>, ClientError> {
        let body = json!({ "component": component, "tasks": calls });
        let answer = self.call_json(
            "POST",
            "/v1/tasks/batch",
            Some(("application/json", body.to_string().as_bytes())),
        )?;
        answer["ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| ClientError::Decode {
                server: self.base.clone(),
                message: "a batch answer without `ids`".into(),
            })
    }

    /// The task, once it has finished (long polls until it has).
    pub fn finished(&self, id: &str) -> Result<Json, ClientError> {
        loop {
            let task = self.call_json(
                "GET",
                &format!("/v1/tasks/{id}?wait={}s", POLL.as_secs()),
                None,
            )?;
            if !matches!(task["state"].as_str(), Some("queued" | "running")) {
                return Ok(task);
            }
        }
    }
}
