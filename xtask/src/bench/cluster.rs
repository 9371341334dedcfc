//! The cluster figures: a `nats-server` of the run's own on a free loopback port with a
//! fresh store, two `host worker` processes, then `cluster_bench` (no-op throughput, one
//! task in flight, a 20 MiB component shipped) and the seed demo with `--nats` (its
//! parallel runs on the cluster), beside the local figures of the same run.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value as Json, json};

use super::Bench;
use super::measure::{demo_command, demo_rows};
use crate::project::repo;

/// Worker processes the figures are measured with, and the slots of each: more slots
/// than cores, so a worker has tasks in hand while others' results travel.
const WORKERS: usize = 2;
const SLOTS: &str = "8";

/// Children killed when dropped, so a failed measurement leaves no process behind.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Measures the cluster; `local` is this run's seed-case figures (`wask.seed_cases`).
pub fn measure(bench: &mut Bench, local: &Json) -> anyhow::Result<Json> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .context("no free loopback port")?
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let store = bench.work_dir.join("nats");
    let _ = std::fs::remove_dir_all(&store);
    let mut processes = Processes(Vec::new());
    let mut server = Command::new("nats-server");
    server
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(&store);
    bench.note(&server);
    processes.0.push(
        server
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nats-server (scripts/test-deps.sh installs it)")?,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Fresh caches: the ship figure is of workers that never saw the component.
    for idx in 0..WORKERS {
        let _ = std::fs::remove_dir_all(bench.work_dir.join(format!("cluster-cache-{idx}")));
    }
    for idx in 0..WORKERS {
        let mut worker = Command::new(&bench.host);
        worker
            .args(["worker", "--nats", &url, "--slots", SLOTS, "--cache-dir"])
            .arg(bench.work_dir.join(format!("cluster-cache-{idx}")));
        bench.note(&worker);
        processes.0.push(
            worker
                .env("WASK_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .context("cannot start host worker")?,
        );
    }

    let quick = bench.options.quick;
    let mut figures = run_bench(bench, &url, quick)?;
    figures["workers"] = json!(WORKERS);
    figures["slots_per_worker"] = json!(SLOTS.parse::<u64>()?);
    figures["seed_cases"] = seed_cases(bench, &url, local)?;
    Ok(figures)
}

fn run_bench(bench: &mut Bench, url: &str, quick: bool) -> anyhow::Result<Json> {
    let mut cmd = Command::new(repo().join("target/release/examples/cluster_bench"));
    cmd.args(["--nats", url, "--noop"])
        .arg(bench.guest("noop")?)
        .args(["--tasks", if quick { "5000" } else { "50000" }])
        .args(["--round-trips", if quick { "300" } else { "2000" }])
        .arg("--work-dir")
        .arg(&bench.work_dir);
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}");
    let out = cmd
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cluster_bench")?;
    if !out.status.success() {
        bail!("cluster_bench failed with {}", out.status);
    }
    serde_json::from_slice(&out.stdout).context("cluster_bench printed no JSON")
}

/// The seed demo with its parallel runs on the cluster, beside the local parallel run.
/// Its Rust cases only: a worker compiles a component it is sent when its first task
/// comes, which for the 18 MB of the Python guests would be tens of seconds inside the
/// timed run.
fn seed_cases(bench: &mut Bench, url: &str, local: &Json) -> anyhow::Result<Json> {
    let mut cmd = demo_command(bench, "demo-cluster")?;
    cmd.args(["--nats", url]);
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}");
    let out = cmd
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the seed demo on the cluster")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}");
    let rows = demo_rows(&stdout, out.status)?;
    let mut cases = serde_json::Map::new();
    for row in rows {
        let local_parallel = local[&row.case]["parallel_s"].as_f64();
        cases.insert(
            row.case.clone(),
            json!({
                "cluster_s": row.parallel_s,
                "local_parallel_s": local_parallel,
                "ratio_cluster_over_local": local_parallel.map(|l| row.parallel_s / l),
                "check_ok": row.ok,
                "check": row.check,
            }),
        );
    }
    Ok(Json::Object(cases))
}
