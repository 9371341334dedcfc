//! The object store: object refs (futures) and the values or errors they resolve to.
//!
//! An *object* is the outcome of a task, or a value given to `put`. An [`ObjectRef`]
//! names one; it is handed out at once and resolves exactly once, to a value or to the
//! [`TaskError`] that its task ended with. It can be waited for with `get` or `wait`,
//! or awaited (`ObjectRef` is [`IntoFuture`]).
//!
//! Values are held in memory up to the store's cap; past it they *spill* to disk
//! (encoded by [`crate::sandbox::encode_value`]) and are read back when asked for, so
//! the host does not run out of memory. Every value is also charged to its tenant's
//! [`Account`]. Both are released as soon as the last ref to the object is dropped.
//!
//! An [`ObjectId`] is plain data (the store's id and an index), so it can be written
//! down and turned back into a ref with [`ObjectStore::lookup`] while the object lives.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::{GetError, TaskError};
use crate::sandbox::{TaskOutput, Value, ValueType, decode_value, encode_value, value_size};

/// The id of an object: which store made it, and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId {
    store: u64,
    index: u64,
}

impl ObjectId {
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
        ObjectId {
            store: u64::from_le_bytes(store.try_into().expect("8 bytes")),
            index: u64::from_le_bytes(index.try_into().expect("8 bytes")),
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

pub(crate) type Outcome = Result<Arc<TaskOutput>, TaskError>;

/// A future for one object. Clones name the same object; when the last clone is
/// dropped, the value is freed at once and its bytes leave the owner's quota.
pub struct ObjectRef {
    id: ObjectId,
    slot: Arc<Slot>,
}

impl Clone for ObjectRef {
    fn clone(&self) -> Self {
        self.slot.handles.fetch_add(1, Ordering::Relaxed);
        ObjectRef {
            id: self.id,
            slot: self.slot.clone(),
        }
    }
}

impl Drop for ObjectRef {
    fn drop(&mut self) {
        if self.slot.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.slot.free();
        }
    }
}

impl std::fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ObjectRef({}, tenant {})",
            self.id.index, self.slot.tenant
        )
    }
}

impl ObjectRef {
    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn tenant(&self) -> &TenantId {
        &self.slot.tenant
    }

    /// Whether the object has resolved, to a value or an error.
    pub fn is_ready(&self) -> bool {
        self.slot.held.lock().expect("slot lock").is_some()
    }

    /// The function whose result it is (`None` for a value given to `put`).
    pub fn producer(&self) -> Option<&str> {
        self.slot.producer.as_deref()
    }

    /// The WIT type its value will have, when known before it is ready.
    pub fn value_type(&self) -> Option<&ValueType> {
        self.slot.ty.as_ref()
    }

    /// How many times its task ran (more than once when a trap was retried).
    pub fn attempts(&self) -> u32 {
        self.slot.attempts.load(Ordering::Relaxed)
    }

    /// Whether the value was spilled to disk because the store was over its cap.
    pub fn is_spilled(&self) -> bool {
        matches!(
            *self.slot.held.lock().expect("slot lock"),
            Some(Held::Disk { .. })
        )
    }

    /// The outcome, if resolved; no owner check (the runtime checks before).
    pub(crate) fn peek(&self) -> Option<Outcome> {
        let held = self.slot.held.lock().expect("slot lock");
        held.as_ref().map(|h| h.load(self.id))
    }

    /// Runs `f` once the object resolves (at once if it has): on the resolving thread.
    pub(crate) fn on_ready(&self, f: Box<dyn FnOnce() + Send>) {
        let held = self.slot.held.lock().expect("slot lock");
        if held.is_some() {
            drop(held);
            f();
        } else {
            // Pushed under the slot lock, so `resolve` cannot miss it.
            self.slot.waiters.lock().expect("waiters lock").push(f);
        }
    }

    /// The flag that cancels the task producing this object.
    pub(crate) fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.slot.cancel
    }

    /// Checks that `caller` owns this object.
    pub(crate) fn check_owner(&self, caller: &TenantId) -> Result<(), GetError> {
        if self.slot.tenant == *caller {
            Ok(())
        } else {
            Err(GetError::ForeignRef {
                id: self.id,
                owner: self.slot.tenant.clone(),
                caller: caller.clone(),
            })
        }
    }
}

/// Awaits the object's value, as `get` does without a timeout.
#[derive(Debug)]
pub struct ObjectFuture {
    object: ObjectRef,
    waker: Option<Arc<Mutex<Waker>>>,
}

impl Future for ObjectFuture {
    type Output = Result<Value, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.object.peek() {
            let id = self.object.id;
            return Poll::Ready(
                outcome
                    .map(|output| output.value.clone())
                    .map_err(|error| GetError::Task { id, error }),
            );
        }
        match &self.waker {
            Some(waker) => waker.lock().expect("waker lock").clone_from(cx.waker()),
            None => {
                let waker = Arc::new(Mutex::new(cx.waker().clone()));
                self.waker = Some(waker.clone());
                self.object.on_ready(Box::new(move || {
                    waker.lock().expect("waker lock").wake_by_ref();
                }));
            }
        }
        Poll::Pending
    }
}

impl IntoFuture for ObjectRef {
    type Output = Result<Value, GetError>;
    type IntoFuture = ObjectFuture;

    fn into_future(self) -> ObjectFuture {
        ObjectFuture {
            object: self,
            waker: None,
        }
    }
}

impl IntoFuture for &ObjectRef {
    type Output = Result<Value, GetError>;
    type IntoFuture = ObjectFuture;

    fn into_future(self) -> ObjectFuture {
        self.clone().into_future()
    }
}

/// Bytes held against a cap: a tenant's quota, or the store's memory.
#[derive(Debug)]
pub struct Account {
    used: AtomicUsize,
    quota: usize,
}

impl Account {
    pub fn new(quota: usize) -> Self {
        Account {
            used: AtomicUsize::new(0),
            quota,
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn quota(&self) -> usize {
        self.quota
    }

    fn try_charge(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.quota)
            })
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// The bytes an object takes against its owner's quota.
fn charge_of(output: &TaskOutput) -> usize {
    value_size(&output.value) + output.stdout.len() + output.stderr.len()
}

/// Where a resolved object's outcome is.
enum Held {
    Memory(Outcome),
    /// Spilled: the encoded value, and the captured output kept in memory.
    Disk {
        path: PathBuf,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
}

impl Held {
    fn load(&self, id: ObjectId) -> Outcome {
        match self {
            Held::Memory(outcome) => outcome.clone(),
            Held::Disk {
                path,
                stdout,
                stderr,
            } => {
                let read = std::fs::read(path)
                    .map_err(|e| format!("cannot read spilled {id} from {}: {e}", path.display()))
                    .and_then(|bytes| {
                        decode_value(&bytes).map_err(|e| {
                            format!("spilled {id} in {} is damaged: {e}", path.display())
                        })
                    });
                match read {
                    Ok(value) => Ok(Arc::new(TaskOutput {
                        value,
                        stdout: stdout.clone(),
                        stderr: stderr.clone(),
                    })),
                    Err(message) => Err(TaskError::Store(message)),
                }
            }
        }
    }
}

struct Slot {
    held: Mutex<Option<Held>>,
    /// Live `ObjectRef`s; at zero the value is freed.
    handles: AtomicUsize,
    /// Run once when the outcome is stored (dependent tasks, async wakers).
    waiters: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    resolved: Condvar,
    /// Threads waiting on `resolved`, counted under the slot lock: a resolution wakes
    /// them only if there are any (a wake-up is a system call).
    sleepers: AtomicUsize,
    attempts: AtomicU32,
    cancel: Arc<AtomicBool>,
    tenant: TenantId,
    ty: Option<ValueType>,
    producer: Option<Arc<str>>,
    index: u64,
    shared: Arc<Shared>,
    account: Arc<Account>,
    /// Bytes charged to `account`, and to the store's memory when held in memory.
    charged: AtomicUsize,
    in_memory: AtomicUsize,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release_all();
    }
}

impl Slot {
    /// Stores the outcome. A value is charged to the owner's quota (over quota, the
    /// ref holds [`TaskError::QuotaExceeded`] instead) and kept in memory, or spilled
    /// to disk when the store's memory is over its cap. A value no ref can read any
    /// more is not kept.
    fn resolve(&self, outcome: Outcome) {
        let mut held = self.held.lock().expect("slot lock");
        let stored = match outcome {
            Ok(_) if self.handles.load(Ordering::Acquire) == 0 => {
                Held::Memory(Err(TaskError::Shutdown))
            }
            Ok(output) => self.keep(output),
            Err(e) => Held::Memory(Err(e)),
        };
        *held = Some(stored);
        drop(held);
        let waiters = std::mem::take(&mut *self.waiters.lock().expect("waiters lock"));
        for waiter in waiters {
            waiter();
        }
        if self.sleepers.load(Ordering::Acquire) > 0 {
            self.resolved.notify_all();
        }
        let mut generation = self.shared.generation.lock().expect("notifier lock");
        generation.0 += 1;
        let wake = generation.1 > 0;
        drop(generation);
        if wake {
            self.shared.changed.notify_all();
        }
    }

    fn keep(&self, output: Arc<TaskOutput>) -> Held {
        let bytes = charge_of(&output);
        if !self.account.try_charge(bytes) {
            return Held::Memory(Err(TaskError::QuotaExceeded {
                needed: bytes,
                used: self.account.used(),
                quota: self.account.quota(),
            }));
        }
        self.charged.store(bytes, Ordering::Release);
        if self.shared.memory.try_charge(bytes) {
            self.in_memory.store(bytes, Ordering::Release);
            return Held::Memory(Ok(output));
        }
        match self.spill(&output) {
            Ok(held) => held,
            Err(message) => {
                self.account.release(self.charged.swap(0, Ordering::AcqRel));
                Held::Memory(Err(TaskError::Store(message)))
            }
        }
    }

    fn spill(&self, output: &TaskOutput) -> Result<Held, String> {
        let dir = &self.shared.spill_dir;
        let path = dir.join(format!(
            "{:016x}-{}.value",
            self.shared.store_id, self.index
        ));
        let encoded = encode_value(&output.value).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, encoded))
            .map_err(|e| {
                format!(
                    "the object store is over its memory cap of {} bytes and cannot spill to {}: {e}",
                    self.shared.memory.quota(),
                    dir.display()
                )
            })?;
        Ok(Held::Disk {
            path,
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
        })
    }

    /// Drops the value and returns its bytes: no ref can read it now.
    fn free(&self) {
        let held = self.held.lock().expect("slot lock").take();
        self.release_all();
        if let Some(Held::Disk { path, .. }) = &held {
            let _ = std::fs::remove_file(path);
        }
        self.shared
            .registry
            .lock()
            .expect("registry lock")
            .remove(&self.index);
        drop(held);
    }

    fn release_all(&self) {
        self.account.release(self.charged.swap(0, Ordering::AcqRel));
        self.shared
            .memory
            .release(self.in_memory.swap(0, Ordering::AcqRel));
    }
}

/// The write side of one pending object, held by whoever will produce its outcome.
///
/// **Invariant:** a ref resolves exactly once. A completer dropped without resolving
/// (its job was never run, say at shutdown) resolves its ref to [`TaskError::Shutdown`],
/// so no `get` waits forever.
pub(crate) struct Completer {
    slot: Option<Arc<Slot>>,
}

impl Completer {
    /// Resolves the ref; see `Slot::resolve` for quota, memory cap and spilling.
    pub(crate) fn resolve(mut self, outcome: Result<TaskOutput, TaskError>) {
        let slot = self.slot.take().expect("a completer resolves once");
        slot.resolve(outcome.map(Arc::new));
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.slot
            .as_ref()
            .is_some_and(|s| s.cancel.load(Ordering::Relaxed))
    }

    pub(crate) fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.slot.as_ref().expect("unresolved").cancel.clone()
    }

    pub(crate) fn set_attempts(&self, attempts: u32) {
        if let Some(slot) = &self.slot {
            slot.attempts.store(attempts, Ordering::Relaxed);
        }
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.resolve(Err(TaskError::Shutdown));
        }
    }
}

/// Settings of an [`ObjectStore`].
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
    /// Bumped whenever any object resolves, and how many `wait` calls are waiting.
    generation: Mutex<(u64, usize)>,
    changed: Condvar,
    memory: Account,
    spill_dir: PathBuf,
    /// Live objects by index, so an [`ObjectId`] can be turned back into a ref.
    registry: Mutex<HashMap<u64, Weak<Slot>>>,
}

pub struct ObjectStore {
    next_index: AtomicU64,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("store_id", &self.shared.store_id)
            .field("memory_used", &self.shared.memory.used())
            .finish()
    }
}

impl Default for ObjectStore {
    fn default() -> Self {
        Self::new(StoreConfig::default())
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
    pub fn new(config: StoreConfig) -> Self {
        let store_id = new_store_id();
        ObjectStore {
            next_index: AtomicU64::new(0),
            shared: Arc::new(Shared {
                store_id,
                generation: Mutex::new((0, 0)),
                changed: Condvar::new(),
                memory: Account::new(config.memory_cap_bytes),
                spill_dir: config.spill_dir.join(format!("wask-spill-{store_id:016x}")),
                registry: Mutex::default(),
            }),
        }
    }

    /// Bytes of values held in memory now.
    pub fn memory_used(&self) -> usize {
        self.shared.memory.used()
    }

    /// The folder spilled values of this store go to.
    pub fn spill_dir(&self) -> &Path {
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
            handles: AtomicUsize::new(1),
            waiters: Mutex::default(),
            resolved: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            attempts: AtomicU32::new(0),
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
        let id = ObjectId {
            store: self.shared.store_id,
            index,
        };
        (ObjectRef { id, slot }, completer)
    }

    /// Stores a value for `tenant`; the ref is ready at once (or holds
    /// [`TaskError::QuotaExceeded`] if the value does not fit the quota).
    pub fn put(&self, tenant: &TenantId, account: &Arc<Account>, value: Value) -> ObjectRef {
        let (object, completer) = self.pending(tenant, account, None, None);
        completer.resolve(Ok(TaskOutput {
            value,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }));
        object
    }

    /// Turns an id back into a ref, while some ref to the object is alive.
    pub fn lookup(&self, id: ObjectId) -> Result<ObjectRef, GetError> {
        if id.store != self.shared.store_id {
            return Err(GetError::ForeignStore { id });
        }
        let registry = self.shared.registry.lock().expect("registry lock");
        let slot = registry
            .get(&id.index)
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
    pub fn check_store(&self, object: &ObjectRef) -> Result<(), GetError> {
        if Arc::ptr_eq(&object.slot.shared, &self.shared) {
            Ok(())
        } else {
            Err(GetError::ForeignStore { id: object.id })
        }
    }

    /// Waits for one object, at most `timeout` (forever with `None`).
    pub fn get(
        &self,
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Arc<TaskOutput>, GetError> {
        self.check_store(object)?;
        let deadline = timeout.map(|t| Instant::now() + t);
        let slot = &object.slot;
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
    pub fn wait(
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
        loop {
            // Resolutions bump the generation under this lock, so none is missed
            // between this count and the wait below.
            let n_ready = objects.iter().filter(|o| o.is_ready()).count();
            let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
            if n_ready >= num_returns || timed_out {
                break;
            }
            generation.1 += 1;
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
            generation.1 -= 1;
        }
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

#[cfg(test)]
mod test;
