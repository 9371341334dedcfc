//! Criterion micro-benchmarks of Wask's hot path: `submit`, instantiate + call, `get`,
//! and the round trip of all three, with the import-free `noop` guest.
//!
//! Needs the guest built (`bash scripts/build-guests.sh`): it is looked for at
//! `WASK_NOOP_WASM`, else `target/guests/wasm32-wasip2/release/noop.wasm`, and the
//! benchmarks are skipped with a message when it is missing. `cargo xtask bench` runs
//! them and copies their medians into docs/BENCHMARKS.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use wask::{Call, Runtime, RuntimeConfig, Value};

/// The noop guest, or `None` when it was not built.
fn noop_wasm() -> Option<PathBuf> {
    let path = std::env::var_os("WASK_NOOP_WASM").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/guests/wasm32-wasip2/release/noop.wasm")
        },
        PathBuf::from,
    );
    path.is_file().then_some(path)
}

/// A runtime with `n_workers` workers, no compiled-component cache, and a checked
/// `noop()` call.
fn setup(n_workers: usize, wasm: &Path) -> (Runtime, Call) {
    let mut config = RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    };
    config.sandbox.cache_dir = None;
    let runtime = Runtime::new(config).expect("the runtime starts");
    let noop = runtime.load(wasm).expect("the noop guest loads");
    let call = noop
        .call("noop", Vec::new())
        .expect("noop() fits its signature");
    (runtime, call)
}

fn hot_path(c: &mut Criterion) {
    let Some(wasm) = noop_wasm() else {
        eprintln!(
            "hot_path: skipped: no noop guest at target/guests/wasm32-wasip2/release/noop.wasm \
             (build it with `bash scripts/build-guests.sh`, or set WASK_NOOP_WASM)"
        );
        return;
    };
    let (runtime, call) = setup(1, &wasm);
    let unit = Value::Tuple(Vec::new());
    assert_eq!(
        runtime
            .get(&runtime.submit(call.clone()).unwrap(), None)
            .unwrap(),
        unit,
        "noop() returns nothing"
    );
    let mut group = c.benchmark_group("hot_path");

    // submit alone: the caller's cost of queueing a task and getting its ref. The
    // worker runs the tasks meanwhile; they are collected outside the timed part.
    group.bench_function("submit", |b| {
        b.iter_custom(|iters| {
            let mut refs = Vec::with_capacity(usize::try_from(iters).unwrap_or(0));
            let started = Instant::now();
            for _ in 0..iters {
                refs.push(
                    runtime
                        .submit(black_box(call.clone()))
                        .expect("noop is accepted"),
                );
            }
            let elapsed = started.elapsed();
            runtime.get_all(&refs, None).expect("every noop succeeds");
            elapsed
        });
    });

    // instantiate + call: a fresh store and instance and the call of noop() on the
    // worker, from the task's own span (started to returned), one task at a time.
    group.bench_function("instantiate_call", |b| {
        b.iter_custom(|iters| {
            runtime.start_timeline();
            for _ in 0..iters {
                runtime
                    .get(
                        &runtime.submit(call.clone()).expect("noop is accepted"),
                        None,
                    )
                    .expect("noop succeeds");
            }
            let timeline = runtime.take_timeline();
            assert_eq!(timeline.spans.len() as u64, iters, "one span per task");
            timeline
                .spans
                .iter()
                .map(|s| s.returned.expect("noop returned") - s.started)
                .sum::<Duration>()
        });
    });

    // get of a finished task's ref: the caller's cost of reading a ready value.
    group.bench_function("get_ready", |b| {
        b.iter_custom(|iters| {
            let refs: Vec<_> = (0..iters)
                .map(|_| runtime.submit(call.clone()).expect("noop is accepted"))
                .collect();
            runtime.get_all(&refs, None).expect("every noop succeeds");
            let started = Instant::now();
            for object in &refs {
                black_box(runtime.get(object, None).expect("noop succeeds"));
            }
            started.elapsed()
        });
    });

    // The whole round trip, one task at a time: submit, run on the worker, get.
    group.bench_function("round_trip", |b| {
        b.iter(|| {
            let object = runtime
                .submit(black_box(call.clone()))
                .expect("noop is accepted");
            runtime.get(&object, None)
        });
    });
    group.finish();
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
