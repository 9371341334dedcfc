//! The seed demo, as `cargo xtask demo` runs it: the seed chapter's three cases, each
//! run serially and then in parallel, written against the library as a Ray user writes
//! against Ray; with `--python`, cases 1 and 2 again with the seed's own Python code.
//!
//! `cargo run --release -p wask-cli --example seed_demo -- --fibonacci fibonacci.wasm ...`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use wask::{Call, GetError, Runtime, RuntimeConfig, Timeline, Value};

/// Run the seed chapter's cases serially and then in parallel, check every result,
/// and print a table of wall times and speedups. Each case whose component is given
/// runs: Fibonacci sequences, Monte Carlo π and image processing, and with --python
/// the seed's own Python functions for the first two. The timeline of
/// every run is drawn as SVG in --out-dir.
#[derive(Debug, clap::Parser)]
#[command(name = "seed_demo")]
struct DemoCommand {
    /// The fibonacci component (guest-tasks/fibonacci): case 1
    #[arg(long, value_name = "WASM")]
    fibonacci: Option<PathBuf>,
    /// The monte-carlo-pi component (guest-tasks/monte-carlo-pi): case 2
    #[arg(long, value_name = "WASM")]
    monte_carlo_pi: Option<PathBuf>,
    /// The image-filters component (guest-tasks/image-filters): case 3, with --images
    #[arg(long, value_name = "WASM", requires = "images")]
    image_filters: Option<PathBuf>,
    /// Folder of PNG or JPEG images for case 3
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// The seed's own Python functions built to a component (guest-tasks/python/seed.py,
    /// by `host build`): cases 1 and 2 again, with `generate-fibonacci` and `sampling-task`
    #[arg(long, value_name = "WASM")]
    python: Option<PathBuf>,
    /// Samples per Monte Carlo task of the Python guest (Python in wasm is far slower
    /// than the Rust kernel)
    #[arg(long, default_value_t = 200_000, value_name = "N")]
    python_pi_samples: i64,
    /// Length of each Fibonacci sequence, as the seed's `SEQUENCE_SIZE`
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    fib_size: u32,
    /// Fibonacci tasks [default: one per CPU core, as the seed's `os.cpu_count()`]
    #[arg(long, value_name = "N")]
    fib_tasks: Option<usize>,
    /// Monte Carlo tasks
    #[arg(long, default_value_t = 8, value_name = "N")]
    pi_tasks: u64,
    /// Samples per Monte Carlo task
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pi_samples: u64,
    /// Where to write the timeline SVGs
    #[arg(long, default_value = "target/demo", value_name = "DIR")]
    out_dir: PathBuf,
    /// Worker threads of the parallel runs [default: CPU cores]
    #[arg(long, short = 'j', value_name = "N")]
    parallel: Option<usize>,
    /// Folder of the compiled-component cache [default: ~/.cache/wask/components]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Answer each call from the memo folder when the same call ran before (a second
    /// run of the demo then runs nothing): pure tasks only, so a case whose guest is
    /// impure (the Python guest draws unseeded randomness) runs as usual
    #[arg(long, conflicts_with = "nats")]
    memo: bool,
    /// Folder of memoised results, for --memo [default: ~/.cache/wask/memo]
    #[arg(long, value_name = "DIR")]
    memo_dir: Option<PathBuf>,
    /// Run the parallel runs on a Wask cluster through this NATS server
    /// (nats://HOST:PORT); the serial runs stay local
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
}

fn main() -> ExitCode {
    match DemoCommand::parse().execute() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Checks a case's results: a summary when they are right, what is wrong otherwise.
type Check = Box<dyn Fn(&[Value]) -> Result<String, String>>;

/// One seed case: the calls to make and how to check their results.
struct Case {
    name: &'static str,
    what: String,
    calls: Vec<Call>,
    check: Check,
    /// Whether serial and parallel runs must give the same values: not for the seed's
    /// own Monte Carlo code, which draws from unseeded randomness as the chapter does.
    deterministic: bool,
}

/// The outcome of running one case both ways.
struct Row {
    name: &'static str,
    what: String,
    serial: Duration,
    parallel: Duration,
    check: Result<String, String>,
}

impl DemoCommand {
    fn execute(self) -> anyhow::Result<ExitCode> {
        if self.fibonacci.is_none()
            && self.monte_carlo_pi.is_none()
            && self.image_filters.is_none()
            && self.python.is_none()
        {
            bail!(
                "no case to run: give --fibonacci, --monte-carlo-pi, --image-filters with --images, and/or --python"
            );
        }
        let mut config = RuntimeConfig::default();
        if let Some(n) = self.parallel {
            config.n_workers = n;
        }
        if let Some(dir) = &self.cache_dir {
            config.sandbox.cache_dir = Some(dir.clone());
        }
        if let Some(dir) = &self.memo_dir {
            config.memo_dir = Some(dir.clone());
        }
        // Serial is the seed's `for` loop: one worker, one task at a time.
        let serial_rt = Runtime::new(RuntimeConfig {
            n_workers: 1,
            ..config.clone()
        })?;
        let parallel_rt = match &self.nats {
            Some(url) => {
                let driver = wask_cluster::Driver::connect(wask_cluster::ClusterOptions::new(url))?;
                Runtime::with_executor(config, driver)?
            }
            None => Runtime::new(config)?,
        };
        std::fs::create_dir_all(&self.out_dir)
            .with_context(|| format!("cannot create --out-dir {}", self.out_dir.display()))?;
        match &self.nats {
            Some(url) => println!(
                "Wask seed demo: each case serially (1 local worker), then in parallel on the cluster at {url}\n"
            ),
            None => println!(
                "Wask seed demo: each case serially (1 worker), then in parallel ({} workers)\n",
                parallel_rt.n_workers()
            ),
        }
        let mut rows = Vec::new();
        for case in self.cases(&serial_rt, parallel_rt.n_workers())? {
            rows.push(self.run_case(&serial_rt, &parallel_rt, case)?);
        }
        print_table(&rows);
        if self.memo {
            let (s, p) = (serial_rt.memo_stats(), parallel_rt.memo_stats());
            println!(
                "\nmemo: {} hits, {} stored",
                s.hits + p.hits,
                s.stored + p.stored
            );
        }
        println!(
            "\ntimelines: {}/<case>-serial.svg and -parallel.svg",
            self.out_dir.display()
        );
        Ok(if rows.iter().all(|r| r.check.is_ok()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    fn cases(&self, rt: &Runtime, n_workers: usize) -> anyhow::Result<Vec<Case>> {
        let mut cases = Vec::new();
        if let Some(path) = &self.fibonacci {
            let component = rt.load(path)?;
            let n_tasks = self.fib_tasks.unwrap_or(n_workers).max(1);
            let call = component.call("generate-fibonacci", vec![Value::U32(self.fib_size)])?;
            let size = self.fib_size;
            cases.push(Case {
                name: "fibonacci",
                what: format!("{n_tasks} x generate-fibonacci({size})"),
                calls: vec![call; n_tasks],
                check: Box::new(move |values| {
                    if values.iter().all(|v| *v == Value::U32(size)) {
                        Ok(format!("all {size}"))
                    } else {
                        Err(format!("expected every length to be {size}"))
                    }
                }),
                deterministic: true,
            });
        }
        if let Some(path) = &self.monte_carlo_pi {
            let component = rt.load(path)?;
            let (n_tasks, n) = (self.pi_tasks.max(1), self.pi_samples.max(1));
            let calls = (0..n_tasks)
                .map(|seed| component.call("sample", vec![Value::U64(seed), Value::U64(n)]))
                .collect::<Result<_, _>>()?;
            cases.push(Case {
                name: "monte-carlo-pi",
                what: format!("{n_tasks} x sample(seed, {n})"),
                calls,
                check: Box::new(move |values| {
                    let inside: u64 = values
                        .iter()
                        .map(|v| match v {
                            Value::U64(c) => Ok(*c),
                            other => Err(format!("expected a u64 count, got {other:?}")),
                        })
                        .sum::<Result<_, _>>()?;
                    let pi = 4.0 * inside as f64 / (n_tasks * n) as f64;
                    let error = (pi - std::f64::consts::PI).abs();
                    if error > 0.01 {
                        return Err(format!("pi ~ {pi:.5} is off by {error:.5}, more than 0.01"));
                    }
                    Ok(format!("pi ~ {pi:.5} (off by {error:.5})"))
                }),
                deterministic: true,
            });
        }
        if let (Some(path), Some(dir)) = (&self.image_filters, &self.images) {
            let component = rt.load(path)?;
            let images = image_files(dir)?;
            let calls = images
                .iter()
                .map(|p| {
                    let bytes =
                        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                    Ok(component.call("grayscale-blur", vec![Value::bytes(&bytes)])?)
                })
                .collect::<anyhow::Result<_>>()?;
            let n_images = images.len();
            cases.push(Case {
                name: "image-filters",
                what: format!("{n_images} x grayscale-blur(image)"),
                calls,
                check: Box::new(|values| {
                    let mut size = None;
                    for v in values {
                        let png = v.to_bytes().ok_or("expected PNG bytes")?;
                        let (w, h, gray) = png_header(&png).ok_or("the output is not a PNG")?;
                        if !gray {
                            return Err("the output PNG is not grayscale".into());
                        }
                        size = Some((w, h));
                    }
                    let (w, h) = size.unwrap_or_default();
                    Ok(format!("{} grayscale PNGs, {w}x{h}", values.len()))
                }),
                deterministic: true,
            });
        }
        if let Some(path) = &self.python {
            // Python components are large: the first load compiles for tens of seconds
            // (later ones read the cache), so say why nothing moves.
            let size = std::fs::metadata(path)
                .with_context(|| format!("cannot read --python {}", path.display()))?
                .len();
            eprintln!(
                "loading the Python guest {} ({:.1} MB; compiled once, then cached)",
                path.display(),
                size as f64 / 1e6
            );
            cases.extend(self.python_cases(&rt.load(path)?, n_workers)?);
        }
        Ok(cases)
    }

    /// Cases 1 and 2 with the seed's own Python functions: `generate_fibonacci`, and
    /// `sampling_task`, which draws from Python's `random` as the chapter does.
    fn python_cases(
        &self,
        component: &wask::TaskComponent,
        n_workers: usize,
    ) -> anyhow::Result<Vec<Case>> {
        let n_tasks = self.fib_tasks.unwrap_or(n_workers).max(1);
        let size = i64::from(self.fib_size);
        let fib = Case {
            name: "fibonacci-py",
            what: format!("{n_tasks} x generate-fibonacci({size})"),
            calls: vec![component.call("generate-fibonacci", vec![Value::S64(size)])?; n_tasks],
            check: Box::new(move |values| {
                if values.iter().all(|v| *v == Value::S64(size)) {
                    Ok(format!("all {size}"))
                } else {
                    Err(format!("expected every length to be {size}"))
                }
            }),
            deterministic: true,
        };
        let (n_tasks, n) = (self.pi_tasks.max(1), self.python_pi_samples.max(1));
        let calls = (0..n_tasks)
            .map(|task_id| {
                let task_id = i64::try_from(task_id).unwrap_or(i64::MAX);
                component.call(
                    "sampling-task",
                    vec![Value::S64(n), Value::S64(task_id), Value::Bool(true)],
                )
            })
            .collect::<Result<_, _>>()?;
        let total = n_tasks as f64 * n as f64;
        let pi = Case {
            name: "monte-carlo-py",
            what: format!("{n_tasks} x sampling-task({n}, i)"),
            calls,
            check: Box::new(move |values| {
                let inside: i64 = values
                    .iter()
                    .map(|v| match v {
                        Value::S64(c) => Ok(*c),
                        other => Err(format!("expected an s64 count, got {other:?}")),
                    })
                    .sum::<Result<_, _>>()?;
                let pi = 4.0 * inside as f64 / total;
                let error = (pi - std::f64::consts::PI).abs();
                if error > 0.01 {
                    return Err(format!("pi ~ {pi:.5} is off by {error:.5}, more than 0.01"));
                }
                Ok(format!("pi ~ {pi:.5} (off by {error:.5})"))
            }),
            deterministic: false,
        };
        Ok(vec![fib, pi])
    }

    fn run_case(
        &self,
        serial_rt: &Runtime,
        parallel_rt: &Runtime,
        case: Case,
    ) -> anyhow::Result<Row> {
        let (serial, serial_values, serial_tl) = run_serial(serial_rt, &case.calls, self.memo);
        let (parallel, parallel_values, parallel_tl) =
            run_parallel(parallel_rt, &case.calls, self.memo);
        for (kind, timeline) in [("serial", serial_tl), ("parallel", parallel_tl)] {
            let path = self.out_dir.join(format!("{}-{kind}.svg", case.name));
            let title = format!("{}: {} ({kind})", case.name, case.what);
            std::fs::write(&path, timeline.to_svg(&title))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let check = match (serial_values, parallel_values) {
            // Unseeded draws differ from run to run: each run is checked on its own.
            (Ok(s), Ok(p)) if !case.deterministic => (case.check)(&s)
                .map_err(|e| format!("serially, {e}"))
                .and_then(|serial| {
                    (case.check)(&p).map(|c| format!("{c} in parallel, {serial} serially"))
                }),
            (Ok(s), Ok(p)) if s == p => {
                (case.check)(&p).map(|c| format!("{c}; serial == parallel"))
            }
            (Ok(_), Ok(_)) => Err("serial and parallel results differ".into()),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        };
        Ok(Row {
            name: case.name,
            what: case.what,
            serial,
            parallel,
            check,
        })
    }
}

fn run_serial(
    rt: &Runtime,
    calls: &[Call],
    memo: bool,
) -> (Duration, Result<Vec<Value>, GetError>, Timeline) {
    rt.start_timeline();
    let started = Instant::now();
    let values = calls
        .iter()
        .map(|call| rt.get(&submit(rt, call, memo)?, None))
        .collect();
    (started.elapsed(), values, rt.take_timeline())
}

fn run_parallel(
    rt: &Runtime,
    calls: &[Call],
    memo: bool,
) -> (Duration, Result<Vec<Value>, GetError>, Timeline) {
    rt.start_timeline();
    let started = Instant::now();
    let values = calls
        .iter()
        .map(|call| submit(rt, call, memo))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|refs| rt.get_all(&refs, None));
    (started.elapsed(), values, rt.take_timeline())
}

/// Submits a call, memoised if asked and the task is pure (else as usual); a refusal
/// (none is expected: every call was checked) is reported as the task's failure.
fn submit(rt: &Runtime, call: &Call, memo: bool) -> Result<wask::ObjectRef, GetError> {
    let submitted = if memo {
        match rt.call(call.clone()).memo().submit() {
            Err(wask::SubmitError::Impure { .. }) => rt.submit(call.clone()),
            other => other,
        }
    } else {
        rt.submit(call.clone())
    };
    submitted.map_err(|e| GetError::Task {
        id: wask::ObjectId::new(0, 0),
        error: wask::TaskError::Instantiate(e.to_string()),
    })
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<15} {:<32} {:>9} {:>11} {:>8}  check",
        "case", "tasks", "serial s", "parallel s", "speedup"
    );
    for r in rows {
        let speedup = r.serial.as_secs_f64() / r.parallel.as_secs_f64().max(1e-9);
        let check = match &r.check {
            Ok(c) => format!("ok: {c}"),
            Err(e) => format!("FAILED: {e}"),
        };
        println!(
            "{:<15} {:<32} {:>9.3} {:>11.3} {:>7.2}x  {check}",
            r.name,
            r.what,
            r.serial.as_secs_f64(),
            r.parallel.as_secs_f64(),
            speedup
        );
    }
}

/// The PNG and JPEG files of a folder, sorted.
fn image_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list --images {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| {
                ["png", "jpg", "jpeg"].contains(&e.to_string_lossy().to_lowercase().as_str())
            })
        })
        .collect();
    if files.is_empty() {
        bail!("--images {} holds no PNG or JPEG files", dir.display());
    }
    files.sort();
    Ok(files)
}

/// Width, height and whether it is grayscale, from a PNG's IHDR chunk.
fn png_header(png: &[u8]) -> Option<(u32, u32, bool)> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") || png.len() < 26 || &png[12..16] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(png[20..24].try_into().ok()?);
    // Colour types 0 (gray) and 4 (gray with alpha).
    Some((width, height, matches!(png[25], 0 | 4)))
}
