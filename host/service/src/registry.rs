//! The task table: one tenant's tasks and objects, by id, newest first.
//!
//! An *entry* holds the ref of a task the tenant submitted (or of an object it put),
//! so its result lives as long as the entry. Only ids in the tenant's own table can
//! be named in a request: an id of another tenant, or one forgotten, is unknown.
//!
//! Unfinished entries are never forgotten (their number is capped by the tenant's
//! `max-pending`, checked at submit). Finished ones are kept up to `max-tasks`; past
//! that, the ones that finished first go. The observer marks an entry finished after
//! its ref resolves; an entry registered after that is marked at once, under the same
//! lock, so no entry is missed.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::SystemTime;

use wask::ObjectRef;
use wask_core::ObjectId;

use crate::ids::Digest;
use crate::tracker::Outcome;

/// What an entry is.
#[derive(Debug, Clone)]
pub enum EntryKind {
    /// A call of `function` from the component with this content id.
    Task {
        component: Digest,
        function: Arc<str>,
    },
    /// A value given to `put` (bytes uploaded by the tenant).
    Object,
}

/// One task or object of a tenant.
#[derive(Debug)]
pub struct Entry {
    pub object: ObjectRef,
    pub kind: EntryKind,
    pub submitted: SystemTime,
    /// Position in the table's order: larger is newer.
    pub seq: u64,
    /// Set, under the table's lock, once the entry counts as finished.
    finished: AtomicBool,
    /// How it ended, when the observer said (0 until then).
    outcome: AtomicU8,
}

impl Entry {
    pub fn id(&self) -> ObjectId {
        self.object.id()
    }

    /// How the task ended, if the observer has said so (read from the ref otherwise).
    pub fn outcome(&self) -> Option<Outcome> {
        match self.outcome.load(Ordering::Relaxed) {
            1 => Some(Outcome::Succeeded),
            2 => Some(Outcome::Failed),
            3 => Some(Outcome::Cancelled),
            _ => None,
        }
    }

    pub fn function(&self) -> Option<&str> {
        match &self.kind {
            EntryKind::Task { function, .. } => Some(function),
            EntryKind::Object => None,
        }
    }
}

/// One tenant's entries.
#[derive(Debug, Default)]
pub struct TaskTable {
    by_seq: BTreeMap<u64, Arc<Entry>>,
    by_id: HashMap<ObjectId, u64>,
    /// Sequence numbers in the order their entries finished (some may be gone).
    finished: VecDeque<u64>,
    n_finished: usize,
    next_seq: u64,
}

impl TaskTable {
    /// Entries not yet finished.
    pub fn pending(&self) -> usize {
        self.by_seq.len() - self.n_finished
    }

    /// Adds the entry of a ref made at `submitted`; `max_tasks` finished entries are
    /// kept.
    pub fn insert(
        &mut self,
        object: ObjectRef,
        kind: EntryKind,
        submitted: SystemTime,
        max_tasks: usize,
    ) -> Arc<Entry> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Arc::new(Entry {
            object,
            kind,
            submitted,
            seq,
            finished: AtomicBool::new(false),
            outcome: AtomicU8::new(0),
        });
        self.by_id.insert(entry.id(), seq);
        self.by_seq.insert(seq, entry.clone());
        // The observer may have heard of its end before this insert: look at the ref.
        if entry.object.is_ready() {
            self.mark(&entry, max_tasks);
        }
        entry
    }

    /// Marks the entry of `id` finished with `outcome`, if the table has it.
    pub fn finish(&mut self, id: ObjectId, outcome: Outcome, max_tasks: usize) {
        if let Some(entry) = self.get(id) {
            let code = match outcome {
                Outcome::Succeeded => 1,
                Outcome::Failed => 2,
                Outcome::Cancelled => 3,
            };
            entry.outcome.store(code, Ordering::Relaxed);
            self.mark(&entry, max_tasks);
        }
    }

    fn mark(&mut self, entry: &Arc<Entry>, max_tasks: usize) {
        if entry.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        self.n_finished += 1;
        self.finished.push_back(entry.seq);
        self.trim(max_tasks);
    }

    /// Forgets the entries that finished first until at most `max_tasks` finished
    /// ones are left.
    pub fn trim(&mut self, max_tasks: usize) {
        while self.n_finished > max_tasks {
            let Some(seq) = self.finished.pop_front() else {
                break;
            };
            if let Some(entry) = self.by_seq.remove(&seq) {
                self.by_id.remove(&entry.id());
                self.n_finished -= 1;
            }
        }
    }

    pub fn get(&self, id: ObjectId) -> Option<Arc<Entry>> {
        self.by_id
            .get(&id)
            .and_then(|seq| self.by_seq.get(seq))
            .cloned()
    }

    /// Forgets an entry (its result is freed once no request holds it).
    pub fn remove(&mut self, id: ObjectId) -> Option<Arc<Entry>> {
        let seq = self.by_id.remove(&id)?;
        let entry = self.by_seq.remove(&seq)?;
        if entry.finished.load(Ordering::Relaxed) {
            self.n_finished -= 1;
            // The removed entry's place in `finished` stays until trimmed; drop such
            // places when they outnumber the live ones, so the queue stays bounded.
            if self.finished.len() > 2 * self.n_finished + 1024 {
                let by_seq = &self.by_seq;
                self.finished.retain(|seq| by_seq.contains_key(seq));
            }
        }
        Some(entry)
    }

    /// Entries newest first, from before `before` (a sequence number) if given.
    pub fn newest_first(&self, before: Option<u64>) -> impl Iterator<Item = &Arc<Entry>> {
        let upper = before.unwrap_or(u64::MAX);
        self.by_seq.range(..upper).rev().map(|(_, e)| e)
    }
}
