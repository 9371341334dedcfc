//! The soak: a million tasks through one runtime, a mix of ok, trapping, timed-out and
//! cancelled tasks, refs as arguments and put/get, with the host's memory sampled.
//! `cargo xtask soak` runs it (optimised) and writes docs/SOAK.md from its JSON.
//!
//! `cargo run --release -p wask --example soak -- NOOP.wasm HOSTILE.wasm DATAFLOW.wasm [TASKS]`
//!
//! Every ref must resolve exactly once, to the outcome its kind of task should have:
//! a wrong or missing outcome stops the soak with an error.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use wask::{GetError, Limit, ObjectRef, Runtime, RuntimeConfig, TaskComponent, TaskError, Value};

/// Tasks per batch: submitted together, then read in order and dropped.
const BATCH: usize = 1000;
/// Tasks after which memory has settled and growth is measured from.
const WARM_UP: usize = 100_000;
/// How often memory is sampled, in tasks.
const SAMPLE_EVERY: usize = 25_000;

/// What one task of the mix is, and so what its ref must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `add(i, 1)`: `i + 1`.
    Ok,
    /// `panic(..)`: a trap.
    Trap,
    /// `spin()` with a 20 ms deadline: the deadline.
    Timeout,
    /// `spin()`, cancelled at once: cancelled.
    Cancelled,
    /// `increment(ref)` of a `put(i)`: `i + 1`.
    RefArg,
    /// `put(bytes)` read back with `get`: the same bytes.
    Put,
}

/// The kind of the `n`th task: a fixed mix per batch of 1000.
fn kind_of(n: usize) -> Kind {
    match n % BATCH {
        0..=19 => Kind::Trap,
        20..=24 => Kind::Timeout,
        25..=44 => Kind::Cancelled,
        45..=74 => Kind::RefArg,
        75..=99 => Kind::Put,
        _ => Kind::Ok,
    }
}

struct Guests {
    noop: TaskComponent,
    hostile: TaskComponent,
    dataflow: TaskComponent,
}

/// The resident set size of this process, from /proc.
fn rss_bytes() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS in /proc/self/status")?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .context("VmRSS has no value")?
        .parse()?;
    Ok(kib * 1024)
}

fn submit(rt: &Runtime, guests: &Guests, n: usize) -> anyhow::Result<ObjectRef> {
    let i = n as u64;
    Ok(match kind_of(n) {
        Kind::Ok => rt.submit(
            guests
                .noop
                .call("add", vec![Value::U64(i), Value::U64(1)])?,
        )?,
        Kind::Trap => rt.submit(guests.hostile.parse_call(r#"panic("soak")"#)?)?,
        Kind::Timeout => rt
            .call(guests.hostile.parse_call("spin()")?)
            .timeout(Duration::from_millis(20))
            .submit()?,
        Kind::Cancelled => {
            let object = rt.submit(guests.hostile.parse_call("spin()")?)?;
            rt.cancel(&object)?;
            object
        }
        Kind::RefArg => {
            let start = rt.put(Value::U64(i));
            rt.task(&guests.dataflow, "increment")
                .arg(&start)
                .submit()?
        }
        Kind::Put => rt.put(Value::bytes(&i.to_le_bytes().repeat(16))),
    })
}

/// Checks that a ref holds what its kind of task should have given.
fn check(n: usize, outcome: &Result<Value, GetError>) -> anyhow::Result<()> {
    let i = n as u64;
    let kind = kind_of(n);
    let ok = match (kind, outcome) {
        (Kind::Ok | Kind::RefArg, Ok(Value::U64(v))) => *v == i + 1,
        (Kind::Put, Ok(Value::Bytes(b))) => **b == *i.to_le_bytes().repeat(16),
        (Kind::Trap, Err(GetError::Task { error, .. })) => matches!(error, TaskError::Trap { .. }),
        (Kind::Timeout, Err(GetError::Task { error, .. })) => {
            matches!(error, TaskError::LimitExceeded(hit) if hit.limit == Limit::Deadline)
        }
        (Kind::Cancelled, Err(GetError::Task { error, .. })) => *error == TaskError::Cancelled,
        _ => false,
    };
    if !ok {
        bail!("task {n} ({kind:?}) resolved to {outcome:?}");
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [noop, hostile, dataflow, rest @ ..] = args.as_slice() else {
        bail!("usage: soak NOOP.wasm HOSTILE.wasm DATAFLOW.wasm [TASKS]");
    };
    let n_tasks: usize = rest.first().map_or(Ok(1_000_000), |s| s.parse())?;
    ensure!(n_tasks >= BATCH, "give at least {BATCH} tasks");
    let rt = Runtime::new(RuntimeConfig::default())?;
    let guests = Guests {
        noop: rt.load(&PathBuf::from(noop))?,
        hostile: rt.load(&PathBuf::from(hostile))?,
        dataflow: rt.load(&PathBuf::from(dataflow))?,
    };
    let started = Instant::now();
    let mut samples: Vec<(usize, u64)> = vec![(0, rss_bytes()?)];
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for batch in 0..n_tasks / BATCH {
        let first = batch * BATCH;
        let refs = (first..first + BATCH)
            .map(|n| submit(&rt, &guests, n))
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (n, object) in (first..).zip(&refs) {
            // A ref that never resolves would hang here: the deadline says so instead.
            let outcome = rt.get(object, Some(Duration::from_mins(1)));
            if let Err(GetError::Timeout { .. }) = outcome {
                bail!("task {n} did not resolve within 60 s");
            }
            check(n, &outcome)?;
            *counts.entry(format!("{:?}", kind_of(n))).or_default() += 1;
        }
        drop(refs);
        let done = first + BATCH;
        if done.is_multiple_of(SAMPLE_EVERY) {
            samples.push((done, rss_bytes()?));
            eprintln!(
                "soak: {done} tasks, rss {} MiB",
                samples.last().map_or(0, |s| s.1 >> 20)
            );
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let at_warm_up = samples
        .iter()
        .find(|(n, _)| *n >= WARM_UP)
        .map_or(samples[0].1, |s| s.1);
    let peak_after = samples
        .iter()
        .filter(|(n, _)| *n >= WARM_UP)
        .map(|s| s.1)
        .max()
        .unwrap_or(at_warm_up);
    let growth = (peak_after as f64 - at_warm_up as f64) / at_warm_up as f64;
    let report = serde_json::json!({
        "tasks": n_tasks,
        "wall_s": wall,
        "tasks_per_s": n_tasks as f64 / wall,
        "n_workers": rt.n_workers(),
        "kinds": counts,
        "rss_samples": samples.iter().map(|(n, b)| serde_json::json!([n, b])).collect::<Vec<_>>(),
        "rss_at_warm_up_bytes": at_warm_up,
        "rss_peak_after_warm_up_bytes": peak_after,
        "rss_growth": growth,
        "store_memory_left_bytes": rt.store_memory_used(),
    });
    println!("{report}");
    ensure!(
        rt.store_memory_used() == 0,
        "the object store still holds {} bytes after every ref was dropped",
        rt.store_memory_used()
    );
    Ok(())
}
