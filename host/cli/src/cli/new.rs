//! `host new`: scaffold a guest task in Rust, Python or JavaScript.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use crate::authoring::{self, Lang};

/// Make a new guest task in the folder NAME: a WIT world with one export
/// (`count-words`), its source, the manifest, a three-line README and a call to try.
/// For Python, the type hints of the module are the WIT world.
#[derive(Debug, clap::Args)]
pub struct NewCommand {
    /// The folder to create; its name names the task (lowercase words joined by `-`)
    name: PathBuf,
    /// The language of the task
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    lang: Lang,
}

impl NewCommand {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        let files = authoring::scaffold(&self.name, self.lang)?;
        let dir = self.name.display();
        let listed: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        println!("created {dir}/ ({}): {}", self.lang, listed.join(", "));
        let name = self
            .name
            .file_name()
            .map(|n| n.to_string_lossy().replace('_', "-"))
            .unwrap_or_default();
        println!(
            "next: host build {dir} && host run {dir}/target/wask/{name}.wasm --input {dir}/calls.txt"
        );
        Ok(ExitCode::SUCCESS)
    }
}
