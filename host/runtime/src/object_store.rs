//! The object store: object refs (futures) and the values or errors they resolve to.
//!
//! An *object* is the outcome of a task, or a value given to `put`. An [`ObjectRef`]
//! names one; it is handed out at once and resolves exactly once, to a value or to the
//! [`TaskError`] that its task ended with. It can be waited for with `get` or `wait`,
//! or awaited (`ObjectRef` is [`IntoFuture`]).
//!
//! Values are held in memory up to the store's cap; past it they *spill* to disk
//! (encoded by [`wask_core::encode_value`]) and are read back when asked for, so
//! the host does not run out of memory. Every value is also charged to its tenant's
//! `Account`. Both are released as soon as the last ref to the object is dropped.
//!
//! An [`ObjectId`] is plain data (the store's id and an index), so it can be written
//! down and turned back into a ref with [`ObjectStore::lookup`] while the object lives.

mod object_ref;
mod slot;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use wask_core::{GetError, ObjectId, TaskError, TaskOutput, TenantId, Value, ValueType};

pub use self::object_ref::{ObjectFuture, ObjectRef, OutputFuture};
use self::slot::Slot;
pub(crate) use self::slot::{Account, Completer};

pub(crate) type Outcome = Result<Arc<TaskOutput>, TaskError>;

/// Where and when a task ran: on which worker of which host, and when each phase
/// ended (wall-clock times, so they compare across machines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The host process that ran it: `None` for this one, else a cluster worker's id.
    pub host: Option<Arc<str>>,
    /// The worker slot on that host.
    pub worker_idx: usize,
    pub started: std::time::SystemTime,
    /// The fresh instance was ready (absent if instantiation failed).
    pub instantiated: Option<std::time::SystemTime>,
    /// The export returned or trapped (absent if it never ran).
    pub returned: Option<std::time::SystemTime>,
    pub finished: std::time::SystemTime,
    /// Answered from the memo cache without running (see `TaskOptions::memo`).
    pub memo_hit: bool,
}

/// Settings of a runtime's object store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Bytes of values kept in memory; past this, values spill to `spill_dir`.
    pub memory_cap_bytes: usize,
    /// Where spilled values go (a folder of this store's own is made inside).
    pub spill_dir: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            memory_cap_bytes: 4 << 30,
            spill_dir: std::env::temp_dir(),
        }
    }
}

/// What every slot of a store shares.
struct Shared {
    store_id: u64,
    /// Bumped when an object resolves while a `wait` call is waiting.
    generation: Mutex<u64>,
    /// `wait` calls in progress; resolutions take the `generation` lock only then.
    waiting: AtomicUsize,
    changed: Condvar,
    memory: Account,
    spill_dir: PathBuf,
    /// Live objects by index, so an [`ObjectId`] can be turned back into a ref.
    registry: Mutex<HashMap<u64, Weak<Slot>>>,
}

/// The objects of one runtime: refs handed out, values held, waits served.
pub(crate) struct ObjectStore {
    next_index: AtomicU64,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("store_id", &self.shared.store_id)
            .field("memory_used", &self.shared.memory.used())
            .finish_non_exhaustive()
    }
}

impl Default for ObjectStore {
    fn default() -> Self {
        Self::new(&StoreConfig::default())
    }
}

/// A store id unlikely to repeat across processes and machines.
fn new_store_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        // Spilled values of objects still referenced elsewhere go with the store.
        let _ = std::fs::remove_dir_all(self.spill_dir());
    }
}

impl ObjectStore {
    pub(crate) fn new(config: &StoreConfig) -> Self {
        let store_id = new_store_id();
        ObjectStore {
            next_index: AtomicU64::new(0),
            shared: Arc::new(Shared {
                store_id,
                generation: Mutex::new(0),
                waiting: AtomicUsize::new(0),
                changed: Condvar::new(),
                memory: Account::new(config.memory_cap_bytes),
                spill_dir: config.spill_dir.join(format!("wask-spill-{store_id:016x}")),
                registry: Mutex::default(),
            }),
        }
    }

    /// Bytes of values held in memory now.
    pub(crate) fn memory_used(&self) -> usize {
        self.shared.memory.used()
    }

    /// The folder spilled values of this store go to.
    pub(crate) fn spill_dir(&self) -> &Path {
        &self.shared.spill_dir
    }

    /// A new pending object of `tenant`, whose value will be charged to `account`,
    /// and the completer that will resolve it.
    pub(crate) fn pending(
        &self,
        tenant: &TenantId,
        account: &Arc<Account>,
        ty: Option<ValueType>,
        producer: Option<Arc<str>>,
    ) -> (ObjectRef, Completer) {
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            held: Mutex::new(None),
            ready: AtomicBool::new(false),
            handles: AtomicUsize::new(1),
            waiters: Mutex::default(),
            resolved: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            attempts: AtomicU32::new(0),
            run_info: Mutex::new(None),
            cancel: Arc::default(),
            tenant: tenant.clone(),
            ty,
            producer,
            index,
            shared: self.shared.clone(),
            account: account.clone(),
            charged: AtomicUsize::new(0),
            in_memory: AtomicUsize::new(0),
        });
        self.shared
            .registry
            .lock()
            .expect("registry lock")
            .insert(index, Arc::downgrade(&slot));
        let completer = Completer {
            slot: Some(slot.clone()),
        };
        let id = ObjectId::new(self.shared.store_id, index);
        (ObjectRef { id, slot }, completer)
    }

    /// Stores a value for `tenant`; the ref is ready at once (or holds
    /// [`TaskError::QuotaExceeded`] if the value does not fit the quota).
    pub(crate) fn put(&self, tenant: &TenantId, account: &Arc<Account>, value: Value) -> ObjectRef {
        let (object, completer) = self.pending(tenant, account, None, None);
        completer.resolve(Ok(TaskOutput::value(value)));
        object
    }

    /// Turns an id back into a ref, while some ref to the object is alive.
    pub(crate) fn lookup(&self, id: ObjectId) -> Result<ObjectRef, GetError> {
        if id.store() != self.shared.store_id {
            return Err(GetError::ForeignStore { id });
        }
        let registry = self.shared.registry.lock().expect("registry lock");
        let slot = registry
            .get(&id.as_u64())
            .and_then(Weak::upgrade)
            .ok_or(GetError::Freed { id })?;
        // Revive only a live object: one whose last ref is gone stays freed.
        slot.handles
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n > 0).then_some(n + 1)
            })
            .map_err(|_| GetError::Freed { id })?;
        Ok(ObjectRef { id, slot })
    }

    /// Checks that a ref was made by this store.
    pub(crate) fn check_store(&self, object: &ObjectRef) -> Result<(), GetError> {
        if Arc::ptr_eq(&object.slot.shared, &self.shared) {
            Ok(())
        } else {
            Err(GetError::ForeignStore { id: object.id })
        }
    }

    /// Waits for one object, at most `timeout` (forever with `None`).
    pub(crate) fn get(
        &self,
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Arc<TaskOutput>, GetError> {
        self.check_store(object)?;
        let deadline = timeout.map(|t| Instant::now() + t);
        let slot = &object.slot;
        spin_until_ready(slot, deadline);
        let mut held = slot.held.lock().expect("slot lock");
        loop {
            if let Some(h) = &*held {
                return h.load(object.id).map_err(|error| GetError::Task {
                    id: object.id,
                    error,
                });
            }
            let left = match deadline {
                None => None,
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(GetError::Timeout {
                            id: object.id,
                            timeout: timeout.expect("a deadline comes from a timeout"),
                        });
                    }
                    Some(deadline - now)
                }
            };
            // Counted while the lock is held, so a resolution after this sees it.
            slot.sleepers.fetch_add(1, Ordering::AcqRel);
            held = match left {
                None => slot.resolved.wait(held).expect("slot lock"),
                Some(left) => slot.resolved.wait_timeout(held, left).expect("slot lock").0,
            };
            slot.sleepers.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Waits until `num_returns` of `objects` are ready or `timeout` passes, and splits
    /// them into (ready, pending), each in the order given. As in Ray, at most
    /// `num_returns` refs are returned as ready.
    pub(crate) fn wait(
        &self,
        objects: &[ObjectRef],
        num_returns: usize,
        timeout: Option<Duration>,
    ) -> Result<(Vec<ObjectRef>, Vec<ObjectRef>), GetError> {
        for object in objects {
            self.check_store(object)?;
        }
        if num_returns > objects.len() {
            return Err(GetError::NumReturns {
                num_returns,
                n_refs: objects.len(),
            });
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let shared = &self.shared;
        let mut generation = shared.generation.lock().expect("notifier lock");
        // Counted in before any ref is looked at, so a resolution from now on bumps
        // the generation under this lock (see `Slot::resolve`) and none is missed
        // between the count below and the sleep.
        shared.waiting.fetch_add(1, Ordering::SeqCst);
        loop {
            let n_ready = objects.iter().filter(|o| o.is_ready()).count();
            let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
            if n_ready >= num_returns || timed_out {
                break;
            }
            generation = match deadline {
                None => shared.changed.wait(generation).expect("notifier lock"),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    shared
                        .changed
                        .wait_timeout(generation, left)
                        .expect("notifier lock")
                        .0
                }
            };
        }
        shared.waiting.fetch_sub(1, Ordering::SeqCst);
        drop(generation);
        let mut ready = Vec::new();
        let mut pending = Vec::new();
        for object in objects {
            if ready.len() < num_returns && object.is_ready() {
                ready.push(object.clone());
            } else {
                pending.push(object.clone());
            }
        }
        Ok((ready, pending))
    }
}

/// How long a `get` watches a pending ref before it sleeps: a short task's result
/// then costs no wake-up (a system call and a context switch on each side, the larger
/// part of a no-op round trip), while a long task's waiter sleeps at once after it.
const GET_SPIN: Duration = Duration::from_micros(50);

/// Watches `slot` until it is ready, [`GET_SPIN`] passes or `deadline` comes.
fn spin_until_ready(slot: &Slot, deadline: Option<Instant>) {
    if slot.ready.load(Ordering::Acquire) {
        return;
    }
    let limit = deadline.map_or(GET_SPIN, |d| {
        d.saturating_duration_since(Instant::now()).min(GET_SPIN)
    });
    crate::spin::spin_until(limit, || slot.ready.load(Ordering::Acquire));
}

#[cfg(test)]
mod test;
