//! The library-level figures of `cargo xtask bench`, printed as one JSON object: no-op
//! round trip and throughput, instantiation cost, seed kernels in wasm against the same
//! kernels built natively, a 10 MiB `list<u8>` through the typed and generic paths, and
//! with `--shapes` 10 MiB of bytes through several signatures on each path.
//!
//! A bench target without a harness, so it is built with the bench profile (optimised
//! like the release host) and the native kernels from `wask-kernels` are optimised the
//! same way. `cargo xtask bench` builds it, runs it with the guests' paths and reads
//! its JSON; run by hand:
//!
//! ```text
//! cargo bench -p wask --bench suite -- --quick --noop noop.wasm [--fibonacci F.wasm
//!     --monte-carlo-pi M.wasm --image-filters I.wasm --images DIR] [--kernels-only]
//!     [--out FILE]
//! ```
//!
//! `--kernels-only` measures the seed kernels and nothing else: for comparing a kernel
//! or guest change before and after, a few minutes at most.
//!
//! Every result is checked before its time counts: a wrong result is an error, not a
//! figure. Plain wasmtime appears only as an anchor Wask is measured against.

// Measurement code: ranks and synthetic bytes narrow values bounded by construction,
// and the figures' fields are named by their unit on purpose (`wasm_s`, `native_s`).
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::struct_field_names,
    reason = "bounded measurement arithmetic; unit-suffixed figure names"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value as Json, json};
use wask::{Call, Runtime, RuntimeConfig, TaskComponent, Timeline, Value};
use wask_kernels::{fibonacci, image_filters, monte_carlo};

/// Bytes through several signatures (`--shapes`).
#[path = "suite/bytes.rs"]
mod bytes;

const USAGE: &str = "usage: suite [--quick] --noop WASM [--fibonacci WASM] \
    [--monte-carlo-pi WASM] [--image-filters WASM --images DIR] [--fib-size N] \
    [--pi-tasks N] [--pi-samples N] [--shapes WASM] [--kernels-only] [--out FILE]";

/// Bytes sent into `echo` and back: the "10 MB" of the issue.
const ECHO_BYTES: usize = 10 << 20;
/// A size the generic path is also measured at, in case 10 MiB fails on it.
const ECHO_SMALL_BYTES: usize = 1 << 20;

#[derive(Debug, Default)]
struct Args {
    quick: bool,
    kernels_only: bool,
    out: Option<PathBuf>,
    noop: PathBuf,
    fibonacci: Option<PathBuf>,
    monte_carlo_pi: Option<PathBuf>,
    image_filters: Option<PathBuf>,
    images: Option<PathBuf>,
    shapes: Option<PathBuf>,
    fib_size: u32,
    pi_tasks: u64,
    pi_samples: u64,
}

/// How many of everything: `--quick` takes a few seconds per figure.
#[derive(Debug)]
struct Sizes {
    roundtrip_warmup: usize,
    roundtrips: usize,
    throughput_tasks: usize,
    repeats: usize,
    kernel_repeats: usize,
    images: usize,
    echo_typed_repeats: usize,
    echo_generic_repeats: usize,
}

impl Sizes {
    fn new(quick: bool) -> Self {
        if quick {
            Sizes {
                roundtrip_warmup: 500,
                roundtrips: 5_000,
                throughput_tasks: 20_000,
                repeats: 3,
                kernel_repeats: 3,
                images: 4,
                echo_typed_repeats: 5,
                echo_generic_repeats: 3,
            }
        } else {
            Sizes {
                roundtrip_warmup: 2_000,
                roundtrips: 20_000,
                throughput_tasks: 100_000,
                repeats: 5,
                kernel_repeats: 5,
                images: 16,
                echo_typed_repeats: 20,
                echo_generic_repeats: 5,
            }
        }
    }
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        fib_size: 100_000,
        pi_tasks: 8,
        pi_samples: 1_000_000,
        ..Args::default()
    };
    let mut noop = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            "--quick" => args.quick = true,
            "--kernels-only" => args.kernels_only = true,
            "--out" => args.out = Some(value()?.into()),
            "--noop" => noop = Some(PathBuf::from(value()?)),
            "--fibonacci" => args.fibonacci = Some(value()?.into()),
            "--monte-carlo-pi" => args.monte_carlo_pi = Some(value()?.into()),
            "--image-filters" => args.image_filters = Some(value()?.into()),
            "--images" => args.images = Some(value()?.into()),
            "--shapes" => args.shapes = Some(value()?.into()),
            "--fib-size" => args.fib_size = value()?.parse().context("--fib-size")?,
            "--pi-tasks" => args.pi_tasks = value()?.parse().context("--pi-tasks")?,
            "--pi-samples" => args.pi_samples = value()?.parse().context("--pi-samples")?,
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    args.noop = noop.with_context(|| format!("--noop is required\n{USAGE}"))?;
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let sizes = Sizes::new(args.quick);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let started = Instant::now();
    let mut report = json!({
        "quick": args.quick,
        "cores": cores,
        "sizes": format!("{sizes:?}"),
    });
    if !args.kernels_only {
        report["roundtrip"] = roundtrip(&args, &sizes, cores)?;
        report["instantiation"] = instantiation(&args, &sizes)?;
        report["throughput"] = throughput(&args, &sizes, cores)?;
    }
    report["kernels"] = kernels(&args, &sizes)?;
    if !args.kernels_only {
        report["echo"] = echo(&args, &sizes)?;
        if let Some(shapes) = &args.shapes {
            report["bytes_shapes"] = bytes::shapes_figures(shapes, &sizes)?;
        }
    }
    report["total_s"] = json!(started.elapsed().as_secs_f64());
    let text = serde_json::to_string_pretty(&report)?;
    match &args.out {
        Some(path) => std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(())
}

fn log(message: impl AsRef<str>) {
    eprintln!("suite: {}", message.as_ref());
}

/// A runtime with `n_workers` workers that compiles without the on-disk cache, so the
/// library figures never depend on what an earlier run left there.
fn runtime(n_workers: usize) -> anyhow::Result<Runtime> {
    let mut config = RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    };
    config.sandbox.cache_dir = None;
    Ok(Runtime::new(config)?)
}

fn load(runtime: &Runtime, path: &Path) -> anyhow::Result<TaskComponent> {
    runtime
        .load(path)
        .with_context(|| format!("cannot load {}", path.display()))
}

fn unit() -> Value {
    Value::Tuple(Vec::new())
}

/// Nearest-rank percentile of sorted values (as the Ray script computes it).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0 * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

/// p50, p90, p99, mean, min and max of durations in seconds.
fn distribution(values: &[f64]) -> Json {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    json!({
        "count": sorted.len(),
        "p50_s": percentile(&sorted, 50.0),
        "p90_s": percentile(&sorted, 90.0),
        "p99_s": percentile(&sorted, 99.0),
        "mean_s": sorted.iter().sum::<f64>() / sorted.len() as f64,
        "min_s": sorted[0],
        "max_s": sorted[sorted.len() - 1],
    })
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Submits `call` and waits for it, `n` times one at a time; each round trip's time.
fn round_trips(
    runtime: &Runtime,
    call: &Call,
    n: usize,
    expect: &Value,
) -> anyhow::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let value = runtime.get(&runtime.submit(call.clone())?, None)?;
        times.push(secs(started.elapsed()));
        ensure!(value == *expect, "expected {expect:?}, got {value:?}");
    }
    Ok(times)
}

/// Medians of each phase of the spans, in seconds: queue wait, instantiation, the call,
/// and resolving the ref.
fn phases(timeline: &Timeline) -> anyhow::Result<Json> {
    let mut queue = Vec::new();
    let mut instantiate = Vec::new();
    let mut call = Vec::new();
    let mut resolve = Vec::new();
    let mut task = Vec::new();
    for span in &timeline.spans {
        let instantiated = span.instantiated.context("a span without instantiation")?;
        let returned = span.returned.context("a span that never returned")?;
        queue.push(secs(span.started - span.submitted));
        instantiate.push(secs(instantiated - span.started));
        call.push(secs(returned - instantiated));
        resolve.push(secs(span.resolved - returned));
        task.push(secs(span.resolved - span.submitted));
    }
    ensure!(!task.is_empty(), "the timeline recorded no span");
    Ok(json!({
        "spans": task.len(),
        "queue_wait_p50_s": median(&queue),
        "instantiate_p50_s": median(&instantiate),
        "call_p50_s": median(&call),
        "resolve_p50_s": median(&resolve),
        "submitted_to_resolved_p50_s": median(&task),
    }))
}

/// No-op round trip (submit then get, one at a time) with one worker per core, as Ray
/// runs with `num_cpus` = cores; then once more with a timeline, to split it.
fn roundtrip(args: &Args, sizes: &Sizes, cores: usize) -> anyhow::Result<Json> {
    let runtime = runtime(cores)?;
    let noop = load(&runtime, &args.noop)?;
    let call = noop.call("noop", Vec::new())?;
    round_trips(&runtime, &call, sizes.roundtrip_warmup, &unit())?;
    let times = round_trips(&runtime, &call, sizes.roundtrips, &unit())?;
    let result = distribution(&times);
    log(format!(
        "no-op round trip, {cores} workers: p50 {:.1} us, p99 {:.1} us over {}",
        result["p50_s"].as_f64().unwrap_or_default() * 1e6,
        result["p99_s"].as_f64().unwrap_or_default() * 1e6,
        times.len()
    ));
    runtime.start_timeline();
    let traced = round_trips(&runtime, &call, sizes.roundtrips / 2, &unit())?;
    let timeline = runtime.take_timeline();
    let mut split = phases(&timeline)?;
    // What the spans do not cover: submit before the span starts, and the caller's
    // wake-up in get after the ref is resolved.
    let outside: Vec<f64> = traced
        .iter()
        .zip(&timeline.spans)
        .map(|(rt, span)| rt - secs(span.resolved - span.submitted))
        .collect();
    split["outside_span_p50_s"] = json!(median(&outside));
    split["traced_roundtrip_p50_s"] = json!(median(&traced));
    Ok(json!({
        "n_workers": cores,
        "warmup": sizes.roundtrip_warmup,
        "result": result,
        "phases": split,
    }))
}

/// The cost of one task's sandbox: a fresh store and instance plus the call of `noop()`,
/// from the spans of serial tasks on one worker, next to the same done with plain
/// wasmtime (pooling allocator, default settings, an empty linker, a typed call).
fn instantiation(args: &Args, sizes: &Sizes) -> anyhow::Result<Json> {
    let runtime = runtime(1)?;
    let noop = load(&runtime, &args.noop)?;
    let call = noop.call("noop", Vec::new())?;
    round_trips(&runtime, &call, sizes.roundtrip_warmup, &unit())?;
    runtime.start_timeline();
    let times = round_trips(&runtime, &call, sizes.roundtrips, &unit())?;
    let timeline = runtime.take_timeline();
    let split = phases(&timeline)?;
    let task: Vec<f64> = timeline
        .spans
        .iter()
        .filter_map(|s| Some(secs(s.returned? - s.started)))
        .collect();
    let wask_p50 = median(&task);
    let raw = anchor::instantiate_call(&args.noop, sizes.roundtrip_warmup, sizes.roundtrips)?;
    let raw_p50 = median(&raw);
    log(format!(
        "instantiate + call noop(): Wask {:.1} us, plain wasmtime {:.1} us",
        wask_p50 * 1e6,
        raw_p50 * 1e6
    ));
    Ok(json!({
        "n_workers": 1,
        "wask_instantiate_call_p50_s": wask_p50,
        "wask_roundtrip_1_worker": distribution(&times),
        "wask_phases": split,
        "plain_wasmtime_instantiate_call": distribution(&raw),
        "wask_over_plain": wask_p50 / raw_p50,
    }))
}

/// No-op tasks per second: submit a batch, then get them all, for 1 to `cores`
/// workers and for twice as many.
fn throughput(args: &Args, sizes: &Sizes, cores: usize) -> anyhow::Result<Json> {
    let mut worker_counts: Vec<usize> = (1..=cores).collect();
    worker_counts.push(2 * cores);
    let mut rows = Vec::new();
    for n_workers in worker_counts {
        let runtime = runtime(n_workers)?;
        let noop = load(&runtime, &args.noop)?;
        let call = noop.call("noop", Vec::new())?;
        let n = sizes.throughput_tasks;
        let mut rates = Vec::new();
        let mut submit_s = Vec::new();
        for repeat in 0..=sizes.repeats {
            let started = Instant::now();
            let refs = (0..n)
                .map(|_| runtime.submit(call.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            let submitted = started.elapsed();
            let values = runtime.get_all(&refs, None)?;
            let elapsed = started.elapsed();
            ensure!(
                values.len() == n && values.iter().all(|v| *v == unit()),
                "a no-op task returned something"
            );
            // The first batch warms the pool up and is not counted.
            if repeat > 0 {
                rates.push(n as f64 / secs(elapsed));
                submit_s.push(secs(submitted));
            }
        }
        let rate = median(&rates);
        log(format!(
            "no-op throughput, {n_workers} workers: {rate:.0} tasks/s"
        ));
        rows.push(json!({
            "n_workers": n_workers,
            "tasks": n,
            "repeats": rates.len(),
            "tasks_per_s": rate,
            "runs_tasks_per_s": rates,
            "submit_phase_p50_s": median(&submit_s),
        }));
    }
    Ok(json!({ "rows": rows }))
}

/// One seed kernel run both ways: wasm as a Wask task (one worker, one task at a
/// time), native in this process; median times and their ratio.
#[derive(Default)]
struct KernelRuns {
    wasm_s: Vec<f64>,
    native_s: Vec<f64>,
    /// Per run, the tasks' phases summed: [queue wait, instantiation, call, resolve,
    /// outside the spans (submit, and the caller waking in get and cloning the value)].
    phases_s: Vec<[f64; 5]>,
}

const PHASE_NAMES: [&str; 5] = [
    "queue_wait_s",
    "instantiate_s",
    "call_s",
    "resolve_s",
    "outside_span_s",
];

impl KernelRuns {
    fn json(&self, what: &str) -> Json {
        let wasm = median(&self.wasm_s);
        let native = median(&self.native_s);
        let phase = |i: usize| median(&self.phases_s.iter().map(|p| p[i]).collect::<Vec<_>>());
        let phases: serde_json::Map<String, Json> = PHASE_NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| (name.to_string(), json!(phase(i))))
            .collect();
        let call = phase(2);
        json!({
            "what": what,
            "repeats": self.wasm_s.len(),
            "wasm_task_s": wasm,
            "wasm_call_s": call,
            "wasm_phases": phases,
            "native_s": native,
            "ratio_wasm_over_native": wasm / native,
            "ratio_call_over_native": call / native,
            "check_ok": true,
        })
    }
}

/// Runs `calls` serially as tasks; their values, the wall time and the summed phases
/// of their spans (see [`KernelRuns::phases_s`]). The calls are cloned before the clock
/// starts: a task's arguments are built once, as a caller builds them.
fn run_tasks(runtime: &Runtime, calls: &[Call]) -> anyhow::Result<(Vec<Value>, f64, [f64; 5])> {
    let batch = calls.to_vec();
    runtime.start_timeline();
    let started = Instant::now();
    let values = batch
        .into_iter()
        .map(|call| -> anyhow::Result<Value> { Ok(runtime.get(&runtime.submit(call)?, None)?) })
        .collect::<Result<Vec<_>, _>>();
    let wall = secs(started.elapsed());
    let timeline = runtime.take_timeline();
    let values = values?;
    let mut sums = [0.0; 5];
    for span in &timeline.spans {
        let instantiated = span.instantiated.context("a span without instantiation")?;
        let returned = span.returned.context("a span that never returned")?;
        sums[0] += secs(span.started - span.submitted);
        sums[1] += secs(instantiated - span.started);
        sums[2] += secs(returned - instantiated);
        sums[3] += secs(span.resolved - returned);
        sums[4] -= secs(span.resolved - span.submitted);
    }
    sums[4] += wall;
    Ok((values, wall, sums))
}

fn kernels(args: &Args, sizes: &Sizes) -> anyhow::Result<Json> {
    let runtime = runtime(1)?;
    let mut result = serde_json::Map::new();
    if let Some(path) = &args.fibonacci {
        let component = load(&runtime, path)?;
        let size = args.fib_size;
        let calls = vec![component.call("generate-fibonacci", vec![Value::U32(size)])?];
        let runs = measure_kernel(sizes.kernel_repeats, &runtime, &calls, |values| {
            ensure!(
                values == [Value::U32(size)],
                "wasm generate-fibonacci({size}) gave {values:?}"
            );
            let started = Instant::now();
            let native = fibonacci::generate_fibonacci(size);
            let elapsed = secs(started.elapsed());
            ensure!(
                native == size,
                "native generate_fibonacci({size}) gave {native}"
            );
            Ok(elapsed)
        })?;
        result.insert(
            "fibonacci".into(),
            runs.json(&format!("generate-fibonacci({size})")),
        );
    }
    if let Some(path) = &args.monte_carlo_pi {
        let component = load(&runtime, path)?;
        let (n_tasks, n) = (args.pi_tasks, args.pi_samples);
        let calls = (0..n_tasks)
            .map(|seed| component.call("sample", vec![Value::U64(seed), Value::U64(n)]))
            .collect::<Result<Vec<_>, _>>()?;
        let runs = measure_kernel(sizes.kernel_repeats, &runtime, &calls, |values| {
            let started = Instant::now();
            let native: Vec<u64> = (0..n_tasks)
                .map(|seed| monte_carlo::sample(seed, n))
                .collect();
            let elapsed = secs(started.elapsed());
            let wasm: Vec<Value> = native.iter().map(|c| Value::U64(*c)).collect();
            ensure!(values == wasm, "wasm and native sample() counts differ");
            Ok(elapsed)
        })?;
        result.insert(
            "monte_carlo_pi".into(),
            runs.json(&format!("{n_tasks} x sample(seed, {n})")),
        );
    }
    if let (Some(path), Some(dir)) = (&args.image_filters, &args.images) {
        let component = load(&runtime, path)?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        files.truncate(sizes.images);
        ensure!(!files.is_empty(), "{} holds no PNG image", dir.display());
        let images = files
            .iter()
            .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let calls = images
            .iter()
            .map(|bytes| component.call("grayscale-blur", vec![Value::bytes(bytes)]))
            .collect::<Result<Vec<_>, _>>()?;
        let runs = measure_kernel(sizes.kernel_repeats, &runtime, &calls, |values| {
            let started = Instant::now();
            let native = images
                .iter()
                .map(|bytes| image_filters::grayscale_blur(bytes))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let elapsed = secs(started.elapsed());
            for (value, native) in values.iter().zip(&native) {
                let wasm = value
                    .to_bytes()
                    .context("grayscale-blur returned no bytes")?;
                let pixels = |png: &[u8]| -> anyhow::Result<Vec<u8>> {
                    Ok(image_filters::decode(png)
                        .map_err(anyhow::Error::msg)?
                        .to_luma8()
                        .into_raw())
                };
                ensure!(
                    pixels(&wasm)? == pixels(native)?,
                    "wasm and native grayscale-blur pixels differ"
                );
            }
            Ok(elapsed)
        })?;
        result.insert(
            "image_filters".into(),
            runs.json(&format!("{} x grayscale-blur(1024x1024 PNG)", images.len())),
        );
    }
    for (name, row) in &result {
        log(format!(
            "kernel {name}: wasm/native {:.2} (call only {:.2})",
            row["ratio_wasm_over_native"].as_f64().unwrap_or_default(),
            row["ratio_call_over_native"].as_f64().unwrap_or_default()
        ));
    }
    Ok(Json::Object(result))
}

/// Runs the wasm calls and then `native` (which checks the wasm values against its own
/// and returns its time) `repeats` times, after one unmeasured run of each.
fn measure_kernel(
    repeats: usize,
    runtime: &Runtime,
    calls: &[Call],
    mut native: impl FnMut(&[Value]) -> anyhow::Result<f64>,
) -> anyhow::Result<KernelRuns> {
    let mut runs = KernelRuns::default();
    for repeat in 0..=repeats {
        let (values, wall, phases) = run_tasks(runtime, calls)?;
        let native_s = native(&values)?;
        if repeat > 0 {
            runs.wasm_s.push(wall);
            runs.phases_s.push(phases);
            runs.native_s.push(native_s);
        }
    }
    Ok(runs)
}

/// Deterministic, not all-equal bytes.
fn echo_input(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// Generic path through Wask: `Value::bytes`, a checked `call`, `submit`, `get`,
/// `Value::to_bytes`, timed from the caller; with the call alone from the span.
fn echo_wask(runtime: &Runtime, echo: &TaskComponent, data: &[u8], repeats: usize) -> Json {
    let mut times = Vec::new();
    let mut calls = Vec::new();
    let mut resolves = Vec::new();
    let mut outside = Vec::new();
    for _ in 0..repeats {
        runtime.start_timeline();
        let started = Instant::now();
        let outcome = echo
            .call("echo", vec![Value::bytes(data)])
            .map_err(anyhow::Error::from)
            .and_then(|call| Ok(runtime.get(&runtime.submit(call)?, None)?))
            .and_then(|value| value.to_bytes().context("echo returned no bytes"));
        let elapsed = secs(started.elapsed());
        let timeline = runtime.take_timeline();
        match outcome {
            Ok(out) if out == data => {}
            Ok(_) => return json!({ "error": "echo returned other bytes" }),
            Err(e) => return json!({ "error": format!("{e:#}") }),
        }
        times.push(elapsed);
        for span in &timeline.spans {
            if let (Some(instantiated), Some(returned)) = (span.instantiated, span.returned) {
                calls.push(secs(returned - instantiated));
                resolves.push(secs(span.resolved - returned));
                outside.push(elapsed - secs(span.resolved - span.submitted));
            }
        }
    }
    json!({
        "p50_s": median(&times),
        "call_p50_s": median(&calls),
        "resolve_p50_s": median(&resolves),
        "outside_span_p50_s": median(&outside),
        "runs_s": times,
    })
}

fn echo(args: &Args, sizes: &Sizes) -> anyhow::Result<Json> {
    let runtime = runtime(1)?;
    let component = load(&runtime, &args.noop)?;
    let mut result = json!({ "bytes": ECHO_BYTES });
    let data = echo_input(ECHO_BYTES);
    let typed = anchor::echo_typed(&args.noop, &data, sizes.echo_typed_repeats)?;
    let typed_p50 = median(&typed);
    result["typed"] = json!({ "p50_s": typed_p50, "runs_s": typed });
    log(format!("echo 10 MiB, typed: {:.2} ms", typed_p50 * 1e3));
    let generic = echo_wask(&runtime, &component, &data, sizes.echo_generic_repeats);
    if let Some(p50) = generic["p50_s"].as_f64() {
        result["ratio_generic_over_typed"] = json!(p50 / typed_p50);
        log(format!("echo 10 MiB, Wask generic: {:.1} ms", p50 * 1e3));
    } else {
        log(format!(
            "echo 10 MiB, Wask generic: failed: {}",
            generic["error"]
        ));
    }
    result["wask_generic"] = generic;
    let val = anchor::echo_val(&args.noop, &data, sizes.echo_generic_repeats)?;
    result["raw_val"] = json!({ "p50_s": median(&val), "runs_s": val });
    // The same at 1 MiB, where wasmtime's default hostcall fuel is not in the way.
    let small = echo_input(ECHO_SMALL_BYTES);
    let small_typed = median(&anchor::echo_typed(
        &args.noop,
        &small,
        sizes.echo_typed_repeats,
    )?);
    let small_generic = echo_wask(&runtime, &component, &small, sizes.echo_generic_repeats);
    let mut small_result = json!({
        "bytes": ECHO_SMALL_BYTES,
        "typed": { "p50_s": small_typed },
    });
    if let Some(p50) = small_generic["p50_s"].as_f64() {
        small_result["ratio_generic_over_typed"] = json!(p50 / small_typed);
    }
    small_result["wask_generic"] = small_generic;
    result["small"] = small_result;
    Ok(result)
}

/// Plain wasmtime, used only as the anchor Wask is measured against: an engine with a
/// pooling allocator and otherwise default settings, an empty linker (the noop guest
/// imports nothing) and typed calls.
mod anchor {
    use std::path::Path;
    use std::time::Instant;

    use anyhow::ensure;
    use wasmtime::component::{Component, InstancePre, Linker, Val};
    use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

    /// The anchor's engine: a pooling allocator, otherwise wasmtime's defaults.
    pub fn engine() -> anyhow::Result<Engine> {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(4)
            .total_core_instances(32)
            .total_memories(16)
            .total_tables(16)
            .max_memory_size(1 << 30);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        Ok(Engine::new(&config)?)
    }

    fn instance_pre(wasm: &Path) -> anyhow::Result<(Engine, InstancePre<()>)> {
        let engine = engine()?;
        let component = Component::from_file(&engine, wasm)?;
        let pre = Linker::<()>::new(&engine).instantiate_pre(&component)?;
        Ok((engine, pre))
    }

    /// Fresh store + instance + typed call of `noop()`, `n` times after `warmup`.
    pub fn instantiate_call(wasm: &Path, warmup: usize, n: usize) -> anyhow::Result<Vec<f64>> {
        let (engine, pre) = instance_pre(wasm)?;
        let mut times = Vec::with_capacity(n);
        for i in 0..warmup + n {
            let started = Instant::now();
            let mut store = Store::new(&engine, ());
            let instance = pre.instantiate(&mut store)?;
            let noop = instance.get_typed_func::<(), ()>(&mut store, "noop")?;
            noop.call(&mut store, ())?;
            drop(store);
            if i >= warmup {
                times.push(started.elapsed().as_secs_f64());
            }
        }
        Ok(times)
    }

    /// `echo` through `TypedFunc<(Vec<u8>,), (Vec<u8>,)>`, in a fresh instance each time
    /// as a task gets; the input is copied before the clock starts.
    pub fn echo_typed(wasm: &Path, data: &[u8], repeats: usize) -> anyhow::Result<Vec<f64>> {
        let (engine, pre) = instance_pre(wasm)?;
        let mut times = Vec::new();
        for i in 0..=repeats {
            let input = data.to_vec();
            let started = Instant::now();
            let mut store = Store::new(&engine, ());
            let instance = pre.instantiate(&mut store)?;
            let echo = instance.get_typed_func::<(Vec<u8>,), (Vec<u8>,)>(&mut store, "echo")?;
            let (out,) = echo.call(&mut store, (input,))?;
            drop(store);
            let elapsed = started.elapsed().as_secs_f64();
            ensure!(out == data, "typed echo returned other bytes");
            if i > 0 {
                times.push(elapsed);
            }
        }
        Ok(times)
    }

    /// `echo` through wasmtime's dynamic `Func::call` with `Val`s (what Wask's generic
    /// path does), with the store's hostcall fuel raised so 10 MiB may pass.
    pub fn echo_val(wasm: &Path, data: &[u8], repeats: usize) -> anyhow::Result<Vec<f64>> {
        let (engine, pre) = instance_pre(wasm)?;
        let mut times = Vec::new();
        for i in 0..=repeats {
            let started = Instant::now();
            let mut store = Store::new(&engine, ());
            store.set_hostcall_fuel(usize::MAX / 2);
            let instance = pre.instantiate(&mut store)?;
            let echo = instance
                .get_func(&mut store, "echo")
                .ok_or_else(|| anyhow::anyhow!("no export echo"))?;
            let args = [Val::List(data.iter().map(|b| Val::U8(*b)).collect())];
            let mut results = [Val::Bool(false)];
            echo.call(&mut store, &args, &mut results)?;
            drop(store);
            let out: Option<Vec<u8>> = match &results[0] {
                Val::List(items) => items
                    .iter()
                    .map(|v| match v {
                        Val::U8(b) => Some(*b),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            };
            let elapsed = started.elapsed().as_secs_f64();
            ensure!(
                out.as_deref() == Some(data),
                "Val echo returned other bytes"
            );
            if i > 0 {
                times.push(elapsed);
            }
        }
        Ok(times)
    }
}
