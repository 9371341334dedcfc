//! Unit tests of timeline rendering on hand-made spans.

use std::time::{Duration, Instant};

use super::{TaskSpan, Timeline, nice_ticks};
use std::sync::Arc;

use crate::object_store::{Account, ObjectStore};
use wask_core::TenantId;

fn timeline(n_workers: usize, n_tasks: usize) -> Timeline {
    let store = ObjectStore::default();
    let tenant = TenantId::new("t");
    let account = Arc::new(Account::new(usize::MAX));
    let origin = Instant::now();
    let ms = |n: u64| origin + Duration::from_millis(n);
    let spans = (0..n_tasks)
        .map(|i| TaskSpan {
            object: store.put(&tenant, &account, crate::Value::Bool(true)).id(),
            label: "fib".into(),
            host: None,
            worker_idx: i % n_workers,
            submitted: ms(0),
            started: ms(10 * i as u64),
            instantiated: Some(ms(10 * i as u64 + 1)),
            returned: Some(ms(10 * i as u64 + 9)),
            resolved: ms(10 * i as u64 + 10),
            ok: i != 1,
        })
        .collect();
    Timeline {
        n_workers,
        origin,
        spans,
    }
}

#[test]
fn ticks_are_round_and_cover_the_run() {
    for total in [0.000_3, 0.042, 0.55, 1.0, 3.7, 118.0] {
        let (step, n) = nice_ticks(total);
        assert!(step * n as f64 >= total, "{total}: {step} x {n}");
        assert!((1..=10).contains(&n), "{total}: {n} ticks");
        let mantissa = step / 10f64.powf(step.log10().floor());
        assert!(
            [1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9),
            "{step}"
        );
    }
}

#[test]
fn svg_has_a_lane_per_worker_and_a_bar_per_task() {
    let svg = timeline(3, 7).to_svg("a <test> & more");
    assert_eq!(svg.matches(r#"class="lane""#).count(), 3);
    assert_eq!(svg.matches(r#"class="task""#).count(), 7);
    assert!(svg.contains("a &lt;test&gt; &amp; more"));
    assert!(svg.contains("#d64545"), "the failed task is drawn red");
}

#[test]
fn chrome_trace_has_one_task_event_per_task() {
    let mut written = Vec::new();
    timeline(2, 5).write_chrome_trace(&mut written).unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&written).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let tasks: Vec<_> = events
        .iter()
        .filter(|e| e["cat"] == "task" && e["ph"] == "X")
        .collect();
    assert_eq!(tasks.len(), 5);
    let phases = events.iter().filter(|e| e["cat"] == "phase").count();
    assert_eq!(phases, 15);
    let queue_pairs = events.iter().filter(|e| e["cat"] == "queue").count();
    assert_eq!(queue_pairs, 10);
}
