//! Timelines written by `host run`: the Chrome trace and the SVG drawing.

use wask_tests::{guests, run_host};

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("wask-{}-{name}", std::process::id()))
}

#[test]
fn trace_json_has_one_complete_event_per_task_and_svg_one_lane_per_worker() {
    let trace = temp_path("run.json");
    let svg = temp_path("run.svg");
    let out = run_host(
        &[
            "run",
            guests::FIBONACCI,
            "--parallel",
            "3",
            "--invoke",
            "fib(1000)",
            "--invoke",
            "generate-fibonacci(3000)",
            "--repeat",
            "5",
            "--timeline",
            trace.to_str().unwrap(),
            "--timeline-svg",
            svg.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let trace_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let events = trace_json["traceEvents"].as_array().unwrap();
    let tasks: Vec<_> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "task")
        .collect();
    assert_eq!(tasks.len(), 10, "one complete event per task");
    for task in &tasks {
        let tid = task["tid"].as_u64().unwrap();
        assert!(tid < 3, "task on worker track {tid}");
        assert!(task["dur"].as_f64().unwrap() > 0.0);
    }
    let worker_tracks = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .count();
    assert_eq!(worker_tracks, 3);

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, 3, "one lane per worker");
    let bars = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("task"))
        .count();
    assert_eq!(bars, 10, "one bar per task");
    std::fs::remove_file(trace).unwrap();
    std::fs::remove_file(svg).unwrap();
}
