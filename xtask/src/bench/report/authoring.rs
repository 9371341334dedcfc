//! The authoring figures in benchmarks.json (`wask.authoring`): per language, `host
//! build` of a new guest and of a changed one, the component's size, and its first `host
//! run` with an empty and with a full cache of compiled components; and the section of
//! BENCHMARKS.md that shows them.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Deserialize;

use super::document::Document;
use super::format::duration;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Authoring {
    /// Keyed by `host new --lang`: `rust`, `python`, `js`.
    pub languages: BTreeMap<String, Language>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Language {
    /// Why this language could not be measured.
    pub error: Option<String>,
    /// The run's first guest in the language: installs what is missing.
    pub first_build_s: Option<f64>,
    /// A new guest, with the toolchain and its shared caches in place.
    pub cold_build_s: Option<f64>,
    /// The same guest again after a one-line change to its source.
    pub rebuild_s: Option<f64>,
    pub component_bytes: Option<u64>,
    /// `host run` of one call with an empty cache: Cranelift compiles the component.
    pub first_run_s: Option<f64>,
    /// The same run again: the compiled component comes from the cache.
    pub cached_run_s: Option<f64>,
}

/// The languages in the report's order, with their names as people write them.
const ORDER: [(&str, &str); 3] = [("rust", "Rust"), ("python", "Python"), ("js", "JavaScript")];

/// `## Writing tasks`: the authoring figures, or nothing for a run that has none.
pub fn section(md: &mut String, doc: &Document) -> fmt::Result {
    let languages = &doc.wask.authoring.languages;
    if languages.is_empty() {
        return Ok(());
    }
    writeln!(md, "## Writing tasks\n")?;
    writeln!(
        md,
        "The `wordcount` guest that `host new NAME --lang LANG` writes, built by `host build` \
         and run by `host run --invoke 'count-words(\"a b\")'` (checked to print `2`), once \
         each, wall time of the command. *First build* is the run's first guest in the \
         language, which installs what is missing; *new guest* is a second one, with the \
         toolchain and its shared caches in place; *rebuild* is that guest after a one-line \
         change. *First run* has an empty cache of compiled components, so Cranelift \
         compiles the component; *cached run* reads it from the cache.\n"
    )?;
    writeln!(
        md,
        "| language | first build | new guest | rebuild | component | first run | cached run |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|")?;
    for (key, name) in ORDER {
        let Some(l) = languages.get(key) else {
            continue;
        };
        if let Some(error) = &l.error {
            writeln!(md, "| {name} | not measured: {error} | | | | | |")?;
            continue;
        }
        let secs = |s: Option<f64>| s.map_or("—".into(), duration);
        writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            secs(l.first_build_s),
            secs(l.cold_build_s),
            secs(l.rebuild_s),
            l.component_bytes
                .map_or("—".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            secs(l.first_run_s),
            secs(l.cached_run_s),
        )?;
    }
    md.push('\n');
    Ok(())
}
