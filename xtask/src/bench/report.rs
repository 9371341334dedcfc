//! From the measured figures to the report: the targets of issue 6 with met or missed,
//! the Wask/Ray ratios, and docs/BENCHMARKS.md. Nothing here measures; every number
//! printed is read from the JSON document of the run.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

/// A number at a JSON pointer, such as `/wask/rss/peak_rss_bytes`.
fn num(doc: &Json, pointer: &str) -> Option<f64> {
    doc.pointer(pointer)?.as_f64()
}

fn text<'a>(doc: &'a Json, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer)?.as_str()
}

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Seconds,
    PerSecond,
    Bytes,
    Ratio,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::PerSecond => "tasks/s",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
        }
    }

    fn parse(name: &str) -> Unit {
        match name {
            "s" => Unit::Seconds,
            "tasks/s" => Unit::PerSecond,
            "bytes" => Unit::Bytes,
            _ => Unit::Ratio,
        }
    }

    fn show(self, value: f64) -> String {
        match self {
            Unit::Seconds => duration(value),
            Unit::PerSecond => format!("{} tasks/s", thousands(value)),
            Unit::Bytes => format!("{:.1} MB", value / 1e6),
            Unit::Ratio => format!("{value:.2}×"),
        }
    }
}

fn duration(s: f64) -> String {
    if !s.is_finite() {
        "n/a".into()
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One target: what is measured, the bound, and where its figures are in the document.
struct Target {
    measure: String,
    /// `true` for "at most" (times, memory, ratios), `false` for "at least".
    at_most: bool,
    bound: f64,
    unit: Unit,
    measured: Option<f64>,
    ray: Option<f64>,
    source: &'static str,
    /// Why there is no figure, when there is none.
    missing: Option<String>,
}

fn verdict(at_most: bool, bound: f64, measured: Option<f64>) -> (Option<bool>, String) {
    let Some(m) = measured else {
        return (None, "not measured".into());
    };
    if at_most {
        if m <= bound {
            (Some(true), "met".into())
        } else {
            (Some(false), format!("missed: {:.2}× the target", m / bound))
        }
    } else if m >= bound {
        (Some(true), "met".into())
    } else {
        (
            Some(false),
            format!("missed: {:.2}× short of it", bound / m),
        )
    }
}

/// The targets of issue 6 (and the generic-path target of the bench's brief), each
/// with the measured value, met or missed and by how much, and Ray's figure.
pub fn targets(doc: &Json) -> Json {
    let cores = num(doc, "/config/cores").unwrap_or(1.0) as u64;
    let throughput = doc
        .pointer("/wask/library/throughput/rows")
        .and_then(Json::as_array)
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["n_workers"].as_u64() == Some(cores))?
                .get("tasks_per_s")?
                .as_f64()
        });
    let ray_first = num(doc, "/ray/startup/process_start_to_first_result_s")
        .or_else(|| num(doc, "/ray/startup/script_start_to_first_result_s"));
    let mut list = vec![
        Target {
            measure: "no-op round trip p50".into(),
            at_most: true,
            bound: 15e-6,
            unit: Unit::Seconds,
            measured: num(doc, "/wask/library/roundtrip/result/p50_s"),
            ray: num(doc, "/ray/noop/roundtrip/p50_s"),
            source: "issue 6",
            missing: None,
        },
        Target {
            measure: format!("no-op throughput, {cores} cores ({cores} workers)"),
            at_most: false,
            bound: 100_000.0,
            unit: Unit::PerSecond,
            measured: throughput,
            ray: num(doc, "/ray/noop/throughput/tasks_per_s"),
            source: "issue 6",
            missing: None,
        },
    ];
    for (key, name) in [
        ("fibonacci", "Fibonacci"),
        ("monte_carlo_pi", "Monte Carlo π"),
        ("image_filters", "grayscale + blur"),
    ] {
        let what = text(doc, &format!("/wask/library/kernels/{key}/what")).unwrap_or(key);
        list.push(Target {
            measure: format!("seed kernel in wasm / native: {name}, `{what}`"),
            at_most: true,
            bound: 1.2,
            unit: Unit::Ratio,
            measured: num(
                doc,
                &format!("/wask/library/kernels/{key}/ratio_wasm_over_native"),
            ),
            ray: None,
            source: "issue 6",
            missing: None,
        });
    }
    list.push(Target {
        measure: "`host run` to first result, warm cache (noop)".into(),
        at_most: true,
        bound: 0.050,
        unit: Unit::Seconds,
        measured: num(doc, "/wask/cold_start/noop/warm_cache/first_result_p50_s"),
        ray: ray_first,
        source: "issue 6",
        missing: None,
    });
    list.push(Target {
        measure: "host peak RSS over 100,000 no-op tasks".into(),
        at_most: true,
        bound: 50e6,
        unit: Unit::Bytes,
        measured: num(doc, "/wask/rss/peak_rss_bytes"),
        ray: num(doc, "/ray/memory/peak_total_rss_bytes"),
        source: "issue 6",
        missing: None,
    });
    list.push(Target {
        measure: "10 MiB `list<u8>` in and out: generic path / typed path".into(),
        at_most: true,
        bound: 2.0,
        unit: Unit::Ratio,
        measured: num(doc, "/wask/library/echo/ratio_generic_over_typed"),
        ray: None,
        source: "bench brief",
        missing: text(doc, "/wask/library/echo/wask_generic/error").map(str::to_owned),
    });
    let rows: Vec<Json> = list
        .into_iter()
        .map(|t| {
            let (met, verdict) = verdict(t.at_most, t.bound, t.measured);
            let verdict = match (&t.missing, t.measured) {
                (Some(why), None) => format!("failed: {why}"),
                _ => verdict,
            };
            json!({
                "measure": t.measure,
                "target": format!("{} {}", if t.at_most { "≤" } else { "≥" }, t.unit.show(t.bound)),
                "bound": t.bound,
                "at_most": t.at_most,
                "unit": t.unit.name(),
                "measured": t.measured,
                "met": met,
                "verdict": verdict,
                "ray": t.ray,
                "source": t.source,
            })
        })
        .collect();
    Json::Array(rows)
}

/// One Wask/Ray comparison.
struct Ratio {
    measure: &'static str,
    unit: Unit,
    wask: Option<f64>,
    ray: Option<f64>,
    /// Whether a larger figure is better (throughput) or worse (times, memory).
    higher_is_better: bool,
    note: &'static str,
}

/// Wask/Ray ratios of the same measures from the same run.
pub fn ratios(doc: &Json) -> Json {
    let cores = num(doc, "/config/cores").unwrap_or(1.0) as u64;
    let wask_rate = doc
        .pointer("/wask/library/throughput/rows")
        .and_then(Json::as_array)
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["n_workers"].as_u64() == Some(cores))?
                .get("tasks_per_s")?
                .as_f64()
        });
    let mut list = Vec::new();
    for (wask, ray, serial, parallel) in [
        (
            "fibonacci",
            "fibonacci",
            "case 1 Fibonacci, serial",
            "case 1 Fibonacci, parallel",
        ),
        (
            "monte-carlo-pi",
            "monte_carlo_pi",
            "case 2 Monte Carlo π, serial",
            "case 2 Monte Carlo π, parallel",
        ),
        (
            "image-filters",
            "image_processing",
            "case 3 images, serial",
            "case 3 images, parallel",
        ),
    ] {
        for (measure, field) in [(serial, "serial_s"), (parallel, "parallel_s")] {
            list.push(Ratio {
                measure,
                unit: Unit::Seconds,
                wask: num(doc, &format!("/wask/seed_cases/{wask}/{field}")),
                ray: num(doc, &format!("/ray/cases/{ray}/{field}")),
                higher_is_better: false,
                note: "wall time of the whole case",
            });
        }
    }
    list.push(Ratio {
        measure: "no-op round trip p50",
        unit: Unit::Seconds,
        wask: num(doc, "/wask/library/roundtrip/result/p50_s"),
        ray: num(doc, "/ray/noop/roundtrip/p50_s"),
        higher_is_better: false,
        note: "submit then get, one at a time",
    });
    list.push(Ratio {
        measure: "no-op round trip p99",
        unit: Unit::Seconds,
        wask: num(doc, "/wask/library/roundtrip/result/p99_s"),
        ray: num(doc, "/ray/noop/roundtrip/p99_s"),
        higher_is_better: false,
        note: "",
    });
    list.push(Ratio {
        measure: "no-op throughput",
        unit: Unit::PerSecond,
        wask: wask_rate,
        ray: num(doc, "/ray/noop/throughput/tasks_per_s"),
        higher_is_better: true,
        note: "one worker per core on both sides",
    });
    list.push(Ratio {
        measure: "process start to first result",
        unit: Unit::Seconds,
        wask: num(doc, "/wask/cold_start/noop/warm_cache/first_result_p50_s"),
        ray: num(doc, "/ray/startup/process_start_to_first_result_s")
            .or_else(|| num(doc, "/ray/startup/script_start_to_first_result_s")),
        higher_is_better: false,
        note: "Wask: `host run`, warm cache; Ray: interpreter start to the first remote no-op",
    });
    list.push(Ratio {
        measure: "peak memory (RSS)",
        unit: Unit::Bytes,
        wask: num(doc, "/wask/rss/peak_rss_bytes"),
        ray: num(doc, "/ray/memory/peak_total_rss_bytes"),
        higher_is_better: false,
        note: "Wask: host over 100,000 no-op tasks; Ray: driver and all Ray processes over its run",
    });
    let rows: Vec<Json> = list
        .into_iter()
        .map(|r| {
            let ratio = match (r.wask, r.ray) {
                (Some(w), Some(ray)) if ray > 0.0 => Some(w / ray),
                _ => None,
            };
            let faster = ratio.map(|q| {
                let better = if r.higher_is_better { q } else { 1.0 / q };
                if better >= 1.0 {
                    format!("Wask {better:.1}× better")
                } else {
                    format!("Wask {:.1}× worse", 1.0 / better)
                }
            });
            json!({
                "measure": r.measure,
                "unit": r.unit.name(),
                "wask": r.wask,
                "ray": r.ray,
                "wask_over_ray": ratio,
                "reading": faster,
                "note": r.note,
            })
        })
        .collect();
    Json::Array(rows)
}

fn show(unit: &str, value: Option<f64>) -> String {
    value.map_or("—".into(), |v| Unit::parse(unit).show(v))
}

fn cell(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => "—".into(),
        other => other.to_string(),
    }
}

/// docs/BENCHMARKS.md, from the run's document.
pub fn markdown(doc: &Json) -> String {
    let mut md = String::new();
    let s = |p: &str| text(doc, p).unwrap_or("unknown").to_owned();
    let n = |p: &str| num(doc, p);
    let ray_measured = doc.pointer("/ray/measured").and_then(Json::as_bool) == Some(true);

    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `{}` ({} mode) on {}, in {:.0} s. Every figure below was measured by \
         that run on this machine; nothing is typed in by hand. To refresh: run it again \
         (`--quick` takes a few minutes, the full mode longer). The same figures, with \
         every run, are in [`benchmarks.json`](benchmarks.json).\n",
        s("/generated_by"),
        s("/mode"),
        s("/date_utc"),
        n("/duration_s").unwrap_or_default()
    );
    let _ = writeln!(
        md,
        "The machine is shared and small, so single figures are noisy: each is a median \
         of repeats, and comparisons are ratios measured in the same run.\n"
    );

    let _ = writeln!(md, "## Machine and versions\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| CPU | {} |", s("/machine/cpu_model"));
    let _ = writeln!(
        md,
        "| cores | {} |",
        n("/machine/cores").map_or("?".into(), |c| c.to_string())
    );
    let _ = writeln!(
        md,
        "| memory | {:.1} GiB |",
        n("/machine/memory_bytes").unwrap_or_default() / (1u64 << 30) as f64
    );
    let _ = writeln!(md, "| kernel | {} |", s("/machine/kernel"));
    let load = |p: &str| {
        doc.pointer(p)
            .and_then(Json::as_array)
            .map_or("?".into(), |a| {
                a.iter().map(cell).collect::<Vec<_>>().join(" ")
            })
    };
    let _ = writeln!(
        md,
        "| load average (1, 5, 15 min) | {} at the start, {} at the end |",
        load("/machine/loadavg_at_start"),
        load("/machine/loadavg_at_end")
    );
    let _ = writeln!(md, "| date (UTC) | {} |", s("/date_utc"));
    let _ = writeln!(md, "| host rustc | {} |", s("/versions/rustc"));
    let _ = writeln!(
        md,
        "| guest toolchain | {} ({} route) |",
        s("/versions/guest_rustc"),
        s("/versions/guest_toolchain_route")
    );
    let _ = writeln!(md, "| wasmtime | {} |", s("/versions/wasmtime"));
    let _ = writeln!(md, "| Wask | {} |", s("/versions/wask"));
    let _ = writeln!(
        md,
        "| Ray | {} (numpy {}, Pillow {}) |",
        s("/versions/ray"),
        s("/versions/numpy"),
        s("/versions/pillow")
    );
    let _ = writeln!(md, "| Python | {} |\n", s("/versions/python"));

    let _ = writeln!(md, "## Targets\n");
    let _ = writeln!(
        md,
        "The targets of issue 6 (and, last, the generic-path target of the benchmark's \
         brief). \"Missed\" says by how much: the measured value over the target for an \
         upper bound, the target over the measured value for a lower bound.\n"
    );
    let _ = writeln!(md, "| measure | target | measured | verdict | Ray here |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for t in doc["targets"].as_array().into_iter().flatten() {
        let unit = t["unit"].as_str().unwrap_or("ratio");
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&t["measure"]),
            cell(&t["target"]),
            show(unit, t["measured"].as_f64()),
            cell(&t["verdict"]),
            show(unit, t["ray"].as_f64()),
        );
    }
    md.push('\n');

    let _ = writeln!(md, "## Wask and Ray side by side\n");
    if ray_measured {
        let _ = writeln!(
            md,
            "Ray {} ran `bench/ray/seed_bench.py` on the same machine in the same run, \
             on the same images and sizes, with `ray.init(num_cpus={})`; each side checks \
             its own results (see Method). Ray's exit status: {}.\n",
            s("/versions/ray"),
            n("/config/cores").unwrap_or_default(),
            cell(&doc["ray"]["exit_status"]),
        );
        let _ = writeln!(md, "| measure | Wask | Ray | Wask/Ray | | note |");
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for r in doc["ratios"].as_array().into_iter().flatten() {
            let unit = r["unit"].as_str().unwrap_or("ratio");
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&r["measure"]),
                show(unit, r["wask"].as_f64()),
                show(unit, r["ray"].as_f64()),
                r["wask_over_ray"]
                    .as_f64()
                    .map_or("—".into(), |q| format!("{q:.3}")),
                cell(&r["reading"]),
                cell(&r["note"]),
            );
        }
        if let Some(error) = text(doc, "/ray/error") {
            let _ = writeln!(md, "\nRay's run reported an error: `{error}`.");
        }
        md.push('\n');
    } else {
        let _ = writeln!(
            md,
            "**Ray was not measured in this run**: {}. The Wask figures below stand \
             alone; the Ray column of the targets table is empty.\n",
            s("/ray/reason")
        );
    }

    details(&mut md, doc);
    profile(&mut md, doc);

    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(md, "{}", METHOD.trim());
    let _ = writeln!(md, "\n## Commands\n");
    let _ = writeln!(md, "Run from the repository root, in this order:\n\n```sh");
    for c in doc["commands"].as_array().into_iter().flatten() {
        let _ = writeln!(md, "{}", cell(c));
    }
    let _ = writeln!(md, "```");
    md
}

const METHOD: &str = "
- **Library figures** (round trip, throughput, instantiation, kernels, 10 MiB
  `list<u8>`) come from `host/benches/suite.rs`, built with the bench (release) profile
  and driven through the `wask` API (`Runtime::new`, `load`, `TaskComponent::call`,
  `submit`, `get`, `get_all`), without the on-disk cache. Phases of a task come from the
  runtime's own timeline spans. Plain wasmtime appears only as an anchor: the same
  component in an engine with a pooling allocator and otherwise default settings, an
  empty linker and typed calls.
- **The noop guest** (`guest-tasks/noop`, `wit/noop.wit`) is built `no_std` with its own
  allocator and imports nothing (no WASI), the cheapest task there is.
- **No-op round trip**: submit one `noop()` task and get it, one at a time, after a
  warm-up, with one worker per core; nearest-rank percentiles (as the Ray script's).
- **Throughput**: submit a batch of no-op tasks, then `get_all`; a first batch warms up
  and is not counted; median of the repeats.
- **Seed kernels, wasm vs native**: the same kernel code (`kernels/`) as a Wask task on
  one worker, one task at a time, against a native call in the same (optimised)
  process; the ratio of median wall times. \"Call only\" leaves out instantiation and
  value conversion (the span from instance ready to return). Results are compared:
  equal lengths and counts, equal grayscale pixels.
- **Seed cases**: the `seed_demo` example (as `cargo xtask demo` runs it), serial = one worker, one
  task at a time; parallel = one worker per core; its own checks (lengths, π within
  0.01, grayscale PNGs of the right size, serial == parallel). Ray's script checks the
  same on its side. Both sides read the same PNG files; Wask's Monte Carlo uses its
  seeded xoshiro256**, Ray's numpy's generator, so counts differ and both estimates are
  checked against π.
- **10 MiB `list<u8>`**: `echo` in a fresh instance per call on both paths. Typed:
  wasmtime's `TypedFunc<(Vec<u8>,), (Vec<u8>,)>` directly. Generic: Wask's path,
  `bytes_value`, `TaskComponent::call`, `submit`, `get`, `value_bytes`. The bytes that
  come back are compared with those sent.
- **Cold start**: `host run` of one call from spawn to its first line on stdout; \"warm
  cache\" after a first run filled `--cache-dir`, \"no cache\" with `--no-cache` (Cranelift
  compiles each time).
- **Peak RSS**: `ru_maxrss` of the host process from `wait4`, over
  `host run noop.wasm --invoke 'noop()' --repeat 100000` with stdout to /dev/null.
  Ray's figure is the sum of the RSS of its driver and every Ray process (sampled, so
  shared pages count once per process and short peaks can be missed).
- **Hot path**: criterion 0.7 (`host/benches/hot_path.rs`), one worker: `submit` alone,
  instantiate + call (from the task's span), `get` of a ready ref, and the round trip.
";

fn details(md: &mut String, doc: &Json) {
    let n = |p: &str| num(doc, p);
    let d = |p: &str| duration(n(p).unwrap_or(f64::NAN));
    let lib = "/wask/library";
    let _ = writeln!(md, "## Wask in detail\n");

    let _ = writeln!(md, "### No-op round trip\n");
    let _ = writeln!(
        md,
        "{} workers, {} round trips after {} of warm-up: p50 **{}**, p90 {}, p99 **{}**, \
         mean {}, min {}, max {}.\n",
        n(&format!("{lib}/roundtrip/n_workers")).unwrap_or_default(),
        n(&format!("{lib}/roundtrip/result/count")).unwrap_or_default(),
        n(&format!("{lib}/roundtrip/warmup")).unwrap_or_default(),
        d(&format!("{lib}/roundtrip/result/p50_s")),
        d(&format!("{lib}/roundtrip/result/p90_s")),
        d(&format!("{lib}/roundtrip/result/p99_s")),
        d(&format!("{lib}/roundtrip/result/mean_s")),
        d(&format!("{lib}/roundtrip/result/min_s")),
        d(&format!("{lib}/roundtrip/result/max_s")),
    );

    let _ = writeln!(md, "### No-op throughput\n");
    let _ = writeln!(
        md,
        "| workers | tasks per batch | tasks/s (median) | submit phase |"
    );
    let _ = writeln!(md, "|---|---|---|---|");
    for row in doc
        .pointer(&format!("{lib}/throughput/rows"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell(&row["n_workers"]),
            thousands(row["tasks"].as_f64().unwrap_or_default()),
            thousands(row["tasks_per_s"].as_f64().unwrap_or_default()),
            duration(row["submit_phase_p50_s"].as_f64().unwrap_or(f64::NAN)),
        );
    }
    md.push('\n');

    let _ = writeln!(md, "### Instantiation\n");
    let _ = writeln!(
        md,
        "One task's sandbox, on one worker: a fresh store and instance and the call of \
         `noop()`, from the task's span: **{}** (p50; instantiation {}, the call {}). The \
         same with a plain wasmtime engine (pooling allocator, otherwise default settings, \
         an empty linker, a typed call): {} p50; Wask/plain: {:.2}. The whole 1-worker \
         round trip: {} p50.\n",
        d(&format!("{lib}/instantiation/wask_instantiate_call_p50_s")),
        d(&format!(
            "{lib}/instantiation/wask_phases/instantiate_p50_s"
        )),
        d(&format!("{lib}/instantiation/wask_phases/call_p50_s")),
        d(&format!(
            "{lib}/instantiation/plain_wasmtime_instantiate_call/p50_s"
        )),
        n(&format!("{lib}/instantiation/wask_over_plain")).unwrap_or(f64::NAN),
        d(&format!(
            "{lib}/instantiation/wask_roundtrip_1_worker/p50_s"
        )),
    );

    let _ = writeln!(md, "### Seed cases (the `seed_demo` example)\n");
    let _ = writeln!(
        md,
        "| case | tasks | serial | parallel | speedup | check | Ray serial | Ray parallel |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for (wask, ray) in [
        ("fibonacci", "fibonacci"),
        ("monte-carlo-pi", "monte_carlo_pi"),
        ("image-filters", "image_processing"),
    ] {
        let c = &doc["wask"]["seed_cases"][wask];
        let r = &doc["ray"]["cases"][ray];
        let _ = writeln!(
            md,
            "| {wask} | {} | {} | {} | {:.2}× | {} | {} | {} |",
            cell(&c["what"]),
            duration(c["serial_s"].as_f64().unwrap_or(f64::NAN)),
            duration(c["parallel_s"].as_f64().unwrap_or(f64::NAN)),
            c["speedup"].as_f64().unwrap_or(f64::NAN),
            cell(&c["check"]),
            show("s", r["serial_s"].as_f64()),
            show("s", r["parallel_s"].as_f64()),
        );
    }
    md.push('\n');

    let _ = writeln!(md, "### Seed kernels: wasm against native\n");
    let _ = writeln!(
        md,
        "| kernel | work per run | wasm task | wasm call only | native | wasm/native | call/native |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for key in ["fibonacci", "monte_carlo_pi", "image_filters"] {
        let k = &doc["wask"]["library"]["kernels"][key];
        let _ = writeln!(
            md,
            "| {key} | `{}` | {} | {} | {} | **{:.2}×** | {:.2}× |",
            cell(&k["what"]),
            duration(k["wasm_task_s"].as_f64().unwrap_or(f64::NAN)),
            duration(k["wasm_call_s"].as_f64().unwrap_or(f64::NAN)),
            duration(k["native_s"].as_f64().unwrap_or(f64::NAN)),
            k["ratio_wasm_over_native"].as_f64().unwrap_or(f64::NAN),
            k["ratio_call_over_native"].as_f64().unwrap_or(f64::NAN),
        );
    }
    md.push('\n');

    let _ = writeln!(md, "### 10 MiB `list<u8>` in and out of a task\n");
    let echo = &doc["wask"]["library"]["echo"];
    let generic = match echo["wask_generic"]["p50_s"].as_f64() {
        Some(p50) => format!(
            "**{}** (the wasm call with lowering and lifting: {})",
            duration(p50),
            duration(
                echo["wask_generic"]["call_p50_s"]
                    .as_f64()
                    .unwrap_or(f64::NAN)
            )
        ),
        None => format!("failed: `{}`", cell(&echo["wask_generic"]["error"])),
    };
    let _ = writeln!(
        md,
        "- typed path (`TypedFunc`, the anchor): **{}**\n- Wask's generic path: {}\n- \
         wasmtime's `Val` path alone, hostcall fuel raised: {}\n- generic/typed: **{}**\n- \
         at 1 MiB: typed {}, Wask generic {}, ratio {}\n",
        duration(echo["typed"]["p50_s"].as_f64().unwrap_or(f64::NAN)),
        generic,
        duration(echo["raw_val"]["p50_s"].as_f64().unwrap_or(f64::NAN)),
        echo["ratio_generic_over_typed"]
            .as_f64()
            .map_or("—".into(), |r| format!("{r:.1}×")),
        duration(echo["small"]["typed"]["p50_s"].as_f64().unwrap_or(f64::NAN)),
        echo["small"]["wask_generic"]["p50_s"]
            .as_f64()
            .map_or_else(|| cell(&echo["small"]["wask_generic"]["error"]), duration),
        echo["small"]["ratio_generic_over_typed"]
            .as_f64()
            .map_or("—".into(), |r| format!("{r:.1}×")),
    );

    let _ = writeln!(md, "### Cold start of `host run`\n");
    let _ = writeln!(
        md,
        "From spawn to the first result on stdout, median of {} runs (exit in brackets).\n",
        n("/config/cold_runs").unwrap_or_default()
    );
    let _ = writeln!(md, "| component, call | warm cache | no cache |");
    let _ = writeln!(md, "|---|---|---|");
    for guest in ["noop", "fibonacci"] {
        let c = &doc["wask"]["cold_start"][guest];
        let fig = |mode: &str| {
            format!(
                "{} ({})",
                duration(c[mode]["first_result_p50_s"].as_f64().unwrap_or(f64::NAN)),
                duration(c[mode]["exit_p50_s"].as_f64().unwrap_or(f64::NAN))
            )
        };
        let _ = writeln!(
            md,
            "| {guest}, `{}` | {} | {} |",
            cell(&c["call"]),
            fig("warm_cache"),
            fig("no_cache")
        );
    }
    md.push('\n');

    let _ = writeln!(md, "### Peak RSS\n");
    let _ = writeln!(
        md,
        "`host run` over {} no-op tasks: peak RSS **{}** (max of {} runs: {}), in {} \
         ({} tasks/s through the CLI, printing every result).\n",
        thousands(n("/wask/rss/tasks").unwrap_or_default()),
        show("bytes", n("/wask/rss/peak_rss_bytes")),
        n("/wask/rss/runs").unwrap_or_default(),
        show("bytes", n("/wask/rss/peak_rss_max_bytes")),
        d("/wask/rss/wall_s"),
        thousands(n("/wask/rss/tasks_per_s").unwrap_or_default()),
    );

    let _ = writeln!(md, "### Hot path (criterion)\n");
    let _ = writeln!(md, "{}.\n", s_or(doc, "/wask/hot_path/settings"));
    let _ = writeln!(md, "| benchmark | median | mean |\n|---|---|---|");
    for name in ["submit", "instantiate_call", "get_ready", "round_trip"] {
        let _ = writeln!(
            md,
            "| `{name}` | {} | {} |",
            d(&format!("/wask/hot_path/{name}/median_s")),
            d(&format!("/wask/hot_path/{name}/mean_s")),
        );
    }
    md.push('\n');
}

fn s_or(doc: &Json, pointer: &str) -> String {
    text(doc, pointer).unwrap_or("unknown").to_owned()
}

/// For each missed target, what the measured breakdown of this run shows.
fn profile(md: &mut String, doc: &Json) {
    let n = |p: &str| num(doc, p).unwrap_or(f64::NAN);
    let missed = |prefix: &str| {
        doc["targets"].as_array().into_iter().flatten().any(|t| {
            t["measure"].as_str().is_some_and(|m| m.starts_with(prefix))
                && t["met"].as_bool() == Some(false)
        })
    };
    let _ = writeln!(md, "## What the profile shows for the missed targets\n");
    let _ = writeln!(
        md,
        "From the phases this run recorded (the runtime's timeline spans) and the anchors \
         measured next to them.\n"
    );
    let mut any = false;
    let lib = "/wask/library";
    if missed("no-op round trip") {
        any = true;
        let p = |k: &str| duration(n(&format!("{lib}/roundtrip/phases/{k}")));
        let _ = writeln!(
            md,
            "- **Round trip** ({} p50 in the traced pass): waiting in the queue for a \
             worker to wake {}, instantiation (fresh store, WASI context, instance) {}, the \
             call {}, after the return (dropping the store, resolving the ref) {}, and \
             outside the span (submit, and the caller waking in `get`) {}. A plain wasmtime engine instantiates and calls the \
             same component in {}.",
            p("traced_roundtrip_p50_s"),
            p("queue_wait_p50_s"),
            p("instantiate_p50_s"),
            p("call_p50_s"),
            p("resolve_p50_s"),
            p("outside_span_p50_s"),
            duration(n(&format!(
                "{lib}/instantiation/plain_wasmtime_instantiate_call/p50_s"
            ))),
        );
    }
    if missed("no-op throughput") {
        any = true;
        let per_task = n(&format!("{lib}/instantiation/wask_instantiate_call_p50_s"));
        let cores = n("/config/cores");
        let rate = |workers: f64| {
            doc.pointer(&format!("{lib}/throughput/rows"))
                .and_then(Json::as_array)
                .and_then(|rows| {
                    rows.iter()
                        .find(|r| r["n_workers"].as_f64() == Some(workers))?
                        .get("tasks_per_s")?
                        .as_f64()
                })
                .unwrap_or(f64::NAN)
        };
        let _ = writeln!(
            md,
            "- **Throughput**: a worker spends {} per task on instantiate + call \
             (1-worker spans), so {} workers could do about {} tasks/s if that were all; \
             they do {} tasks/s, against {} with 1 worker and {} with {}. The time goes \
             to handing tasks to the workers and results back (submit alone costs {} \
             per task on the caller, in criterion), not to the sandbox.",
            duration(per_task),
            cores,
            thousands(cores / per_task),
            thousands(rate(cores)),
            thousands(rate(1.0)),
            thousands(rate(2.0 * cores)),
            2.0 * cores,
            duration(n("/wask/hot_path/submit/median_s")),
        );
    }
    for (key, name) in [
        ("fibonacci", "Fibonacci"),
        ("monte_carlo_pi", "Monte Carlo π"),
        ("image_filters", "grayscale + blur"),
    ] {
        if missed(&format!("seed kernel in wasm / native: {name}")) {
            any = true;
            let k = format!("{lib}/kernels/{key}");
            let ph = |name: &str| duration(n(&format!("{k}/wasm_phases/{name}")));
            let _ = writeln!(
                md,
                "- **{name} kernel**: the wasm call alone (with lowering and lifting its \
                 values) is {:.2}× native ({} against {}); the task as a whole {:.2}× ({}). \
                 Per run: instantiation {}, call {}, after the return (dropping the store \
                 and its memory, resolving the ref) {}, outside the spans (submit, the \
                 caller waking in `get` and taking the value) {}, queue wait {}.",
                n(&format!("{k}/ratio_call_over_native")),
                ph("call_s"),
                duration(n(&format!("{k}/native_s"))),
                n(&format!("{k}/ratio_wasm_over_native")),
                duration(n(&format!("{k}/wasm_task_s"))),
                ph("instantiate_s"),
                ph("call_s"),
                ph("resolve_s"),
                ph("outside_span_s"),
                ph("queue_wait_s"),
            );
        }
    }
    if missed("`host run` to first result") {
        any = true;
        let _ = writeln!(
            md,
            "- **Cold start**: warm cache {}, no cache {}; the process exits {} after \
             spawn.",
            duration(n("/wask/cold_start/noop/warm_cache/first_result_p50_s")),
            duration(n("/wask/cold_start/noop/no_cache/first_result_p50_s")),
            duration(n("/wask/cold_start/noop/warm_cache/exit_p50_s")),
        );
    }
    if missed("host peak RSS") {
        any = true;
        let _ = writeln!(
            md,
            "- **Peak RSS**: {} over {} tasks, against {} for `host run` of one task: \
             the process starts at the latter, and the tasks add {:.0} bytes each.",
            show("bytes", num(doc, "/wask/rss/peak_rss_bytes")),
            thousands(n("/wask/rss/tasks")),
            show("bytes", num(doc, "/wask/rss/baseline_peak_rss_bytes")),
            (n("/wask/rss/peak_rss_bytes") - n("/wask/rss/baseline_peak_rss_bytes"))
                / n("/wask/rss/tasks"),
        );
    }
    if missed("10 MiB") {
        any = true;
        let e = "/wask/library/echo";
        let wask = match text(doc, &format!("{e}/wask_generic/error")) {
            Some(error) => format!(
                "Wask's path fails at 10 MiB (`{error}`); at 1 MiB it takes {}: the wasm \
                 call with lowering and lifting {}, after the return {}, outside the span \
                 (`bytes_value`, the signature check, submit, `get`, `value_bytes`) {}",
                duration(n(&format!("{e}/small/wask_generic/p50_s"))),
                duration(n(&format!("{e}/small/wask_generic/call_p50_s"))),
                duration(n(&format!("{e}/small/wask_generic/resolve_p50_s"))),
                duration(n(&format!("{e}/small/wask_generic/outside_span_p50_s"))),
            ),
            None => format!(
                "Wask's path takes {} end to end: the wasm call with lowering and lifting \
                 {}, after the return {}, outside the span (`bytes_value`, the signature \
                 check, submit, `get`, `value_bytes`) {}",
                duration(n(&format!("{e}/wask_generic/p50_s"))),
                duration(n(&format!("{e}/wask_generic/call_p50_s"))),
                duration(n(&format!("{e}/wask_generic/resolve_p50_s"))),
                duration(n(&format!("{e}/wask_generic/outside_span_p50_s"))),
            ),
        };
        let _ = writeln!(
            md,
            "- **10 MiB generic path**: {wask}; typed, instantiation and call together \
             take {}. For scale, wasmtime's dynamic `Val` path (one `Val` per byte, \
             hostcall fuel raised) takes {}.",
            duration(n(&format!("{e}/typed/p50_s"))),
            duration(n(&format!("{e}/raw_val/p50_s"))),
        );
    }
    // Parallel speedups of both sides: how well the workers ran side by side.
    let cores = n("/config/cores");
    let speedup = |side: &str, case: &str| {
        let (serial, parallel) = if side == "wask" {
            (
                num(doc, &format!("/wask/seed_cases/{case}/serial_s")),
                num(doc, &format!("/wask/seed_cases/{case}/parallel_s")),
            )
        } else {
            (
                num(doc, &format!("/ray/cases/{case}/serial_s")),
                num(doc, &format!("/ray/cases/{case}/parallel_s")),
            )
        };
        Some(serial? / parallel?)
    };
    let wask: Vec<Option<f64>> = ["fibonacci", "monte-carlo-pi", "image-filters"]
        .iter()
        .map(|c| speedup("wask", c))
        .collect();
    let ray: Vec<Option<f64>> = ["fibonacci", "monte_carlo_pi", "image_processing"]
        .iter()
        .map(|c| speedup("ray", c))
        .collect();
    if cores > 1.0 && wask.iter().any(Option::is_some) {
        let list = |v: &[Option<f64>]| {
            v.iter()
                .map(|s| s.map_or("—".into(), |s| format!("{s:.2}×")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let best = wask.iter().flatten().copied().fold(0.0, f64::max);
        let _ = writeln!(
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
        );
    }
    if !any {
        let _ = writeln!(md, "Every target was met in this run.");
    }
    md.push('\n');
}

#[cfg(test)]
mod test;
