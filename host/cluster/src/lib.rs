//! Wask's cluster mode, on NATS JetStream: the same refs, `get`, `wait`, `put` and
//! `cancel` as the local runtime, with tasks run by worker processes on any number of
//! machines.
//!
//! A *driver* ([`Driver`]) is the [`wask::Executor`] of a [`wask::Runtime`]: the runtime
//! still checks every call, makes the refs and holds each task until its inputs are
//! ready; the driver then ships the task's component (once, by SHA-256) and publishes
//! the task to the tenant's subject, and resolves the ref when the result appears in
//! the results bucket. A *worker* ([`run_worker`]) pulls tasks from its tenants'
//! consumers, at most as many as it has free slots, runs each in a fresh sandbox of its
//! own local runtime, writes the result (create-only: the first completion wins) and
//! acknowledges the message. See [`names`] for every subject, bucket and key.
//!
//! Delivery is at least once with exactly one visible result: a task whose worker dies
//! is redelivered to another after its ack wait; a worker renews that wait with
//! progress acks while a task runs; a task whose workers were lost more than the
//! allowed number of times ends with [`wask_core::TaskError::WorkerLost`].

mod driver;
mod message;
pub mod names;
mod setup;
mod worker;

use std::time::Duration;

pub use driver::Driver;
pub use worker::{WorkerOptions, run_worker};

/// How to reach the cluster, and its delivery settings.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The NATS server, such as `nats://127.0.0.1:4222`.
    pub url: String,
    /// How long a worker may hold a task without a sign of life (a progress ack)
    /// before the task is given to another worker.
    pub ack_wait: Duration,
    /// Times a task is given to another worker after its worker was lost.
    pub lost_worker_retries: u32,
    /// How long connecting may take before it is an error.
    pub connect_timeout: Duration,
}

impl ClusterOptions {
    pub fn new(url: &str) -> Self {
        ClusterOptions {
            url: url.to_owned(),
            ack_wait: Duration::from_secs(10),
            lost_worker_retries: 3,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the cluster could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot connect to the NATS server at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("NATS refused {what}: {message}")]
    Nats { what: String, message: String },
    #[error("a bad {what}: {problem}")]
    Message { what: String, problem: String },
    #[error("cannot start the cluster client: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Setup(#[from] wask_core::SetupError),
}

/// Connects to NATS with the settings both drivers and workers use: reconnecting
/// for ever, with an event stream for the watchers that must reopen after a restart.
async fn connect(
    options: &ClusterOptions,
    name: &str,
    events: tokio::sync::broadcast::Sender<async_nats::Event>,
) -> Result<async_nats::Client, ClusterError> {
    let fail = |message: String| ClusterError::Connect {
        url: options.url.clone(),
        message,
    };
    let connecting = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None::<usize>)
        .reconnect_delay_callback(|n| Duration::from_millis((50 * n as u64).min(1000)))
        .ping_interval(Duration::from_secs(5))
        .connection_timeout(options.connect_timeout)
        .request_timeout(Some(Duration::from_secs(10)))
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                tracing::debug!("nats: {event}");
                let _ = events.send(event);
            }
        })
        .connect(&options.url)
        .await
        .map_err(|e| fail(e.to_string()))?;
    // The first request waits for the connection, up to its timeout.
    let probe = tokio::time::timeout(options.connect_timeout, connecting.flush()).await;
    match probe {
        Ok(Ok(())) => Ok(connecting),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail(format!(
            "no answer within {:?}; is nats-server running with JetStream (-js)?",
            options.connect_timeout
        ))),
    }
}
