//! The WASI context of one task: only what its capabilities grant, with stdout and
//! stderr captured into bounded buffers that remember when a task tried to write
//! past them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// The WASI context of one task: only what its capabilities grant.
pub(super) fn context(
    capabilities: &Capabilities,
    capture: &Capture,
) -> Result<WasiCtx, TaskError> {
    let mut builder = WasiCtx::builder();
    builder
        .stdout(capture.stdout.clone())
        .stderr(capture.stderr.clone());
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
