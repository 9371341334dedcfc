//! From the measured figures to the report: the targets of issue 6 with met or missed,
//! the Wask/Ray ratios, and docs/BENCHMARKS.md. Nothing here measures; every number
//! printed is read from the JSON document of the run.
//!
//! The json is read into a typed model, [`Document`]: one struct per object of the json
//! (`document`, `wask`, `ray`, and the rows of `targets` and `ratios`). BENCHMARKS.md is
//! a list of [`SECTIONS`], each a function from the document to markdown.
//!
//! To report a new kind of figure (a cluster, a service): write its struct in a file of
//! its own with the section that renders it, add it to [`Document`] as an optional field
//! (`pub cluster: Option<Cluster>`, so a json from before it still reads, and its section
//! writes nothing for it), and add the section to [`SECTIONS`]. A json that has a
//! section the report does not know yet reads too: unknown fields are skipped.

mod authoring;
mod cluster;
mod details;
mod document;
mod format;
mod page;
mod profile;
mod ratios;
mod ray;
mod targets;
mod wask;

use std::fmt;

pub use document::Document;
pub use ratios::ratios;
pub use targets::targets;

/// One section of BENCHMARKS.md: appends its markdown for the document.
type Section = fn(&mut String, &Document) -> fmt::Result;

/// The sections of BENCHMARKS.md, in order.
const SECTIONS: &[Section] = &[
    page::header,
    page::machine,
    targets::section,
    ratios::section,
    details::section,
    cluster::section,
    authoring::section,
    profile::section,
    page::method,
    page::commands,
];

/// docs/BENCHMARKS.md, from the run's document.
pub fn markdown(doc: &Document) -> String {
    let mut md = String::new();
    for section in SECTIONS {
        section(&mut md, doc).expect("writing to a String cannot fail");
    }
    md
}

#[cfg(test)]
mod test;
