//! Command-line arguments and the subcommands, one file each.

mod demo;
mod inspect;
mod run;

use std::process::ExitCode;

/// Exit status when some task failed.
pub const EXIT_TASK_FAILED: u8 = 1;
/// Exit status for bad input: nothing ran.
pub const EXIT_BAD_INPUT: u8 = 2;

/// Wask: run typed WebAssembly components as sandboxed, parallel tasks.
#[derive(Debug, clap::Parser)]
#[command(name = "host", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Run(run::RunCommand),
    Inspect(inspect::InspectCommand),
    Demo(demo::DemoCommand),
}

impl Command {
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Run(c) => c.execute(),
            Command::Inspect(c) => c.execute(),
            Command::Demo(c) => c.execute(),
        }
    }
}

/// Flags shared by the commands that run tasks.
#[derive(Debug, clap::Args)]
pub struct RuntimeArgs {
    /// Worker threads, and so tasks run at once [default: CPU cores]
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_parallel)]
    parallel: Option<usize>,
    /// Folder of the compiled-component cache [default: ~/.cache/wask/components]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// Compile every component afresh, without the cache
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl RuntimeArgs {
    fn config(&self) -> wask::RuntimeConfig {
        let mut config = wask::RuntimeConfig::default();
        if let Some(n) = self.parallel {
            config.n_workers = n;
        }
        if self.no_cache {
            config.sandbox.cache_dir = None;
        } else if let Some(dir) = &self.cache_dir {
            config.sandbox.cache_dir = Some(dir.clone());
        }
        config
    }
}

fn parse_parallel(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) | Err(_) => Err(format!("expected a whole number of at least 1, got `{s}`")),
        Ok(n) => Ok(n),
    }
}
