//! `## What the profile shows for the missed targets`: for each target the run missed,
//! what the measured breakdown (the runtime's timeline spans, and the anchors measured
//! next to them) shows; then the parallel speedups of both sides.

use std::fmt::{self, Write as _};

use super::document::{Document, Seed};
use super::format::{Unit, duration, or_nan, or_unknown, secs, show, thousands};
use super::targets::{Goal, missed};

pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "## What the profile shows for the missed targets\n")?;
    writeln!(
        md,
        "From the phases this run recorded (the runtime's timeline spans) and the anchors \
         measured next to them.\n"
    )?;
    let mut any = false;
    for goal in Goal::all() {
        if missed(doc, goal) {
            any = true;
            match goal {
                Goal::RoundTrip => round_trip(md, doc)?,
                Goal::Throughput => throughput(md, doc)?,
                Goal::Kernel(seed) => kernel(md, doc, seed)?,
                Goal::ColdStart => cold_start(md, doc)?,
                Goal::Rss => rss(md, doc)?,
                Goal::Echo => echo(md, doc)?,
                Goal::Memo => memo(md, doc)?,
                Goal::ClusterThroughput | Goal::ClusterRoundTrip | Goal::ClusterSeed(_) => {
                    cluster(md, doc, goal)?;
                }
                Goal::CliRepeat => cli_repeat(md, doc)?,
                Goal::FibCall => fib_call(md, doc)?,
                Goal::SerialOverRay => serial_over_ray(md, doc)?,
                Goal::BytesArg | Goal::BytesArgMemory => bytes_arg(md, doc)?,
                Goal::SetupDemo | Goal::SetupTest => setup(md, doc, goal)?,
            }
        }
    }
    speedups(md, doc)?;
    if !any {
        writeln!(md, "Every target was met in this run.")?;
    }
    md.push('\n');
    Ok(())
}

fn round_trip(md: &mut String, doc: &Document) -> fmt::Result {
    let lib = &doc.wask.library;
    let p = &lib.roundtrip.phases;
    writeln!(
        md,
        "- **Round trip** ({} p50 in the traced pass): waiting in the queue for a \
         worker to wake {}, instantiation (fresh store, WASI context, instance) {}, the \
         call {}, after the return (dropping the store, resolving the ref) {}, and \
         outside the span (submit, and the caller waking in `get`) {}. A plain wasmtime engine instantiates and calls the \
         same component in {}.",
        secs(p.traced_roundtrip_p50_s),
        secs(p.queue_wait_p50_s),
        secs(p.instantiate_p50_s),
        secs(p.call_p50_s),
        secs(p.resolve_p50_s),
        secs(p.outside_span_p50_s),
        secs(lib.instantiation.plain_wasmtime_instantiate_call.p50_s),
    )
}

fn throughput(md: &mut String, doc: &Document) -> fmt::Result {
    let lib = &doc.wask.library;
    let per_task = or_nan(lib.instantiation.wask_instantiate_call_p50_s);
    let cores = doc.config.cores;
    let rate = |workers: Option<u64>| or_nan(workers.and_then(|n| lib.throughput.tasks_per_s(n)));
    let shown = or_nan(cores.map(|c| c as f64));
    writeln!(
        md,
        "- **Throughput**: a worker spends {} per task on instantiate + call \
         (1-worker spans), so {} workers could do about {} tasks/s if that were all; \
         they do {} tasks/s, against {} with 1 worker and {} with {}. The time goes \
         to handing tasks to the workers and results back (submit alone costs {} \
         per task on the caller, in criterion), not to the sandbox.",
        duration(per_task),
        shown,
        thousands(shown / per_task),
        thousands(rate(cores)),
        thousands(rate(Some(1))),
        thousands(rate(cores.map(|c| 2 * c))),
        2.0 * shown,
        secs(doc.wask.hot_path.submit.median_s),
    )
}

fn kernel(md: &mut String, doc: &Document, seed: Seed) -> fmt::Result {
    let k = doc.wask.library.kernels.get(seed);
    let ph = &k.wasm_phases;
    // Where the call's time goes, from `perf record` of the suite (with WASK_PERFMAP=1
    // naming the guest's functions), and what would close the gap.
    let closing = match seed {
        Seed::Fibonacci => {
            "The call is bound by filling fresh memory with limbs, in wasm as natively \
             (see the Fibonacci call below): fewer, larger page faults would close it."
        }
        Seed::MonteCarloPi => {
            "The call is one loop of a random-number generator and a few float \
             operations per sample, so the gap is Cranelift's code for that loop against \
             LLVM's; a kernel written with explicit wasm SIMD lanes (several samples per \
             step) would close it."
        }
        Seed::ImageFilters => {
            "Most of the call, in wasm as natively, is PNG coding (inflate, deflate, \
             filters, CRC-32), not the blur; in wasm the CRC falls back to its table \
             version (no carry-less multiply) and the coder's bit loops are slower. \
             Passing raw pixels, or a codec the host provides, would close most of it."
        }
    };
    writeln!(
        md,
        "- **{} kernel**: the wasm call alone (with lowering and lifting its \
         values) is {:.2}× native ({} against {}); the task as a whole {:.2}× ({}). \
         Per run: instantiation {}, call {}, after the return (dropping the store \
         and its memory, resolving the ref) {}, outside the spans (submit, the \
         caller waking in `get` and taking the value) {}, queue wait {}. {closing}",
        seed.kernel_title(),
        or_nan(k.ratio_call_over_native),
        secs(ph.call_s),
        secs(k.native_s),
        or_nan(k.ratio_wasm_over_native),
        secs(k.wasm_task_s),
        secs(ph.instantiate_s),
        secs(ph.call_s),
        secs(ph.resolve_s),
        secs(ph.outside_span_s),
        secs(ph.queue_wait_s),
    )
}

fn cold_start(md: &mut String, doc: &Document) -> fmt::Result {
    let noop = &doc.wask.cold_start.noop;
    writeln!(
        md,
        "- **Cold start**: warm cache {}, no cache {}; the process exits {} after \
         spawn.",
        secs(noop.warm_cache.first_result_p50_s),
        secs(noop.no_cache.first_result_p50_s),
        secs(noop.warm_cache.exit_p50_s),
    )
}

fn rss(md: &mut String, doc: &Document) -> fmt::Result {
    let rss = &doc.wask.rss;
    writeln!(
        md,
        "- **Peak RSS**: {} over {} tasks, against {} for `host run` of one task: \
         the process starts at the latter, and the tasks add {:.0} bytes each.",
        show(Unit::Bytes, rss.peak_rss_bytes),
        thousands(or_nan(rss.tasks)),
        show(Unit::Bytes, rss.baseline_peak_rss_bytes),
        (or_nan(rss.peak_rss_bytes) - or_nan(rss.baseline_peak_rss_bytes)) / or_nan(rss.tasks),
    )
}

fn memo(md: &mut String, doc: &Document) -> fmt::Result {
    let m = &doc.wask.memo;
    writeln!(
        md,
        "- **Seed demo with --memo**: the first run took {} (each distinct call computed \
         and stored), the second {}, which is the cost of its hits: each hashes its \
         arguments into the memo key (SHA-256; an image-filters call hashes a 2 MB \
         PNG), then reads, verifies and decodes its entry. A digest kept per shared \
         argument buffer, or a faster hash for the key, would cut the first part. \
         Memoisation is local only so far: in cluster mode `--memo` is refused with an \
         error that says so; a memo store in NATS KV, read by the driver before it \
         publishes a task and written by the worker after it succeeds, is what is left.",
        secs(m.first_s),
        secs(m.second_s),
    )
}

fn echo(md: &mut String, doc: &Document) -> fmt::Result {
    let e = &doc.wask.library.echo;
    let wask = match &e.wask_generic.error {
        Some(error) => {
            let small = &e.small.wask_generic;
            format!(
                "Wask's path fails at 10 MiB (`{error}`); at 1 MiB it takes {}: the wasm \
                 call with lowering and lifting {}, after the return {}, outside the span \
                 (`bytes_value`, the signature check, submit, `get`, `value_bytes`) {}",
                secs(small.p50_s),
                secs(small.call_p50_s),
                secs(small.resolve_p50_s),
                secs(small.outside_span_p50_s),
            )
        }
        None => format!(
            "Wask's path takes {} end to end: the wasm call with lowering and lifting \
             {}, after the return {}, outside the span (`bytes_value`, the signature \
             check, submit, `get`, `value_bytes`) {}",
            secs(e.wask_generic.p50_s),
            secs(e.wask_generic.call_p50_s),
            secs(e.wask_generic.resolve_p50_s),
            secs(e.wask_generic.outside_span_p50_s),
        ),
    };
    writeln!(
        md,
        "- **10 MiB generic path**: {wask}; typed, instantiation and call together \
         take {}. For scale, wasmtime's dynamic `Val` path (one `Val` per byte, \
         hostcall fuel raised) takes {}.",
        secs(e.typed.p50_s),
        secs(e.raw_val.p50_s),
    )
}

/// Parallel speedups of both sides: how well the workers ran side by side.
fn speedups(md: &mut String, doc: &Document) -> fmt::Result {
    let speedup = |serial: Option<f64>, parallel: Option<f64>| Some(serial? / parallel?);
    let wask = Seed::ALL.map(|seed| {
        let c = doc.wask.seed_cases.get(seed);
        speedup(c.serial_s, c.parallel_s)
    });
    let ray = Seed::ALL.map(|seed| {
        let c = doc.ray.cases.get(seed);
        speedup(c.serial_s, c.parallel_s)
    });
    let Some(cores) = doc.config.cores.filter(|&c| c > 1) else {
        return Ok(());
    };
    if wask.iter().all(Option::is_none) {
        return Ok(());
    }
    let list = |v: &[Option<f64>]| {
        v.iter()
            .map(|s| s.map_or("—".into(), |s| format!("{s:.2}×")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let best = wask.iter().flatten().copied().fold(0.0, f64::max);
    writeln!(
        md,
        "- **Parallel speedups** of the seed cases (Fibonacci, Monte Carlo π, images; \
         serial over parallel time, {cores} workers): Wask {}; Ray {}.{}",
        list(&wask),
        list(&ray),
        if best < 1.5 {
            " Wask's best is under 1.5×, and its no-op throughput does not grow with \
             the workers either: in this run its tasks hardly ran side by side, which \
             weighs on every parallel figure above."
        } else {
            ""
        },
    )
}

fn cluster(md: &mut String, doc: &Document, goal: Goal) -> fmt::Result {
    let c = &doc.wask.cluster;
    let what = match goal {
        Goal::ClusterThroughput => format!(
            "**Cluster throughput.** {} tasks took {}. Each task is a JetStream publish \
             (acknowledged by the server), a pull and an ack by a worker, a create-only \
             KV write of the result and its delivery to the driver's watcher, plus the \
             local work of both sides; the run's two workers and the driver share the \
             machine's cores with nats-server.",
            c.throughput.tasks.map_or("—".into(), |n| n.to_string()),
            secs(c.throughput.wall_s),
        ),
        Goal::ClusterRoundTrip => format!(
            "**One task in flight on the cluster.** p50 {}, p99 {}: a publish \
             acknowledged by the server, a worker's pull (long-polling), a run in a fresh \
             store, a KV write and the watcher's delivery, one after the other.",
            secs(c.round_trip.p50_s),
            secs(c.round_trip.p99_s),
        ),
        Goal::ClusterSeed(seed) => {
            let case = c.case(seed);
            format!(
                "**{} on the cluster.** {} on the cluster against {} locally: the \
                 inputs and results travel through NATS (through the object store past \
                 256 KiB), and the workers compile the component once each.",
                seed.case_title(),
                secs(case.and_then(|c| c.cluster_s)),
                secs(case.and_then(|c| c.local_parallel_s)),
            )
        }
        _ => return Ok(()),
    };
    writeln!(md, "{what}\n")
}

fn cli_repeat(md: &mut String, doc: &Document) -> fmt::Result {
    let r = &doc.wask.rss;
    let cores = doc.config.cores;
    let cpu = match (r.user_s, r.system_s) {
        (Some(user), Some(system)) => format!(
            " ({} CPU in user mode, {} in the kernel)",
            duration(user),
            duration(system)
        ),
        _ => String::new(),
    };
    writeln!(
        md,
        "- **`host run --repeat`**: {} tasks took {} from spawn to exit{cpu}; the \
         library alone runs {} no-op tasks/s with the same workers. The rest is the \
         process: start, loading the compiled component, and a result line printed per \
         task.",
        thousands(or_nan(r.tasks)),
        secs(r.wall_s),
        thousands(or_nan(
            cores.and_then(|c| doc.wask.library.throughput.tasks_per_s(c))
        )),
    )
}

/// The library's Fibonacci kernel against native, as a sentence.
fn fib_kernel(doc: &Document) -> String {
    let k = doc.wask.library.kernels.get(Seed::Fibonacci);
    format!(
        "in the library one call takes {} as a task and {} natively ({:.2}×)",
        secs(k.wasm_task_s),
        secs(k.native_s),
        or_nan(k.ratio_wasm_over_native),
    )
}

fn fib_call(md: &mut String, doc: &Document) -> fmt::Result {
    let f = &doc.wask.fib_call;
    let touched = or_nan(f.minor_faults) * 4096.0;
    writeln!(
        md,
        "- **One Fibonacci call** (`{}`): {} from spawn to exit, of which {} CPU in \
         user mode and {} in the kernel, with {} page faults ({} of memory touched for \
         the first time) and a peak RSS of {}; {}. Both build the whole list as the \
         seed's code does, about 434 MB of limbs for 100,000 numbers, and the kernel's \
         share of the time is the page faults that fill that memory. What would close \
         it: pages faulted in 2 MiB at a time (transparent huge pages for the linear \
         memory, 512 times fewer faults), or memory the pooling allocator keeps \
         resident between tasks (this run keeps 2 MiB, so a task never sees another's \
         data and the process stays small).",
        or_unknown(f.call.as_deref()),
        secs(f.wall_s),
        secs(f.user_s),
        secs(f.system_s),
        thousands(or_nan(f.minor_faults)),
        show(Unit::Bytes, Some(touched)),
        show(Unit::Bytes, f.peak_rss_bytes),
        fib_kernel(doc),
    )
}

fn serial_over_ray(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(
        md,
        "- **Seed case 1 against Ray**: Wask's serial case takes {} and Ray's {}; the \
         case is {} calls of the Fibonacci kernel one after the other, and {}. Ray runs \
         the seed's Python, whose bigints are CPython's own C code: to be 2× faster \
         Wask's kernel needs to be, first of all, as fast as native code without the \
         page faults of filling its memory (see the Fibonacci call above).",
        secs(doc.wask.seed_cases.get(Seed::Fibonacci).serial_s),
        secs(doc.ray.cases.get(Seed::Fibonacci).serial_s),
        doc.config.cores.unwrap_or(2),
        fib_kernel(doc),
    )
}

fn bytes_arg(md: &mut String, doc: &Document) -> fmt::Result {
    let row = doc
        .wask
        .library
        .bytes_shapes
        .iter()
        .find(|r| r.shape == super::targets::BYTES_ARG_SHAPE);
    let Some(row) = row else {
        return Ok(());
    };
    writeln!(
        md,
        "- **10 MB argument**: the typed call takes {}, Wask's bulk path {:.2}× that and \
         adds {:.2}× the value to the process at its peak (the generic path: {:.2}×, \
         {:.2}×). The bulk path copies the bytes once, into the guest's memory, as the \
         typed call does; the rest is the value's own buffer and the task's set-up.",
        secs(row.typed_p50_s),
        or_nan(row.ratio_bulk_over_typed),
        or_nan(row.bulk.peak_over_value),
        or_nan(row.ratio_generic_over_typed),
        or_nan(row.generic.peak_over_value),
    )
}

fn setup(md: &mut String, doc: &Document, goal: Goal) -> fmt::Result {
    let s = &doc.wask.setup;
    let demo = goal == Goal::SetupDemo;
    let step = if demo { &s.demo } else { &s.test };
    let name = if demo { "demo" } else { "test" };
    let cpu = or_nan(step.user_s) + or_nan(step.system_s);
    let busy = cpu / or_nan(step.wall_s);
    // When a step began: the first event whose line starts with `prefix`.
    let at = |prefix: &str| {
        step.events
            .iter()
            .find(|(_, line)| line.starts_with(prefix))
            .map(|(at, _)| *at)
    };
    let compiled = |from: Option<f64>| -> String {
        match (from, at("Finished `")) {
            (Some(from), Some(to)) => format!(" Compiling took {} of it.", duration(to - from)),
            _ => String::new(),
        }
    };
    let why = if demo {
        format!(
            "Nearly all of it is compiling: the one optimised build of wasmtime, \
             Cranelift and the project's crates (which the tests then reuse), with the \
             guests' build beside it ({} from the start to the guests ready); \
             Cranelift's code generator is the largest single crate, and the project's \
             own crates compile one after another at the end. The cores are saturated, \
             so only compiling less closes the gap: the demo uses the `host` binary \
             only to build the seed's Python guest, so a demo built without the \
             service's HTTP stack, or a binary release of `host` (no compiling at all), \
             would.",
            secs(at("xtask: the guests")),
        )
    } else {
        format!(
            "The tests reuse the demo's optimised build: what is compiled is the test \
             targets themselves (the integration tests are one large crate).{} The \
             rest is running them: every test once, then the library and CLI suites \
             again against a cluster of worker processes; the authoring tests build \
             real guests with componentize-js, componentize-py and `cargo component`. \
             Fewer, smaller test crates, or those guests built once per run rather \
             than once per test, would close the gap.",
            compiled(at("xtask: cargo test")),
        )
    };
    writeln!(
        md,
        "- **`cargo xtask {name}` on a fresh clone**: {} wall, {} of CPU ({busy:.1} of \
         {} cores busy on average); when each step began is in Set-up in Wask in detail. \
         {why}",
        secs(step.wall_s),
        duration(cpu),
        or_nan(doc.config.cores.map(|c| c as f64)),
    )
}
