//! The cluster's figures in benchmarks.json (`wask.cluster`): no-op throughput and one
//! task in flight through NATS JetStream with two worker processes, a large component
//! shipped to workers that never saw it, and the seed cases on the cluster beside the
//! local parallel run; and the section of BENCHMARKS.md that shows them.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Deserialize;

use super::document::{Document, Seed};
use super::format::{duration, or_dash, thousands};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Cluster {
    /// Why the cluster could not be measured.
    pub error: Option<String>,
    pub workers: Option<u64>,
    pub throughput: ClusterThroughput,
    pub round_trip: ClusterRoundTrip,
    pub ship: Ship,
    /// Keyed by the seed demo's case names.
    pub seed_cases: BTreeMap<String, ClusterCase>,
}

impl Cluster {
    pub fn case(&self, seed: Seed) -> Option<&ClusterCase> {
        self.seed_cases.get(seed.demo_name())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClusterThroughput {
    pub tasks: Option<u64>,
    pub wall_s: Option<f64>,
    pub tasks_per_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClusterRoundTrip {
    pub runs: Option<u64>,
    pub p50_s: Option<f64>,
    pub p99_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ship {
    pub bytes: Option<f64>,
    /// Submit to result of the first task of a component no worker had.
    pub first_task_s: Option<f64>,
    /// The same task again, once the component is there.
    pub next_task_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClusterCase {
    pub cluster_s: Option<f64>,
    pub local_parallel_s: Option<f64>,
    pub ratio_cluster_over_local: Option<f64>,
    pub check_ok: Option<bool>,
    pub check: Option<String>,
}

/// `## Cluster`: the cluster's figures, or why there are none.
pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    let cluster = &doc.wask.cluster;
    writeln!(md, "## Cluster\n")?;
    if let Some(error) = &cluster.error {
        writeln!(md, "The cluster could not be measured: {error}\n")?;
        return Ok(());
    }
    let Some(workers) = cluster.workers else {
        writeln!(md, "This run did not measure the cluster.\n")?;
        return Ok(());
    };
    writeln!(
        md,
        "One `nats-server` (JetStream, file storage) on loopback and {workers} `host worker` \
         processes on the same machine, driven by `examples/cluster_bench.rs` and by the \
         seed demo with `--nats`.\n"
    )?;
    writeln!(md, "| measure | figure |")?;
    writeln!(md, "|---|---|")?;
    let t = &cluster.throughput;
    writeln!(
        md,
        "| no-op throughput ({} tasks) | {} |",
        or_dash(t.tasks),
        t.tasks_per_s
            .map_or("—".into(), |v| format!("{} tasks/s", thousands(v)))
    )?;
    let r = &cluster.round_trip;
    writeln!(
        md,
        "| one task in flight, submit to result ({} runs) | p50 {}, p99 {} |",
        or_dash(r.runs),
        r.p50_s.map_or("—".into(), duration),
        r.p99_s.map_or("—".into(), duration),
    )?;
    let s = &cluster.ship;
    writeln!(
        md,
        "| a {:.1} MB component to workers that never saw it: first task | {} |",
        s.bytes.unwrap_or(f64::NAN) / 1e6,
        s.first_task_s.map_or("—".into(), duration),
    )?;
    writeln!(
        md,
        "| the same task once the component is there | {} |",
        s.next_task_s.map_or("—".into(), duration),
    )?;
    writeln!(md)?;
    writeln!(
        md,
        "| seed case | local parallel | on the cluster | cluster / local | check |"
    )?;
    writeln!(md, "|---|---|---|---|---|")?;
    for seed in Seed::ALL {
        let Some(case) = cluster.case(seed) else {
            continue;
        };
        writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            seed.case_title(),
            case.local_parallel_s.map_or("—".into(), duration),
            case.cluster_s.map_or("—".into(), duration),
            case.ratio_cluster_over_local
                .map_or("—".into(), |v| format!("{v:.2}×")),
            case.check.as_deref().unwrap_or("—"),
        )?;
    }
    writeln!(md)
}
