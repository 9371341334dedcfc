//! `host build`: build a guest task in Rust, Python or JavaScript to a component.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use super::Failure;
use crate::authoring::{self, Guest, Lang};

/// Build the guest at PATH (a Rust crate, a Python project or module, or a
/// JavaScript package) into a task component; print the component's path on stdout,
/// and its exports on stderr.
///
/// The toolchain is installed on first use into ~/.cache/wask (or `$WASK_TOOLS_DIR`):
/// for Rust, rustup's wasm32-wasip2 target where it is installed, else Debian's
/// rustc-web with a standard library built once for every crate; for Python,
/// componentize-py in a virtual environment of its own; for JavaScript,
/// componentize-js.
#[derive(Debug, clap::Args)]
pub struct BuildCommand {
    /// The guest's folder, or a Python module (.py)
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Where to write the component [default: PATH/target/wask/NAME.wasm]
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The guest's language, when its files do not tell
    #[arg(long, value_enum)]
    lang: Option<Lang>,
}

impl BuildCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let guest = Guest::find(&self.path, self.lang)?;
        let started = Instant::now();
        let path = authoring::build(&guest, self.out.as_deref())?;
        let elapsed = started.elapsed();
        let inspection = wask::inspect(&path)?;
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        authoring::say(&format!(
            // "ready", not "built": a guest that has not changed is not built again.
            "{} guest ready in {:.1} s: {} ({}), which exports:",
            guest.lang,
            elapsed.as_secs_f64(),
            path.display(),
            super::human_size(size)
        ));
        for function in inspection.exports().functions() {
            eprintln!("  {function}");
        }
        println!("{}", path.display());
        Ok(ExitCode::SUCCESS)
    }
}
