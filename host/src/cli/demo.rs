//! `host demo`: the seed chapter's case 1, run serially and then in parallel.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use wask::{Runtime, Value};

use super::{EXIT_TASK_FAILED, RuntimeArgs};

/// Run seed case 1: `generate-fibonacci(SIZE)` once per CPU core, first serially and
/// then in parallel, check every result and print both wall times and the speedup.
#[derive(Debug, clap::Args)]
pub struct DemoCommand {
    /// The built fibonacci component (guest-tasks/fibonacci)
    #[arg(long, value_name = "WASM")]
    fibonacci: PathBuf,
    /// Length of each Fibonacci sequence, as the seed's SEQUENCE_SIZE
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    size: u32,
    /// Tasks to run [default: one per CPU core, as the seed's os.cpu_count()]
    #[arg(long, value_name = "N")]
    tasks: Option<usize>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

impl DemoCommand {
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let runtime = Runtime::new(self.runtime.config())?;
        let n_tasks = self.tasks.unwrap_or_else(|| runtime.n_workers()).max(1);
        let component = runtime.load(&self.fibonacci)?;
        let call = component
            .call("generate-fibonacci", vec![Value::U32(self.size)])
            .context("the fibonacci component does not have the seed's export")?;

        println!(
            "Seed case 1: generate-fibonacci({}) x {n_tasks} tasks on {} workers",
            self.size,
            runtime.n_workers()
        );
        // Serial: one task at a time, as the seed's `for` loop.
        let started = Instant::now();
        let mut serial = Vec::with_capacity(n_tasks);
        for _ in 0..n_tasks {
            let object = runtime.submit(call.clone());
            serial.push(runtime.get(&object, None));
        }
        let serial_wall = started.elapsed();
        // Parallel: submit all, then get all, as the seed's `ray.get([f.remote() ...])`.
        let started = Instant::now();
        let refs: Vec<_> = (0..n_tasks).map(|_| runtime.submit(call.clone())).collect();
        let parallel: Vec<_> = refs.iter().map(|r| runtime.get(r, None)).collect();
        let parallel_wall = started.elapsed();

        let expected = Value::U32(self.size);
        let all_ok = serial
            .iter()
            .chain(&parallel)
            .all(|r| r.as_ref().is_ok_and(|v| *v == expected));
        for (name, results, wall) in [
            ("serial", &serial, serial_wall),
            ("parallel", &parallel, parallel_wall),
        ] {
            println!("  {name:<9} {:>8}  {}", secs(wall), summary(results));
        }
        println!(
            "  speedup   {:>7.2}x  results {}",
            serial_wall.as_secs_f64() / parallel_wall.as_secs_f64().max(1e-9),
            if all_ok {
                format!("check: all {} equal {}", 2 * n_tasks, self.size)
            } else {
                "check: FAILED".to_owned()
            }
        );
        Ok(if all_ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_TASK_FAILED)
        })
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn summary(results: &[Result<Value, wask::GetError>]) -> String {
    let shown: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(v) => wask::sandbox::value_to_wave(v),
            Err(e) => format!("error: {e}"),
        })
        .collect();
    format!("[{}]", shown.join(", "))
}
