//! The `host` binary: a thin CLI over the `wask` library.
//!
//! This is the one place that prints and picks exit codes: 0 when every task
//! succeeded, 1 when any task failed, 2 for bad input (usage, a component that cannot
//! load, a call that does not fit its signature).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match args.command.execute() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_BAD_INPUT)
        }
    }
}
