//! The server: accepting connections, reloading the tenants file, and stopping
//! gracefully.
//!
//! Each connection is a task of its own with one owned state (hyper's HTTP/1
//! connection), watched by a graceful-shutdown handle. A connection must send a
//! request's headers within the header timeout, and at most `max-connections` are
//! open at once (more wait to be accepted).
//!
//! *Stopping* (the first SIGTERM or SIGINT, or the stop count in [`Service::serve`]):
//! the listener closes, new work is refused with 503, tasks in flight get the grace
//! period to finish, the ones left are cancelled, event streams end, and each
//! connection closes once its request is answered. A second signal skips the rest
//! of the grace period.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::state::{AppState, ServiceConfig, ServiceError};
use crate::tenants::TenantsFile;
use crate::tracker::lock;

/// How long connections get to finish their last answer once tasks are done.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// The service: its state and routes, ready to serve on a listener.
#[derive(Debug, Clone)]
pub struct Service {
    state: Arc<AppState>,
}

impl Service {
    /// Starts the runtime and adds the tenants. Call from outside an async context
    /// or within one: nothing here blocks on I/O.
    pub fn new(config: ServiceConfig, tenants: &TenantsFile) -> Result<Service, ServiceError> {
        Ok(Service {
            state: Arc::new(AppState::new(config, tenants)?),
        })
    }

    /// The routes, for serving or for calling in-process (tests).
    pub fn router(&self) -> axum::Router {
        crate::api::router(self.state.clone()).layer(axum::middleware::from_fn(log_request))
    }

    /// The runtime tasks run on.
    pub fn runtime(&self) -> &wask::Runtime {
        &self.state.runtime
    }

    /// Reads the tenants file again and puts it in force; a bad file changes
    /// nothing. Gives notes on what takes effect only at the next start.
    pub fn reload(&self) -> Result<Vec<String>, ServiceError> {
        let Some(path) = &self.state.tenants_path else {
            return Ok(vec!["no tenants file to read again".into()]);
        };
        let file = TenantsFile::load(path)?;
        self.state.apply(&file)
    }

    /// Reloads, logging what happened.
    fn reload_logged(&self) {
        match self.reload() {
            Ok(notes) => {
                tracing::info!("tenants file read again");
                for note in notes {
                    tracing::warn!("{note}");
                }
            }
            Err(e) => tracing::error!("tenants file not reloaded, the old one stays in force: {e}"),
        }
    }

    /// Serves on `listener` until `stop` counts a first stop, then stops gracefully
    /// (see the module docs); a second stop cuts the grace period short.
    pub async fn serve(&self, listener: TcpListener, mut stop: watch::Receiver<u32>) {
        let graceful = GracefulShutdown::new();
        let permits = Arc::new(Semaphore::new(self.state.http.max_connections));
        let app = self.router();
        let sampler = tokio::spawn(sample(self.state.clone()));
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit,
                _ = stop.wait_for(|n| *n >= 1) => break,
            };
            let Ok(permit) = permit else { break };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.wait_for(|n| *n >= 1) => break,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let service = hyper_util::service::TowerToHyperService::new(app.clone());
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(self.state.http.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        }
        drop(listener);
        self.drain(&mut stop).await;
        self.state.close();
        if tokio::time::timeout(CLOSE_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "some connections were still open after {CLOSE_TIMEOUT:?}; closing them"
            );
        }
        sampler.abort();
        tracing::info!("stopped");
    }

    /// Refuses new work, gives tasks in flight the grace period, then cancels the
    /// rest and waits (briefly) for them to resolve.
    async fn drain(&self, stop: &mut watch::Receiver<u32>) {
        let state = &self.state;
        state.start_draining();
        let in_flight = || -> i64 {
            state
                .tracker
                .tenants()
                .iter()
                .map(|t| {
                    t.metrics.queued.load(Ordering::Relaxed)
                        + t.metrics.running.load(Ordering::Relaxed)
                })
                .sum()
        };
        let grace = state.http.grace;
        tracing::info!(
            "stopping: no new work; {} tasks in flight get up to {:.1} s to finish",
            in_flight(),
            grace.as_secs_f64()
        );
        let deadline = Instant::now() + grace;
        while in_flight() > 0 && Instant::now() < deadline {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = stop.wait_for(|n| *n >= 2) => {
                    tracing::warn!("second stop signal: cancelling the tasks in flight now");
                    break;
                }
            }
        }
        let left = in_flight();
        if left > 0 {
            tracing::warn!("cancelling {left} tasks still in flight");
            for tenant in state.active_tenants() {
                let entries: Vec<_> = lock(&tenant.track.tasks)
                    .newest_first(None)
                    .filter(|e| !e.object.is_ready())
                    .cloned()
                    .collect();
                for entry in entries {
                    let _ = tenant.handle.cancel(&entry.object);
                }
            }
            let until = Instant::now() + Duration::from_secs(5);
            while in_flight() > 0 && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Records each tenant's history once a second.
async fn sample(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        state.tracker.sample(SystemTime::now());
    }
}

/// Logs each request (method, path, status, time; never its headers, so never a
/// token) at debug level.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        path = %crate::units::shorten(&path),
        status = response.status().as_u16(),
        micros = start.elapsed().as_micros(),
        "request"
    );
    response
}

/// Runs the service until SIGTERM or SIGINT (a second one cuts the grace period
/// short), reloading the tenants file on SIGHUP. `ready` is told the address it
/// listens on. Returns once it has stopped gracefully.
pub fn run(
    config: ServiceConfig,
    tenants: &TenantsFile,
    listen: &str,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServiceError> {
    let io = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wask-http")
        .build()?;
    let service = Service::new(config, tenants)?;
    let result = io.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut hangup = signal(SignalKind::hangup())?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|cause| ServiceError::Listen {
                addr: listen.to_owned(),
                cause,
            })?;
        let addr = listener.local_addr()?;
        let (stops, stop) = watch::channel(0u32);
        let reloader = service.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    Some(()) = hangup.recv() => reloader.reload_logged(),
                    Some(()) = terminate.recv() => { stops.send_modify(|n| *n += 1); }
                    Some(()) = interrupt.recv() => { stops.send_modify(|n| *n += 1); }
                    else => break,
                }
            }
        });
        tracing::info!("listening on http://{addr}");
        ready(addr);
        service.serve(listener, stop).await;
        Ok::<(), ServiceError>(())
    });
    // Stop the I/O threads first, then the runtime's workers (with the service).
    io.shutdown_timeout(Duration::from_secs(1));
    drop(service);
    result
}
