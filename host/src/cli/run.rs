//! `host run`: invoke a component's exports as parallel tasks and print the results.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use wask::sandbox::{value_to_json, value_to_wave};
use wask::{Runtime, TaskOptions};

use super::{EXIT_TASK_FAILED, RuntimeArgs};

/// Run a component's exported functions as tasks, in parallel.
///
/// Each invocation is a call in WAVE syntax, as with `wasmtime run --invoke`:
/// `fib(100)`, `greet("hi", [1, 2])`. When the component exports exactly one
/// function, the call may give only the arguments. Every call is checked against
/// the export's WIT signature before anything runs. Results print one line per
/// invocation, in submission order.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// The component (.wasm) whose exports to run
    component: PathBuf,
    /// A call to make, such as 'fib(100)'; may be given more than once
    #[arg(long, value_name = "CALL")]
    invoke: Vec<String>,
    /// A file of calls, one per line ('-' for stdin); blank lines and '#' lines are skipped
    #[arg(long, short = 'i', value_name = "FILE")]
    input: Option<PathBuf>,
    /// Run the whole list of calls this many times
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Print results as JSON lines: {"ok": value} or {"error": message}
    #[arg(long)]
    json: bool,
    /// Interrupt a task that runs longer than this many seconds
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

impl RunCommand {
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let texts = self.call_texts()?;
        let timeout = self
            .timeout
            .map(|s| {
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .with_context(|| {
                        format!("--timeout: expected a positive number of seconds, got {s}")
                    })
            })
            .transpose()?;
        let runtime = Runtime::new(self.runtime.config())?;
        let component = runtime.load(&self.component)?;
        // Check every call before any runs: one bad line runs nothing.
        let calls = texts
            .iter()
            .map(|(origin, text)| component.parse_call(text).with_context(|| origin.clone()))
            .collect::<anyhow::Result<Vec<_>>>()?;

        let started = Instant::now();
        let options = TaskOptions { timeout };
        let mut refs = Vec::with_capacity(calls.len() * self.repeat);
        for _ in 0..self.repeat {
            refs.extend(
                calls
                    .iter()
                    .map(|call| runtime.submit_with(call.clone(), options)),
            );
        }
        let mut stdout = std::io::stdout().lock();
        let mut n_failed = 0;
        for object in &refs {
            let line = match runtime.get(object, None) {
                Ok(value) if self.json => {
                    serde_json::json!({ "ok": value_to_json(&value) }).to_string()
                }
                Ok(value) => value_to_wave(&value),
                Err(e) => {
                    n_failed += 1;
                    // One line per invocation, whatever the message holds.
                    let message = e.to_string().replace('\n', " ");
                    if self.json {
                        serde_json::json!({ "error": message }).to_string()
                    } else {
                        format!("error: {message}")
                    }
                }
            };
            writeln!(stdout, "{line}")?;
        }
        stdout.flush()?;
        let wall = started.elapsed();
        let n_tasks = refs.len();
        eprintln!(
            "tasks: {n_tasks}, ok: {}, failed: {n_failed}, wall: {:.3} s, {:.1} tasks/s",
            n_tasks - n_failed,
            wall.as_secs_f64(),
            n_tasks as f64 / wall.as_secs_f64().max(1e-9),
        );
        Ok(if n_failed > 0 {
            ExitCode::from(EXIT_TASK_FAILED)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// The calls to make, each with where it came from (for error messages).
    fn call_texts(&self) -> anyhow::Result<Vec<(String, String)>> {
        if self.repeat == 0 {
            anyhow::bail!("--repeat: expected a whole number of at least 1, got 0");
        }
        let mut texts: Vec<(String, String)> = self
            .invoke
            .iter()
            .map(|t| (format!("--invoke '{t}'"), t.clone()))
            .collect();
        if let Some(input) = &self.input {
            let (name, reader): (String, Box<dyn BufRead>) = if input.as_os_str() == "-" {
                ("stdin".into(), Box::new(std::io::stdin().lock()))
            } else {
                let file = std::fs::File::open(input)
                    .with_context(|| format!("cannot read calls from {}", input.display()))?;
                (
                    input.display().to_string(),
                    Box::new(std::io::BufReader::new(file)),
                )
            };
            for (n, line) in reader.lines().enumerate() {
                let line = line.with_context(|| format!("cannot read calls from {name}"))?;
                let text = line.trim();
                if !text.is_empty() && !text.starts_with('#') {
                    texts.push((format!("{name} line {}", n + 1), text.to_owned()));
                }
            }
        }
        if texts.is_empty() {
            anyhow::bail!(
                "nothing to run: give a call with --invoke 'name(args)', or a file of calls with --input FILE (- for stdin)"
            );
        }
        Ok(texts)
    }
}
