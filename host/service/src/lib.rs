//! Wask's multi-tenant front door: an HTTP service over a [`wask::Runtime`].
//!
//! Tenants authenticate with a bearer token, upload components, submit calls (WAVE
//! text or JSON arguments, refs of earlier tasks among them), long-poll results, wait
//! on many, cancel, and follow their tasks as server-sent events, in `/metrics` and
//! on a live dashboard served by the service itself. The API is versioned under
//! `/v1` and described by the `OpenAPI` document at `/openapi.json`.
//!
//! The service uses only the runtime's tenant API: where tasks run (this process's
//! workers, or a cluster behind [`ServiceConfig::executor`]) is the runtime's
//! business. It follows task states through a [`wask::TaskObserver`] (the tracker).
//!
//! ```no_run
//! use std::path::Path;
//! use wask_service::{ServiceConfig, TenantsFile};
//! let tenants = TenantsFile::load(Path::new("tenants.toml"))?;
//! wask_service::run(ServiceConfig::default(), &tenants, "127.0.0.1:8080", |addr| {
//!     println!("listening on http://{addr}");
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layers: `tenants` (the file), `auth` (tokens), `state` (runtime, tenants,
//! components), `tracker` (the observer: states, metrics, events, history),
//! `registry` (each tenant's tasks), `request` (decoding and checking calls), `api`
//! (routes), `server` (connections, reload, graceful stop), `client` (what
//! `host submit` uses).

// Library code reports failures as values; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod api;
mod auth;
pub mod client;
mod components;
mod error;
mod ids;
mod metrics;
mod ratelimit;
mod registry;
mod request;
mod server;
mod state;
mod tenants;
mod tracker;
mod units;

pub use api::OPENAPI;
pub use auth::{TokenHash, new_token};
pub use server::{Service, run};
pub use state::{HttpConfig, ServiceConfig, ServiceError};
pub use tenants::{TenantSpec, TenantsError, TenantsFile};
pub use units::{parse_duration, parse_size};
