//! A folder of verified *entries*: files named by a key, each holding a header (a magic
//! line, the key, the SHA-256 of the payload) and a payload, written atomically and
//! evicted least recently used past a size cap. The compiled-component cache and the
//! memo cache are both such folders.
//!
//! Reading an entry reads the whole file and checks all three parts of its header
//! before the payload is handed back (never the file again), so a damaged entry, or
//! one copied under another key's name, is reported as damaged and never trusted. The
//! folder is made private to its user (0700), and one that others can write to is
//! refused: whoever can write it could otherwise choose what a reader trusts.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// The name of a key in an entry's file name: lowercase hex.
pub(crate) fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Why an entry was not used.
pub(crate) enum Unusable {
    /// There is no entry for the key.
    Missing,
    /// There is a file, but it is not a sound entry for the key; the text says why.
    Damaged(String),
}

/// What kind of entries a folder holds.
#[derive(Debug)]
pub(crate) struct Kind {
    /// Names the folder in the refusal of one that is not private ("the
    /// compiled-component cache").
    pub(crate) what: &'static str,
    /// The first bytes of every entry: what it is, and the layout's version.
    pub(crate) magic: &'static [u8],
    /// The extension of entry files; other files in the folder are left alone.
    pub(crate) extension: &'static str,
    /// Why an entry whose header names another key is damaged ("it was compiled from
    /// another component").
    pub(crate) other_key: &'static str,
}

/// A folder of entries of one kind.
#[derive(Debug)]
pub(crate) struct EntryDir {
    dir: PathBuf,
    kind: &'static Kind,
    max_bytes: u64,
    /// Bytes of entries, as last listed plus what was written since: the folder is
    /// listed again only when this passes the cap, not on every write.
    approx_bytes: AtomicU64,
    /// Makes each temporary file's name unique within this process.
    next_tmp: AtomicU64,
}

impl EntryDir {
    /// Opens (or makes, private to this user) the folder `dir`, which may hold at most
    /// `max_bytes` of entries of `kind`.
    pub(crate) fn open(dir: &Path, kind: &'static Kind, max_bytes: u64) -> std::io::Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        check_private(dir, kind.what)?;
        let entries = EntryDir {
            dir: dir.to_owned(),
            kind,
            max_bytes,
            approx_bytes: AtomicU64::new(0),
            next_tmp: AtomicU64::new(0),
        };
        let total = entries.list().iter().map(|(_, len, _)| len).sum();
        entries.approx_bytes.store(total, Ordering::Relaxed);
        Ok(entries)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of the entry for `key`.
    pub(crate) fn path(&self, key: &[u8; 32]) -> PathBuf {
        self.dir
            .join(format!("{}.{}", hex(key), self.kind.extension))
    }

    /// The payload of the entry for `key`, once its header checks out; a damaged entry
    /// is deleted, so the next write replaces it.
    pub(crate) fn read(&self, key: &[u8; 32]) -> Result<Vec<u8>, Unusable> {
        let path = self.path(key);
        let read = read_verified(&path, self.kind, key);
        match &read {
            Ok(_) => touch(&path),
            Err(Unusable::Damaged(_)) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(Unusable::Missing) => {}
        }
        read
    }

    /// Writes the entry for `key` atomically (a temporary file renamed into place, so a
    /// reader sees the old entry, the new one or none, never half of one), then evicts
    /// the least recently used entries while the folder is over its cap.
    pub(crate) fn write(&self, key: &[u8; 32], payload: &[u8]) -> std::io::Result<()> {
        let header_len = self.kind.magic.len() + 64;
        let mut file = Vec::with_capacity(header_len + payload.len());
        file.extend_from_slice(self.kind.magic);
        file.extend_from_slice(key);
        file.extend_from_slice(&Sha256::digest(payload));
        file.extend_from_slice(payload);
        let path = self.path(key);
        let tmp = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            self.next_tmp.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::write(&tmp, &file).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let total = self
            .approx_bytes
            .fetch_add(file.len() as u64, Ordering::Relaxed)
            + file.len() as u64;
        if total > self.max_bytes {
            self.evict(&path);
        }
        Ok(())
    }

    /// Whether there is an entry file for `key` (not checked).
    pub(crate) fn contains(&self, key: &[u8; 32]) -> bool {
        self.path(key).is_file()
    }

    /// The entries: when each was last used, its size and its path.
    fn list(&self) -> Vec<(SystemTime, u64, PathBuf)> {
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        listing
            .filter_map(Result::ok)
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == self.kind.extension)
            })
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect()
    }

    /// Deletes the least recently used entries (by modification time, which a read
    /// refreshes) until the folder holds at most its cap; `keep` is never deleted.
    fn evict(&self, keep: &Path) {
        let mut entries = self.list();
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
        self.approx_bytes.store(total, Ordering::Relaxed);
    }
}

/// Refuses a folder that is not this user's own or that others can write to.
fn check_private(dir: &Path, what: &str) -> std::io::Result<()> {
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
            format!("refusing {what}: {why}"),
        )),
        None => Ok(()),
    }
}

/// The payload of an entry, if the file is an entry of this kind for `key` and undamaged.
fn read_verified(entry: &Path, kind: &Kind, key: &[u8; 32]) -> Result<Vec<u8>, Unusable> {
    let magic = kind.magic;
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
    let header_len = magic.len() + 64;
    if bytes.len() < header_len || &bytes[..magic.len()] != magic {
        return Err(damaged("it is not a Wask cache entry"));
    }
    let (stored_key, rest) = bytes[magic.len()..].split_at(32);
    let (stored_digest, payload) = rest.split_at(32);
    if stored_key != key {
        return Err(damaged(kind.other_key));
    }
    if Sha256::digest(payload).as_slice() != stored_digest {
        return Err(damaged("its contents do not match their digest"));
    }
    bytes.drain(..header_len);
    Ok(bytes)
}

/// Marks an entry as just used, for eviction.
fn touch(entry: &Path) {
    if let Ok(file) = File::options().append(true).open(entry) {
        let _ = file.set_modified(SystemTime::now());
    }
}
