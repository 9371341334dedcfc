//! Timelines: when each task waited, was instantiated, ran and was resolved, and on
//! which worker; written as a Chrome trace (for Perfetto) or drawn as an SVG.
//!
//! A *span* is one task's life: submitted, started on a worker, instance ready, export
//! returned, ref resolved. Recording is off unless [`crate::Runtime::start_timeline`]
//! turned it on, so the hot path pays one atomic load.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use wask_core::ObjectId;

/// One task's life on a worker.
#[derive(Debug, Clone)]
pub struct TaskSpan {
    pub object: ObjectId,
    /// What ran: the function's name.
    pub label: String,
    /// The host process it ran on: `None` for this one, else a cluster worker's id.
    pub host: Option<Arc<str>>,
    /// The worker slot on that host.
    pub worker_idx: usize,
    pub submitted: Instant,
    pub started: Instant,
    /// The fresh instance was ready (absent if instantiation failed).
    pub instantiated: Option<Instant>,
    /// The export returned or trapped (absent if it never ran).
    pub returned: Option<Instant>,
    pub resolved: Instant,
    pub ok: bool,
}

/// The spans recorded between [`crate::Runtime::start_timeline`] and
/// [`crate::Runtime::take_timeline`], in submission order.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub n_workers: usize,
    pub origin: Instant,
    pub spans: Vec<TaskSpan>,
}

#[derive(Debug)]
pub(crate) struct Recorder {
    enabled: AtomicBool,
    state: Mutex<(Instant, Vec<TaskSpan>)>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            enabled: AtomicBool::new(false),
            state: Mutex::new((Instant::now(), Vec::new())),
        }
    }
}

impl Recorder {
    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn start(&self) {
        *self.state.lock().expect("timeline lock") = (Instant::now(), Vec::new());
        self.enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn record(&self, span: TaskSpan) {
        self.state.lock().expect("timeline lock").1.push(span);
    }

    pub(crate) fn take(&self, n_workers: usize) -> Timeline {
        self.enabled.store(false, Ordering::Relaxed);
        let (origin, mut spans) = std::mem::replace(
            &mut *self.state.lock().expect("timeline lock"),
            (Instant::now(), Vec::new()),
        );
        spans.sort_by_key(|s| (s.submitted, s.object));
        Timeline {
            n_workers,
            origin,
            spans,
        }
    }
}

/// Where tasks ran: a worker slot of this process (`host` is `None`) or of a cluster
/// worker process.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lane {
    pub host: Option<Arc<str>>,
    pub slot: usize,
}

impl Lane {
    fn of(span: &TaskSpan) -> Lane {
        Lane {
            host: span.host.clone(),
            slot: span.worker_idx,
        }
    }

    /// `worker 3` here; `<worker id>/3` on a cluster worker (the id cut to 12 characters).
    fn label(&self) -> String {
        match &self.host {
            None => format!("worker {}", self.slot),
            Some(host) => {
                let short: String = host.chars().take(12).collect();
                format!("{short}/{}", self.slot)
            }
        }
    }
}

/// `4 workers` here, or `6 slots of 3 cluster workers`.
fn workers_text(lanes: &[Lane], n_workers: usize) -> String {
    let hosts: BTreeSet<&str> = lanes.iter().filter_map(|l| l.host.as_deref()).collect();
    if hosts.is_empty() {
        format!("{n_workers} workers")
    } else {
        let slots = lanes.iter().filter(|l| l.host.is_some()).count();
        format!("{slots} slots of {} cluster workers", hosts.len())
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

impl Timeline {
    /// From the first submission to the last resolution.
    pub fn wall(&self) -> Duration {
        let start = self.spans.iter().map(|s| s.submitted).min();
        let end = self.spans.iter().map(|s| s.resolved).max();
        match (start, end) {
            (Some(start), Some(end)) => end - start,
            _ => Duration::ZERO,
        }
    }

    /// The lanes a drawing has: this process's worker slots (unless every task ran on a
    /// cluster), then the slots of each cluster worker that ran a task, grouped by worker.
    pub fn lanes(&self) -> Vec<Lane> {
        let remote: BTreeSet<Lane> = self
            .spans
            .iter()
            .filter(|s| s.host.is_some())
            .map(Lane::of)
            .collect();
        let mut lanes = Vec::new();
        if remote.is_empty() || self.spans.iter().any(|s| s.host.is_none()) {
            lanes.extend((0..self.n_workers.max(1)).map(|slot| Lane { host: None, slot }));
        }
        lanes.extend(remote);
        lanes
    }

    /// Each lane's index in `lanes`; a local slot past the last lane goes to the last.
    fn lane_index(lanes: &[Lane]) -> impl Fn(&TaskSpan) -> usize {
        let index: HashMap<Lane, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i))
            .collect();
        let last_local = lanes.iter().rposition(|l| l.host.is_none()).unwrap_or(0);
        move |s| index.get(&Lane::of(s)).copied().unwrap_or(last_local)
    }

    fn at(&self, t: Instant) -> f64 {
        micros(t.saturating_duration_since(self.origin))
    }

    /// Writes the Chrome trace format (JSON object form), which Perfetto and
    /// `chrome://tracing` open: one track per worker thread with one complete event per
    /// task and its phases nested inside, and the queue waits as async slices. Events
    /// are written one by one, so a trace of a million tasks needs no more memory than
    /// its spans.
    pub fn write_chrome_trace(&self, out: impl std::io::Write) -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(out);
        out.write_all(br#"{"displayTimeUnit":"ms","traceEvents":["#)?;
        let mut first = true;
        let mut event = |out: &mut std::io::BufWriter<_>, value: serde_json::Value| {
            if !std::mem::take(&mut first) {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::from)
        };
        // One process per host: 1 is this one, then each cluster worker in order.
        let lanes = self.lanes();
        let mut pids: HashMap<Option<Arc<str>>, usize> = HashMap::new();
        for lane in &lanes {
            let next = pids.len() + 1;
            let pid = *pids.entry(lane.host.clone()).or_insert_with(|| next);
            if pid == next {
                let name = lane
                    .host
                    .as_deref()
                    .map_or_else(|| "wask".to_owned(), |h| format!("worker {h}"));
                event(
                    &mut out,
                    json!({ "name": "process_name", "ph": "M", "pid": pid, "args": { "name": name } }),
                )?;
            }
            event(
                &mut out,
                json!({
                    "name": "thread_name", "ph": "M", "pid": pid, "tid": lane.slot,
                    "args": { "name": format!("slot {}", lane.slot) }
                }),
            )?;
        }
        for (seq, s) in self.spans.iter().enumerate() {
            let pid = pids.get(&s.host).copied().unwrap_or(1);
            for value in self.span_events(seq, s, pid) {
                event(&mut out, value)?;
            }
        }
        out.write_all(b"]}")?;
        out.flush()
    }

    /// The trace events of one span: the task, its phases, and its queue wait.
    fn span_events(&self, seq: usize, s: &TaskSpan, pid: usize) -> Vec<serde_json::Value> {
        let name = format!("{} #{seq}", s.label);
        let mut events = vec![json!({
            "name": name.clone(), "cat": "task", "ph": "X", "pid": pid, "tid": s.worker_idx,
            "ts": self.at(s.started), "dur": micros(s.resolved - s.started),
            "args": {
                "object": s.object.as_u64(),
                "ok": s.ok,
                "queue_wait_us": micros(s.started - s.submitted),
            }
        })];
        let ends = [
            ("instantiate", s.instantiated),
            ("run", s.returned),
            ("result", Some(s.resolved)),
        ];
        let mut from = s.started;
        for (phase, end) in ends {
            let Some(end) = end else { continue };
            events.push(json!({
                "name": phase, "cat": "phase", "ph": "X", "pid": pid, "tid": s.worker_idx,
                "ts": self.at(from), "dur": micros(end - from)
            }));
            from = end;
        }
        for (ph, t) in [("b", s.submitted), ("e", s.started)] {
            events.push(json!({
                "name": name.clone(), "cat": "queue", "ph": ph, "id": seq, "pid": pid,
                "ts": self.at(t)
            }));
        }
        events
    }

    /// Draws one lane per worker with each task as a labelled bar on a time axis: the
    /// instantiation in a lighter shade, the run in the function's colour, failures in red.
    pub fn to_svg(&self, title: &str) -> String {
        const WIDTH: f64 = 960.0;
        const RIGHT: f64 = 24.0;
        const TOP: f64 = 56.0;
        const LANE: f64 = 30.0;
        const GAP: f64 = 8.0;
        let lanes = self.lanes();
        let lane_of = Self::lane_index(&lanes);
        let n_lanes = lanes.len();
        let longest = lanes.iter().map(|l| l.label().len()).max().unwrap_or(0);
        let left = (longest as f64 * 7.0 + 16.0).max(84.0);
        let plot_w = WIDTH - left - RIGHT;
        let lanes_h = n_lanes as f64 * (LANE + GAP) - GAP;
        let height = TOP + lanes_h + 84.0;
        let start = self
            .spans
            .iter()
            .map(|s| s.submitted)
            .min()
            .unwrap_or(self.origin);
        let total = self.wall().as_secs_f64().max(1e-6);
        let (tick, n_ticks) = nice_ticks(total);
        let axis_end = tick * n_ticks as f64;
        let x = |t: Instant| {
            left + t.saturating_duration_since(start).as_secs_f64() / axis_end * plot_w
        };
        let lane_y = |w: usize| TOP + w as f64 * (LANE + GAP);

        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{left}" y="24" font-size="16" font-weight="bold" fill="#1f2933">{}</text>
<text x="{left}" y="42" fill="#52606d">{} tasks on {}, wall {}</text>
"##,
            escape(title),
            self.spans.len(),
            workers_text(&lanes, self.n_workers),
            format_secs(total),
        );
        for (w, lane) in lanes.iter().enumerate() {
            let y = lane_y(w);
            let _ = writeln!(
                svg,
                r##"<rect class="lane" x="{left}" y="{y}" width="{plot_w}" height="{LANE}" fill="#f0f4f8"/>
<text x="{}" y="{}" text-anchor="end" fill="#323f4b"><title>{}</title>{}</text>"##,
                left - 8.0,
                y + LANE / 2.0 + 4.0,
                escape(lane.host.as_deref().unwrap_or("this process")),
                escape(&lane.label()),
            );
        }
        for i in 0..=n_ticks {
            let tx = left + i as f64 / n_ticks as f64 * plot_w;
            let y0 = TOP - 4.0;
            let y1 = TOP + lanes_h + 4.0;
            let _ = writeln!(
                svg,
                r##"<line x1="{tx:.1}" y1="{y0}" x2="{tx:.1}" y2="{y1}" stroke="#bcccdc" stroke-width="0.5"/>
<text x="{tx:.1}" y="{}" text-anchor="middle" fill="#52606d">{}</text>"##,
                y1 + 14.0,
                format_secs(tick * i as f64)
            );
        }
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#52606d">time since first submit</text>"##,
            left + plot_w / 2.0,
            TOP + lanes_h + 34.0
        );
        for (seq, s) in self.spans.iter().enumerate() {
            let y = lane_y(lane_of(s));
            let (x0, x1) = (x(s.started), x(s.resolved).max(x(s.started) + 1.0));
            let run_from = s.instantiated.map_or(x0, x);
            let colour = if s.ok { palette(&s.label) } else { "#d64545" };
            let _ = writeln!(
                svg,
                r##"<g class="task"><title>{label} #{seq}: queued {q}, instantiate {i}, run {r}{failed}</title>
<rect x="{x0:.2}" y="{y1}" width="{iw:.2}" height="{h}" fill="{colour}" opacity="0.45"/>
<rect x="{run_from:.2}" y="{y1}" width="{rw:.2}" height="{h}" fill="{colour}" stroke="#ffffff" stroke-width="0.5"/>"##,
                label = escape(&s.label),
                q = format_secs((s.started - s.submitted).as_secs_f64()),
                i = format_secs(
                    s.instantiated
                        .map_or(0.0, |t| (t - s.started).as_secs_f64())
                ),
                r = format_secs(match (s.instantiated, s.returned) {
                    (Some(a), Some(b)) => (b - a).as_secs_f64(),
                    _ => 0.0,
                }),
                failed = if s.ok { "" } else { ", failed" },
                y1 = y + 3.0,
                iw = (run_from - x0).max(0.0),
                rw = (x1 - run_from).max(0.5),
                h = LANE - 6.0,
            );
            let text = format!("{} #{seq}", s.label);
            if (x1 - x0) > text.len() as f64 * 6.5 + 6.0 {
                let _ = writeln!(
                    svg,
                    r##"<text x="{:.2}" y="{}" text-anchor="middle" fill="#ffffff">{}</text>"##,
                    f64::midpoint(x0, x1),
                    y + LANE / 2.0 + 4.0,
                    escape(&text)
                );
            }
            svg.push_str("</g>\n");
        }
        // Legend.
        let ly = TOP + lanes_h + 56.0;
        let mut lx = left;
        for (name, colour, opacity) in [
            ("instantiate", "#3e7cb1", "0.45"),
            ("run", "#3e7cb1", "1"),
            ("failed", "#d64545", "1"),
        ] {
            let _ = writeln!(
                svg,
                r##"<rect x="{lx}" y="{}" width="14" height="12" fill="{colour}" opacity="{opacity}"/>
<text x="{}" y="{}" fill="#323f4b">{name}</text>"##,
                ly - 10.0,
                lx + 20.0,
                ly
            );
            lx += 110.0;
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// A tick step of 1, 2 or 5 × 10^k seconds giving 4 to 10 ticks that cover `total`.
fn nice_ticks(total: f64) -> (f64, usize) {
    let raw = total / 6.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| total / s <= 8.0)
        .unwrap_or(10.0 * magnitude);
    // Between 1 and about 8 by the choice of step.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count"
    )]
    let n_ticks = (total / step).ceil().max(1.0) as usize;
    (step, n_ticks)
}

/// Seconds in the largest unit that keeps them at least 1, with at most two decimals
/// and none that are zero: `1.5 s`, `200 ms`, `12.5 µs`.
fn format_secs(s: f64) -> String {
    let (value, unit) = if s == 0.0 {
        return "0".into();
    } else if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else {
        (s * 1e6, "µs")
    };
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// A stable colour per function name.
fn palette(label: &str) -> &'static str {
    const COLOURS: [&str; 6] = [
        "#3e7cb1", "#2f8f5b", "#8e5bb5", "#c7781a", "#1d8a99", "#5c6ac4",
    ];
    let hash = label
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    COLOURS[hash as usize % COLOURS.len()]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod test;
