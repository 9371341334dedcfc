//! `host inspect`: list a component's exported functions with their WIT signatures,
//! read from the component's binary without compiling it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;

/// Print the functions a component exports, with their WIT signatures (and, with
/// --imports, what it imports).
#[derive(Debug, clap::Args)]
pub struct InspectCommand {
    /// The component (.wasm) to inspect
    component: PathBuf,
    /// Also list the interfaces it imports, one `import NAME` line each, marking those
    /// this host does not provide
    #[arg(long)]
    imports: bool,
}

impl InspectCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let component = wask::inspect(&self.component)?;
        let mut lines: Vec<String> = component
            .exports()
            .functions()
            .iter()
            .map(ToString::to_string)
            .collect();
        let missing = component.missing_imports();
        if self.imports {
            lines.extend(component.imports().iter().map(|i| {
                if missing.contains(&i.as_str()) {
                    format!("import {i}  (missing: this host does not provide it)")
                } else {
                    format!("import {i}")
                }
            }));
        } else if !missing.is_empty() {
            eprintln!(
                "host inspect: this host does not provide {} of the component's imports ({}), so it cannot run here; --imports lists them all",
                missing.len(),
                missing.join(", ")
            );
        }
        let mut stdout = std::io::stdout().lock();
        for line in lines {
            writeln!(stdout, "{line}").map_err(Failure::io)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}
