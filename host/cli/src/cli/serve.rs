//! `host serve`: the multi-tenant HTTP service, with its dashboard (the work is in
//! `wask-service`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use wask_service::{HttpConfig, ServiceConfig, TenantsFile};

use super::{Failure, parse_at_least_one, parse_duration, parse_size};

/// Serve tasks over HTTP to the tenants of a tenants file, with a live dashboard at
/// `/` and the API described at `/openapi.json`. SIGHUP reads the tenants file
/// again; SIGTERM or Ctrl-C stops gracefully (tasks in flight get --grace to finish)
/// and exits 0.
#[derive(Debug, clap::Args)]
pub struct ServeCommand {
    /// Address and port to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The tenants file (TOML): each tenant's token hash, limits, quotas and caps,
    /// and the admin token's hash
    #[arg(long, value_name = "FILE")]
    tenants: PathBuf,
    /// Run tasks on the NATS cluster at URL (its `host worker`s) instead of this
    /// process's workers
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// Worker threads, and so tasks run at once [default: CPU cores]
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_at_least_one)]
    parallel: Option<usize>,
    /// On SIGTERM, how long tasks in flight get to finish before they are cancelled
    /// [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    grace: Option<Duration>,
    /// Largest request body, except a component upload [default: 16M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_body: Option<usize>,
    /// Largest component upload [default: 64M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_component_size: Option<usize>,
    /// Connections open at once; more wait to be accepted [default: 4096]
    #[arg(long, value_name = "N", value_parser = parse_at_least_one)]
    max_connections: Option<usize>,
    /// Longest a long poll waits [default: 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_wait: Option<Duration>,
    /// Folder of the compiled-component cache [default: ~/.cache/wask/components]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every component afresh, without the cache
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl ServeCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let tenants = TenantsFile::load(&self.tenants)?;
        if tenants.tenants.is_empty() {
            return Err(Failure::BadInput(anyhow!(
                "{} names no tenants: add a [tenants.NAME] table with a token (`host token` makes one)",
                self.tenants.display()
            )));
        }
        let mut config = ServiceConfig {
            tenants_path: Some(self.tenants.clone()),
            http: HttpConfig::default(),
            ..ServiceConfig::default()
        };
        if let Some(url) = &self.nats {
            let driver = wask_cluster::Driver::connect(wask_cluster::ClusterOptions::new(url))
                .with_context(|| format!("cannot reach the cluster at {url}"))?;
            config.executor = Some(driver);
        }
        if let Some(n) = self.parallel {
            config.runtime.n_workers = n;
        }
        if self.no_cache {
            config.runtime.sandbox.cache_dir = None;
        } else if let Some(dir) = &self.cache_dir {
            config.runtime.sandbox.cache_dir = Some(dir.clone());
        }
        let http = &mut config.http;
        if let Some(grace) = self.grace {
            http.grace = grace;
        }
        if let Some(bytes) = self.max_body {
            http.max_body_bytes = bytes;
        }
        if let Some(bytes) = self.max_component_size {
            http.max_component_bytes = bytes;
        }
        if let Some(n) = self.max_connections {
            http.max_connections = n;
        }
        if let Some(wait) = self.max_wait {
            http.max_wait = wait;
        }
        wask_service::run(config, &tenants, &self.listen, |addr| {
            eprintln!(
                "wask: serving {} tenants on http://{addr}",
                tenants.tenants.len()
            );
        })
        .with_context(|| format!("host serve --listen {}", self.listen))?;
        Ok(ExitCode::SUCCESS)
    }
}
