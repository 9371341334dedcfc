//! `cargo xtask bench`: the benchmark suite that writes docs/BENCHMARKS.md and
//! docs/benchmarks.json.
//!
//! It builds what it measures, then measures Wask and its anchors in one run on this
//! machine: the library figures (no-op round trip and throughput, instantiation, seed
//! kernels in wasm against native, a 10 MiB `list<u8>` on the typed and generic paths)
//! from the `suite` bench target in host/benches, the seed demo (`seed_demo` example,
//! with the seed's own Python beside the Rust guests), cold starts and peak RSS of `host
//! run`, the criterion hot-path benchmarks, the cluster, `host new`, `build` and `run`
//! per guest language, and Ray 2.60 running the seed chapter on the same inputs
//! (bench/ray). Every figure in the two files comes from this run; nothing is typed in
//! by hand.
//!
//! Why the library figures come from a bench target rather than from xtask itself:
//! xtask is built in the dev profile, where wasmtime and the native kernels would run
//! unoptimised. A bench target is built with the bench (release) profile, so wasm and
//! native run with the same optimisation the host ships with.

mod authoring;
mod cluster;
mod machine;
mod measure;
mod report;
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;

use crate::project::{self, cargo, guest, repo, shell_text};

const USAGE: &str = "usage: cargo xtask bench [--quick] [--no-ray] [--no-setup] [--render]

  --quick    smaller sizes and fewer repeats, no set-up times: a few minutes in all
  --no-ray   skip the Ray side (BENCHMARKS.md then says Ray was not measured)
  --no-setup skip the set-up times (`cargo xtask demo` and `test` in a fresh clone of
             HEAD, about 20 minutes)
  --render   measure nothing: write docs/BENCHMARKS.md again from docs/benchmarks.json
             (its targets and ratios computed again from its figures)";

/// What one run of the suite measures, and how much of it.
#[derive(Debug)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches"
)]
pub struct Options {
    pub quick: bool,
    /// Only render docs/BENCHMARKS.md from the committed docs/benchmarks.json.
    pub render: bool,
    pub ray: bool,
    /// Time the README's two commands in a fresh clone (`setup`).
    pub setup: bool,
    pub cores: usize,
    /// Seed case 1: the length of each Fibonacci sequence.
    pub fib_size: u32,
    /// Seed case 2: tasks, and samples per task.
    pub pi_tasks: u64,
    pub pi_samples: u64,
    /// Runs of the demo (and of Ray's cases), whose medians are reported.
    pub case_repeats: usize,
    /// Runs of `host run` for each cold-start figure.
    pub cold_runs: usize,
    /// Runs of the 100,000-task `host run` for peak RSS.
    pub rss_runs: usize,
    /// Criterion's warm-up and measurement time per benchmark, in seconds.
    pub criterion_warm_up_s: u32,
    pub criterion_measure_s: u32,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut quick = false;
        let mut ray = true;
        let mut render = false;
        let mut setup = true;
        for arg in args {
            match arg.as_str() {
                "--quick" => quick = true,
                "--no-setup" => setup = false,
                "--render" => render = true,
                "--no-ray" => ray = false,
                "-h" | "--help" => bail!("{USAGE}"),
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(if quick {
            Options {
                quick,
                render,
                ray,
                setup: false,
                cores,
                fib_size: 20_000,
                pi_tasks: 4,
                pi_samples: 200_000,
                case_repeats: 1,
                cold_runs: 10,
                rss_runs: 1,
                criterion_warm_up_s: 1,
                criterion_measure_s: 2,
            }
        } else {
            Options {
                quick,
                render,
                ray,
                setup,
                cores,
                fib_size: 100_000,
                pi_tasks: 8,
                pi_samples: 1_000_000,
                case_repeats: 3,
                cold_runs: 30,
                rss_runs: 3,
                criterion_warm_up_s: 3,
                criterion_measure_s: 10,
            }
        })
    }
}

/// The shared state of one run: where things are, and every command run so far.
#[derive(Debug)]
pub struct Bench {
    pub options: Options,
    /// target/bench: images, caches, intermediate JSON.
    pub work_dir: PathBuf,
    pub host: PathBuf,
    /// The seed demo example (`host/cli/examples/seed_demo.rs`), built optimised.
    pub demo: PathBuf,
    pub guests: Vec<(String, PathBuf)>,
    /// The seed's own Python functions built by `host build`, or why they could not be.
    pub python: Result<PathBuf, String>,
    pub images: PathBuf,
    /// The commands that produced the figures, as a person would type them.
    pub commands: Vec<String>,
}

impl Bench {
    pub fn guest(&self, name: &str) -> anyhow::Result<PathBuf> {
        guest(&self.guests, name)
    }

    /// Notes a command in the report's list (once) and returns it as text.
    pub fn note(&mut self, cmd: &Command) -> String {
        let text = shell_text(cmd);
        if !self.commands.contains(&text) {
            self.commands.push(text.clone());
        }
        text
    }

    /// Runs a command in the repository root, noting it, failing if it fails.
    pub fn run(&mut self, cmd: &mut Command) -> anyhow::Result<()> {
        self.note(cmd);
        project::run(cmd)
    }
}

/// Runs the benchmarks; `args` are the flags after `bench`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    if options.render {
        return render();
    }
    let started = Instant::now();
    let machine = machine::Machine::read();
    let root = repo();
    let work_dir = root.join("target/bench");
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("cannot create {}", work_dir.display()))?;

    // Build everything first, so no build runs while something is timed.
    eprintln!("xtask bench: building the guests, the host and the bench targets");
    let guests = project::guests()?;
    let images = work_dir.join("images");
    project::sample_images(&images)?;
    let mut bench = Bench {
        options,
        work_dir,
        host: root.join("target/release/host"),
        demo: root.join("target/release/examples/seed_demo"),
        guests,
        python: Err("not built yet".to_owned()),
        images,
        commands: vec![format!(
            "cargo xtask bench{}",
            if args.is_empty() {
                String::new()
            } else {
                format!(" {}", args.join(" "))
            }
        )],
    };
    // project::guests ran these two.
    bench.note(Command::new("bash").arg("scripts/guest-toolchain.sh"));
    bench.note(Command::new("bash").arg("scripts/build-guests.sh"));
    bench.run(&mut project::demo_build())?;
    // The seed's Python guests: a machine that cannot build them (componentize-py comes
    // from PyPI on first use) still measures everything else.
    let python = bench.work_dir.join("seed-python.wasm");
    bench.python = bench
        .run(&mut project::seed_python_build(&bench.host, &python))
        .map(|()| python)
        .map_err(|e| format!("{e:#}"));
    if let Err(e) = &bench.python {
        eprintln!("xtask bench: the seed's Python guests are not measured: {e}");
    }
    // `--workspace` for each: dependency features resolve as in the demo's build and the
    // tests', so nothing is built twice (see project::demo_build).
    bench.run(cargo().args([
        "build",
        "--release",
        "--workspace",
        "--example",
        "cluster_bench",
    ]))?;
    bench.run(cargo().args(["bench", "--workspace", "--bench", "*", "--no-run"]))?;
    let ray_python = if bench.options.ray {
        measure::ray_setup(&mut bench)
    } else {
        Err("--no-ray was given".to_owned())
    };

    eprintln!("xtask bench: measuring Wask");
    let library = measure::suite(&mut bench)?;
    let seed_cases = measure::demo(&mut bench)?;
    let memo = measure::memo(&mut bench)?;
    let cold_start = measure::cold_start(&mut bench)?;
    let rss = measure::peak_rss(&mut bench)?;
    let fib_call = measure::fib_call(&mut bench)?;
    let hot_path = measure::hot_path(&mut bench)?;
    eprintln!("xtask bench: measuring the cluster");
    // A cluster that cannot be measured is reported as such; it does not cost the run.
    let cluster = cluster::measure(&mut bench, &seed_cases)
        .unwrap_or_else(|e| json!({ "error": format!("{e:#}") }));
    eprintln!("xtask bench: measuring host new, build and run per language");
    let authoring = authoring::measure(&mut bench)?;
    let ray = match ray_python {
        Ok(python) => {
            eprintln!("xtask bench: measuring Ray");
            measure::ray(&mut bench, &python)
        }
        Err(reason) => json!({ "measured": false, "reason": reason }),
    };
    // Last: it builds everything again from nothing, in a clone, and must not run
    // beside anything measured.
    let setup = if bench.options.setup {
        eprintln!("xtask bench: measuring set-up in a fresh clone");
        setup::measure(&mut bench)
    } else {
        json!({ "error": "not measured (--quick or --no-setup)" })
    };

    let mut doc = json!({
        "schema": 1,
        "generated_by": bench.commands[0],
        "mode": if bench.options.quick { "quick" } else { "full" },
        "date_utc": machine::utc_now(),
        "machine": machine.json(),
        "versions": machine::versions(&ray),
        "config": {
            "cores": bench.options.cores,
            "fib_size": bench.options.fib_size,
            "fib_tasks": bench.options.cores,
            "pi_tasks": bench.options.pi_tasks,
            "pi_samples": bench.options.pi_samples,
            "images": format!("{} sample images, 1024x1024 PNG", project::SAMPLE_IMAGES),
            "case_repeats": bench.options.case_repeats,
            "cold_runs": bench.options.cold_runs,
            "rss_runs": bench.options.rss_runs,
        },
        "wask": {
            "library": library,
            "seed_cases": seed_cases,
            "memo": memo,
            "cold_start": cold_start,
            "rss": rss,
            "fib_call": fib_call,
            "hot_path": hot_path,
            "cluster": cluster,
            "authoring": authoring,
            "setup": setup,
        },
        "ray": ray,
    });
    doc["machine"]["loadavg_at_end"] = json!(machine::loadavg());
    doc["commands"] = json!(bench.commands);
    doc["duration_s"] = json!(started.elapsed().as_secs_f64());
    // The figures are written even if the report cannot read them: that is a bug in
    // the report, and it must not cost the run.
    let figures = report::Document::from_json(&doc);
    if let Ok(figures) = &figures {
        doc["targets"] = serde_json::to_value(report::targets(figures))?;
        doc["ratios"] = serde_json::to_value(report::ratios(figures))?;
    }

    let docs = root.join("docs");
    write(
        &docs.join("benchmarks.json"),
        &(serde_json::to_string_pretty(&doc)? + "\n"),
    )?;
    figures
        .context("wrote docs/benchmarks.json without targets: its figures do not fit the report")?;
    // The page is written from the document as written, as `--render` does.
    let figures = report::Document::from_json(&doc)?;
    write(&docs.join("BENCHMARKS.md"), &report::markdown(&figures))?;
    eprintln!(
        "xtask bench: wrote docs/BENCHMARKS.md and docs/benchmarks.json in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--render`: docs/BENCHMARKS.md from docs/benchmarks.json as committed, measuring
/// nothing. The figures are the json's; the targets and ratios, which are computed from
/// them, are computed again, so a target added since the run shows as not measured.
fn render() -> anyhow::Result<()> {
    let docs = repo().join("docs");
    let path = docs.join("benchmarks.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let figures = report::Document::from_json(&json)
        .with_context(|| format!("{} does not fit the report", path.display()))?;
    json["targets"] = serde_json::to_value(report::targets(&figures))?;
    json["ratios"] = serde_json::to_value(report::ratios(&figures))?;
    write(&path, &(serde_json::to_string_pretty(&json)? + "\n"))?;
    let doc = report::Document::from_json(&json)?;
    write(&docs.join("BENCHMARKS.md"), &report::markdown(&doc))?;
    eprintln!(
        "xtask bench: wrote docs/BENCHMARKS.md (and its targets and ratios) from docs/benchmarks.json"
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
