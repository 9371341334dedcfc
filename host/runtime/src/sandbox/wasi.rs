//! The WASI context of one task: only what its capabilities grant, with stdout and
//! stderr captured into bounded buffers that remember when a task tried to write
//! past them; and, for a memoised task, fixed clocks and the check that nothing else
//! it imports can observe the world outside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use wask_core::{Limit, LimitHit, Limits, TaskError};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use super::Capabilities;

/// One captured stream: a bounded buffer, and a flag set when the task asked to write
/// more than it holds.
#[derive(Clone)]
struct CapturePipe {
    pipe: MemoryOutputPipe,
    overflowed: Arc<AtomicBool>,
}

impl CapturePipe {
    fn new(capacity: usize) -> Self {
        CapturePipe {
            pipe: MemoryOutputPipe::new(capacity),
            overflowed: Arc::default(),
        }
    }

    fn note<T>(&self, result: StreamResult<T>) -> StreamResult<T> {
        if result.is_err() {
            self.overflowed.store(true, Ordering::Relaxed);
        }
        result
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturePipe {
    async fn ready(&mut self) {}
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CapturePipe {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        let result = self.pipe.write(bytes);
        self.note(result)
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.pipe.flush()
    }

    /// A full buffer answers "closed": the task has used all it may write.
    fn check_write(&mut self) -> StreamResult<usize> {
        let result = self.pipe.check_write();
        self.note(result)
    }
}

impl IsTerminal for CapturePipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturePipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.pipe.clone())
    }
}

/// A task's captured stdout and stderr.
pub(super) struct Capture {
    stdout: CapturePipe,
    stderr: CapturePipe,
    limits: (usize, usize),
}

impl Capture {
    pub(super) fn new(limits: &Limits) -> Self {
        Capture {
            stdout: CapturePipe::new(limits.max_stdout_bytes),
            stderr: CapturePipe::new(limits.max_stderr_bytes),
            limits: (limits.max_stdout_bytes, limits.max_stderr_bytes),
        }
    }

    /// The limit a task hit by writing too much, if it did.
    pub(super) fn overflowed(&self) -> Option<TaskError> {
        let hit = |limit, value: usize| {
            Some(TaskError::LimitExceeded(LimitHit {
                limit,
                value: value as u64,
            }))
        };
        if self.stdout.overflowed.load(Ordering::Relaxed) {
            return hit(Limit::Stdout, self.limits.0);
        }
        if self.stderr.overflowed.load(Ordering::Relaxed) {
            return hit(Limit::Stderr, self.limits.1);
        }
        None
    }

    /// What the task wrote to stderr, as text (a Rust guest's panic report is there).
    pub(super) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.pipe.contents()).into_owned()
    }

    pub(super) fn into_contents(self) -> (Vec<u8>, Vec<u8>) {
        (
            self.stdout.pipe.contents().to_vec(),
            self.stderr.pipe.contents().to_vec(),
        )
    }
}

/// The WASI context of one task: only what its capabilities grant; with
/// `fixed_clocks`, clocks that read the same in every run (see [`FixedWallClock`]).
pub(super) fn context(
    capabilities: &Capabilities,
    capture: &Capture,
    fixed_clocks: bool,
) -> Result<WasiCtx, TaskError> {
    let mut builder = WasiCtx::builder();
    builder
        .stdout(capture.stdout.clone())
        .stderr(capture.stderr.clone());
    if fixed_clocks {
        builder
            .wall_clock(FixedWallClock)
            .monotonic_clock(SteppedMonotonicClock::default());
    }
    for (host, guest) in &capabilities.read_only_dirs {
        builder
            .preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadOnly)
            .map_err(|e| {
                TaskError::Instantiate(format!(
                    "cannot open granted folder {} for the guest: {e}",
                    host.display()
                ))
            })?;
    }
    if let Some(seed) = capabilities.random_seed {
        let stream = seeded_bytes(seed, 1 << 16);
        builder
            .secure_random(wasmtime_wasi::Deterministic::new(stream.clone()))
            .insecure_random(wasmtime_wasi::Deterministic::new(stream))
            .insecure_random_seed(u128::from(seed));
    }
    Ok(builder.build())
}

/// `len` bytes of `SplitMix64` output from `seed`: the cycle a seeded task's random
/// numbers are drawn from.
fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The wall clock of a memoised task: always 2000-01-01 00:00:00 UTC, so its result
/// cannot depend on when it ran.
struct FixedWallClock;

/// Seconds from 1970 to 2000-01-01 00:00:00 UTC.
const FIXED_WALL_SECONDS: u64 = 946_684_800;

impl wasmtime_wasi::HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::from_secs(FIXED_WALL_SECONDS)
    }
}

/// The monotonic clock of a memoised task: it starts at zero and advances one
/// microsecond per reading, so it depends only on what the task does (and a task
/// waiting for time to pass still sees it pass).
#[derive(Default)]
struct SteppedMonotonicClock {
    readings: AtomicU64,
}

impl wasmtime_wasi::HostMonotonicClock for SteppedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000
    }

    fn now(&self) -> u64 {
        self.readings
            .fetch_add(1, Ordering::Relaxed)
            .saturating_mul(1_000)
    }
}

/// Why a component, run with these capabilities, could give different results for
/// the same call: the first import that lets it observe the world outside it, or
/// `None` when it cannot (it is *pure*, so its results may be memoised).
///
/// A memoised task gets fixed clocks ([`context`] with `fixed_clocks`), no
/// environment variables, arguments or stdin (none is ever granted), and its stdout
/// and stderr are captured into its result. What is left to refuse: unseeded
/// randomness, granted folders (their files can change), nested tasks, and any
/// interface this list does not know (sockets, HTTP, ...).
pub(crate) fn impurity(imports: &[String], capabilities: &Capabilities) -> Option<String> {
    imports.iter().find_map(|import| {
        let interface = import.split('@').next().unwrap_or(import);
        let (package, _) = interface.split_once('/').unwrap_or((interface, ""));
        match package {
            "wasi:cli" | "wasi:io" => None,
            "wasi:clocks"
                if matches!(
                    interface,
                    "wasi:clocks/wall-clock" | "wasi:clocks/monotonic-clock"
                ) =>
            {
                None
            }
            "wasi:random" if capabilities.random_seed.is_some() => None,
            "wasi:random" => Some(format!(
                "it imports {import} and no random seed is set, so it draws different numbers in each run; set a seed (--random-seed) to memoise it"
            )),
            "wasi:filesystem" => capabilities.read_only_dirs.first().map(|(host, _)| {
                format!(
                    "it imports {import} and may read the granted folder {}, whose files can change between runs; grant no folder (--allow-read) to memoise it",
                    host.display()
                )
            }),
            "wask:runtime" => Some(format!(
                "it imports {import} (nested tasks), and a memoised result does not follow the tasks it submits"
            )),
            _ => Some(format!(
                "it imports {import}, through which it can observe the world outside the task"
            )),
        }
    })
}
