//! Ray's figures in benchmarks.json (`ray`): the report of `bench/ray/seed_bench.py` with
//! `measured: true`, or `measured: false` and the reason. Times are in seconds.

use serde::Deserialize;

use super::document::Seed;
use super::wask::Distribution;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Ray {
    pub measured: bool,
    /// Why Ray was not measured.
    pub reason: Option<String>,
    /// The exit status of `seed_bench.py` (none if a signal ended it).
    pub exit_status: Option<i64>,
    /// What raised in `seed_bench.py`, if something did.
    pub error: Option<String>,
    pub cases: RayCases,
    pub noop: RayNoop,
    pub startup: Startup,
    pub memory: Memory,
}

/// The seed cases, as `seed_bench.py` names them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RayCases {
    pub fibonacci: RayCase,
    pub monte_carlo_pi: RayCase,
    pub image_processing: RayCase,
}

impl RayCases {
    pub fn get(&self, seed: Seed) -> &RayCase {
        match seed {
            Seed::Fibonacci => &self.fibonacci,
            Seed::MonteCarloPi => &self.monte_carlo_pi,
            Seed::ImageFilters => &self.image_processing,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RayCase {
    pub serial_s: Option<f64>,
    pub parallel_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RayNoop {
    pub roundtrip: Distribution,
    pub throughput: RayThroughput,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RayThroughput {
    pub tasks_per_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Startup {
    pub process_start_to_first_result_s: Option<f64>,
    pub script_start_to_first_result_s: Option<f64>,
}

impl Startup {
    /// From the interpreter's start to the first remote no-op, else from the script's.
    pub fn first_result_s(&self) -> Option<f64> {
        self.process_start_to_first_result_s
            .or(self.script_start_to_first_result_s)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Memory {
    /// The driver and every Ray process, summed.
    pub peak_total_rss_bytes: Option<f64>,
}
