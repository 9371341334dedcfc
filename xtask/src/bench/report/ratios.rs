//! Wask against Ray: the ratios of the same measures from the same run, and the
//! "Wask and Ray side by side" section of BENCHMARKS.md.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use super::document::{Document, Seed};
use super::format::{Unit, or_dash, or_unknown, show};

/// One row of `ratios` in benchmarks.json.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RatioRow {
    pub measure: String,
    pub unit: Unit,
    pub wask: Option<f64>,
    pub ray: Option<f64>,
    pub wask_over_ray: Option<f64>,
    /// The ratio in words: `Wask 4.7× better`.
    pub reading: Option<String>,
    pub note: String,
}

/// One measure taken on both sides.
struct Ratio {
    measure: String,
    unit: Unit,
    wask: Option<f64>,
    ray: Option<f64>,
    /// Whether a larger figure is better (throughput) or worse (times, memory).
    higher_is_better: bool,
    note: &'static str,
}

impl Ratio {
    fn row(self) -> RatioRow {
        let ratio = match (self.wask, self.ray) {
            (Some(w), Some(ray)) if ray > 0.0 => Some(w / ray),
            _ => None,
        };
        let reading = ratio.map(|q| {
            let better = if self.higher_is_better { q } else { 1.0 / q };
            if better >= 1.0 {
                format!("Wask {better:.1}× better")
            } else {
                format!("Wask {:.1}× worse", 1.0 / better)
            }
        });
        RatioRow {
            measure: self.measure,
            unit: self.unit,
            wask: self.wask,
            ray: self.ray,
            wask_over_ray: ratio,
            reading,
            note: self.note.to_owned(),
        }
    }
}

/// Every Wask/Ray row, from the run's figures.
pub fn ratios(doc: &Document) -> Vec<RatioRow> {
    let wask = &doc.wask;
    let ray = &doc.ray;
    let cores = doc.config.cores.unwrap_or(1);
    let mut list = Vec::new();
    for seed in Seed::ALL {
        let (ours, theirs) = (wask.seed_cases.get(seed), ray.cases.get(seed));
        for (how, w, r) in [
            ("serial", ours.serial_s, theirs.serial_s),
            ("parallel", ours.parallel_s, theirs.parallel_s),
        ] {
            list.push(Ratio {
                measure: format!("{}, {how}", seed.case_title()),
                unit: Unit::Seconds,
                wask: w,
                ray: r,
                higher_is_better: false,
                note: "wall time of the whole case",
            });
        }
    }
    list.push(Ratio {
        measure: "no-op round trip p50".into(),
        unit: Unit::Seconds,
        wask: wask.library.roundtrip.result.p50_s,
        ray: ray.noop.roundtrip.p50_s,
        higher_is_better: false,
        note: "submit then get, one at a time",
    });
    list.push(Ratio {
        measure: "no-op round trip p99".into(),
        unit: Unit::Seconds,
        wask: wask.library.roundtrip.result.p99_s,
        ray: ray.noop.roundtrip.p99_s,
        higher_is_better: false,
        note: "",
    });
    list.push(Ratio {
        measure: "no-op throughput".into(),
        unit: Unit::PerSecond,
        wask: wask.library.throughput.tasks_per_s(cores),
        ray: ray.noop.throughput.tasks_per_s,
        higher_is_better: true,
        note: "one worker per core on both sides",
    });
    list.push(Ratio {
        measure: "process start to first result".into(),
        unit: Unit::Seconds,
        wask: wask.cold_start.noop.warm_cache.first_result_p50_s,
        ray: ray.startup.first_result_s(),
        higher_is_better: false,
        note: "Wask: `host run`, warm cache; Ray: interpreter start to the first remote no-op",
    });
    list.push(Ratio {
        measure: "peak memory (RSS)".into(),
        unit: Unit::Bytes,
        wask: wask.rss.peak_rss_bytes,
        ray: ray.memory.peak_total_rss_bytes,
        higher_is_better: false,
        note: "Wask: host over 100,000 no-op tasks; Ray: driver and all Ray processes over its run",
    });
    list.into_iter().map(Ratio::row).collect()
}

/// `## Wask and Ray side by side`: the table of `doc.ratios`, or why Ray was not
/// measured.
pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "## Wask and Ray side by side\n")?;
    let ray = &doc.ray;
    if !ray.measured {
        return writeln!(
            md,
            "**Ray was not measured in this run**: {}. The Wask figures below stand \
             alone; the Ray column of the targets table is empty.\n",
            or_unknown(ray.reason.as_deref())
        );
    }
    writeln!(
        md,
        "Ray {} ran `bench/ray/seed_bench.py` on the same machine in the same run, \
         on the same images and sizes, with `ray.init(num_cpus={})`; each side checks \
         its own results (see Method). Ray's exit status: {}.\n",
        or_unknown(doc.versions.ray.as_deref()),
        doc.config.cores.unwrap_or_default(),
        or_dash(ray.exit_status),
    )?;
    writeln!(md, "| measure | Wask | Ray | Wask/Ray | | note |")?;
    writeln!(md, "|---|---|---|---|---|---|")?;
    for r in &doc.ratios {
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            r.measure,
            show(r.unit, r.wask),
            show(r.unit, r.ray),
            r.wask_over_ray.map_or("—".into(), |q| format!("{q:.3}")),
            or_dash(r.reading.as_deref()),
            r.note,
        )?;
    }
    if let Some(error) = &ray.error {
        writeln!(md, "\nRay's run reported an error: `{error}`.")?;
    }
    md.push('\n');
    Ok(())
}
