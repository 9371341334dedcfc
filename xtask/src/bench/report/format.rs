//! How figures are written in BENCHMARKS.md: durations, thousands, units, and the
//! marks for a figure that is missing ("—" for a table cell, "n/a" for a duration).

use std::fmt::Display;

use serde::{Deserialize, Serialize};

/// How a figure is shown; in benchmarks.json, the `unit` of a target or ratio row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "tasks/s")]
    PerSecond,
    #[serde(rename = "bytes")]
    Bytes,
    /// Also what an unknown unit is read as.
    #[default]
    #[serde(rename = "ratio", other)]
    Ratio,
}

impl Unit {
    pub fn show(self, value: f64) -> String {
        match self {
            Unit::Seconds => duration(value),
            Unit::PerSecond => format!("{} tasks/s", thousands(value)),
            Unit::Bytes => format!("{:.1} MB", value / 1e6),
            Unit::Ratio => format!("{value:.2}×"),
        }
    }
}

/// A figure in its unit, or "—" when there is none.
pub fn show(unit: Unit, value: Option<f64>) -> String {
    value.map_or("—".into(), |v| unit.show(v))
}

/// Seconds in µs, ms or s, whichever reads best; "n/a" for NaN.
pub fn duration(s: f64) -> String {
    if !s.is_finite() {
        "n/a".into()
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// A duration, or "n/a" when there is none.
pub fn secs(value: Option<f64>) -> String {
    duration(or_nan(value))
}

/// A missing figure as NaN, which the formats above and `{:.2}` show as such.
pub fn or_nan(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::NAN)
}

/// A whole number with a comma every three digits: `100,000`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A table cell: the value, or "—" when there is none.
pub fn or_dash(value: Option<impl Display>) -> String {
    value.map_or("—".into(), |v| v.to_string())
}

/// A text the report cannot do without, or "unknown".
pub fn or_unknown(value: Option<&str>) -> &str {
    value.unwrap_or("unknown")
}

/// A number as benchmarks.json writes it (`1.5`, `2.0`), not as Rust prints an f64.
pub fn json_number(value: f64) -> String {
    serde_json::Value::from(value).to_string()
}
