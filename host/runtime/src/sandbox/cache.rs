//! On-disk cache of compiled components, keyed by the component's bytes and the engine.
//!
//! Compiling a component with Cranelift takes tens of milliseconds; loading the compiled
//! artifact takes a fraction of one. An entry is named by the SHA-256 of the engine's
//! compatibility hash, Wask's version and the component's bytes, so an engine with other
//! settings or another wasmtime never loads an artifact it cannot run.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use wask_core::SetupError;

pub(super) struct ComponentCache {
    dir: PathBuf,
    engine_key: Sha256,
}

/// Feeds `Hash` output into SHA-256, so the engine's compatibility hash is stable on disk.
struct DigestHasher<'a>(&'a mut Sha256);

impl Hasher for DigestHasher<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only used to feed the digest")
    }
}

impl ComponentCache {
    pub(super) fn open(dir: &Path, engine: &Engine) -> Result<Self, SetupError> {
        std::fs::create_dir_all(dir).map_err(|cause| SetupError::CacheDir {
            path: dir.to_owned(),
            cause,
        })?;
        let mut engine_key = Sha256::new();
        engine_key.update(concat!("wask ", env!("CARGO_PKG_VERSION"), "\0"));
        engine
            .precompile_compatibility_hash()
            .hash(&mut DigestHasher(&mut engine_key));
        Ok(ComponentCache {
            dir: dir.to_owned(),
            engine_key,
        })
    }

    fn entry(&self, bytes: &[u8]) -> PathBuf {
        let mut key = self.engine_key.clone();
        key.update(bytes);
        let mut name = String::with_capacity(70);
        for byte in key.finalize() {
            let _ = write!(name, "{byte:02x}");
        }
        name.push_str(".cwasm");
        self.dir.join(name)
    }

    pub(super) fn contains(&self, bytes: &[u8]) -> bool {
        self.entry(bytes).is_file()
    }

    /// Loads the compiled form of `bytes`, compiling and storing it on a miss.
    ///
    /// The cache is best effort: an entry that cannot be read or written is compiled
    /// again, never an error of its own.
    pub(super) fn get_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<Component> {
        let entry = self.entry(bytes);
        if entry.is_file() {
            // SAFETY: entries are written only by `store` below, from `Component::serialize`
            // of an engine with the same compatibility hash (it is part of the name).
            // Anyone who can write into the cache folder can already run code as this user.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &entry) } {
                return Ok(component);
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Ok(serialized) = component.serialize() {
            store(&entry, &serialized);
        }
        Ok(component)
    }
}

/// Writes an entry atomically: to a temporary file first, then renamed into place.
fn store(entry: &Path, serialized: &[u8]) {
    let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, serialized).is_ok() && std::fs::rename(&tmp, entry).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
