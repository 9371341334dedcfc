//! `host submit`: run calls on a `host serve` service as `host run` runs them here:
//! upload the component (idempotent), submit the calls as one batch, wait for each
//! result and print it in submission order.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde_json::{Value as Json, json};
use wask_core::escape_control;
use wask_service::client::Client;

use super::Failure;
use super::run::calls::{call_texts, read_capped};

/// Calls in one batch request.
const BATCH: usize = 1000;

/// Run calls on a Wask service (`host serve`): prints one result per call, in order,
/// as `host run` does.
#[derive(Debug, clap::Args)]
pub struct SubmitCommand {
    /// The service's address, such as `http://127.0.0.1:8080`
    #[arg(long, value_name = "URL")]
    server: String,
    /// The tenant's token [default: the environment variable `WASK_TOKEN`]
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// The component (.wasm) to upload and call; or give --component
    #[arg(required_unless_present = "component_id")]
    component: Option<PathBuf>,
    /// The content id (sha256:…) of a component uploaded before
    #[arg(long = "component", value_name = "ID", conflicts_with = "component")]
    component_id: Option<String>,
    /// A call in WAVE, such as 'fib(100)'; repeat for more
    #[arg(long, value_name = "CALL")]
    invoke: Vec<String>,
    /// A file of calls, one per line (- for stdin)
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Print each result as {"ok": value} or {"error": message}, one per line
    #[arg(long)]
    json: bool,
    /// Print the tasks' ids instead of waiting for their results
    #[arg(long)]
    no_wait: bool,
    /// Interrupt a task that runs longer than this (at most the tenant's cap)
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    timeout: Option<Duration>,
    /// Among the tenant's queued tasks, higher priority runs first
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    priority: Option<i32>,
    /// Run a task again after a trap, up to N more times
    #[arg(long, value_name = "N")]
    max_retries: Option<u32>,
}

impl SubmitCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let token = match &self.token {
            Some(t) => t.clone(),
            None => std::env::var("WASK_TOKEN")
                .context("no token: give --token TOKEN or set WASK_TOKEN to the tenant's token")?,
        };
        let texts = call_texts(&self.invoke, self.input.as_deref(), 256 << 20)?;
        let client = Client::new(&self.server, &token);
        let component = match (&self.component, &self.component_id) {
            (Some(path), _) => {
                let bytes = read_capped(path, 256 << 20, "component")?;
                let name = path
                    .file_name()
                    .map_or_else(|| "component.wasm".into(), |n| n.to_string_lossy());
                let uploaded = client
                    .upload(&bytes, &name)
                    .with_context(|| format!("cannot upload {}", path.display()))?;
                uploaded["id"]
                    .as_str()
                    .context("the service answered an upload without an id")?
                    .to_owned()
            }
            (None, Some(id)) => id.clone(),
            (None, None) => {
                return Err(Failure::BadInput(anyhow!(
                    "give a component file, or --component ID"
                )));
            }
        };
        let mut options = json!({});
        if let Some(t) = self.timeout {
            options["timeout"] = json!(t.as_secs_f64());
        }
        if let Some(p) = self.priority {
            options["priority"] = json!(p);
        }
        if let Some(n) = self.max_retries {
            options["max_retries"] = json!(n);
        }
        let start = Instant::now();
        let mut ids = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            let calls: Vec<Json> = chunk
                .iter()
                .map(|(_, text)| {
                    let mut call = options.clone();
                    call["call"] = json!(text);
                    call
                })
                .collect();
            let submitted = client.submit_batch(&component, &calls).with_context(|| {
                format!(
                    "the service refused the calls ({} to {}); nothing of them runs",
                    chunk[0].0,
                    chunk[chunk.len() - 1].0
                )
            })?;
            ids.extend(submitted);
        }
        let mut stdout = std::io::stdout().lock();
        if self.no_wait {
            for id in &ids {
                writeln!(stdout, "{id}").map_err(Failure::io)?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        let mut n_failed = 0;
        for id in &ids {
            let task = client.finished(id).map_err(Failure::io)?;
            let line = match (&task["error"], task["state"].as_str()) {
                (Json::Null, Some("succeeded")) => {
                    if self.json {
                        json!({ "ok": task["result"] }).to_string()
                    } else if let Some(wave) = task["result_wave"].as_str() {
                        escape_control(wave)
                    } else {
                        format!(
                            "<{}>",
                            task["result_omitted"].as_str().unwrap_or("no result")
                        )
                    }
                }
                (error, _) => {
                    n_failed += 1;
                    let message = error["message"].as_str().unwrap_or("the task failed");
                    if self.json {
                        json!({ "error": message }).to_string()
                    } else {
                        format!("error: {}", escape_control(message))
                    }
                }
            };
            writeln!(stdout, "{line}").map_err(Failure::io)?;
        }
        stdout.flush().map_err(Failure::io)?;
        let wall = start.elapsed().as_secs_f64();
        eprintln!(
            "{} tasks, {} ok, {n_failed} failed, {wall:.3} s",
            ids.len(),
            ids.len() - n_failed
        );
        Ok(if n_failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(super::EXIT_TASK_FAILED)
        })
    }
}
