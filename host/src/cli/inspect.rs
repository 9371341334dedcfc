//! `host inspect`: list a component's exported functions with their WIT signatures.

use std::path::PathBuf;
use std::process::ExitCode;

/// Print the functions a component exports, with their WIT signatures (and, with
/// --imports, what it imports).
#[derive(Debug, clap::Args)]
pub struct InspectCommand {
    /// The component (.wasm) to inspect
    component: PathBuf,
    /// Also list the interfaces it imports, one `import NAME` line each
    #[arg(long)]
    imports: bool,
}

impl InspectCommand {
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let component = wask::runtime::inspect(&self.component)?;
        for func in component.functions() {
            println!("{}", func.signature());
        }
        if self.imports {
            for import in component.imports() {
                println!("import {import}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
