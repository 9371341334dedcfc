//! `host run`: invoke a component's exports as parallel tasks and print the results.

pub(super) mod calls;
mod interrupt;
mod output;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use wask::{GetError, ObjectRef, Runtime, TaskComponent, TaskOptions, TaskOutput, Value};

use self::calls::{Planned, call_texts, expand_inputs, plan_calls};
use self::interrupt::Interrupt;
use self::output::Outputs;
use super::{EXIT_TASK_FAILED, Failure, RuntimeArgs};

/// Run a component's exported functions as tasks, in parallel.
///
/// Each invocation is a call in WAVE syntax, as with `wasmtime run --invoke`:
/// `fib(100)`, `greet("hi", [1, 2])`. When the component exports exactly one
/// function, the call may give only the arguments. Every call is checked against
/// the export's WIT signature before anything runs. Results print one line per
/// invocation, in submission order.
///
/// An argument written `@path` passes that file's contents: its bytes to a
/// `list<u8>` parameter, its text to a `string` one. With INPUTS (files, folders or
/// glob patterns), each call is made once per input file, and a bare `@` stands for
/// that file: `host run image-filters.wasm --invoke 'grayscale-blur(@)' images/
/// --output-dir out/`.
#[derive(Debug, clap::Args)]
pub struct RunCommand {
    /// The component (.wasm) whose exports to run
    component: PathBuf,
    /// Input files, folders (their files) or glob patterns: one call per file, as `@`
    #[arg(value_name = "INPUTS")]
    inputs: Vec<String>,
    /// A call to make, such as 'fib(100)'; may be given more than once
    #[arg(long, value_name = "CALL")]
    invoke: Vec<String>,
    /// A file of calls, one per line ('-' for stdin); blank lines and '#' lines are skipped
    #[arg(long, short = 'i', value_name = "FILE")]
    input: Option<PathBuf>,
    /// Run the whole list of calls this many times
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = super::parse_at_least_one)]
    repeat: usize,
    /// Print results as JSON lines: {"ok": value} or {"error": message}
    #[arg(long)]
    json: bool,
    /// Write each byte result (list<u8>, or the ok of a result) to a new file in DIR,
    /// named after its input file, and print the file's path instead of the bytes;
    /// an existing file is never overwritten
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Largest file read for an `@` argument or for --input [default: 256M]
    #[arg(long, value_name = "SIZE", value_parser = super::parse_size, default_value = "256M")]
    max_file_size: usize,
    /// Print each task's captured stdout and stderr to stderr, after its result
    #[arg(long)]
    show_output: bool,
    /// Run a task that traps again, up to N more times
    #[arg(long, default_value_t = 0, value_name = "N")]
    retries: u32,
    /// Answer each call from the memo folder when the same call ran before, and keep
    /// each success there: for pure tasks only (no unseeded randomness, no granted
    /// folder, no nested tasks, no sockets); they see fixed clocks
    #[arg(long)]
    memo: bool,
    /// Write a Chrome trace of the run (open it in Perfetto): one track per worker
    #[arg(long, value_name = "FILE")]
    timeline: Option<PathBuf>,
    /// Draw the run's timeline as SVG: one lane per worker, a bar per task
    #[arg(long, value_name = "FILE")]
    timeline_svg: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Tasks submitted ahead of the one being printed, per worker.
const IN_FLIGHT_PER_WORKER: usize = 64;

/// How long a wait for a result lasts before the run looks for a signal again.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// What a run has printed so far.
#[derive(Default)]
struct Tally {
    done: usize,
    failed: usize,
    /// Tasks planned that never printed, because a signal stopped the run.
    not_run: usize,
}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let max_file = self.max_file_size as u64;
        let texts = call_texts(&self.invoke, self.input.as_deref(), max_file)?;
        let inputs = expand_inputs(&self.inputs)?;
        let runtime = self.runtime.runtime()?;
        let component = load(&runtime, &self.component)?;
        // Check every call before any runs: one bad call runs nothing.
        let planned = plan_calls(&component, &texts, &inputs, max_file)?;
        let outputs = match &self.output_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create --output-dir {}", dir.display()))?;
                Some(Outputs::plan(dir, &planned, texts.len() > 1, self.repeat)?)
            }
            None => None,
        };

        let tracing = self.timeline.is_some() || self.timeline_svg.is_some();
        if tracing {
            runtime.start_timeline();
        }
        let mut interrupt = Interrupt::install().context("cannot install signal handlers")?;
        let started = Instant::now();
        let mut tally = Tally::default();
        let printed = self.run_all(
            &runtime,
            &planned,
            outputs.as_ref(),
            &mut interrupt,
            &mut tally,
        );
        let wall = started.elapsed();
        if let Err(Failure::ClosedPipe) = printed {
            return Err(Failure::ClosedPipe);
        }
        if tracing {
            self.write_timelines(&runtime, &component)
                .map_err(Failure::io)?;
        }
        let n_tasks = tally.done;
        let stopped = interrupt.signal().map_or_else(String::new, |sig| {
            format!(
                "; stopped by {}, {} tasks not run",
                Interrupt::name(sig),
                tally.not_run
            )
        });
        let memo = if self.memo {
            let stats = runtime.memo_stats();
            format!(
                "; memo: {} hits, {} stored{}",
                stats.hits,
                stats.stored,
                if stats.damaged > 0 {
                    format!(", {} damaged entries run again", stats.damaged)
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        };
        eprintln!(
            "tasks: {n_tasks}, ok: {}, failed: {}, wall: {:.3} s, {:.1} tasks/s{memo}{stopped}",
            n_tasks - tally.failed,
            tally.failed,
            wall.as_secs_f64(),
            n_tasks as f64 / wall.as_secs_f64().max(1e-9),
        );
        printed?;
        if let Some(sig) = interrupt.signal() {
            if interrupt.grace_over() {
                // Tasks that ignored their cancellation are still on the workers:
                // leave them behind rather than wait for them at shutdown.
                std::mem::forget(runtime);
            }
            return Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(130)));
        }
        Ok(if tally.failed > 0 {
            ExitCode::from(EXIT_TASK_FAILED)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// Submits every planned call `--repeat` times, ahead of printing by a bounded
    /// window, and prints each result in submission order. On a failed write the
    /// tasks still in flight are cancelled; on a signal, submitting stops, the tasks in
    /// flight are cancelled and printed as they end, within a grace period.
    fn run_all(
        &self,
        runtime: &Runtime,
        planned: &[Planned],
        outputs: Option<&Outputs>,
        interrupt: &mut Interrupt,
        tally: &mut Tally,
    ) -> Result<(), Failure> {
        let options = TaskOptions {
            max_retries: self.retries,
            memo: self.memo,
            ..TaskOptions::default()
        };
        let n_tasks = planned.len() * self.repeat;
        // Submit ahead of printing by a bounded window, so memory stays flat however
        // many tasks a batch holds, while every worker stays busy.
        let window = IN_FLIGHT_PER_WORKER * runtime.n_workers();
        let mut order = (0..self.repeat).flat_map(|_| planned.iter());
        let mut in_flight: VecDeque<(&Planned, ObjectRef)> = VecDeque::with_capacity(window);
        let progress = indicatif::ProgressBar::with_draw_target(
            Some(n_tasks as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let mut stdout = std::io::stdout().lock();
        let mut printed = Ok(());
        for idx in 0..n_tasks {
            while in_flight.len() < window && interrupt.signal().is_none() {
                let Some(p) = order.next() else { break };
                let object = runtime
                    .call(p.call.clone())
                    .options(options.clone())
                    .submit()?;
                in_flight.push_back((p, object));
            }
            let Some((p, object)) = in_flight.pop_front() else {
                break;
            };
            let Some(outcome) = wait(runtime, &object, &in_flight, interrupt) else {
                // The grace period ran out: what is still running is left behind.
                in_flight.push_front((p, object));
                break;
            };
            let line = self.result_line(outcome, &object, p, idx, outputs, &progress);
            tally.done += 1;
            tally.failed += usize::from(matches!(line, Ok((_, false))));
            printed = line.and_then(|(line, _)| {
                progress
                    .suspend(|| writeln!(stdout, "{line}"))
                    .map_err(Failure::io)
            });
            if printed.is_err() {
                break;
            }
            progress.inc(1);
        }
        progress.finish_and_clear();
        tally.not_run = n_tasks - tally.done;
        if printed.is_ok() {
            printed = stdout.flush().map_err(Failure::io);
        }
        if printed.is_err() {
            for (_, object) in &in_flight {
                let _ = runtime.cancel(object);
            }
        }
        printed
    }

    /// The line to print for a task's outcome, and whether it succeeded.
    fn result_line(
        &self,
        outcome: Result<std::sync::Arc<TaskOutput>, GetError>,
        object: &ObjectRef,
        planned: &Planned,
        idx: usize,
        outputs: Option<&Outputs>,
        progress: &indicatif::ProgressBar,
    ) -> Result<(String, bool), Failure> {
        match outcome {
            Ok(output) => {
                if self.show_output {
                    progress.suspend(|| show_output(idx, &output.stdout, &output.stderr));
                }
                let line = self.success_line(&output.value, planned, idx, outputs)?;
                Ok((line, true))
            }
            Err(e) => {
                if let (
                    true,
                    wask::GetError::Task {
                        error: wask::TaskError::Trap { stderr, .. },
                        ..
                    },
                ) = (self.show_output, &e)
                {
                    progress.suspend(|| show_output(idx, &[], stderr.as_bytes()));
                }
                Ok((self.error_line(&e.to_string(), object.attempts()), false))
            }
        }
    }

    /// The line printed for a failed task: one line, whatever the message holds.
    fn error_line(&self, message: &str, attempts: u32) -> String {
        let mut message = wask_core::escape_control(message);
        if attempts > 1 {
            let _ = write!(message, " (after {attempts} attempts)");
        }
        if self.json {
            serde_json::json!({ "error": message }).to_string()
        } else {
            format!("error: {message}")
        }
    }

    /// The line printed for a value; with --output-dir, bytes go to a file instead.
    fn success_line(
        &self,
        value: &Value,
        planned: &Planned,
        idx: usize,
        outputs: Option<&Outputs>,
    ) -> Result<String, Failure> {
        if let (Some(outputs), Some(bytes)) = (outputs, value.to_bytes()) {
            let path = outputs.write(idx, planned, &bytes).map_err(Failure::io)?;
            let shown = path.display().to_string();
            return Ok(if self.json {
                serde_json::json!({ "ok": { "file": shown, "bytes": bytes.len() } }).to_string()
            } else {
                Value::String(shown).to_string()
            });
        }
        Ok(if self.json {
            serde_json::json!({ "ok": value.to_json() }).to_string()
        } else {
            value.to_string()
        })
    }

    fn write_timelines(&self, runtime: &Runtime, component: &TaskComponent) -> anyhow::Result<()> {
        let timeline = runtime.take_timeline();
        if let Some(path) = &self.timeline {
            std::fs::File::create(path)
                .and_then(|file| timeline.write_chrome_trace(file))
                .with_context(|| format!("cannot write --timeline {}", path.display()))?;
        }
        if let Some(path) = &self.timeline_svg {
            let title = format!("host run {}", component.name());
            std::fs::write(path, timeline.to_svg(&title))
                .with_context(|| format!("cannot write --timeline-svg {}", path.display()))?;
        }
        Ok(())
    }
}

/// Waits for one task's outcome, watching for a signal: when one comes, the task and
/// every task in flight are cancelled. `None` when the grace period after that ran out.
fn wait(
    runtime: &Runtime,
    object: &ObjectRef,
    in_flight: &VecDeque<(&Planned, ObjectRef)>,
    interrupt: &mut Interrupt,
) -> Option<Result<std::sync::Arc<TaskOutput>, GetError>> {
    loop {
        if interrupt.should_cancel() {
            let _ = runtime.cancel(object);
            for (_, other) in in_flight {
                let _ = runtime.cancel(other);
            }
        }
        match runtime.get_output(object, Some(POLL)) {
            Err(GetError::Timeout { .. }) if interrupt.grace_over() => return None,
            Err(GetError::Timeout { .. }) => {}
            outcome => return Some(outcome),
        }
    }
}

/// Loads the component. Compiling it (when the cache does not have it) shows a spinner
/// with its size and the time so far, on a terminal: a Python component takes tens of
/// seconds, once.
fn load(runtime: &Runtime, path: &Path) -> Result<TaskComponent, wask::LoadError> {
    if !std::io::stderr().is_terminal()
        || std::fs::read(path).map_or(true, |bytes| runtime.is_cached(&bytes))
    {
        return runtime.load(path);
    }
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let spinner = super::spinner(format!(
        "compiling {name} ({}) to native code, once: later runs take it from the cache",
        super::human_size(size)
    ));
    let loaded = runtime.load(path);
    spinner.finish_and_clear();
    loaded
}

/// Prints a task's captured output to stderr, each line marked with the task's index.
fn show_output(idx: usize, stdout: &[u8], stderr: &[u8]) {
    for (name, bytes) in [("stdout", stdout), ("stderr", stderr)] {
        for line in String::from_utf8_lossy(bytes).lines() {
            eprintln!("[task {idx} {name}] {}", wask_core::escape_control(line));
        }
    }
}
