//! The machine and the versions a benchmark ran with, and the date, for the report.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

use crate::project::repo;

/// What /proc says about this machine.
#[derive(Debug)]
pub struct Machine {
    cpu_model: String,
    cores: usize,
    memory_bytes: Option<u64>,
    kernel: String,
    loadavg_at_start: Option<[f64; 3]>,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_bytes = meminfo.lines().find_map(|l| {
            let kib = l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?;
            Some(kib.trim().parse::<u64>().ok()? * 1024)
        });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(
            |_| std::env::consts::OS.to_owned(),
            |s| format!("Linux {}", s.trim()),
        );
        Machine {
            cpu_model,
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            memory_bytes,
            kernel,
            loadavg_at_start: loadavg(),
        }
    }

    pub fn json(&self) -> Json {
        json!({
            "cpu_model": self.cpu_model,
            "cores": self.cores,
            "memory_bytes": self.memory_bytes,
            "kernel": self.kernel,
            "arch": std::env::consts::ARCH,
            "loadavg_at_start": self.loadavg_at_start,
        })
    }
}

/// The 1, 5 and 15 minute load averages: how busy the machine was.
pub fn loadavg() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

/// The first line a command prints, if it runs.
fn first_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.current_dir(repo()).output().ok()?;
    let text = String::from_utf8_lossy(if out.stdout.is_empty() {
        &out.stderr
    } else {
        &out.stdout
    })
    .into_owned();
    text.lines().next().map(|l| l.trim().to_owned())
}

/// The version of a package in the root Cargo.lock, as built.
fn locked_version(name: &str) -> Option<String> {
    let lock = std::fs::read_to_string(repo().join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            let version = lines.next()?.strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_owned());
        }
    }
    None
}

/// The versions of everything measured; Ray's and its Python's from Ray's own report.
pub fn versions(ray: &Json) -> Json {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let guest_route =
        first_line(Command::new("bash").args(["scripts/guest-toolchain.sh", "--check"]));
    let guest_rustc = match guest_route.as_deref() {
        Some("debian") => first_line(Command::new("/usr/bin/rustc").arg("-V")),
        _ => first_line(Command::new(&rustc).arg("-V")),
    };
    let python = ray["versions"]["python"]
        .as_str()
        .map(|v| format!("Python {v}"))
        .or_else(|| first_line(Command::new("python3").arg("--version")));
    json!({
        "rustc": first_line(Command::new(&rustc).arg("-V")),
        "guest_toolchain_route": guest_route,
        "guest_rustc": guest_rustc,
        "wasmtime": locked_version("wasmtime"),
        "wask": locked_version("wask"),
        "ray": ray["versions"]["ray"],
        "python": python,
        "numpy": ray["versions"]["numpy"],
        "pillow": ray["versions"]["pillow"],
    })
}

/// Now, in UTC, as `2026-05-01T12:34:56Z`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod test;
