//! The targets of issue 6, the generic-path target of the bench's brief, the cluster
//! targets of issue 10 and those issue 12 added (hand-offs through the CLI, one
//! Fibonacci call, seed case 1 against Ray, bytes as an argument, set-up time): each
//! with its bound, the measured figure, met or missed and by how much, and Ray's
//! figure; and the table of them in BENCHMARKS.md.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use super::document::{Document, Seed};
use super::format::{Unit, show};

/// One row of `targets` in benchmarks.json.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetRow {
    pub measure: String,
    /// The bound as shown: `≤ 15.0 µs`.
    pub target: String,
    pub bound: f64,
    /// `true` for "at most" (times, memory, ratios), `false` for "at least".
    pub at_most: bool,
    pub unit: Unit,
    pub measured: Option<f64>,
    /// Met or missed; none when there is no figure.
    pub met: Option<bool>,
    pub verdict: String,
    pub ray: Option<f64>,
    /// Where the target was set: `issue 6`, `bench brief`.
    pub source: String,
}

/// What a target is about. The profile finds a target's row by it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    RoundTrip,
    Throughput,
    Kernel(Seed),
    ColdStart,
    Rss,
    Echo,
    Memo,
    ClusterThroughput,
    ClusterRoundTrip,
    ClusterSeed(Seed),
    CliRepeat,
    FibCall,
    SerialOverRay,
    BytesArg,
    BytesArgMemory,
    SetupDemo,
    SetupTest,
}

/// The shape of the bytes-shapes table that the argument targets read.
pub const BYTES_ARG_SHAPE: &str = "list<u8> -> u64";

impl Goal {
    /// Every target, in the table's order.
    pub fn all() -> Vec<Goal> {
        let mut goals = vec![Goal::RoundTrip, Goal::Throughput];
        goals.extend(Seed::ALL.map(Goal::Kernel));
        goals.extend([Goal::ColdStart, Goal::Rss, Goal::Echo, Goal::Memo]);
        goals.extend([Goal::ClusterThroughput, Goal::ClusterRoundTrip]);
        goals.extend([Seed::Fibonacci, Seed::ImageFilters].map(Goal::ClusterSeed));
        goals.extend([
            Goal::CliRepeat,
            Goal::FibCall,
            Goal::SerialOverRay,
            Goal::BytesArg,
            Goal::BytesArgMemory,
            Goal::SetupDemo,
            Goal::SetupTest,
        ]);
        goals
    }

    /// The start of the row's `measure`, the same in every run.
    pub fn prefix(self) -> String {
        match self {
            Goal::RoundTrip => "no-op round trip".into(),
            Goal::Throughput => "no-op throughput".into(),
            Goal::Kernel(seed) => {
                format!("seed kernel in wasm / native: {}", seed.kernel_title())
            }
            Goal::ColdStart => "`host run` to first result".into(),
            Goal::Rss => "host peak RSS".into(),
            Goal::Echo => "10 MiB".into(),
            Goal::Memo => "seed demo with --memo".into(),
            Goal::ClusterThroughput => "cluster no-op throughput".into(),
            Goal::ClusterRoundTrip => "cluster one task in flight".into(),
            Goal::ClusterSeed(seed) => format!("cluster / local parallel: {}", seed.case_title()),
            Goal::CliRepeat => "`host run --repeat 100000` no-op".into(),
            Goal::FibCall => "one `generate-fibonacci".into(),
            Goal::SerialOverRay => "case 1 Fibonacci serial: Ray / Wask".into(),
            Goal::BytesArg => format!("10 MB argument to `{BYTES_ARG_SHAPE}`: time"),
            Goal::BytesArgMemory => format!("10 MB argument to `{BYTES_ARG_SHAPE}`: host memory"),
            Goal::SetupDemo => "set-up: `cargo xtask demo`".into(),
            Goal::SetupTest => "set-up: `cargo xtask test`".into(),
        }
    }

    /// The target, and this run's figures for it.
    fn target(self, doc: &Document) -> Target {
        let cores = doc.config.cores.unwrap_or(1);
        let lib = &doc.wask.library;
        let ray = &doc.ray;
        match self {
            Goal::RoundTrip => Target {
                measure: "no-op round trip p50".into(),
                at_most: true,
                bound: 15e-6,
                unit: Unit::Seconds,
                measured: lib.roundtrip.result.p50_s,
                ray: ray.noop.roundtrip.p50_s,
                source: "issue 6",
                failed: None,
            },
            Goal::Throughput => Target {
                measure: format!("no-op throughput, {cores} cores ({cores} workers)"),
                at_most: false,
                bound: 100_000.0,
                unit: Unit::PerSecond,
                measured: lib.throughput.tasks_per_s(cores),
                ray: ray.noop.throughput.tasks_per_s,
                source: "issue 6",
                failed: None,
            },
            Goal::Kernel(seed) => {
                let kernel = lib.kernels.get(seed);
                let what = kernel.what.as_deref().unwrap_or(seed.kernel_name());
                Target {
                    measure: format!("{}, `{what}`", self.prefix()),
                    at_most: true,
                    bound: 1.2,
                    unit: Unit::Ratio,
                    measured: kernel.ratio_wasm_over_native,
                    ray: None,
                    source: "issue 6",
                    failed: None,
                }
            }
            Goal::ColdStart => Target {
                measure: "`host run` to first result, warm cache (noop)".into(),
                at_most: true,
                bound: 0.050,
                unit: Unit::Seconds,
                measured: doc.wask.cold_start.noop.warm_cache.first_result_p50_s,
                ray: ray.startup.first_result_s(),
                source: "issue 6",
                failed: None,
            },
            Goal::Rss => Target {
                measure: "host peak RSS over 100,000 no-op tasks".into(),
                at_most: true,
                bound: 50e6,
                unit: Unit::Bytes,
                measured: doc.wask.rss.peak_rss_bytes,
                ray: ray.memory.peak_total_rss_bytes,
                source: "issue 6",
                failed: None,
            },
            Goal::Echo => Target {
                measure: "10 MiB `list<u8>` in and out: generic path / typed path".into(),
                at_most: true,
                bound: 2.0,
                unit: Unit::Ratio,
                measured: lib.echo.ratio_generic_over_typed,
                ray: None,
                source: "bench brief",
                failed: lib.echo.wask_generic.error.clone(),
            },
            Goal::Memo => Target {
                measure: "seed demo with --memo: first run / second run (every call memoised)"
                    .into(),
                at_most: false,
                bound: 100.0,
                unit: Unit::Ratio,
                measured: doc.wask.memo.speedup,
                ray: None,
                source: "issue 12",
                failed: None,
            },
            Goal::ClusterThroughput => Target {
                measure: "cluster no-op throughput, 2 worker processes".into(),
                at_most: false,
                bound: 20_000.0,
                unit: Unit::PerSecond,
                measured: doc.wask.cluster.throughput.tasks_per_s,
                ray: ray.noop.throughput.tasks_per_s,
                source: "issue 10",
                failed: doc.wask.cluster.error.clone(),
            },
            Goal::ClusterRoundTrip => Target {
                measure: "cluster one task in flight p50".into(),
                at_most: true,
                bound: 300e-6,
                unit: Unit::Seconds,
                measured: doc.wask.cluster.round_trip.p50_s,
                ray: ray.noop.roundtrip.p50_s,
                source: "issue 10",
                failed: doc.wask.cluster.error.clone(),
            },
            Goal::CliRepeat => Target {
                measure: format!(
                    "{}, `--parallel {}`, spawn to exit",
                    self.prefix(),
                    doc.wask.rss.parallel.unwrap_or(cores)
                ),
                at_most: false,
                bound: 80_000.0,
                unit: Unit::PerSecond,
                measured: doc.wask.rss.tasks_per_s,
                ray: ray.noop.throughput.tasks_per_s,
                source: "issue 12",
                failed: None,
            },
            Goal::FibCall => Target {
                measure: format!(
                    "one `{}` through `host run`, spawn to exit",
                    doc.wask
                        .fib_call
                        .call
                        .as_deref()
                        .unwrap_or("generate-fibonacci")
                ),
                at_most: true,
                bound: 0.150,
                unit: Unit::Seconds,
                measured: doc.wask.fib_call.wall_s,
                ray: None,
                source: "issue 12",
                failed: None,
            },
            Goal::SerialOverRay => Target {
                measure: format!("{}, wall time", self.prefix()),
                at_most: false,
                bound: 2.0,
                unit: Unit::Ratio,
                measured: (|| {
                    Some(
                        doc.ray.cases.get(Seed::Fibonacci).serial_s?
                            / doc.wask.seed_cases.get(Seed::Fibonacci).serial_s?,
                    )
                })(),
                // The ratio is Ray's figure over Wask's already.
                ray: None,
                source: "issue 12",
                failed: None,
            },
            Goal::BytesArg | Goal::BytesArgMemory => {
                let row = lib.bytes_shapes.iter().find(|r| r.shape == BYTES_ARG_SHAPE);
                let time = self == Goal::BytesArg;
                Target {
                    measure: if time {
                        format!("{}, bulk path / typed path", self.prefix())
                    } else {
                        format!("{}, peak added / value size", self.prefix())
                    },
                    at_most: true,
                    bound: if time { 2.0 } else { 3.0 },
                    unit: Unit::Ratio,
                    measured: row.and_then(|r| {
                        if time {
                            r.ratio_bulk_over_typed
                        } else {
                            r.bulk.peak_over_value
                        }
                    }),
                    ray: None,
                    source: "issue 12",
                    failed: row.and_then(|r| r.bulk.error.clone()),
                }
            }
            Goal::SetupDemo | Goal::SetupTest => {
                let setup = &doc.wask.setup;
                let demo = self == Goal::SetupDemo;
                let step = if demo { &setup.demo } else { &setup.test };
                Target {
                    measure: format!(
                        "{}{}, fresh clone, wall time",
                        self.prefix(),
                        if demo { "" } else { " after the demo" }
                    ),
                    at_most: true,
                    bound: if demo { 480.0 } else { 240.0 },
                    unit: Unit::Seconds,
                    measured: step.ok_wall_s(),
                    ray: None,
                    source: "issue 12",
                    failed: setup.error.clone().or_else(|| {
                        (step.ok == Some(false)).then(|| "the command failed".to_owned())
                    }),
                }
            }
            Goal::ClusterSeed(seed) => Target {
                measure: format!("{}, wall time", self.prefix()),
                at_most: true,
                bound: 1.15,
                unit: Unit::Ratio,
                measured: doc
                    .wask
                    .cluster
                    .case(seed)
                    .and_then(|c| c.ratio_cluster_over_local),
                ray: None,
                source: "issue 10",
                failed: doc.wask.cluster.error.clone(),
            },
        }
    }
}

/// One target as set, with this run's figures for it.
struct Target {
    measure: String,
    /// `true` for "at most", `false` for "at least".
    at_most: bool,
    bound: f64,
    unit: Unit,
    measured: Option<f64>,
    ray: Option<f64>,
    source: &'static str,
    /// Why there is no figure, when its measurement failed.
    failed: Option<String>,
}

impl Target {
    fn row(self) -> TargetRow {
        let (met, verdict) = verdict(self.at_most, self.bound, self.measured);
        let verdict = match (self.failed, self.measured) {
            (Some(why), None) => format!("failed: {why}"),
            _ => verdict,
        };
        let sign = if self.at_most { "≤" } else { "≥" };
        TargetRow {
            target: format!("{sign} {}", self.unit.show(self.bound)),
            measure: self.measure,
            bound: self.bound,
            at_most: self.at_most,
            unit: self.unit,
            measured: self.measured,
            met,
            verdict,
            ray: self.ray,
            source: self.source.to_owned(),
        }
    }
}

/// Met or missed, and by how much: the measured value over the bound for an upper
/// bound, the bound over the measured value for a lower one.
pub fn verdict(at_most: bool, bound: f64, measured: Option<f64>) -> (Option<bool>, String) {
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

/// Every target's row, from the run's figures.
pub fn targets(doc: &Document) -> Vec<TargetRow> {
    Goal::all()
        .into_iter()
        .map(|goal| goal.target(doc).row())
        .collect()
}

/// Whether the run missed the target (of the rows in `doc.targets`).
pub fn missed(doc: &Document, goal: Goal) -> bool {
    let prefix = goal.prefix();
    doc.targets
        .iter()
        .any(|t| t.measure.starts_with(&prefix) && t.met == Some(false))
}

/// `## Targets`: the table of `doc.targets`.
pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "## Targets\n")?;
    writeln!(
        md,
        "The targets of issue 6, then the generic-path target of the benchmark's brief, \
         then the cluster targets of issue 10, then those issue 12 added (its other \
         goals, round trip, throughput, kernels and memo, are rows above). \"Missed\" \
         says by how much: the measured value over the target for an \
         upper bound, the target over the measured value for a lower bound.\n"
    )?;
    writeln!(md, "| measure | target | measured | verdict | Ray here |")?;
    writeln!(md, "|---|---|---|---|---|")?;
    for t in &doc.targets {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            t.measure,
            t.target,
            show(t.unit, t.measured),
            t.verdict,
            show(t.unit, t.ray),
        )?;
    }
    md.push('\n');
    Ok(())
}
