//! Wask's figures in benchmarks.json (`wask`): the library figures of the `suite` bench
//! target, the seed demo, cold starts and peak RSS of `host run`, and criterion's hot
//! path (the cluster and authoring figures have modules of their own). Times are in
//! seconds; see `document` for how fields are read.

use serde::Deserialize;

use super::document::Seed;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Wask {
    pub library: Library,
    pub seed_cases: SeedCases,
    pub memo: Memo,
    pub cold_start: ColdStarts,
    pub rss: Rss,
    pub fib_call: FibCall,
    pub hot_path: HotPath,
    pub cluster: super::cluster::Cluster,
    pub authoring: super::authoring::Authoring,
    pub setup: Setup,
}

/// One `generate-fibonacci` call through `host run`, spawn to exit (`measure::fib_call`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FibCall {
    /// The call, as given to `--invoke`.
    pub call: Option<String>,
    pub runs: Option<u64>,
    pub wall_s: Option<f64>,
    pub user_s: Option<f64>,
    pub system_s: Option<f64>,
    pub peak_rss_bytes: Option<f64>,
    pub minor_faults: Option<f64>,
}

/// The README's two commands in a fresh clone (`setup::measure`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Setup {
    pub commit: Option<String>,
    pub demo: SetupStep,
    pub test: SetupStep,
    /// Why there are no figures.
    pub error: Option<String>,
}

/// One of the README's commands, run to its end in the clone.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupStep {
    pub ok: Option<bool>,
    pub wall_s: Option<f64>,
    /// CPU time of the command and every process it waited for.
    pub user_s: Option<f64>,
    pub system_s: Option<f64>,
    /// When each step began, in seconds from the start, with the line that began it.
    pub events: Vec<(f64, String)>,
}

impl SetupStep {
    /// The wall time, if the command succeeded.
    pub fn ok_wall_s(&self) -> Option<f64> {
        self.wall_s.filter(|_| self.ok == Some(true))
    }
}

/// The seed demo run twice with `--memo` on an empty memo folder (`measure::memo`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Memo {
    /// The first run's cases, serial and parallel wall times summed.
    pub first_s: Option<f64>,
    /// The second run's, every call answered from the memo folder.
    pub second_s: Option<f64>,
    /// The first over the second.
    pub speedup: Option<f64>,
}

/// The figures of the `suite` bench target, driven through the `wask` API.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Library {
    pub roundtrip: RoundTrip,
    pub throughput: Throughput,
    pub instantiation: Instantiation,
    pub kernels: Kernels,
    pub echo: Echo,
    /// 10 MiB of bytes through several signatures; empty in reports made before.
    pub bytes_shapes: Vec<BytesShape>,
}

/// One signature moving 10 MiB: plain wasmtime's typed call, and Wask's bulk and
/// generic paths with the peak host memory each added.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BytesShape {
    /// The WIT signature.
    pub shape: String,
    pub bytes: Option<u64>,
    pub typed_p50_s: Option<f64>,
    pub ratio_bulk_over_typed: Option<f64>,
    pub ratio_generic_over_typed: Option<f64>,
    pub bulk: BytesPath,
    pub generic: BytesPath,
}

/// One Wask path of a [`BytesShape`], or why it failed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BytesPath {
    pub p50_s: Option<f64>,
    /// The largest memory one call added, as a multiple of the value's size.
    pub peak_over_value: Option<f64>,
    pub error: Option<String>,
}

/// Percentiles and the like of many timed runs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Distribution {
    pub count: Option<u64>,
    pub p50_s: Option<f64>,
    pub p90_s: Option<f64>,
    pub p99_s: Option<f64>,
    pub mean_s: Option<f64>,
    pub min_s: Option<f64>,
    pub max_s: Option<f64>,
}

/// Medians of the phases of a task, from the runtime's timeline spans.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Phases {
    pub queue_wait_p50_s: Option<f64>,
    pub instantiate_p50_s: Option<f64>,
    pub call_p50_s: Option<f64>,
    pub resolve_p50_s: Option<f64>,
    /// Round trip only: submit, and the caller waking in `get`.
    pub outside_span_p50_s: Option<f64>,
    /// Round trip only: the round trip of the traced pass.
    pub traced_roundtrip_p50_s: Option<f64>,
}

/// No-op round trips, submit then get, one at a time.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoundTrip {
    pub n_workers: Option<u64>,
    pub warmup: Option<u64>,
    pub result: Distribution,
    pub phases: Phases,
}

/// No-op tasks per second, one row per number of workers.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Throughput {
    pub rows: Vec<ThroughputRow>,
}

impl Throughput {
    /// The rate with `n_workers` workers, if that many were measured.
    pub fn tasks_per_s(&self, n_workers: u64) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.n_workers == Some(n_workers))?
            .tasks_per_s
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThroughputRow {
    pub n_workers: Option<u64>,
    /// Tasks per batch.
    pub tasks: Option<f64>,
    pub tasks_per_s: Option<f64>,
    pub submit_phase_p50_s: Option<f64>,
}

/// One task's sandbox on one worker, and plain wasmtime doing the same.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Instantiation {
    pub wask_instantiate_call_p50_s: Option<f64>,
    pub wask_phases: Phases,
    pub plain_wasmtime_instantiate_call: Distribution,
    pub wask_over_plain: Option<f64>,
    pub wask_roundtrip_1_worker: Distribution,
}

/// The seed kernels, each in wasm against native.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Kernels {
    pub fibonacci: Kernel,
    pub monte_carlo_pi: Kernel,
    pub image_filters: Kernel,
}

impl Kernels {
    pub fn get(&self, seed: Seed) -> &Kernel {
        match seed {
            Seed::Fibonacci => &self.fibonacci,
            Seed::MonteCarloPi => &self.monte_carlo_pi,
            Seed::ImageFilters => &self.image_filters,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Kernel {
    /// The work of one run, as a call: `generate-fibonacci(100000)`.
    pub what: Option<String>,
    pub wasm_task_s: Option<f64>,
    pub wasm_call_s: Option<f64>,
    pub native_s: Option<f64>,
    pub ratio_wasm_over_native: Option<f64>,
    pub ratio_call_over_native: Option<f64>,
    pub wasm_phases: KernelPhases,
}

/// The phases of a kernel's tasks, summed per run.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KernelPhases {
    pub queue_wait_s: Option<f64>,
    pub instantiate_s: Option<f64>,
    pub call_s: Option<f64>,
    pub resolve_s: Option<f64>,
    pub outside_span_s: Option<f64>,
}

/// A 10 MiB `list<u8>` in and out of a task, on the typed and the generic path.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Echo {
    pub ratio_generic_over_typed: Option<f64>,
    pub typed: EchoRuns,
    pub wask_generic: EchoRuns,
    /// wasmtime's dynamic `Val` path, hostcall fuel raised.
    pub raw_val: EchoRuns,
    /// The same at 1 MiB.
    pub small: SmallEcho,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SmallEcho {
    pub ratio_generic_over_typed: Option<f64>,
    pub typed: EchoRuns,
    pub wask_generic: EchoRuns,
}

/// One path of the echo: its median, its phases (generic path), or why it failed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EchoRuns {
    pub p50_s: Option<f64>,
    pub call_p50_s: Option<f64>,
    pub resolve_p50_s: Option<f64>,
    pub outside_span_p50_s: Option<f64>,
    pub error: Option<String>,
}

/// The seed demo's cases, medians of its runs.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SeedCases {
    pub fibonacci: DemoCase,
    #[serde(rename = "monte-carlo-pi")]
    pub monte_carlo_pi: DemoCase,
    #[serde(rename = "image-filters")]
    pub image_filters: DemoCase,
    /// The seed's own Python for cases 1 and 2, built by `host build`; absent from
    /// reports made before the demo ran it, or where it could not be built.
    #[serde(rename = "fibonacci-py")]
    pub fibonacci_py: DemoCase,
    #[serde(rename = "monte-carlo-py")]
    pub monte_carlo_py: DemoCase,
}

impl SeedCases {
    pub fn get(&self, seed: Seed) -> &DemoCase {
        match seed {
            Seed::Fibonacci => &self.fibonacci,
            Seed::MonteCarloPi => &self.monte_carlo_pi,
            Seed::ImageFilters => &self.image_filters,
        }
    }

    /// The Python guests' cases that were measured, each with its name in the demo's
    /// table and the seed case whose work it does.
    pub fn python(&self) -> Vec<(&'static str, Seed, &DemoCase)> {
        [
            ("fibonacci-py", Seed::Fibonacci, &self.fibonacci_py),
            ("monte-carlo-py", Seed::MonteCarloPi, &self.monte_carlo_py),
        ]
        .into_iter()
        .filter(|(_, _, case)| case.what.is_some())
        .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DemoCase {
    /// The case's tasks: `2 x generate-fibonacci(100000)`.
    pub what: Option<String>,
    pub serial_s: Option<f64>,
    pub parallel_s: Option<f64>,
    pub speedup: Option<f64>,
    /// The demo's own check of the results: `ok: …` or `FAILED: …`.
    pub check: Option<String>,
}

/// `host run` of one call, to its first result.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ColdStarts {
    pub noop: ColdStart,
    pub fibonacci: ColdStart,
}

impl ColdStarts {
    /// Each guest's name with its figures, in the report's order.
    pub fn each(&self) -> [(&'static str, &ColdStart); 2] {
        [("noop", &self.noop), ("fibonacci", &self.fibonacci)]
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ColdStart {
    /// The call, in WAVE: `noop()`.
    pub call: Option<String>,
    pub warm_cache: ColdRuns,
    pub no_cache: ColdRuns,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ColdRuns {
    pub first_result_p50_s: Option<f64>,
    pub exit_p50_s: Option<f64>,
}

/// Peak RSS of `host run` over many no-op tasks.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Rss {
    pub tasks: Option<f64>,
    pub runs: Option<u64>,
    /// The median of the runs.
    pub peak_rss_bytes: Option<f64>,
    pub peak_rss_max_bytes: Option<f64>,
    /// `host run` of one task.
    pub baseline_peak_rss_bytes: Option<f64>,
    pub wall_s: Option<f64>,
    pub tasks_per_s: Option<f64>,
    /// `--parallel`: workers of the 100,000-task runs.
    pub parallel: Option<u64>,
    pub user_s: Option<f64>,
    pub system_s: Option<f64>,
}

/// The criterion benchmarks of `host/benches/hot_path.rs`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HotPath {
    /// Criterion's version and timing flags.
    pub settings: Option<String>,
    pub submit: Estimates,
    pub instantiate_call: Estimates,
    pub get_ready: Estimates,
    pub round_trip: Estimates,
}

impl HotPath {
    /// Each benchmark's name with its estimates, in the report's order.
    pub fn each(&self) -> [(&'static str, &Estimates); 4] {
        [
            ("submit", &self.submit),
            ("instantiate_call", &self.instantiate_call),
            ("get_ready", &self.get_ready),
            ("round_trip", &self.round_trip),
        ]
    }
}

/// Criterion's estimates of the time per iteration.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Estimates {
    pub median_s: Option<f64>,
    pub mean_s: Option<f64>,
}
