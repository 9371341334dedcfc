//! The measurements that run other programs: the `suite` and `hot_path` bench targets,
//! the seed demo, `host run` (cold start and peak RSS) and Ray's `seed_bench.py`. Each
//! returns its figures as JSON, after checking the results the program gave.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use serde_json::{Value as Json, json};

use super::Bench;
use crate::project::{cargo, repo, seed_case_args};

/// The `suite` bench target: the library figures, as JSON.
pub fn suite(bench: &mut Bench) -> anyhow::Result<Json> {
    let out = bench.work_dir.join("suite.json");
    let _ = std::fs::remove_file(&out);
    let options = &bench.options;
    let mut cmd = cargo();
    cmd.args(["bench", "--workspace", "--bench", "suite", "--"]);
    if options.quick {
        cmd.arg("--quick");
    }
    cmd.arg("--noop")
        .arg(bench.guest("noop")?)
        .args(seed_case_args(&bench.guests, &bench.images)?)
        .args(["--fib-size", &options.fib_size.to_string()])
        .args(["--pi-tasks", &options.pi_tasks.to_string()])
        .args(["--pi-samples", &options.pi_samples.to_string()])
        .arg("--shapes")
        .arg(bench.guest("shapes")?)
        .arg("--out")
        .arg(&out);
    bench.run(&mut cmd)?;
    read_json(&out)
}

fn read_json(path: &Path) -> anyhow::Result<Json> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

/// One row of the seed demo's table.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRow {
    pub case: String,
    pub what: String,
    pub serial_s: f64,
    pub parallel_s: f64,
    pub check: String,
    pub ok: bool,
}

/// The rows of the seed demo's table: `case  tasks…  serial  parallel  speedup×  check`,
/// where the tasks column has spaces and the check starts with `ok:` or `FAILED:`.
pub fn parse_demo_table(text: &str) -> Vec<DemoRow> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let check_at = words.iter().position(|w| *w == "ok:" || *w == "FAILED:")?;
            if check_at < 5 || !words[check_at - 1].ends_with('x') {
                return None;
            }
            Some(DemoRow {
                case: words[0].to_owned(),
                what: words[1..check_at - 3].join(" "),
                serial_s: words[check_at - 3].parse().ok()?,
                parallel_s: words[check_at - 2].parse().ok()?,
                check: words[check_at..].join(" "),
                ok: words[check_at] == "ok:",
            })
        })
        .collect()
}

/// The cases of the seed demo's table that every run has: the Rust guests'. The
/// Python guests' rows (`fibonacci-py`, `monte-carlo-py`) come when the demo is given
/// `--python`, and are reported like the others.
pub const RUST_DEMO_CASES: [&str; 3] = ["fibonacci", "monte-carlo-pi", "image-filters"];

/// The rows of a seed demo's output, failing unless each Rust case has its row.
pub fn demo_rows(stdout: &str, status: std::process::ExitStatus) -> anyhow::Result<Vec<DemoRow>> {
    let rows = parse_demo_table(stdout);
    let missing: Vec<&str> = RUST_DEMO_CASES
        .into_iter()
        .filter(|case| !rows.iter().any(|r| r.case == *case))
        .collect();
    ensure!(
        missing.is_empty(),
        "no row for {} in the seed demo's table ({status})",
        missing.join(", ")
    );
    Ok(rows)
}

/// The seed demo's command with the bench's sizes and the Rust cases, drawing its
/// timelines in `target/bench/<out>`.
pub fn demo_command(bench: &Bench, out: &str) -> anyhow::Result<Command> {
    let options = &bench.options;
    let mut cmd = Command::new(&bench.demo);
    cmd.args(seed_case_args(&bench.guests, &bench.images)?)
        .args(["--fib-size", &options.fib_size.to_string()])
        .args(["--fib-tasks", &options.cores.to_string()])
        .args(["--pi-tasks", &options.pi_tasks.to_string()])
        .args(["--pi-samples", &options.pi_samples.to_string()])
        .arg("--out-dir")
        .arg(bench.work_dir.join(out))
        .arg("--cache-dir")
        .arg(bench.work_dir.join("cache"));
    Ok(cmd)
}

/// Memoised pure tasks: the seed demo's Rust cases run twice with `--memo` on an
/// empty memo folder. The first run computes and stores each distinct call (a repeated
/// call, as the Fibonacci case's, is answered from the folder already); the second
/// answers every call from the folder. Each run's time is the sum of its cases' serial
/// and parallel wall times; the goal is the first over the second (issue 12: ≥ 100×).
pub fn memo(bench: &mut Bench) -> anyhow::Result<Json> {
    let memo_dir = bench.work_dir.join("memo");
    let _ = std::fs::remove_dir_all(&memo_dir);
    let mut cmd = demo_command(bench, "demo-memo")?;
    cmd.arg("--memo").arg("--memo-dir").arg(&memo_dir);
    let text = bench.note(&cmd);
    let mut runs = Vec::new();
    for run in ["first", "second"] {
        let rows = run_demo(&mut cmd, &text)?;
        ensure!(
            rows.iter().all(|r| r.ok),
            "the seed demo's {run} run with --memo gave wrong results"
        );
        runs.push(rows);
    }
    let total = |rows: &[DemoRow]| rows.iter().map(|r| r.serial_s + r.parallel_s).sum::<f64>();
    let (first, second) = (total(&runs[0]), total(&runs[1]));
    let cases: serde_json::Map<String, Json> = runs[0]
        .iter()
        .filter_map(|a| {
            let b = runs[1].iter().find(|b| b.case == a.case)?;
            Some((
                a.case.clone(),
                json!({
                    "first_s": a.serial_s + a.parallel_s,
                    "second_s": b.serial_s + b.parallel_s,
                }),
            ))
        })
        .collect();
    Ok(json!({
        "first_s": first,
        "second_s": second,
        "speedup": first / second.max(1e-9),
        "cases": cases,
    }))
}

/// Runs the seed demo once (`text` is the command as shown), echoing its table, and
/// returns the table's rows.
fn run_demo(cmd: &mut Command, text: &str) -> anyhow::Result<Vec<DemoRow>> {
    eprintln!("xtask: {text}");
    let out = cmd
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {text}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprint!("{stdout}");
    demo_rows(&stdout, out.status)
}

/// The seed demo (the seed demo, as `cargo xtask demo` runs it) with the bench's sizes,
/// `case_repeats` times; medians of its serial and parallel wall times per case.
pub fn demo(bench: &mut Bench) -> anyhow::Result<Json> {
    let mut cmd = demo_command(bench, "demo")?;
    // The Python guests load (and, the first time, compile) before anything is timed.
    if let Ok(python) = &bench.python {
        cmd.arg("--python").arg(python);
    }
    let text = bench.note(&cmd);
    let mut runs: Vec<Vec<DemoRow>> = Vec::new();
    for _ in 0..bench.options.case_repeats {
        runs.push(run_demo(&mut cmd, &text)?);
    }
    let mut cases = serde_json::Map::new();
    for first in &runs[0] {
        let rows: Vec<&DemoRow> = runs
            .iter()
            .filter_map(|run| run.iter().find(|r| r.case == first.case))
            .collect();
        let serial = median(&rows.iter().map(|r| r.serial_s).collect::<Vec<_>>());
        let parallel = median(&rows.iter().map(|r| r.parallel_s).collect::<Vec<_>>());
        cases.insert(
            first.case.clone(),
            json!({
                "what": first.what,
                "serial_s": serial,
                "parallel_s": parallel,
                "speedup": serial / parallel,
                "check_ok": rows.iter().all(|r| r.ok),
                "check": first.check,
                "serial_runs_s": rows.iter().map(|r| r.serial_s).collect::<Vec<_>>(),
                "parallel_runs_s": rows.iter().map(|r| r.parallel_s).collect::<Vec<_>>(),
            }),
        );
    }
    Ok(Json::Object(cases))
}

/// One `host run` from spawn to its first line on stdout and to its exit, in seconds,
/// with that first line.
fn time_first_result(cmd: &mut Command) -> anyhow::Result<(f64, f64, String)> {
    let started = Instant::now();
    let mut child = cmd
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start host run")?;
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let first = started.elapsed().as_secs_f64();
    std::io::copy(&mut stdout, &mut std::io::sink())?;
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)?;
    let status = child.wait()?;
    let exit = started.elapsed().as_secs_f64();
    ensure!(status.success(), "host run failed with {status}: {stderr}");
    Ok((first, exit, line.trim().to_owned()))
}

/// `host run` of one call, to its first result, `cold_runs` times: with the on-disk
/// cache of compiled components warm (a first run fills it), and with `--no-cache`
/// (Cranelift compiles the component every time).
pub fn cold_start(bench: &mut Bench) -> anyhow::Result<Json> {
    let cache = bench.work_dir.join("cache");
    let cases = [
        ("noop", "noop()", None),
        ("fibonacci", "fib(100)", Some("\"354224848179261915075\"")),
    ];
    let mut result = serde_json::Map::new();
    for (guest, call, expect) in cases {
        let wasm = bench.guest(guest)?;
        let mut figures = serde_json::Map::new();
        for (mode, flags) in [
            (
                "warm_cache",
                vec!["--cache-dir".into(), cache.display().to_string()],
            ),
            ("no_cache", vec!["--no-cache".to_owned()]),
        ] {
            let mut cmd = Command::new(&bench.host);
            cmd.arg("run")
                .arg(&wasm)
                .args(["--invoke", call])
                .args(&flags);
            let text = bench.note(&cmd);
            eprintln!("xtask: {text}  (x{})", bench.options.cold_runs);
            // One unmeasured run fills the cache and the page cache.
            time_first_result(&mut cmd)?;
            let mut first = Vec::new();
            let mut exit = Vec::new();
            for _ in 0..bench.options.cold_runs {
                let (f, e, line) = time_first_result(&mut cmd)?;
                if let Some(expect) = expect {
                    ensure!(line == expect, "{call} printed {line}, expected {expect}");
                }
                first.push(f);
                exit.push(e);
            }
            figures.insert(
                mode.to_owned(),
                json!({
                    "runs": first.len(),
                    "first_result_p50_s": median(&first),
                    "first_result_min_s": first.iter().copied().fold(f64::INFINITY, f64::min),
                    "first_result_max_s": first.iter().copied().fold(0.0, f64::max),
                    "exit_p50_s": median(&exit),
                }),
            );
        }
        figures.insert("call".into(), json!(call));
        result.insert(guest.to_owned(), Json::Object(figures));
    }
    Ok(Json::Object(result))
}

/// What the kernel counted for a finished child (`wait4`'s rusage), and its wall time.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// The exit code, or -1 if a signal ended it.
    pub code: i32,
    pub wall_s: f64,
    pub user_s: f64,
    pub system_s: f64,
    /// Peak RSS in bytes (`ru_maxrss`, exact).
    pub peak_rss_bytes: u64,
    /// Page faults served without I/O (`ru_minflt`): memory touched for the first time.
    pub minor_faults: u64,
}

impl Usage {
    /// The CPU figures as JSON fields.
    pub fn json(&self) -> Json {
        json!({
            "wall_s": self.wall_s,
            "user_s": self.user_s,
            "system_s": self.system_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "minor_faults": self.minor_faults,
        })
    }
}

/// Waits for a child with `wait4` and returns what the kernel counted for it (and,
/// for children that waited for their own children, for those too). `started` is when
/// it was spawned. The `Child` itself must not have been waited for.
pub fn wait_with_rusage(child: &std::process::Child, started: Instant) -> anyhow::Result<Usage> {
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for (std's `Child` is never
    // waited on by the callers), and both pointers point to live locals of the right
    // types.
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall_s = started.elapsed().as_secs_f64();
    if waited != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Usage {
        code,
        wall_s,
        user_s: secs(usage.ru_utime),
        system_s: secs(usage.ru_stime),
        // ru_maxrss is in KiB on Linux.
        peak_rss_bytes: u64::try_from(usage.ru_maxrss)? * 1024,
        minor_faults: u64::try_from(usage.ru_minflt)?,
    })
}

/// Runs a command to its end, stdout thrown away; what the kernel counted for it, and
/// its stderr.
fn run_with_rusage(cmd: &mut Command) -> anyhow::Result<(Usage, String)> {
    let started = Instant::now();
    let mut child = cmd
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start host run")?;
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr is piped")
        .read_to_string(&mut stderr)?;
    Ok((wait_with_rusage(&child, started)?, stderr))
}

/// Peak RSS of `host run` over 100,000 no-op tasks (results to /dev/null), and so its
/// rate of tasks per second from spawn to exit.
pub fn peak_rss(bench: &mut Bench) -> anyhow::Result<Json> {
    const TASKS: usize = 100_000;
    let mut cmd = Command::new(&bench.host);
    cmd.arg("run")
        .arg(bench.guest("noop")?)
        .args(["--invoke", "noop()", "--repeat", &TASKS.to_string()])
        .args(["--parallel", &bench.options.cores.to_string()])
        .arg("--cache-dir")
        .arg(bench.work_dir.join("cache"));
    let text = bench.note(&cmd);
    let mut runs = Vec::new();
    for _ in 0..bench.options.rss_runs {
        eprintln!("xtask: {text} > /dev/null");
        let (usage, stderr) = run_with_rusage(&mut cmd)?;
        ensure!(
            usage.code == 0,
            "host run exited with {}: {stderr}",
            usage.code
        );
        ensure!(
            stderr.contains(&format!("tasks: {TASKS}, ok: {TASKS}, failed: 0")),
            "host run did not report {TASKS} ok tasks: {stderr}"
        );
        runs.push(usage);
    }
    // The same with one task: what the process holds before any task adds to it.
    let mut one = Command::new(&bench.host);
    one.arg("run")
        .arg(bench.guest("noop")?)
        .args(["--invoke", "noop()"])
        .arg("--cache-dir")
        .arg(bench.work_dir.join("cache"));
    bench.note(&one);
    let (baseline, stderr) = run_with_rusage(&mut one)?;
    ensure!(
        baseline.code == 0,
        "host run exited with {}: {stderr}",
        baseline.code
    );
    let peaks: Vec<f64> = runs.iter().map(|u| u.peak_rss_bytes as f64).collect();
    let wall = median(&runs.iter().map(|u| u.wall_s).collect::<Vec<_>>());
    Ok(json!({
        "tasks": TASKS,
        "parallel": bench.options.cores,
        "baseline_peak_rss_bytes": baseline.peak_rss_bytes,
        "runs": peaks.len(),
        "peak_rss_bytes": median(&peaks),
        "peak_rss_max_bytes": peaks.iter().copied().fold(0.0, f64::max),
        "wall_s": wall,
        "tasks_per_s": TASKS as f64 / wall,
        "user_s": median(&runs.iter().map(|u| u.user_s).collect::<Vec<_>>()),
        "system_s": median(&runs.iter().map(|u| u.system_s).collect::<Vec<_>>()),
        "method": "ru_maxrss of the host process from wait4; wall time from spawn to exit",
    }))
}

/// One call of seed case 1 through the CLI, as a user runs it: `host run` of
/// `generate-fibonacci(100000)` with a warm cache, spawn to exit, `rss_runs` times (a
/// first, unmeasured run fills the cache). CPU time, page faults and peak RSS say where
/// the time goes.
pub fn fib_call(bench: &mut Bench) -> anyhow::Result<Json> {
    let size = bench.options.fib_size;
    let call = format!("generate-fibonacci({size})");
    let mut cmd = Command::new(&bench.host);
    cmd.arg("run")
        .arg(bench.guest("fibonacci")?)
        .args(["--invoke", &call])
        .arg("--cache-dir")
        .arg(bench.work_dir.join("cache"));
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}  (1 + x{})", bench.options.rss_runs);
    let (warm, stderr) = run_with_rusage(&mut cmd)?;
    ensure!(warm.code == 0, "{text} exited with {}: {stderr}", warm.code);
    let mut runs = Vec::new();
    for _ in 0..bench.options.rss_runs {
        let (usage, stderr) = run_with_rusage(&mut cmd)?;
        ensure!(
            usage.code == 0,
            "{text} exited with {}: {stderr}",
            usage.code
        );
        runs.push(usage);
    }
    let med = |f: fn(&Usage) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Ok(json!({
        "call": call,
        "runs": runs.len(),
        "wall_s": med(|u| u.wall_s),
        "wall_min_s": runs.iter().map(|u| u.wall_s).fold(f64::INFINITY, f64::min),
        "user_s": med(|u| u.user_s),
        "system_s": med(|u| u.system_s),
        "peak_rss_bytes": med(|u| u.peak_rss_bytes as f64),
        "minor_faults": med(|u| u.minor_faults as f64),
    }))
}

/// The criterion benchmarks in `host/benches/hot_path.rs`: median time per iteration of
/// each, in seconds, from criterion's own estimates.
pub fn hot_path(bench: &mut Bench) -> anyhow::Result<Json> {
    let home = bench.work_dir.join("criterion");
    let _ = std::fs::remove_dir_all(home.join("hot_path"));
    let mut cmd = cargo();
    cmd.env("CRITERION_HOME", &home)
        .env("WASK_NOOP_WASM", bench.guest("noop")?)
        .args(["bench", "--workspace", "--bench", "hot_path", "--"])
        .args([
            "--warm-up-time",
            &bench.options.criterion_warm_up_s.to_string(),
        ])
        .args([
            "--measurement-time",
            &bench.options.criterion_measure_s.to_string(),
        ]);
    bench.run(&mut cmd)?;
    let mut result = serde_json::Map::new();
    for name in ["submit", "instantiate_call", "get_ready", "round_trip"] {
        let path = home.join("hot_path").join(name).join("new/estimates.json");
        let estimates = read_json(&path)?;
        let ns = |stat: &str| estimates[stat]["point_estimate"].as_f64();
        result.insert(
            name.to_owned(),
            json!({
                "median_s": ns("median").context("no median in criterion's estimates")? * 1e-9,
                "mean_s": ns("mean").map(|v| v * 1e-9),
            }),
        );
    }
    result.insert(
        "settings".into(),
        json!(format!(
            "criterion 0.7, --warm-up-time {} --measurement-time {}",
            bench.options.criterion_warm_up_s, bench.options.criterion_measure_s
        )),
    );
    Ok(Json::Object(result))
}

/// `bash bench/ray/setup.sh`: the virtualenv's python, or why there is none.
pub fn ray_setup(bench: &mut Bench) -> Result<std::path::PathBuf, String> {
    let mut cmd = Command::new("bash");
    cmd.arg("bench/ray/setup.sh");
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}");
    let out = cmd
        .current_dir(repo())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run bench/ray/setup.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "bench/ray/setup.sh failed with {} (its messages are on the bench's stderr)",
            out.status
        ));
    }
    let python = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if python.is_empty() {
        return Err("bench/ray/setup.sh printed no python path".into());
    }
    Ok(python.into())
}

/// Ray's side: `seed_bench.py` on the same images and sizes. Its JSON, with
/// `"measured": true`, or why it could not be measured.
pub fn ray(bench: &mut Bench, python: &Path) -> Json {
    let out = bench.work_dir.join("ray.json");
    let _ = std::fs::remove_file(&out);
    let options = &bench.options;
    let mut cmd = Command::new(python);
    cmd.arg("bench/ray/seed_bench.py");
    if options.quick {
        cmd.arg("--quick");
    }
    cmd.arg("--images")
        .arg(&bench.images)
        .args(["--cpus", &options.cores.to_string()])
        .args(["--tasks", &options.cores.to_string()])
        .args(["--fib-size", &options.fib_size.to_string()])
        .args(["--pi-tasks", &options.pi_tasks.to_string()])
        .args(["--pi-samples", &options.pi_samples.to_string()])
        .args(["--repeat", &options.case_repeats.to_string()])
        .arg("--out")
        .arg(&out);
    let text = bench.note(&cmd);
    eprintln!("xtask: {text}");
    let status = match cmd.current_dir(repo()).status() {
        Ok(status) => status,
        Err(e) => return json!({ "measured": false, "reason": format!("cannot run {text}: {e}") }),
    };
    let mut report = match read_json(&out) {
        Ok(report) => report,
        Err(e) => {
            return json!({
                "measured": false,
                "reason": format!("seed_bench.py exited with {status} and wrote no report: {e:#}"),
            });
        }
    };
    report["measured"] = json!(true);
    report["exit_status"] = json!(status.code());
    report
}

#[cfg(test)]
mod test;
