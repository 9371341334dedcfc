//! The frame of BENCHMARKS.md around the figures: the title and how the page was
//! made, the machine and versions, the method, and the commands of the run.

use std::fmt::{self, Write as _};

use super::document::Document;
use super::format::{json_number, or_unknown};

/// The title, and which run wrote the page.
pub fn header(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Written by `{}` ({} mode) on {}, in {:.0} s. Every figure below was measured by \
         that run on this machine; nothing is typed in by hand. To refresh: run it again \
         (`--quick` takes a few minutes, the full mode longer). The same figures, with \
         every run, are in [`benchmarks.json`](benchmarks.json).\n",
        or_unknown(doc.generated_by.as_deref()),
        or_unknown(doc.mode.as_deref()),
        or_unknown(doc.date_utc.as_deref()),
        doc.duration_s.unwrap_or_default()
    )?;
    writeln!(
        md,
        "The machine is shared and small, so single figures are noisy: each is a median \
         of repeats, and comparisons are ratios measured in the same run.\n"
    )
}

/// `## Machine and versions`.
pub fn machine(md: &mut String, doc: &Document) -> fmt::Result {
    let m = &doc.machine;
    let v = &doc.versions;
    let s = |value: &Option<String>| or_unknown(value.as_deref()).to_owned();
    let load = |value: &Option<Vec<f64>>| {
        value.as_ref().map_or("?".into(), |a| {
            a.iter()
                .map(|&x| json_number(x))
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    writeln!(md, "## Machine and versions\n")?;
    writeln!(md, "| | |\n|---|---|")?;
    writeln!(md, "| CPU | {} |", s(&m.cpu_model))?;
    writeln!(
        md,
        "| cores | {} |",
        m.cores.map_or("?".into(), |c| c.to_string())
    )?;
    writeln!(
        md,
        "| memory | {:.1} GiB |",
        m.memory_bytes.unwrap_or_default() / (1u64 << 30) as f64
    )?;
    writeln!(md, "| kernel | {} |", s(&m.kernel))?;
    writeln!(
        md,
        "| load average (1, 5, 15 min) | {} at the start, {} at the end |",
        load(&m.loadavg_at_start),
        load(&m.loadavg_at_end)
    )?;
    writeln!(md, "| date (UTC) | {} |", s(&doc.date_utc))?;
    writeln!(md, "| host rustc | {} |", s(&v.rustc))?;
    writeln!(
        md,
        "| guest toolchain | {} ({} route) |",
        s(&v.guest_rustc),
        s(&v.guest_toolchain_route)
    )?;
    writeln!(md, "| wasmtime | {} |", s(&v.wasmtime))?;
    writeln!(md, "| Wask | {} |", s(&v.wask))?;
    writeln!(
        md,
        "| Ray | {} (numpy {}, Pillow {}) |",
        s(&v.ray),
        s(&v.numpy),
        s(&v.pillow)
    )?;
    writeln!(md, "| Python | {} |\n", s(&v.python))
}

/// `## Method`: how each figure is measured.
pub fn method(md: &mut String, _doc: &Document) -> fmt::Result {
    writeln!(md, "## Method\n")?;
    writeln!(md, "{}", METHOD.trim())
}

/// `## Commands`: what the run ran, in order.
pub fn commands(md: &mut String, doc: &Document) -> fmt::Result {
    writeln!(md, "\n## Commands\n")?;
    writeln!(md, "Run from the repository root, in this order:\n\n```sh")?;
    for c in &doc.commands {
        writeln!(md, "{c}")?;
    }
    writeln!(md, "```")
}

const METHOD: &str = "
- **Library figures** (round trip, throughput, instantiation, kernels, 10 MiB
  `list<u8>`) come from `host/benches/suite.rs`, built with the bench (release) profile
  and driven through the `wask` API (`Runtime::new`, `load`, `TaskComponent::call`,
  `submit`, `get`, `get_all`), without the on-disk cache. Phases of a task come from the
  runtime's own timeline spans. Plain wasmtime appears only as an anchor: the same
  component in an engine with a pooling allocator and otherwise default settings, an
  empty linker and typed calls.
- **The noop guest** (`guest-tasks/noop`, `wit/noop.wit`) is built `no_std` with its own
  allocator and imports nothing (no WASI), the cheapest task there is.
- **No-op round trip**: submit one `noop()` task and get it, one at a time, after a
  warm-up, with one worker per core; nearest-rank percentiles (as the Ray script's).
- **Throughput**: submit a batch of no-op tasks, then `get_all`; a first batch warms up
  and is not counted; median of the repeats.
- **Seed kernels, wasm vs native**: the same kernel code (`kernels/`) as a Wask task on
  one worker, one task at a time, against a native call in the same (optimised)
  process; the ratio of median wall times. \"Call only\" leaves out instantiation and
  value conversion (the span from instance ready to return). Results are compared:
  equal lengths and counts, equal grayscale pixels.
- **Seed cases**: the `seed_demo` example (as `cargo xtask demo` runs it), serial = one worker, one
  task at a time; parallel = one worker per core; its own checks (lengths, π within
  0.01, grayscale PNGs of the right size, serial == parallel). Ray's script checks the
  same on its side. Both sides read the same PNG files; Wask's Monte Carlo uses its
  seeded xoshiro256**, Ray's numpy's generator, so counts differ and both estimates are
  checked against π.
- **10 MiB `list<u8>`**: `echo` in a fresh instance per call on both paths. Typed:
  wasmtime's `TypedFunc<(Vec<u8>,), (Vec<u8>,)>` directly. Generic: Wask's path,
  `bytes_value`, `TaskComponent::call`, `submit`, `get`, `value_bytes`. The bytes that
  come back are compared with those sent.
- **10 MiB through several signatures**: the shapes guest's `byte-count`, `string-len`,
  `echo-blob`, `strip-prefix` and `make-bytes`, each in a fresh instance: wasmtime's
  `TypedFunc` with Rust types (the anchor), Wask's bulk path and Wask's generic path
  (`SandboxConfig::bulk_path` off); every result is checked. Memory is the process's
  `VmHWM` after a reset (`/proc/self/clear_refs`), less its resident size before the call.
- **Cold start**: `host run` of one call from spawn to its first line on stdout; \"warm
  cache\" after a first run filled `--cache-dir`, \"no cache\" with `--no-cache` (Cranelift
  compiles each time).
- **Peak RSS**: `ru_maxrss` of the host process from `wait4`, over
  `host run noop.wasm --invoke 'noop()' --repeat 100000` with stdout to /dev/null.
  Ray's figure is the sum of the RSS of its driver and every Ray process (sampled, so
  shared pages count once per process and short peaks can be missed).
- **Hot path**: criterion 0.7 (`host/benches/hot_path.rs`), one worker: `submit` alone,
  instantiate + call (from the task's span), `get` of a ready ref, and the round trip.
- **`host run --repeat`**: the peak-RSS runs above with `--parallel` one per core, from
  spawn to exit, every result printed (to /dev/null).
- **One Fibonacci call**: `host run fibonacci.wasm --invoke 'generate-fibonacci(N)'`
  with a warm cache, spawn to exit, median of the runs; CPU time and page faults from
  `wait4`'s rusage.
- **Set-up**: `git clone` of HEAD into a temporary folder, then `cargo xtask demo` and
  `cargo xtask test` there, in the environment of a user's shell (none of the variables
  cargo set for xtask); wall time from spawn to exit, CPU time of the command and every
  process it waited for from `wait4`; each output line is stamped with its second, and
  the lines that begin steps are kept (the whole logs are in target/bench/setup/).
";
