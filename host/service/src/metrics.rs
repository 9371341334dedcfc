//! Counters and latency histograms, and the Prometheus text format they are read in.
//!
//! Everything here is updated from the runtime's worker threads (through the task
//! observer) with relaxed atomics, and read when `/metrics` or the dashboard asks.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 18] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    /// One count per bucket, and the last for what is above every bound.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, value: Duration) {
        let seconds = value.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Writes the histogram's lines (`_bucket`, `_sum`, `_count`) with `labels`.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let bound = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), ToString::to_string);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }

    /// The value below which `q` (0 to 1) of the observations fall, as the upper
    /// bound of its bucket; `None` with no observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0);
        let mut cumulative = 0;
        for (i, count) in counts.iter().enumerate() {
            cumulative += count;
            if cumulative as f64 >= rank {
                return Some(BUCKETS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        None
    }
}

/// One tenant's task counters, gauges and latencies.
#[derive(Debug, Default)]
pub struct TaskMetrics {
    pub submitted: AtomicU64,
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
    pub cancelled: AtomicU64,
    /// Submitted and not started (waiting for inputs or for a slot).
    pub queued: AtomicI64,
    pub running: AtomicI64,
    /// From submission to a worker slot taking the task.
    pub queue_wait: Histogram,
    /// From a worker slot taking the task to its end.
    pub run_time: Histogram,
    /// Requests refused by the rate limit.
    pub rate_limited: AtomicU64,
}

impl TaskMetrics {
    pub fn finished(&self) -> u64 {
        self.succeeded.load(Ordering::Relaxed)
            + self.failed.load(Ordering::Relaxed)
            + self.cancelled.load(Ordering::Relaxed)
    }
}

/// Escapes a label value as the text format asks (`\`, `"` and newlines).
pub fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes a metric family's `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes every tenant's task metrics, one family at a time as the format asks.
pub fn render_tasks(out: &mut String, tenants: &[(String, &TaskMetrics)]) {
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    family(
        out,
        "wask_tasks_submitted_total",
        "counter",
        "Tasks submitted, by tenant (nested tasks included).",
    );
    for (tenant, m) in tenants {
        let _ = writeln!(
            out,
            "wask_tasks_submitted_total{{tenant=\"{}\"}} {}",
            label(tenant),
            load(&m.submitted)
        );
    }
    family(
        out,
        "wask_tasks_finished_total",
        "counter",
        "Tasks finished, by tenant and outcome.",
    );
    for (tenant, m) in tenants {
        for (outcome, n) in [
            ("succeeded", &m.succeeded),
            ("failed", &m.failed),
            ("cancelled", &m.cancelled),
        ] {
            let _ = writeln!(
                out,
                "wask_tasks_finished_total{{tenant=\"{}\",outcome=\"{outcome}\"}} {}",
                label(tenant),
                load(n)
            );
        }
    }
    family(
        out,
        "wask_tasks",
        "gauge",
        "Tasks not finished, by tenant and state (queued: waiting for inputs or a worker slot).",
    );
    for (tenant, m) in tenants {
        for (state, n) in [("queued", &m.queued), ("running", &m.running)] {
            let _ = writeln!(
                out,
                "wask_tasks{{tenant=\"{}\",state=\"{state}\"}} {}",
                label(tenant),
                n.load(Ordering::Relaxed).max(0)
            );
        }
    }
    family(
        out,
        "wask_queue_depth",
        "gauge",
        "Tasks submitted and not yet started, by tenant.",
    );
    for (tenant, m) in tenants {
        let _ = writeln!(
            out,
            "wask_queue_depth{{tenant=\"{}\"}} {}",
            label(tenant),
            m.queued.load(Ordering::Relaxed).max(0)
        );
    }
    family(
        out,
        "wask_task_queue_seconds",
        "histogram",
        "Time from submission to a worker slot taking the task.",
    );
    for (tenant, m) in tenants {
        m.queue_wait.render(
            out,
            "wask_task_queue_seconds",
            &format!("tenant=\"{}\"", label(tenant)),
        );
    }
    family(
        out,
        "wask_task_run_seconds",
        "histogram",
        "Time from a worker slot taking the task to its end.",
    );
    for (tenant, m) in tenants {
        m.run_time.render(
            out,
            "wask_task_run_seconds",
            &format!("tenant=\"{}\"", label(tenant)),
        );
    }
    family(
        out,
        "wask_rate_limited_total",
        "counter",
        "Requests refused by the tenant's rate limit.",
    );
    for (tenant, m) in tenants {
        let _ = writeln!(
            out,
            "wask_rate_limited_total{{tenant=\"{}\"}} {}",
            label(tenant),
            load(&m.rate_limited)
        );
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn histogram_buckets_and_quantiles() {
        let h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(100));
        assert_eq!(h.quantile(0.3), Some(0.0001));
        assert_eq!(h.quantile(0.6), Some(0.005));
        assert_eq!(h.quantile(1.0), Some(f64::INFINITY));
        let mut out = String::new();
        h.render(&mut out, "x", "tenant=\"a\"");
        assert!(out.contains("x_bucket{tenant=\"a\",le=\"0.0001\"} 1\n"));
        assert!(out.contains("x_bucket{tenant=\"a\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_count{tenant=\"a\"} 3\n"));
        assert_eq!(label("a\"b\\"), "a\\\"b\\\\");
    }
}
