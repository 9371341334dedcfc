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

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use wask_core::SetupError;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The first bytes of every entry: what it is, and the layout's version.
const MAGIC: &[u8; 16] = b"wask-compiled-1\n";
const HEADER_LEN: usize = MAGIC.len() + 32 + 32;

pub(super) struct ComponentCache {
    dir: PathBuf,
    engine_key: Sha256,
    max_bytes: u64,
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

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Why an entry was not used.
enum Unusable {
    Missing,
    Damaged(String),
}

impl ComponentCache {
    /// Opens (or makes, private to this user) the cache folder `dir`, which may hold
    /// at most `max_bytes` of entries.
    pub(super) fn open(dir: &Path, engine: &Engine, max_bytes: u64) -> Result<Self, SetupError> {
        let fail = |cause| SetupError::CacheDir {
            path: dir.to_owned(),
            cause,
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
        check_private(dir).map_err(fail)?;
        let mut engine_key = Sha256::new();
        engine_key.update(concat!("wask ", env!("CARGO_PKG_VERSION"), "\0"));
        engine
            .precompile_compatibility_hash()
            .hash(&mut DigestHasher(&mut engine_key));
        Ok(ComponentCache {
            dir: dir.to_owned(),
            engine_key,
            max_bytes,
        })
    }

    fn key(&self, bytes: &[u8]) -> [u8; 32] {
        let mut key = self.engine_key.clone();
        key.update(bytes);
        key.finalize().into()
    }

    fn entry(&self, key: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex(key)))
    }

    pub(super) fn contains(&self, bytes: &[u8]) -> bool {
        self.entry(&self.key(bytes)).is_file()
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
        let entry = self.entry(&key);
        match read_verified(&entry, &key) {
            Ok(artifact) => {
                // SAFETY: the artifact is exactly what `store` wrote from
                // `Component::serialize` of an engine with the same compatibility hash
                // (part of the key, checked above with the artifact's digest), and the
                // folder is writable by this user only. The bytes checked are the bytes
                // deserialised; the file is not read again.
                match unsafe { Component::deserialize(engine, &artifact) } {
                    Ok(component) => {
                        touch(&entry);
                        return Ok(component);
                    }
                    Err(e) => warn_recompiling(&entry, &format!("it does not load: {e}")),
                }
            }
            Err(Unusable::Missing) => {}
            Err(Unusable::Damaged(why)) => warn_recompiling(&entry, &why),
        }
        let component = Component::new(engine, bytes)?;
        if let Ok(artifact) = component.serialize() {
            self.store(&entry, &key, &artifact);
        }
        Ok(component)
    }

    /// Writes an entry atomically (a temporary file renamed into place), then evicts
    /// the least recently used entries while the folder is over its cap.
    fn store(&self, entry: &Path, key: &[u8; 32], artifact: &[u8]) {
        let mut file = Vec::with_capacity(HEADER_LEN + artifact.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(key);
        file.extend_from_slice(&Sha256::digest(artifact));
        file.extend_from_slice(artifact);
        let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::write(&tmp, &file).and_then(|()| std::fs::rename(&tmp, entry));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(
                "cannot store a compiled component in {}: {e}; it will be compiled again next time",
                self.dir.display()
            );
            return;
        }
        self.evict(entry);
    }

    /// Deletes the least recently used entries (by modification time, which a hit
    /// refreshes) until the folder holds at most its cap; `keep` is never deleted.
    fn evict(&self, keep: &Path) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = listing
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if path != keep && std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// Refuses a cache folder that is not this user's own or that others can write to.
fn check_private(dir: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let problem = if !meta.is_dir() {
        Some("it is not a folder".to_owned())
    } else if meta.uid() != me {
        Some(format!(
            "it belongs to user {}, not to this user ({me})",
            meta.uid()
        ))
    } else if meta.mode() & 0o022 != 0 {
        Some(format!(
            "others can write to it (mode {:o}); run `chmod go-w` on it or choose another folder",
            meta.mode() & 0o777
        ))
    } else {
        None
    };
    match problem {
        Some(why) => Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing the compiled-component cache: {why}"),
        )),
        None => Ok(()),
    }
}

/// The artifact of an entry, if the file is an entry for `key` and undamaged.
fn read_verified(entry: &Path, key: &[u8; 32]) -> Result<Vec<u8>, Unusable> {
    let mut file = match File::open(entry) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(Unusable::Damaged(format!("it cannot be read: {e}"))),
    };
    let damaged = |why: &str| Unusable::Damaged(why.to_owned());
    let meta = file
        .metadata()
        .map_err(|e| Unusable::Damaged(format!("it cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(damaged("it is not a regular file"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|e| Unusable::Damaged(format!("it cannot be read: {e}")))?;
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err(damaged("it is not a Wask cache entry"));
    }
    let (stored_key, rest) = bytes[MAGIC.len()..].split_at(32);
    let (stored_digest, artifact) = rest.split_at(32);
    if stored_key != key {
        return Err(damaged("it was compiled from another component"));
    }
    if Sha256::digest(artifact).as_slice() != stored_digest {
        return Err(damaged("its contents do not match their digest"));
    }
    bytes.drain(..HEADER_LEN);
    Ok(bytes)
}

/// Marks an entry as just used, for eviction.
fn touch(entry: &Path) {
    if let Ok(file) = File::options().append(true).open(entry) {
        let _ = file.set_modified(SystemTime::now());
    }
}

fn warn_recompiling(entry: &Path, why: &str) {
    tracing::warn!(
        "ignoring the cached compiled component {}: {why}; compiling it again",
        entry.display()
    );
    let _ = std::fs::remove_file(entry);
}
