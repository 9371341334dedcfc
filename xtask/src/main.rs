//! `cargo xtask`: the project's own commands: bootstrap, build guests, demo, test, lint,
//! fuzz, ci.
//!
//! If `cargo xtask ci` passes locally, CI passes: `.ci/run` calls the same commands.
//! This file only reads the command and hands it on: the commands live in `commands`
//! and `bench`, the helpers they share (the repository, running commands in it, the
//! guests) in `project`.

// Figures are named by their unit (`wasm_s`, `p50_s`) on purpose, and the calendar
// arithmetic of the machine report narrows values it bounds first.
#![allow(
    clippy::struct_field_names,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "unit-suffixed figures; bounded date arithmetic"
)]

use anyhow::bail;

mod bench;
mod commands;
mod project;
mod soak;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  bootstrap   install and check the guest toolchain (wasm32-wasip2)
  guests      build every guest in guest-tasks/ and print NAME<TAB>PATH lines
  demo        run the seed demo (release build): three cases, serial vs parallel
  images DIR  write the 16 sample images (1024x1024 PNG) of seed case 3 to DIR
  test        bootstrap, install the test programs (scripts/test-deps.sh), run every test
  lint        cargo fmt --check (host, guests and fuzz) and clippy -D warnings
  bench       measure Wask against Ray, native Rust and its targets; write
              docs/BENCHMARKS.md and docs/benchmarks.json (--quick for a short run,
              --render to write BENCHMARKS.md again from benchmarks.json alone)
  soak        a million tasks through one runtime with memory sampled; writes
              docs/SOAK.md (--tasks N for another count)
  fuzz        run every fuzz target in fuzz/ for 10 minutes each (--smoke: 25 s;
              --seconds N; or name targets); see docs/FUZZING.md
  ci          lint, then test";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        bail!("no command given\n{USAGE}");
    };
    let rest = &args[1..];
    match command.as_str() {
        "bootstrap" => project::bootstrap(),
        "guests" => commands::list_guests(),
        "demo" => commands::demo(rest),
        "images" => commands::images(rest),
        "test" => commands::test(rest),
        "lint" => commands::lint(),
        "bench" => bench::run(rest),
        "soak" => soak::run_soak(rest),
        "fuzz" => commands::fuzz(rest),
        "ci" => commands::lint().and_then(|()| commands::test(&[])),
        other => bail!("unknown command `{other}`\n{USAGE}"),
    }
}
