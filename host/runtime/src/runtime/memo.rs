//! Memoised pure tasks: a call answered from an on-disk, content-addressed cache of
//! earlier results instead of being run again.
//!
//! A task is *pure* when it cannot observe the world outside it (see
//! `TaskComponent::impurity`): then its result depends only on what the *memo key*
//! covers, the SHA-256 of
//! - the sandbox's salt: Wask's version, wasmtime's version and settings, the target,
//!   the wasm stack size and whether fuel is metered;
//! - the component's SHA-256 and the function's name;
//! - the arguments, in wask-core's versioned codec;
//! - the random seed, and the limits that decide whether a run succeeds: fuel, memory,
//!   table elements, instances, result size, stdout and stderr sizes.
//!
//! The deadline is left out on purpose: time is not part of what a pure function
//! computes, and whether a run beat its deadline says nothing about the next one. Only
//! successful results are stored (with the task's captured stdout and stderr, so a hit
//! looks exactly like a run); a failure is always run again.
//!
//! The cache is an [`EntryDir`]: each entry is verified before it is trusted, so a
//! damaged or truncated entry is a miss (and a warning), never a wrong result; writes
//! are atomic, and past its size cap the least recently used entries go. Two identical
//! calls at once may both run and both write the same entry; either copy is whole.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use wask_core::{Limits, TaskOutput, Value, decode_value, encode_value};

use crate::entries::{EntryDir, Kind, Unusable};
use crate::sandbox::{Capabilities, TaskComponent};

/// The memo cache's entries: the magic line gives the layout's version.
static KIND: Kind = Kind {
    what: "the memo cache",
    magic: b"wask-memo-1\n",
    extension: "memo",
    other_key: "it holds the result of another call",
};

/// How often memoised tasks were answered from the cache, run, and so on, since the
/// runtime started. A task not asked to be memoised counts nowhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoStats {
    /// Answered from the cache without running.
    pub hits: u64,
    /// Not in the cache (or its entry was damaged), so run.
    pub misses: u64,
    /// Results written to the cache.
    pub stored: u64,
    /// Entries found damaged (a warning each), deleted and run again.
    pub damaged: u64,
}

/// The memo cache of a runtime: opened when the first memoised task is submitted, so a
/// runtime that memoises nothing never touches its folder.
#[derive(Debug)]
pub(crate) struct Memo {
    dir: Option<PathBuf>,
    max_bytes: u64,
    salt: [u8; 32],
    entries: OnceLock<Result<Arc<EntryDir>, String>>,
    hits: AtomicU64,
    misses: AtomicU64,
    stored: AtomicU64,
    damaged: AtomicU64,
}

impl Memo {
    pub(crate) fn new(dir: Option<PathBuf>, max_bytes: u64, salt: [u8; 32]) -> Self {
        Memo {
            dir,
            max_bytes,
            salt,
            entries: OnceLock::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            damaged: AtomicU64::new(0),
        }
    }

    /// The cache folder, opened (made private to this user) on first use; why not,
    /// when it cannot be.
    pub(crate) fn entries(&self) -> Result<Arc<EntryDir>, String> {
        self.entries
            .get_or_init(|| {
                let dir = self.dir.as_deref().ok_or_else(|| {
                    "this runtime has no memo folder (RuntimeConfig::memo_dir)".to_owned()
                })?;
                EntryDir::open(dir, &KIND, self.max_bytes)
                    .map(Arc::new)
                    .map_err(|e| format!("cannot use the memo folder {}: {e}", dir.display()))
            })
            .clone()
    }

    pub(crate) fn stats(&self) -> MemoStats {
        MemoStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
            damaged: self.damaged.load(Ordering::Relaxed),
        }
    }

    /// The memo key of a call, or `None` when an argument cannot be encoded (nested
    /// past the codec's depth): such a call simply runs.
    pub(crate) fn key(
        &self,
        component: &TaskComponent,
        func: usize,
        args: &[Value],
        limits: &Limits,
        capabilities: &Capabilities,
    ) -> Option<[u8; 32]> {
        let mut key = Sha256::new();
        key.update(b"wask-memo-key-1\0");
        key.update(self.salt);
        key.update(component.digest());
        let name = component.function(func).name();
        key.update((name.len() as u64).to_le_bytes());
        key.update(name.as_bytes());
        key.update((args.len() as u64).to_le_bytes());
        for arg in args {
            let encoded = encode_value(arg).ok()?;
            key.update((encoded.len() as u64).to_le_bytes());
            key.update(&encoded);
        }
        let option = |key: &mut Sha256, n: Option<u64>| match n {
            Some(n) => {
                key.update([1]);
                key.update(n.to_le_bytes());
            }
            None => key.update([0]),
        };
        option(&mut key, capabilities.random_seed);
        option(&mut key, limits.fuel);
        for n in [
            limits.max_memory_bytes,
            limits.max_table_elements,
            limits.max_instances,
            limits.max_result_bytes,
            limits.max_stdout_bytes,
            limits.max_stderr_bytes,
        ] {
            key.update((n as u64).to_le_bytes());
        }
        Some(key.finalize().into())
    }

    /// The stored output for `key`, if there is a sound entry. A damaged one is a miss
    /// with a warning.
    pub(crate) fn lookup(&self, entries: &EntryDir, key: &[u8; 32]) -> Option<TaskOutput> {
        let found = match entries.read(key) {
            Ok(payload) => decode_output(&payload).inspect_err(|_| {
                let _ = std::fs::remove_file(entries.path(key));
            }),
            Err(Unusable::Missing) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            Err(Unusable::Damaged(why)) => Err(why),
        };
        match found {
            Ok(output) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(output)
            }
            Err(why) => {
                tracing::warn!(
                    "ignoring the memoised result {}: {why}; running the task again",
                    entries.path(key).display()
                );
                self.damaged.fetch_add(1, Ordering::Relaxed);
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores a successful output under `key`. Best effort: a result that cannot be
    /// stored is a warning, and the task's outcome stands.
    pub(crate) fn store(&self, entries: &EntryDir, key: &[u8; 32], output: &TaskOutput) {
        let Ok(payload) = encode_output(output) else {
            return;
        };
        match entries.write(key, &payload) {
            Ok(()) => {
                self.stored.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(
                "cannot store a memoised result in {}: {e}; the task will run again next time",
                entries.dir().display()
            ),
        }
    }
}

/// An entry's payload: the value in wask-core's codec, then stdout, then stderr, each
/// after its length (u64, little-endian).
fn encode_output(output: &TaskOutput) -> Result<Vec<u8>, wask_core::CodecError> {
    let value = encode_value(&output.value)?;
    let mut payload =
        Vec::with_capacity(24 + value.len() + output.stdout.len() + output.stderr.len());
    for part in [&value[..], &output.stdout, &output.stderr] {
        payload.extend_from_slice(&(part.len() as u64).to_le_bytes());
        payload.extend_from_slice(part);
    }
    Ok(payload)
}

/// What [`encode_output`] wrote, or why these bytes are not that.
fn decode_output(mut payload: &[u8]) -> Result<TaskOutput, String> {
    let mut next = || -> Result<&[u8], String> {
        let (len, rest) = payload
            .split_first_chunk::<8>()
            .ok_or("its payload is cut short")?;
        let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|e| e.to_string())?;
        if rest.len() < len {
            return Err("its payload is cut short".into());
        }
        let (part, rest) = rest.split_at(len);
        payload = rest;
        Ok(part)
    };
    let value = decode_value(next()?).map_err(|e| format!("its value does not decode: {e}"))?;
    let stdout = next()?.to_vec();
    let stderr = next()?.to_vec();
    if !payload.is_empty() {
        return Err("its payload has bytes left over".into());
    }
    Ok(TaskOutput {
        value,
        stdout,
        stderr,
    })
}

/// `$WASK_MEMO_DIR`, else `$XDG_CACHE_HOME/wask/memo`, else `~/.cache/wask/memo`:
/// beside the compiled-component cache's default folder.
pub fn default_memo_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASK_MEMO_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
    Some(base.join("wask").join("memo"))
}
