//! Components uploaded by tenants, by content id.
//!
//! A component is compiled once however many tenants upload it: the loaded
//! [`TaskComponent`] is shared (it holds no state; each call gets a fresh store), and
//! it stays loaded while some tenant has it. What each tenant sees is its own list:
//! a component another tenant uploaded is unknown to it until it uploads the same
//! bytes itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

use wask::TaskComponent;

use crate::ids::Digest;
use crate::tracker::lock;

/// What a tenant knows of one of its components.
#[derive(Debug, Clone)]
pub struct Owned {
    pub component: TaskComponent,
    pub name: String,
    pub uploaded: SystemTime,
}

/// One tenant's components.
#[derive(Debug, Default)]
pub struct TenantComponents {
    by_digest: Mutex<BTreeMap<Digest, Owned>>,
}

impl TenantComponents {
    pub fn get(&self, digest: &Digest) -> Option<Owned> {
        lock(&self.by_digest).get(digest).cloned()
    }

    /// Every component, in the order of their ids.
    pub fn list(&self) -> Vec<(Digest, Owned)> {
        lock(&self.by_digest)
            .iter()
            .map(|(d, o)| (*d, o.clone()))
            .collect()
    }

    pub fn len(&self) -> usize {
        lock(&self.by_digest).len()
    }

    /// Adds a component unless the tenant has it; false if it had it already or
    /// has `max` components.
    pub fn add(&self, digest: Digest, owned: Owned, max: usize) -> Result<bool, usize> {
        let mut map = lock(&self.by_digest);
        if map.contains_key(&digest) {
            return Ok(false);
        }
        if map.len() >= max {
            return Err(map.len());
        }
        map.insert(digest, owned);
        Ok(true)
    }

    pub fn remove(&self, digest: &Digest) -> Option<Owned> {
        lock(&self.by_digest).remove(digest)
    }
}

/// The components loaded in the runtime, shared by the tenants that uploaded them.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each component and how many tenants have it.
    by_digest: Mutex<HashMap<Digest, (TaskComponent, usize)>>,
}

impl Loaded {
    /// The loaded component of these bytes, if some tenant has it.
    pub fn get(&self, digest: &Digest) -> Option<TaskComponent> {
        lock(&self.by_digest).get(digest).map(|(c, _)| c.clone())
    }

    /// Counts one more tenant having `component` (loaded now, or found by `get`).
    pub fn hold(&self, digest: Digest, component: &TaskComponent) -> TaskComponent {
        let mut map = lock(&self.by_digest);
        let entry = map.entry(digest).or_insert_with(|| (component.clone(), 0));
        entry.1 += 1;
        entry.0.clone()
    }

    /// Counts one tenant fewer; the last one unloads it (tasks running keep theirs).
    pub fn release(&self, digest: &Digest) {
        let mut map = lock(&self.by_digest);
        if let Some(entry) = map.get_mut(digest) {
            entry.1 -= 1;
            if entry.1 == 0 {
                map.remove(digest);
            }
        }
    }

    /// Components loaded now.
    pub fn len(&self) -> usize {
        lock(&self.by_digest).len()
    }
}
