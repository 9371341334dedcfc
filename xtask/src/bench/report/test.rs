//! Tests of the verdicts, of rendering a report with missing figures, and of rendering
//! the committed docs/benchmarks.json, so the typed model cannot drift from it.

use serde_json::json;

use super::format::Unit;
use super::targets::{Goal, verdict};
use super::{Document, markdown, ratios, targets};
use crate::project::repo;

/// The committed docs/benchmarks.json, read into the model.
fn committed() -> Document {
    let path = repo().join("docs/benchmarks.json");
    let text = std::fs::read_to_string(&path).expect("docs/benchmarks.json is committed");
    serde_json::from_str(&text).expect("docs/benchmarks.json fits the model")
}

#[test]
fn verdicts() {
    assert_eq!(
        verdict(true, 15e-6, Some(10e-6)),
        (Some(true), "met".into())
    );
    assert_eq!(
        verdict(true, 15e-6, Some(30e-6)),
        (Some(false), "missed: 2.00× the target".into())
    );
    assert_eq!(
        verdict(false, 100_000.0, Some(40_000.0)),
        (Some(false), "missed: 2.50× short of it".into())
    );
    assert_eq!(verdict(false, 1.0, None), (None, "not measured".into()));
}

#[test]
fn a_report_without_figures_renders() {
    let mut doc = Document::from_json(&json!({
        "ray": { "measured": false, "reason": "--no-ray was given" },
        "wask": { "library": { "echo": { "wask_generic": { "error": "fuel" } } } },
    }))
    .unwrap();
    doc.targets = targets(&doc);
    let md = markdown(&doc);
    assert!(md.contains("**Ray was not measured in this run**: --no-ray was given"));
    assert!(md.contains("| no-op round trip p50 | ≤ 15.0 µs | — | not measured | — |"));
    assert!(md.contains("failed: fuel"));
}

#[test]
fn the_bytes_shapes_table_shows_each_path_against_the_typed_call() {
    let doc = Document::from_json(&json!({
        "wask": { "library": { "bytes_shapes": [
            {
                "shape": "list<u8> -> u64",
                "bytes": 10_485_760,
                "typed_p50_s": 0.019,
                "ratio_bulk_over_typed": 0.64,
                "ratio_generic_over_typed": 42.3,
                "bulk": { "p50_s": 0.0123, "call_p50_s": 0.0096, "peak_over_value": 1.0 },
                "generic": { "p50_s": 0.808, "peak_over_value": 41.0 },
            },
            { "shape": "string -> u32", "generic": { "error": "fuel" } },
        ] } },
    }))
    .unwrap();
    let md = markdown(&doc);
    assert!(
        md.contains("| `list<u8> -> u64` | 19.00 ms | **0.64×** | 1.00× | 42.30× | 41.00× |"),
        "{md}"
    );
    assert!(
        md.contains("| `string -> u32` | n/a | **—** | — | failed: `fuel` | — |"),
        "{md}"
    );
}

#[test]
fn a_section_the_report_does_not_know_yet_is_skipped() {
    let doc = Document::from_json(&json!({ "cluster": { "nodes": 3 }, "mode": "quick" }));
    assert_eq!(doc.unwrap().mode.as_deref(), Some("quick"));
}

#[test]
fn a_figure_of_the_wrong_type_is_an_error() {
    let err = Document::from_json(&json!({ "wask": { "rss": { "runs": "three" } } }));
    assert!(err.is_err());
}

#[test]
fn an_unknown_unit_reads_as_a_ratio() {
    let doc = Document::from_json(&json!({ "targets": [{ "unit": "percent" }, { "unit": "s" }] }))
        .unwrap();
    assert_eq!(doc.targets[0].unit, Unit::Ratio);
    assert_eq!(doc.targets[1].unit, Unit::Seconds);
}

#[test]
fn each_target_starts_with_the_prefix_the_profile_looks_for() {
    let doc = committed();
    let rows = targets(&doc);
    let goals = Goal::all();
    assert_eq!(rows.len(), goals.len());
    for (row, goal) in rows.iter().zip(goals) {
        assert!(row.measure.starts_with(&goal.prefix()), "{}", row.measure);
    }
}

#[test]
fn targets_and_ratios_agree_with_the_committed_json() {
    // The rows the model computes from the committed figures are the rows the
    // measuring run wrote next to them (up to the last bit: serde_json reads floats
    // fast rather than exactly, so a quotient can differ in its last place).
    fn json(rows: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(rows).unwrap()
    }
    let doc = committed();
    assert!(same(&json(&targets(&doc)), &json(&doc.targets)));
    assert!(same(&json(&ratios(&doc)), &json(&doc.ratios)));
}

/// Equal, but for numbers that differ by a few units in the last place.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn the_committed_json_renders() {
    let md = markdown(&committed());
    assert!(md.contains(
        "Written by `cargo xtask bench` (full mode) on 2026-11-27T22:12:50Z, in 1434 s."
    ));
    for row in [
        "| cores | 2 |",
        "| memory | 23.5 GiB |",
        "| load average (1, 5, 15 min) | 0.73 1.72 2.11 at the start, 3.32 2.67 2.52 at the end |",
        "| no-op round trip p50 | ≤ 15.0 µs | 10.6 µs | met | 1.82 ms |",
        "| host peak RSS over 100,000 no-op tasks | ≤ 50.0 MB | 14.4 MB | met | 1622.2 MB |",
        "| case 2 Monte Carlo π, serial | 58.00 ms | 181.37 ms | 0.320 | Wask 3.1× better | wall time of the whole case |",
        "2 workers, 20000 round trips after 2000 of warm-up: p50 **10.6 µs**, p90 56.2 µs, p99 **95.4 µs**, mean 18.5 µs, min 5.0 µs, max 693.2 µs.",
        "| 2 | 100,000 | 158,031 | 195.32 ms |",
        "| image_filters | `16 x grayscale-blur(1024x1024 PNG)` | 591.82 ms | 576.30 ms | 292.96 ms | **2.02×** | 1.97× |",
        "- at 1 MiB: typed 717.0 µs, Wask generic 417.5 µs, ratio 0.6×",
        "From spawn to the first result on stdout, median of 30 runs (exit in brackets).",
        "| fibonacci, `fib(100)` | 8.80 ms (15.10 ms) | 77.30 ms (85.78 ms) |",
        "`host run` over 100,000 no-op tasks: peak RSS **14.4 MB** (max of 3 runs: 14.6 MB), in 556.54 ms (179,680 tasks/s through the CLI, printing every result).",
        "| `round_trip` | 7.4 µs | 8.1 µs |",
        "- **Parallel speedups** of the seed cases (Fibonacci, Monte Carlo π, images; serial over parallel time, 2 workers): Wask 1.75×, 2.32×, 1.77×; Ray 1.95×, 1.50×, 1.74×.",
        "| no-op throughput (50000 tasks) | 4,622 tasks/s |",
        "| Rust | 1.81 s | 806.28 ms | 494.79 ms | 0.0 MB | 44.74 ms | 17.92 ms |",
        "| set-up: `cargo xtask demo`, fresh clone, wall time | ≤ 480.00 s | 792.05 s | missed: 1.65× the target | — |",
        "| one `generate-fibonacci(100000)` through `host run`, spawn to exit | ≤ 150.00 ms | 547.73 ms | missed: 3.65× the target | — |",
    ] {
        assert!(
            md.contains(&format!("{row}\n")),
            "no line `{row}` in:\n{md}"
        );
    }
    // Every figure the model reads is in the json or shown as missing on purpose: no
    // NaN or placeholder, and a "—" only as a table cell (a target Ray has no figure
    // for, or one this run did not measure).
    for missing in ["n/a", "NaN", "unknown", "?"] {
        assert!(!md.contains(missing), "`{missing}` in:\n{md}");
    }
    assert_eq!(md.matches('—').count(), md.matches(" — |").count(), "{md}");
}

#[test]
fn the_python_guests_rows_render_beside_the_rust_ones() {
    let doc = Document::from_json(&json!({
        "ray": {
            "measured": true,
            "cases": {
                "fibonacci": { "serial_s": 0.9, "parallel_s": 0.5 },
                "monte_carlo_pi": { "serial_s": 0.1, "parallel_s": 0.07 },
            },
        },
        "wask": { "seed_cases": {
            "fibonacci": { "what": "2 x generate-fibonacci(100000)", "serial_s": 0.2,
                           "parallel_s": 0.1, "speedup": 2.0, "check": "ok: all 100000" },
            "fibonacci-py": { "what": "2 x generate-fibonacci(100000)", "serial_s": 3.0,
                              "parallel_s": 1.6, "speedup": 1.875, "check": "ok: all 100000" },
            "monte-carlo-py": { "what": "8 x sampling-task(200000, i)", "serial_s": 4.0,
                                "parallel_s": 2.0, "speedup": 2.0, "check": "ok: pi ~ 3.14" },
        } },
    }))
    .unwrap();
    let md = markdown(&doc);
    for row in [
        "| fibonacci-py | 2 x generate-fibonacci(100000) | 3.00 s | 1.60 s | 1.88× | ok: all 100000 | 900.00 ms | 500.00 ms |",
        "| monte-carlo-py | 8 x sampling-task(200000, i) | 4.00 s | 2.00 s | 2.00× | ok: pi ~ 3.14 | — | — |",
    ] {
        assert!(md.contains(&format!("{row}\n")), "no row {row} in:\n{md}");
    }
    assert!(md.contains("`fibonacci-py` and `monte-carlo-py` are the seed chapter's own Python"));
}

#[test]
fn a_report_without_the_python_guests_has_no_python_rows() {
    let mut json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/benchmarks.json")).unwrap(),
    )
    .unwrap();
    for side in ["wask", "ray"] {
        if let Some(cases) = json[side]["seed_cases"].as_object_mut() {
            cases.retain(|name, _| !name.ends_with("-py"));
        }
    }
    let md = markdown(&Document::from_json(&json).unwrap());
    assert!(!md.contains("| fibonacci-py |"));
    assert!(!md.contains("own Python"));
}

#[test]
fn the_authoring_figures_render_with_a_language_that_failed() {
    let doc = Document::from_json(&json!({ "wask": { "authoring": { "languages": {
        "rust": { "first_build_s": 95.0, "cold_build_s": 12.5, "rebuild_s": 2.25,
                  "component_bytes": 84_000, "first_run_s": 0.4, "cached_run_s": 0.012 },
        "python": { "first_build_s": 40.0, "cold_build_s": 22.0, "rebuild_s": 21.0,
                    "component_bytes": 18_300_000, "first_run_s": 19.5, "cached_run_s": 0.2 },
        "js": { "error": "npm is not installed" },
    } } } }))
    .unwrap();
    let md = markdown(&doc);
    for row in [
        "## Writing tasks",
        "| Rust | 95.00 s | 12.50 s | 2.25 s | 0.1 MB | 400.00 ms | 12.00 ms |",
        "| Python | 40.00 s | 22.00 s | 21.00 s | 18.3 MB | 19.50 s | 200.00 ms |",
        "| JavaScript | not measured: npm is not installed | | | | | |",
    ] {
        assert!(md.contains(&format!("{row}\n")), "no row {row} in:\n{md}");
    }
    // A report from before the authoring figures has no such section.
    assert!(!markdown(&Document::default()).contains("## Writing tasks"));
}
