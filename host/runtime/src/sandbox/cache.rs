//! On-disk cache of compiled components, keyed by the component's bytes and the engine,
//! and verified before anything in it runs.
//!
//! Compiling a component with Cranelift takes tens of milliseconds to tens of seconds;
//! loading the compiled artifact takes a fraction of one. An *entry* is named by its
//! *key*, the SHA-256 of Wask's version, the engine's compatibility hash and the
//! component's bytes, so an engine with other settings or another wasmtime never loads
//! an artifact it cannot run, and settings that do not change the code share one entry.
//!
//! An entry file is a header and the compiled artifact: a magic line, the key, and the
//! SHA-256 of the artifact. Loading reads the whole file, checks all three, and only
//! then deserialises the bytes it checked (never the file again), so a damaged entry,
//! or one copied under another component's name, is compiled afresh with a warning and
//! never runs. The folder is made private to its user (0700), and one that others can
//! write to is refused: whoever can write the cache could otherwise choose the code a
//! task runs. Past its size cap, the least recently used entries are evicted.

use std::hash::{Hash, Hasher};
use std::path::Path;

use sha2::{Digest, Sha256};
use wask_core::SetupError;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::entries::{EntryDir, Kind, Unusable};

/// The compiled cache's entries: the magic line gives the layout's version.
static KIND: Kind = Kind {
    what: "the compiled-component cache",
    magic: b"wask-compiled-1\n",
    extension: "cwasm",
    other_key: "it was compiled from another component",
};

pub(super) struct ComponentCache {
    entries: EntryDir,
    engine_key: Sha256,
}

/// Feeds `Hash` output into SHA-256, so the engine's compatibility hash is stable on disk.
struct DigestHasher<'a>(&'a mut Sha256);

impl Hasher for DigestHasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only `write` is used: the state lives in the digest.
        0
    }
}

/// A digest of Wask's version and the engine's compatibility hash (wasmtime's version,
/// its settings, the target): what a compiled artifact, or a memoised result, holds
/// true for.
pub(super) fn engine_key(engine: &Engine) -> Sha256 {
    let mut key = Sha256::new();
    key.update(concat!("wask ", env!("CARGO_PKG_VERSION"), "\0"));
    engine
        .precompile_compatibility_hash()
        .hash(&mut DigestHasher(&mut key));
    key
}

impl ComponentCache {
    /// Opens (or makes, private to this user) the cache folder `dir`, which may hold
    /// at most `max_bytes` of entries.
    pub(super) fn open(dir: &Path, engine: &Engine, max_bytes: u64) -> Result<Self, SetupError> {
        let entries =
            EntryDir::open(dir, &KIND, max_bytes).map_err(|cause| SetupError::CacheDir {
                path: dir.to_owned(),
                cause,
            })?;
        Ok(ComponentCache {
            entries,
            engine_key: engine_key(engine),
        })
    }

    fn key(&self, bytes: &[u8]) -> [u8; 32] {
        let mut key = self.engine_key.clone();
        key.update(bytes);
        key.finalize().into()
    }

    pub(super) fn contains(&self, bytes: &[u8]) -> bool {
        self.entries.contains(&self.key(bytes))
    }

    /// Loads the compiled form of `bytes`, compiling and storing it on a miss. A
    /// damaged or mismatched entry is reported as a warning and compiled again.
    ///
    /// The cache is best effort: an entry that cannot be read or written is compiled
    /// again, never an error of its own.
    pub(super) fn get_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<Component> {
        let key = self.key(bytes);
        let entry = self.entries.path(&key);
        match self.entries.read(&key) {
            Ok(artifact) => {
                // SAFETY: the artifact is exactly what `store` wrote from
                // `Component::serialize` of an engine with the same compatibility hash
                // (part of the key, checked with the artifact's digest by
                // `EntryDir::read`), and the folder is writable by this user only. The
                // bytes checked are the bytes deserialised; the file is not read again.
                match unsafe { Component::deserialize(engine, &artifact) } {
                    Ok(component) => return Ok(component),
                    Err(e) => {
                        warn_recompiling(&entry, &format!("it does not load: {e}"));
                        let _ = std::fs::remove_file(&entry);
                    }
                }
            }
            Err(Unusable::Missing) => {}
            Err(Unusable::Damaged(why)) => warn_recompiling(&entry, &why),
        }
        let component = Component::new(engine, bytes)?;
        if let Ok(artifact) = component.serialize()
            && let Err(e) = self.entries.write(&key, &artifact)
        {
            tracing::warn!(
                "cannot store a compiled component in {}: {e}; it will be compiled again next time",
                self.entries.dir().display()
            );
        }
        Ok(component)
    }
}

fn warn_recompiling(entry: &Path, why: &str) {
    tracing::warn!(
        "ignoring the cached compiled component {}: {why}; compiling it again",
        entry.display()
    );
}
