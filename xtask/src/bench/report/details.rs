//! `## Wask in detail`: every figure of Wask's side, one subsection per measurement.

use std::fmt::{self, Write as _};

use super::document::{Document, Seed};
use super::format::{Unit, duration, or_dash, or_nan, or_unknown, secs, show, thousands};

pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "## Wask in detail\n")?;
    round_trip(md, doc)?;
    throughput(md, doc)?;
    instantiation(md, doc)?;
    seed_cases(md, doc)?;
    kernels(md, doc)?;
    echo(md, doc)?;
    bytes_shapes(md, doc)?;
    cold_start(md, doc)?;
    rss(md, doc)?;
    hot_path(md, doc)?;
    setup(md, doc)
}

fn round_trip(md: &mut String, doc: &Document) -> fmt::Result {
    let rt = &doc.wask.library.roundtrip;
    let r = &rt.result;
    writeln!(md, "### No-op round trip\n")?;
    writeln!(
        md,
        "{} workers, {} round trips after {} of warm-up: p50 **{}**, p90 {}, p99 **{}**, \
         mean {}, min {}, max {}.\n",
        rt.n_workers.unwrap_or_default(),
        r.count.unwrap_or_default(),
        rt.warmup.unwrap_or_default(),
        secs(r.p50_s),
        secs(r.p90_s),
        secs(r.p99_s),
        secs(r.mean_s),
        secs(r.min_s),
        secs(r.max_s),
    )
}

fn throughput(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "### No-op throughput\n")?;
    writeln!(
        md,
        "| workers | tasks per batch | tasks/s (median) | submit phase |"
    )?;
    writeln!(md, "|---|---|---|---|")?;
    for row in &doc.wask.library.throughput.rows {
        writeln!(
            md,
            "| {} | {} | {} | {} |",
            or_dash(row.n_workers),
            thousands(row.tasks.unwrap_or_default()),
            thousands(row.tasks_per_s.unwrap_or_default()),
            secs(row.submit_phase_p50_s),
        )?;
    }
    md.push('\n');
    if let Some(cores) = doc.config.cores.filter(|&c| c < 4) {
        writeln!(
            md,
            "This machine has {cores} cores, so the 4-worker row shares them: whether 4 \
             workers do more than 2 (issue 12's goal) needs a machine with 4 cores.\n"
        )?;
    }
    Ok(())
}

fn instantiation(md: &mut String, doc: &Document) -> fmt::Result {
    let inst = &doc.wask.library.instantiation;
    writeln!(md, "### Instantiation\n")?;
    writeln!(
        md,
        "One task's sandbox, on one worker: a fresh store and instance and the call of \
         `noop()`, from the task's span: **{}** (p50; instantiation {}, the call {}). The \
         same with a plain wasmtime engine (pooling allocator, otherwise default settings, \
         an empty linker, a typed call): {} p50; Wask/plain: {:.2}. The whole 1-worker \
         round trip: {} p50.\n",
        secs(inst.wask_instantiate_call_p50_s),
        secs(inst.wask_phases.instantiate_p50_s),
        secs(inst.wask_phases.call_p50_s),
        secs(inst.plain_wasmtime_instantiate_call.p50_s),
        or_nan(inst.wask_over_plain),
        secs(inst.wask_roundtrip_1_worker.p50_s),
    )
}

fn seed_cases(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "### Seed cases (the `seed_demo` example)\n")?;
    writeln!(
        md,
        "| case | tasks | serial | parallel | speedup | check | Ray serial | Ray parallel |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|")?;
    for seed in Seed::ALL {
        let c = doc.wask.seed_cases.get(seed);
        let r = doc.ray.cases.get(seed);
        writeln!(
            md,
            "| {} | {} | {} | {} | {:.2}× | {} | {} | {} |",
            seed.demo_name(),
            or_dash(c.what.as_deref()),
            secs(c.serial_s),
            secs(c.parallel_s),
            or_nan(c.speedup),
            or_dash(c.check.as_deref()),
            show(Unit::Seconds, r.serial_s),
            show(Unit::Seconds, r.parallel_s),
        )?;
    }
    // The seed's own Python in wasm: case 1 is the very function Ray runs, case 2 the
    // chapter's `random.uniform` loop where Ray's case 2 draws with numpy.
    for (name, seed, c) in doc.wask.seed_cases.python() {
        let r = doc.ray.cases.get(seed);
        let same_work = seed == Seed::Fibonacci;
        writeln!(
            md,
            "| {name} | {} | {} | {} | {:.2}× | {} | {} | {} |",
            or_dash(c.what.as_deref()),
            secs(c.serial_s),
            secs(c.parallel_s),
            or_nan(c.speedup),
            or_dash(c.check.as_deref()),
            show(Unit::Seconds, r.serial_s.filter(|_| same_work)),
            show(Unit::Seconds, r.parallel_s.filter(|_| same_work)),
        )?;
    }
    md.push('\n');
    if !doc.wask.seed_cases.python().is_empty() {
        writeln!(
            md,
            "`fibonacci-py` and `monte-carlo-py` are the seed chapter's own Python \
             functions (`guest-tasks/python/seed.py`, type hints added) built by `host \
             build`: CPython in wasm. Ray's figures beside `fibonacci-py` are the same \
             function on the same sizes; Ray's case 2 samples with numpy, so it is not \
             set beside the chapter's `sampling_task`, which draws one point at a time \
             from unseeded `random` (its check is of each run, as the counts differ).\n"
        )?;
    }
    Ok(())
}

fn kernels(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "### Seed kernels: wasm against native\n")?;
    writeln!(
        md,
        "| kernel | work per run | wasm task | wasm call only | native | wasm/native | call/native |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|")?;
    for seed in Seed::ALL {
        let k = doc.wask.library.kernels.get(seed);
        writeln!(
            md,
            "| {} | `{}` | {} | {} | {} | **{:.2}×** | {:.2}× |",
            seed.kernel_name(),
            or_dash(k.what.as_deref()),
            secs(k.wasm_task_s),
            secs(k.wasm_call_s),
            secs(k.native_s),
            or_nan(k.ratio_wasm_over_native),
            or_nan(k.ratio_call_over_native),
        )?;
    }
    md.push('\n');
    Ok(())
}

fn echo(md: &mut String, doc: &Document) -> fmt::Result {
    let echo = &doc.wask.library.echo;
    let ratio = |r: Option<f64>| r.map_or("—".into(), |r| format!("{r:.1}×"));
    let generic = match echo.wask_generic.p50_s {
        Some(p50) => format!(
            "**{}** (the wasm call with lowering and lifting: {})",
            duration(p50),
            secs(echo.wask_generic.call_p50_s)
        ),
        None => format!("failed: `{}`", or_dash(echo.wask_generic.error.as_deref())),
    };
    let small = &echo.small;
    writeln!(md, "### 10 MiB `list<u8>` in and out of a task\n")?;
    writeln!(
        md,
        "- typed path (`TypedFunc`, the anchor): **{}**\n- Wask's path (the bulk path): {}\n- \
         wasmtime's `Val` path alone, hostcall fuel raised: {}\n- generic/typed: **{}**\n- \
         at 1 MiB: typed {}, Wask generic {}, ratio {}\n",
        secs(echo.typed.p50_s),
        generic,
        secs(echo.raw_val.p50_s),
        ratio(echo.ratio_generic_over_typed),
        secs(small.typed.p50_s),
        small
            .wask_generic
            .p50_s
            .map_or_else(|| or_dash(small.wask_generic.error.as_deref()), duration),
        ratio(small.ratio_generic_over_typed),
    )
}

fn bytes_shapes(md: &mut String, doc: &Document) -> fmt::Result {
    let rows = &doc.wask.library.bytes_shapes;
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        md,
        "### 10 MiB of bytes through several signatures
"
    )?;
    writeln!(
        md,
        "Each call in a fresh instance: plain wasmtime's `TypedFunc` (the anchor), Wask's \
         bulk path (the default) and its generic path (`bulk_path: false`). Time as a \
         multiple of the typed call; memory is the peak one call added to the process \
         (`VmHWM`), as a multiple of the 10 MiB value.\n"
    )?;
    writeln!(
        md,
        "| signature | typed | bulk / typed | bulk memory | generic / typed | generic memory |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|")?;
    let times = |r: Option<f64>| r.map_or("—".into(), |r| format!("{r:.2}×"));
    let path = |p: &super::wask::BytesPath, ratio: Option<f64>| match &p.error {
        Some(e) => (format!("failed: `{e}`"), "—".to_owned()),
        None => (times(ratio), times(p.peak_over_value)),
    };
    for row in rows {
        let (bulk, bulk_memory) = path(&row.bulk, row.ratio_bulk_over_typed);
        let (generic, generic_memory) = path(&row.generic, row.ratio_generic_over_typed);
        writeln!(
            md,
            "| `{}` | {} | **{bulk}** | {bulk_memory} | {generic} | {generic_memory} |",
            row.shape,
            secs(row.typed_p50_s),
        )?;
    }
    md.push('\n');
    Ok(())
}

fn cold_start(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "### Cold start of `host run`\n")?;
    writeln!(
        md,
        "From spawn to the first result on stdout, median of {} runs (exit in brackets).\n",
        doc.config.cold_runs.unwrap_or_default()
    )?;
    writeln!(md, "| component, call | warm cache | no cache |")?;
    writeln!(md, "|---|---|---|")?;
    for (guest, c) in doc.wask.cold_start.each() {
        let fig = |runs: &super::wask::ColdRuns| {
            format!(
                "{} ({})",
                secs(runs.first_result_p50_s),
                secs(runs.exit_p50_s)
            )
        };
        writeln!(
            md,
            "| {guest}, `{}` | {} | {} |",
            or_dash(c.call.as_deref()),
            fig(&c.warm_cache),
            fig(&c.no_cache)
        )?;
    }
    md.push('\n');
    Ok(())
}

fn rss(md: &mut String, doc: &Document) -> fmt::Result {
    let rss = &doc.wask.rss;
    writeln!(md, "### Peak RSS\n")?;
    writeln!(
        md,
        "`host run` over {} no-op tasks: peak RSS **{}** (max of {} runs: {}), in {} \
         ({} tasks/s through the CLI, printing every result).\n",
        thousands(rss.tasks.unwrap_or_default()),
        show(Unit::Bytes, rss.peak_rss_bytes),
        rss.runs.unwrap_or_default(),
        show(Unit::Bytes, rss.peak_rss_max_bytes),
        secs(rss.wall_s),
        thousands(rss.tasks_per_s.unwrap_or_default()),
    )
}

fn hot_path(md: &mut String, doc: &Document) -> fmt::Result {
    let hot = &doc.wask.hot_path;
    writeln!(md, "### Hot path (criterion)\n")?;
    writeln!(md, "{}.\n", or_unknown(hot.settings.as_deref()))?;
    writeln!(md, "| benchmark | median | mean |\n|---|---|---|")?;
    for (name, e) in hot.each() {
        writeln!(
            md,
            "| `{name}` | {} | {} |",
            secs(e.median_s),
            secs(e.mean_s)
        )?;
    }
    md.push('\n');
    Ok(())
}

/// `### Set-up`: the README's two commands in a fresh clone, and when each step began.
fn setup(md: &mut String, doc: &Document) -> fmt::Result {
    let s = &doc.wask.setup;
    writeln!(md, "### Set-up on a fresh clone\n")?;
    if let Some(error) = &s.error {
        writeln!(md, "Not measured: {error}.\n")?;
        return Ok(());
    }
    if s.demo.wall_s.is_none() {
        writeln!(md, "Not measured in this run.\n")?;
        return Ok(());
    }
    writeln!(
        md,
        "The README's two commands, `cargo xtask demo` and then `cargo xtask test`, in a \
         fresh clone of {} with an empty target folder, one after the other, nothing else \
         running. Already on the machine, as after a first set-up, and outside the clone: \
         the cargo registry's downloads, the Debian packages, the guests' standard \
         library, and what `host` keeps in ~/.cache/wask (componentize-py and \
         componentize-js from PyPI and npm, and compiled components, among them the \
         seed's 18 MB Python guest). A first run on a new machine also pays for \
         those. CPU time counts every process the command waited for.\n",
        s.commit
            .as_deref()
            .map_or("the commit measured".to_owned(), |c| format!(
                "commit `{}`",
                &c[..c.len().min(10)]
            )),
    )?;
    writeln!(md, "| command | wall | CPU (user + system) | result |")?;
    writeln!(md, "|---|---|---|---|")?;
    for (name, step) in [("demo", &s.demo), ("test", &s.test)] {
        writeln!(
            md,
            "| `cargo xtask {name}` | **{}** | {} | {} |",
            secs(step.wall_s),
            secs(step.user_s.zip(step.system_s).map(|(u, k)| u + k)),
            match step.ok {
                Some(true) => "ok",
                Some(false) => "failed",
                None => "not run",
            },
        )?;
    }
    md.push('\n');
    for (name, step) in [("demo", &s.demo), ("test", &s.test)] {
        if step.events.is_empty() {
            continue;
        }
        writeln!(
            md,
            "When each step of `cargo xtask {name}` began (seconds from its start):\n"
        )?;
        writeln!(md, "| at | line printed |")?;
        writeln!(md, "|---|---|")?;
        for (at, line) in &step.events {
            writeln!(
                md,
                "| {at:.0} s | `{}` |",
                line.replace('`', "'").replace('|', "\\|")
            )?;
        }
        md.push('\n');
    }
    Ok(())
}
