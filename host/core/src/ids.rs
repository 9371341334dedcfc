//! Ids that travel: which object a ref names, and which tenant owns it.
//!
//! An [`ObjectId`] is plain data (the id of the store that made the object and an
//! index there), so it can be written down, sent to another process and turned back
//! into a ref while the object lives. A [`TenantId`] names the party an object belongs
//! to; every tenant-facing read checks it.

use std::sync::Arc;

/// The id of an object: which store made it, and its index there.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct ObjectId {
    store: u64,
    index: u64,
}

impl ObjectId {
    pub fn new(store: u64, index: u64) -> Self {
        ObjectId { store, index }
    }

    /// The id of the store that made the object.
    pub fn store(self) -> u64 {
        self.store
    }

    /// The index within its store (what messages show).
    pub fn as_u64(self) -> u64 {
        self.index
    }

    /// The id as 16 bytes, for writing down or sending elsewhere.
    pub fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&self.store.to_le_bytes());
        bytes[8..].copy_from_slice(&self.index.to_le_bytes());
        bytes
    }

    /// The id that [`ObjectId::to_bytes`] wrote.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let (store, index) = bytes.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        ObjectId {
            store: word(store),
            index: word(index),
        }
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {}", self.index)
    }
}

/// Who owns an object: every submission is made for a tenant, and its objects
/// belong to that tenant alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    pub fn new(name: &str) -> Self {
        TenantId(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
