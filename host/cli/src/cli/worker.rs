//! `host worker`: serve a Wask cluster on NATS JetStream, running its tasks here.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::{Failure, parse_at_least_one, parse_duration};

/// Serve a Wask cluster: pull tasks from NATS JetStream and run each in a fresh
/// sandbox, at most SLOTS at once, until SIGTERM or SIGINT.
///
/// On SIGTERM or SIGINT the worker stops pulling, lets its running tasks finish within
/// --grace, hands the rest back to the queue for other workers, and exits 0.
#[derive(Debug, clap::Args)]
pub struct WorkerCommand {
    /// The NATS server, such as `nats://127.0.0.1:4222`
    #[arg(long, value_name = "URL")]
    nats: String,
    /// Tasks run at once [default: CPU cores]
    #[arg(long, value_name = "N", value_parser = parse_at_least_one)]
    slots: Option<usize>,
    /// Serve only these tenants (comma-separated) [default: all]
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    tenants: Option<Vec<String>>,
    /// Folder of the compiled-component cache [default: ~/.cache/wask/components]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// A host folder tasks may be granted read access to (tasks asking for others fail)
    #[arg(long, value_name = "DIR")]
    allow_read: Vec<PathBuf>,
    /// How long running tasks get to finish when the worker is stopped [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    grace: Option<Duration>,
    /// How long a task may go without a sign of life before another worker gets it [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    ack_wait: Option<Duration>,
    /// Largest component this worker loads [default: 256M]
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size)]
    max_component_size: Option<usize>,
}

impl WorkerCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let mut cluster = wask_cluster::ClusterOptions::new(&self.nats);
        if let Some(ack_wait) = self.ack_wait {
            cluster.ack_wait = ack_wait;
        }
        let mut runtime = wask::RuntimeConfig::default();
        if let Some(dir) = &self.cache_dir {
            runtime.sandbox.cache_dir = Some(dir.clone());
        }
        if let Some(bytes) = self.max_component_size {
            runtime.sandbox.max_component_bytes = bytes as u64;
        }
        let options = wask_cluster::WorkerOptions {
            cluster,
            slots: self.slots.unwrap_or(runtime.n_workers),
            tenants: self.tenants,
            runtime,
            allow_read: self.allow_read,
            grace: self.grace.unwrap_or(Duration::from_secs(10)),
        };
        let async_runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wask-worker-io")
            .enable_all()
            .build()
            .context("cannot start the worker's async runtime")?;
        async_runtime.block_on(wask_cluster::run_worker(options, stop_signal()))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Resolves on the first SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without handlers the process still ends on a signal, just not gracefully.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
