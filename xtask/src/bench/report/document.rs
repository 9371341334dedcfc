//! The typed view of docs/benchmarks.json that the report is written from: the run
//! (who wrote it, when, on what), and the figures of each side (`wask`, `ray`) and of
//! the targets and ratios.
//!
//! Every struct mirrors one object of the json and only the fields the report reads:
//! fields the report does not know are skipped, and every field may be missing
//! (`#[serde(default)]`), so a run that measured less still renders. A field of the
//! wrong type is an error, so the model cannot drift from the json unnoticed.

use serde::Deserialize;

use super::ratios::RatioRow;
use super::ray::Ray;
use super::targets::TargetRow;
use super::wask::Wask;

/// The whole of benchmarks.json.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Document {
    /// The command that wrote it: `cargo xtask bench`, with its flags.
    pub generated_by: Option<String>,
    /// `full` or `quick`.
    pub mode: Option<String>,
    pub date_utc: Option<String>,
    pub duration_s: Option<f64>,
    pub machine: Machine,
    pub versions: Versions,
    pub config: Config,
    pub wask: Wask,
    pub ray: Ray,
    pub targets: Vec<TargetRow>,
    pub ratios: Vec<RatioRow>,
    /// Every command the run ran, as typed from the repository root.
    pub commands: Vec<String>,
}

impl Document {
    /// Reads the figures of a json document (as `bench` builds it before writing it).
    pub fn from_json(json: &serde_json::Value) -> anyhow::Result<Document> {
        Ok(Document::deserialize(json)?)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Machine {
    pub cpu_model: Option<String>,
    pub cores: Option<u64>,
    pub memory_bytes: Option<f64>,
    pub kernel: Option<String>,
    /// The 1, 5 and 15 minute load averages.
    pub loadavg_at_start: Option<Vec<f64>>,
    pub loadavg_at_end: Option<Vec<f64>>,
}

/// The versions of everything measured.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Versions {
    pub rustc: Option<String>,
    /// How the guest toolchain was found: `debian` or `rustup`.
    pub guest_toolchain_route: Option<String>,
    pub guest_rustc: Option<String>,
    pub wasmtime: Option<String>,
    pub wask: Option<String>,
    pub ray: Option<String>,
    pub python: Option<String>,
    pub numpy: Option<String>,
    pub pillow: Option<String>,
}

/// The sizes the run used.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Cores, and so the workers of Wask's parallel runs and Ray's `num_cpus`.
    pub cores: Option<u64>,
    /// Runs of `host run` behind each cold-start figure.
    pub cold_runs: Option<u64>,
}

/// The three seed cases, which each side keys by a name of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Seed {
    Fibonacci,
    MonteCarloPi,
    ImageFilters,
}

impl Seed {
    pub const ALL: [Seed; 3] = [Seed::Fibonacci, Seed::MonteCarloPi, Seed::ImageFilters];

    /// The case's name in the seed demo's table (and in `wask.seed_cases`).
    pub fn demo_name(self) -> &'static str {
        match self {
            Seed::Fibonacci => "fibonacci",
            Seed::MonteCarloPi => "monte-carlo-pi",
            Seed::ImageFilters => "image-filters",
        }
    }

    /// The kernel's key in `wask.library.kernels`.
    pub fn kernel_name(self) -> &'static str {
        match self {
            Seed::Fibonacci => "fibonacci",
            Seed::MonteCarloPi => "monte_carlo_pi",
            Seed::ImageFilters => "image_filters",
        }
    }

    /// The kernel, as the targets and the profile name it.
    pub fn kernel_title(self) -> &'static str {
        match self {
            Seed::Fibonacci => "Fibonacci",
            Seed::MonteCarloPi => "Monte Carlo π",
            Seed::ImageFilters => "grayscale + blur",
        }
    }

    /// The case, as the Wask/Ray table names it.
    pub fn case_title(self) -> &'static str {
        match self {
            Seed::Fibonacci => "case 1 Fibonacci",
            Seed::MonteCarloPi => "case 2 Monte Carlo π",
            Seed::ImageFilters => "case 3 images",
        }
    }
}
