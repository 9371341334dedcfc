//! `host inspect`: list a component's exported functions with their WIT signatures.

use std::path::PathBuf;
use std::process::ExitCode;

/// Print the functions a component exports, with their WIT signatures.
#[derive(Debug, clap::Args)]
pub struct InspectCommand {
    /// The component (.wasm) to inspect
    component: PathBuf,
}

impl InspectCommand {
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let component = wask::runtime::inspect(&self.component)?;
        for func in component.functions() {
            println!("{}", func.signature());
        }
        Ok(ExitCode::SUCCESS)
    }
}
