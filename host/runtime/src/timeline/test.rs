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

#[test]
fn cluster_tasks_get_a_lane_per_slot_grouped_by_worker() {
    let mut timeline = timeline(2, 6);
    let hosts: [Arc<str>; 2] = ["worker-b".into(), "worker-a".into()];
    for (i, span) in timeline.spans.iter_mut().enumerate() {
        span.host = Some(hosts[i % 2].clone());
        span.worker_idx = i % 3;
    }
    let lanes = timeline.lanes();
    let names: Vec<String> = lanes.iter().map(super::Lane::label).collect();
    // No task ran here, so no local lane; each worker's slots together, in order.
    assert_eq!(
        names,
        [
            "worker-a/0",
            "worker-a/1",
            "worker-a/2",
            "worker-b/0",
            "worker-b/1",
            "worker-b/2"
        ]
    );
    let svg = timeline.to_svg("cluster");
    assert_eq!(svg.matches(r#"class="lane""#).count(), 6);
    assert!(svg.contains("6 slots of 2 cluster workers"));
    let mut trace = Vec::new();
    timeline.write_chrome_trace(&mut trace).unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&trace).unwrap();
    let processes: Vec<&str> = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(processes, ["worker worker-a", "worker worker-b"]);

    // A task run here as well (`TaskBuilder::local`) brings this process's lanes back.
    timeline.spans[0].host = None;
    assert_eq!(timeline.lanes()[0].label(), "worker 0");
}
