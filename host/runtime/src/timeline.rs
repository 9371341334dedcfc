//! Timelines: when each task waited, was instantiated, ran and was resolved, and on
//! which worker; written as a Chrome trace (for Perfetto) or drawn as an SVG.
//!
//! A *span* is one task's life: submitted, started on a worker, instance ready, export
//! returned, ref resolved. Recording is off unless [`crate::Runtime::start_timeline`]
//! turned it on, so the hot path pays one atomic load.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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
    pub host: Option<std::sync::Arc<str>>,
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
        event(
            &mut out,
            json!({ "name": "process_name", "ph": "M", "pid": 1, "args": { "name": "wask" } }),
        )?;
        for w in 0..self.n_workers {
            event(
                &mut out,
                json!({
                    "name": "thread_name", "ph": "M", "pid": 1, "tid": w,
                    "args": { "name": format!("worker {w}") }
                }),
            )?;
        }
        for (seq, s) in self.spans.iter().enumerate() {
            for value in self.span_events(seq, s) {
                event(&mut out, value)?;
            }
        }
        out.write_all(b"]}")?;
        out.flush()
    }

    /// The trace events of one span: the task, its phases, and its queue wait.
    fn span_events(&self, seq: usize, s: &TaskSpan) -> Vec<serde_json::Value> {
        let name = format!("{} #{seq}", s.label);
        let mut events = vec![json!({
            "name": name.clone(), "cat": "task", "ph": "X", "pid": 1, "tid": s.worker_idx,
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
                "name": phase, "cat": "phase", "ph": "X", "pid": 1, "tid": s.worker_idx,
                "ts": self.at(from), "dur": micros(end - from)
            }));
            from = end;
        }
        for (ph, t) in [("b", s.submitted), ("e", s.started)] {
            events.push(json!({
                "name": name.clone(), "cat": "queue", "ph": ph, "id": seq, "pid": 1,
                "ts": self.at(t)
            }));
        }
        events
    }

    /// Draws one lane per worker with each task as a labelled bar on a time axis: the
    /// instantiation in a lighter shade, the run in the function's colour, failures in red.
    pub fn to_svg(&self, title: &str) -> String {
        const WIDTH: f64 = 960.0;
        const LEFT: f64 = 84.0;
        const RIGHT: f64 = 24.0;
        const TOP: f64 = 56.0;
        const LANE: f64 = 30.0;
        const GAP: f64 = 8.0;
        let n_lanes = self.n_workers.max(1);
        let plot_w = WIDTH - LEFT - RIGHT;
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
            LEFT + t.saturating_duration_since(start).as_secs_f64() / axis_end * plot_w
        };
        let lane_y = |w: usize| TOP + w as f64 * (LANE + GAP);

        let mut svg = String::new();
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{LEFT}" y="24" font-size="16" font-weight="bold" fill="#1f2933">{}</text>
<text x="{LEFT}" y="42" fill="#52606d">{} tasks on {} workers, wall {}</text>
"##,
            escape(title),
            self.spans.len(),
            self.n_workers,
            format_secs(total),
        );
        for w in 0..n_lanes {
            let y = lane_y(w);
            let _ = writeln!(
                svg,
                r##"<rect class="lane" x="{LEFT}" y="{y}" width="{plot_w}" height="{LANE}" fill="#f0f4f8"/>
<text x="{}" y="{}" text-anchor="end" fill="#323f4b">worker {w}</text>"##,
                LEFT - 8.0,
                y + LANE / 2.0 + 4.0
            );
        }
        for i in 0..=n_ticks {
            let tx = LEFT + i as f64 / n_ticks as f64 * plot_w;
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
            LEFT + plot_w / 2.0,
            TOP + lanes_h + 34.0
        );
        for (seq, s) in self.spans.iter().enumerate() {
            let y = lane_y(s.worker_idx.min(n_lanes - 1));
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
        let mut lx = LEFT;
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
