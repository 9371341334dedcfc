//! `cargo xtask soak`: a million tasks through one runtime (the `soak` example, built
//! optimised), with the host's memory sampled; writes docs/SOAK.md from what it
//! measured and fails if memory grew by 10% or more after warm-up.

use std::fmt::Write as _;
use std::process::{Command, Stdio};

use anyhow::{Context, bail, ensure};
use serde_json::Value as Json;

use crate::project::{cargo, guest, guests, repo, run, shell_text};

/// Growth of resident memory after warm-up that fails the soak.
const MAX_GROWTH: f64 = 0.10;

pub fn run_soak(args: &[String]) -> anyhow::Result<()> {
    let tasks = match args {
        [] => 1_000_000,
        [flag, n] if flag == "--tasks" => n.parse().context("--tasks: expected a number")?,
        _ => bail!("usage: cargo xtask soak [--tasks N]"),
    };
    let guests = guests()?;
    // `--workspace`: features resolved as for every other build (see project::demo_build).
    run(cargo().args(["build", "--release", "--workspace", "--example", "soak"]))?;
    let mut cmd = Command::new(repo().join("target/release/examples/soak"));
    for name in ["noop", "hostile", "dataflow"] {
        cmd.arg(guest(&guests, name)?);
    }
    cmd.arg(tasks.to_string());
    let shown = shell_text(&cmd).replace(&format!("{}/", repo().display()), "");
    eprintln!("xtask: {shown}");
    let out = cmd
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run the soak")?;
    if !out.status.success() {
        bail!("the soak failed with {}", out.status);
    }
    let report: Json = serde_json::from_slice(&out.stdout).context("the soak printed no JSON")?;
    let growth = report["rss_growth"].as_f64().context("no rss_growth")?;
    let markdown = render(&report, &shown)?;
    std::fs::write(repo().join("docs/SOAK.md"), markdown).context("cannot write docs/SOAK.md")?;
    eprintln!("xtask soak: wrote docs/SOAK.md");
    ensure!(
        growth < MAX_GROWTH,
        "resident memory grew by {:.1}% after warm-up, past the {:.0}% allowed",
        growth * 100.0,
        MAX_GROWTH * 100.0
    );
    Ok(())
}

fn render(report: &Json, command: &str) -> anyhow::Result<String> {
    let num = |key: &str| report[key].as_f64().with_context(|| format!("no {key}"));
    let mib = |bytes: f64| bytes / f64::from(1 << 20);
    let date = Command::new("date").arg("-u").output()?;
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    let mut md = String::from("# Soak\n\n");
    let _ = writeln!(
        md,
        "One runtime, {} tasks in batches of 1,000: per batch 900 `add` calls, 20 traps, \
         5 tasks past a 20 ms deadline, 20 cancelled at once, 30 `increment`s of a `put` \
         passed as a ref, 25 `put`/`get`s of bytes. Every ref is read back and checked \
         against the outcome its kind of task must have, then dropped.\n",
        report["tasks"]
    );
    let _ = writeln!(md, "| measure | value |\n|---|---|");
    let _ = writeln!(md, "| tasks | {} |", report["tasks"]);
    let _ = writeln!(md, "| wall | {:.1} s |", num("wall_s")?);
    let _ = writeln!(md, "| tasks/s | {:.0} |", num("tasks_per_s")?);
    let _ = writeln!(md, "| workers | {} |", report["n_workers"]);
    let _ = writeln!(
        md,
        "| resident memory after warm-up (100,000 tasks) | {:.1} MiB |",
        mib(num("rss_at_warm_up_bytes")?)
    );
    let _ = writeln!(
        md,
        "| peak resident memory after warm-up | {:.1} MiB |",
        mib(num("rss_peak_after_warm_up_bytes")?)
    );
    let _ = writeln!(
        md,
        "| growth after warm-up | {:.2}% (limit {:.0}%) |",
        num("rss_growth")? * 100.0,
        MAX_GROWTH * 100.0
    );
    let _ = writeln!(
        md,
        "| object-store memory left after the last ref dropped | {} bytes |",
        report["store_memory_left_bytes"]
    );
    let _ = writeln!(
        md,
        "\nOutcomes by kind, each checked: `{}`\n",
        report["kinds"]
    );
    let _ = writeln!(md, "Resident memory every 25,000 tasks (tasks, MiB):\n");
    let samples = report["rss_samples"].as_array().context("no rss_samples")?;
    let points: Vec<String> = samples
        .iter()
        .map(|s| format!("{} {:.1}", s[0], mib(s[1].as_f64().unwrap_or(0.0))))
        .collect();
    let _ = writeln!(md, "```\n{}\n```\n", points.join("\n"));
    let _ = writeln!(
        md,
        "Measured with `cargo xtask soak` (`{command}`) on {cpu}, {} cores, {}",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        String::from_utf8_lossy(&date.stdout).trim()
    );
    Ok(md)
}
