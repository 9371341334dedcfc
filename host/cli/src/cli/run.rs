//! `host run`: invoke a component's exports as parallel tasks and print the results.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use wask::{Call, ObjectRef, Runtime, TaskComponent, TaskOptions, Value, ValueType};

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
    /// Write each byte result (list<u8>, or the ok of a result) to a file in DIR,
    /// named after its input file, and print the file's path instead of the bytes
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Print each task's captured stdout and stderr to stderr, after its result
    #[arg(long)]
    show_output: bool,
    /// Run a task that traps again, up to N more times
    #[arg(long, default_value_t = 0, value_name = "N")]
    retries: u32,
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

/// One invocation to make.
struct Planned {
    call: Call,
    /// The input file that `@` stood for, if any.
    input: Option<PathBuf>,
}

/// What a run has printed so far.
#[derive(Default)]
struct Tally {
    n_done: usize,
    n_failed: usize,
}

impl RunCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let texts = self.call_texts()?;
        let inputs = expand_inputs(&self.inputs)?;
        let runtime = Runtime::new(self.runtime.config())?;
        let component = load(&runtime, &self.component)?;
        // Check every call before any runs: one bad call runs nothing.
        let planned = plan_calls(&component, &texts, &inputs)?;
        if let Some(dir) = &self.output_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create --output-dir {}", dir.display()))?;
        }

        let tracing = self.timeline.is_some() || self.timeline_svg.is_some();
        if tracing {
            runtime.start_timeline();
        }
        let started = Instant::now();
        let mut tally = Tally::default();
        let printed = self.run_all(&runtime, &planned, texts.len() > 1, &mut tally);
        let wall = started.elapsed();
        if let Err(Failure::ClosedPipe) = printed {
            return Err(Failure::ClosedPipe);
        }
        if tracing {
            self.write_timelines(&runtime, &component)
                .map_err(Failure::io)?;
        }
        let n_tasks = tally.n_done;
        eprintln!(
            "tasks: {n_tasks}, ok: {}, failed: {}, wall: {:.3} s, {:.1} tasks/s",
            n_tasks - tally.n_failed,
            tally.n_failed,
            wall.as_secs_f64(),
            n_tasks as f64 / wall.as_secs_f64().max(1e-9),
        );
        printed?;
        Ok(if tally.n_failed > 0 {
            ExitCode::from(EXIT_TASK_FAILED)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// Submits every planned call `--repeat` times, ahead of printing by a bounded
    /// window, and prints each result in submission order. On a failed write the
    /// tasks still in flight are cancelled.
    fn run_all(
        &self,
        runtime: &Runtime,
        planned: &[Planned],
        multi_template: bool,
        tally: &mut Tally,
    ) -> Result<(), Failure> {
        let options = TaskOptions {
            max_retries: self.retries,
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
            while in_flight.len() < window {
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
            let line = self.result_line(runtime, &object, p, idx, multi_template, &progress);
            tally.n_done += 1;
            tally.n_failed += usize::from(matches!(line, Ok((_, false))));
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

    /// Waits for one task and gives the line to print for it, and whether it succeeded.
    fn result_line(
        &self,
        runtime: &Runtime,
        object: &ObjectRef,
        planned: &Planned,
        idx: usize,
        multi_template: bool,
        progress: &indicatif::ProgressBar,
    ) -> Result<(String, bool), Failure> {
        match runtime.get_output(object, None) {
            Ok(output) => {
                if self.show_output {
                    progress.suspend(|| show_output(idx, &output.stdout, &output.stderr));
                }
                let line = self.success_line(&output.value, planned, idx, multi_template)?;
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
        multi_template: bool,
    ) -> Result<String, Failure> {
        if let (Some(dir), Some(bytes)) = (&self.output_dir, value.to_bytes()) {
            let path = output_path(dir, planned, idx, &bytes, multi_template);
            std::fs::write(&path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))
                .map_err(Failure::io)?;
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
            let json = serde_json::to_string(&timeline.to_chrome_trace())?;
            std::fs::write(path, json)
                .with_context(|| format!("cannot write --timeline {}", path.display()))?;
        }
        if let Some(path) = &self.timeline_svg {
            let title = format!("host run {}", component.name());
            std::fs::write(path, timeline.to_svg(&title))
                .with_context(|| format!("cannot write --timeline-svg {}", path.display()))?;
        }
        Ok(())
    }

    /// The call templates, each with where it came from (for error messages).
    fn call_texts(&self) -> anyhow::Result<Vec<(String, String)>> {
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
            bail!(
                "nothing to run: give a call with --invoke 'name(args)', or a file of calls with --input FILE (- for stdin)"
            );
        }
        Ok(texts)
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

/// Input files: each folder gives its files (sorted), each glob pattern its matches.
fn expand_inputs(inputs: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if path.is_dir() {
            let mut in_dir: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list input folder {input}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            if in_dir.is_empty() {
                bail!("input folder {input} has no files");
            }
            in_dir.sort();
            files.extend(in_dir);
        } else if path.exists() {
            files.push(path.to_owned());
        } else if input.contains(['*', '?', '[']) {
            let matches: Vec<PathBuf> = glob::glob(input)
                .with_context(|| format!("bad glob pattern {input}"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if matches.is_empty() {
                bail!("glob pattern {input} matches no files");
            }
            files.extend(matches);
        } else {
            bail!("input {input} does not exist: expected a file, a folder or a glob pattern");
        }
    }
    Ok(files)
}

/// Every call to make, checked against its export's signature.
fn plan_calls(
    component: &TaskComponent,
    texts: &[(String, String)],
    inputs: &[PathBuf],
) -> anyhow::Result<Vec<Planned>> {
    let mut planned = Vec::new();
    for (origin, text) in texts {
        let template = FileArgs::find(text);
        if inputs.is_empty() {
            let call = template
                .bind(component, text, None)
                .with_context(|| origin.clone())?;
            planned.push(Planned { call, input: None });
            continue;
        }
        if !template.uses_input() {
            bail!("{origin}: input files were given, but the call has no bare `@` to take them");
        }
        for input in inputs {
            let call = template
                .bind(component, text, Some(input))
                .with_context(|| format!("{origin} with input {}", input.display()))?;
            planned.push(Planned {
                call,
                input: Some(input.clone()),
            });
        }
    }
    Ok(planned)
}

/// The `@path` and bare `@` arguments of a call text.
struct FileArgs {
    /// The text with each `@...` argument replaced by `[]`, which parses for any list.
    text: String,
    /// (argument position, path; `None` for a bare `@`).
    args: Vec<(usize, Option<PathBuf>)>,
}

impl FileArgs {
    /// Finds `@` arguments: an `@` that starts an argument of the call, outside strings.
    fn find(text: &str) -> FileArgs {
        let mut out = String::with_capacity(text.len());
        let mut args = Vec::new();
        let (mut depth, mut position) = (0usize, 0usize);
        let mut at_arg_start = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' | '\'' => {
                    // Copy a string or char literal whole, with its escapes.
                    out.push(c);
                    while let Some((_, d)) = chars.next() {
                        out.push(d);
                        if d == '\\' {
                            if let Some((_, e)) = chars.next() {
                                out.push(e);
                            }
                        } else if d == c {
                            break;
                        }
                    }
                    at_arg_start = false;
                    continue;
                }
                '@' if depth == 1 && at_arg_start => {
                    let rest = &text[i + 1..];
                    let len = rest.find([',', ')']).unwrap_or(rest.len());
                    let path = rest[..len].trim();
                    args.push((position, (!path.is_empty()).then(|| PathBuf::from(path))));
                    out.push_str("[]");
                    for _ in 0..rest[..len].chars().count() {
                        chars.next();
                    }
                    at_arg_start = false;
                    continue;
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    at_arg_start = depth == 1;
                }
                ')' | ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    at_arg_start = false;
                }
                ',' if depth == 1 => {
                    position += 1;
                    at_arg_start = true;
                }
                c if c.is_whitespace() => {}
                _ => at_arg_start = false,
            }
            out.push(c);
        }
        FileArgs { text: out, args }
    }

    fn uses_input(&self) -> bool {
        self.args.iter().any(|(_, path)| path.is_none())
    }

    /// Parses the call and puts each file's contents in place of its `@` argument.
    fn bind(
        &self,
        component: &TaskComponent,
        original: &str,
        input: Option<&Path>,
    ) -> anyhow::Result<Call> {
        if self.args.is_empty() {
            return Ok(component.parse_call(original)?);
        }
        let parsed = component.parse_call(&self.text)?;
        let func = parsed.function();
        let mut args = parsed.args().to_vec();
        for (position, path) in &self.args {
            let path = match (path, input) {
                (Some(path), _) => path.as_path(),
                (None, Some(input)) => input,
                (None, None) => bail!(
                    "a bare `@` stands for each input file, but no input files were given; write @path or add INPUTS"
                ),
            };
            let (name, ty) = &func.signature().params()[*position];
            let contents = std::fs::read(path).with_context(|| {
                format!("cannot read {} for parameter `{name}`", path.display())
            })?;
            args[*position] = if ty.is_bytes() {
                Value::bytes(&contents)
            } else if *ty == ValueType::String {
                Value::String(String::from_utf8(contents).with_context(|| {
                    format!(
                        "{} is not UTF-8 text, as the string parameter `{name}` needs",
                        path.display()
                    )
                })?)
            } else {
                bail!(
                    "`@` passes a file's contents, which fit a list<u8> or string parameter; parameter `{name}` of `{}` is another type",
                    func.name()
                );
            };
        }
        Ok(component.call(func.name(), args)?)
    }
}

/// Where a byte result goes: named after its input (or numbered by invocation), with
/// the extension its contents show (PNG, JPEG), or else the input's.
fn output_path(
    dir: &Path,
    planned: &Planned,
    idx: usize,
    bytes: &[u8],
    multi_template: bool,
) -> PathBuf {
    let stem = planned
        .input
        .as_deref()
        .and_then(Path::file_stem)
        .map_or_else(
            || format!("result-{idx}"),
            |s| s.to_string_lossy().into_owned(),
        );
    let ext = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "png".to_owned()
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "jpg".to_owned()
    } else {
        planned
            .input
            .as_deref()
            .and_then(Path::extension)
            .map_or_else(|| "bin".into(), |e| e.to_string_lossy().into_owned())
    };
    let func = planned.call.function().name();
    let name = if multi_template || planned.input.is_none() {
        format!("{stem}.{func}.{ext}")
    } else {
        format!("{stem}.{ext}")
    };
    dir.join(name)
}
