//! The cluster figures of `cargo xtask bench`: no-op throughput, the round trip of one
//! task in flight, and shipping a large component to workers that never saw it, through
//! a running cluster (a `nats-server` and `host worker` processes started by xtask).
//!
//! Prints one JSON object on stdout; progress goes to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;
use serde_json::json;
use wask::{Runtime, RuntimeConfig, Value};
use wask_cluster::{ClusterOptions, Driver};

/// Measure a running Wask cluster; print the figures as JSON.
#[derive(Debug, Parser)]
struct Args {
    /// The cluster's NATS server (nats://HOST:PORT)
    #[arg(long, value_name = "URL")]
    nats: String,
    /// The noop guest component
    #[arg(long, value_name = "WASM")]
    noop: PathBuf,
    /// No-op tasks in the throughput run
    #[arg(long, default_value_t = 20_000)]
    tasks: usize,
    /// Round trips of one task in flight
    #[arg(long, default_value_t = 2_000)]
    round_trips: usize,
    /// Size of the large component (the noop guest padded with a custom section), in MiB
    #[arg(long, default_value_t = 20)]
    big_mib: usize,
    /// Where to write the large component
    #[arg(long, value_name = "DIR", default_value = "target/bench")]
    work_dir: PathBuf,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cluster_bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let driver = Driver::connect(ClusterOptions::new(&args.nats))?;
    let runtime = Runtime::with_executor(RuntimeConfig::default(), driver)?;
    let noop = runtime.load(&args.noop)?;
    let call = noop.call("noop", vec![])?;

    // Warm-up: the component reaches every worker and is compiled there.
    let warm: Vec<_> = (0..64)
        .map(|_| runtime.submit(call.clone()))
        .collect::<Result<_, _>>()?;
    runtime.get_all(&warm, None)?;

    eprintln!("cluster_bench: {} no-op tasks", args.tasks);
    let started = Instant::now();
    let refs: Vec<_> = (0..args.tasks)
        .map(|_| runtime.submit(call.clone()))
        .collect::<Result<_, _>>()?;
    runtime.get_all(&refs, None)?;
    let wall = started.elapsed().as_secs_f64();
    drop(refs);

    eprintln!(
        "cluster_bench: {} round trips of one task",
        args.round_trips
    );
    let mut times = Vec::with_capacity(args.round_trips);
    for _ in 0..args.round_trips {
        let started = Instant::now();
        let object = runtime.submit(call.clone())?;
        runtime.get(&object, None)?;
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    // The nearest-rank percentile: the value p of the way through the sorted runs.
    let pct = |per_mille: usize| times[(times.len() - 1) * per_mille / 1000];

    eprintln!("cluster_bench: shipping a {} MiB component", args.big_mib);
    let big = padded(&args.noop, args.big_mib << 20, &args.work_dir)?;
    let bytes = std::fs::metadata(&big)?.len();
    let big = runtime.load(&big)?;
    let add = big.call("add", vec![Value::U64(1), Value::U64(2)])?;
    let started = Instant::now();
    let first = runtime.submit(add.clone())?;
    let value = runtime.get(&first, None)?;
    let first_s = started.elapsed().as_secs_f64();
    ensure!(value == Value::U64(3), "add(1, 2) gave {value:?}");
    let started = Instant::now();
    let again = runtime.submit(add)?;
    runtime.get(&again, None)?;
    let again_s = started.elapsed().as_secs_f64();

    let figures = json!({
        "throughput": {
            "tasks": args.tasks,
            "wall_s": wall,
            "tasks_per_s": args.tasks as f64 / wall,
        },
        "round_trip": {
            "runs": args.round_trips,
            "p50_s": pct(500),
            "p99_s": pct(990),
        },
        "ship": {
            "bytes": bytes,
            "first_task_s": first_s,
            "next_task_s": again_s,
        },
    });
    println!("{figures}");
    Ok(())
}

/// The component at `path` with a custom section appended to reach about `size`
/// bytes, under a name made from the time, so no worker has it cached.
fn padded(path: &std::path::Path, size: usize, dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    let mut bytes =
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = format!(
        "wask-bench-padding-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_nanos()
    );
    let payload = size.saturating_sub(bytes.len()).max(1);
    let mut section = Vec::new();
    leb128(&mut section, name.len());
    section.extend_from_slice(name.as_bytes());
    section.resize(section.len() + payload, 0);
    bytes.push(0); // custom section id
    leb128(&mut bytes, section.len());
    bytes.extend_from_slice(&section);
    std::fs::create_dir_all(dir)?;
    let out = dir.join("noop-padded.wasm");
    std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(out)
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = u8::try_from(n & 0x7f).unwrap_or(0);
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
