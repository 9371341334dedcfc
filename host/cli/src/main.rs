//! The `host` binary: a thin CLI over the `wask` library.
//!
//! This is the one place that turns outcomes into exit codes, each with one meaning:
//! 0 every task succeeded; 1 some task failed; 2 bad input, and nothing ran; 3 tasks
//! ran, but their results could not all be written (an output file, a timeline); 141
//! the reader of stdout went away (a closed pipe), which ends the run quietly, as it
//! ends other Unix tools.

// Doc comments on clap's argument structs are the `--help` text, written as a terminal
// shows it: WIT types such as list<u8> there are not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod authoring;
mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::Failure;

/// Library warnings (a damaged cache entry, say) go to stderr; `WASK_LOG` sets the
/// level (`info`, `debug`) or a filter, `default` otherwise.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WASK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn main() -> ExitCode {
    let args = cli::Args::parse();
    init_logging(args.command.default_log_level());
    match args.command.execute() {
        Ok(code) => code,
        Err(Failure::BadInput(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_BAD_INPUT)
        }
        Err(Failure::Io(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_IO)
        }
        Err(Failure::ClosedPipe) => ExitCode::from(cli::EXIT_CLOSED_PIPE),
    }
}
