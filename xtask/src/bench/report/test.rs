//! Tests of the verdicts and of rendering a report with missing figures.

use serde_json::json;

use super::{markdown, targets, verdict};

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
    let mut doc = json!({
        "ray": { "measured": false, "reason": "--no-ray was given" },
        "wask": { "library": { "echo": { "wask_generic": { "error": "fuel" } } } },
    });
    doc["targets"] = targets(&doc);
    let md = markdown(&doc);
    assert!(md.contains("**Ray was not measured in this run**: --no-ray was given"));
    assert!(md.contains("| no-op round trip p50 | ≤ 15.0 µs | — | not measured | — |"));
    assert!(md.contains("failed: fuel"));
}
