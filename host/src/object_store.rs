//! The object store: object refs (futures) and the values or errors they resolve to.
//!
//! An *object* is the outcome of a task, or a value given to [`ObjectStore::put`]. An
//! [`ObjectRef`] names one; it is handed out at once and resolves exactly once, to a
//! value or to the [`TaskError`] that its task ended with. Ids are plain integers, so a
//! ref can be named across processes later.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{GetError, TaskError};
use crate::sandbox::{TaskOutput, Value, ValueType, value_size};

/// The id of an object, unique within one object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(u64);

impl ObjectId {
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {}", self.0)
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
    tenant: TenantId,
    /// The WIT type of the value, when known before it is ready (a task's result type).
    ty: Option<ValueType>,
    /// The function whose result it is (`None` for a put).
    producer: Option<Arc<str>>,
    slot: Arc<Slot>,
}

impl Clone for ObjectRef {
    fn clone(&self) -> Self {
        self.slot.handles.fetch_add(1, Ordering::Relaxed);
        ObjectRef {
            id: self.id,
            tenant: self.tenant.clone(),
            ty: self.ty.clone(),
            producer: self.producer.clone(),
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
        write!(f, "ObjectRef({}, tenant {})", self.id.0, self.tenant)
    }
}

impl ObjectRef {
    pub fn id(&self) -> ObjectId {
        self.id
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Whether the object has resolved, to a value or an error.
    pub fn is_ready(&self) -> bool {
        self.slot.outcome.lock().expect("slot lock").is_some()
    }

    /// The function whose result it is (`None` for a value given to `put`).
    pub fn producer(&self) -> Option<&str> {
        self.producer.as_deref()
    }

    /// The WIT type its value will have, when known before it is ready.
    pub fn value_type(&self) -> Option<&ValueType> {
        self.ty.as_ref()
    }

    /// How many times its task ran (more than once when a trap was retried).
    pub fn attempts(&self) -> u32 {
        self.slot.attempts.load(Ordering::Relaxed)
    }

    /// The outcome, if resolved; no owner check (the runtime checks before).
    pub(crate) fn peek(&self) -> Option<Outcome> {
        self.slot.outcome.lock().expect("slot lock").clone()
    }

    /// Runs `f` once the object resolves (at once if it has): on the resolving thread.
    pub(crate) fn on_ready(&self, f: Box<dyn FnOnce() + Send>) {
        let outcome = self.slot.outcome.lock().expect("slot lock");
        if outcome.is_some() {
            drop(outcome);
            f();
        } else {
            // Pushed under the outcome lock, so `resolve` cannot miss it.
            self.slot.waiters.lock().expect("waiters lock").push(f);
        }
    }

    /// The flag that cancels the task producing this object.
    pub(crate) fn cancel_flag(&self) -> &Arc<AtomicBool> {
        &self.slot.cancel
    }

    /// Checks that `caller` owns this object.
    pub(crate) fn check_owner(&self, caller: &TenantId) -> Result<(), GetError> {
        if self.tenant == *caller {
            Ok(())
        } else {
            Err(GetError::ForeignRef {
                id: self.id,
                owner: self.tenant.clone(),
                caller: caller.clone(),
            })
        }
    }
}

/// Bytes of objects a tenant holds, against its quota.
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

struct Slot {
    outcome: Mutex<Option<Outcome>>,
    /// Live `ObjectRef`s; at zero the value is freed.
    handles: AtomicUsize,
    /// Run once when the outcome is stored (dependent tasks, async wakers).
    waiters: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    attempts: std::sync::atomic::AtomicU32,
    resolved: Condvar,
    any_resolved: Arc<Notifier>,
    cancel: Arc<AtomicBool>,
    account: Arc<Account>,
    /// Bytes charged to `account` for the stored value.
    charged: AtomicUsize,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.account.release(*self.charged.get_mut());
    }
}

impl Slot {
    /// Drops the value and returns its bytes to the quota: no ref can read it now.
    fn free(&self) {
        let mut outcome = self.outcome.lock().expect("slot lock");
        let value = outcome.take();
        self.account.release(self.charged.swap(0, Ordering::AcqRel));
        drop(outcome);
        drop(value);
    }
}

/// Wakes `wait` calls whenever any object of the store resolves.
#[derive(Default)]
struct Notifier {
    generation: Mutex<u64>,
    changed: Condvar,
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
    /// Resolves the ref; see `Slot::resolve` for the quota.
    pub(crate) fn resolve(mut self, outcome: Result<TaskOutput, TaskError>) {
        let slot = self.slot.take().expect("a completer resolves once");
        let outcome = outcome.map(Arc::new);
        slot.resolve(outcome);
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

impl Slot {
    /// Stores the outcome, charging a value's bytes to the owner's quota; a value
    /// over quota is dropped and the ref holds [`TaskError::QuotaExceeded`] instead.
    /// A value no ref can read any more is not kept.
    fn resolve(&self, outcome: Outcome) {
        let mut stored = self.outcome.lock().expect("slot lock");
        let outcome = match outcome {
            Ok(_) if self.handles.load(Ordering::Acquire) == 0 => Err(TaskError::Shutdown),
            Ok(output) => {
                let bytes = charge_of(&output);
                if self.account.try_charge(bytes) {
                    self.charged.store(bytes, Ordering::Release);
                    Ok(output)
                } else {
                    Err(TaskError::QuotaExceeded {
                        needed: bytes,
                        used: self.account.used(),
                        quota: self.account.quota(),
                    })
                }
            }
            Err(e) => Err(e),
        };
        *stored = Some(outcome);
        drop(stored);
        let waiters = std::mem::take(&mut *self.waiters.lock().expect("waiters lock"));
        for waiter in waiters {
            waiter();
        }
        self.resolved.notify_all();
        *self.any_resolved.generation.lock().expect("notifier lock") += 1;
        self.any_resolved.changed.notify_all();
    }
}

#[derive(Default)]
pub struct ObjectStore {
    next_id: AtomicU64,
    any_resolved: Arc<Notifier>,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("next_id", &self.next_id)
            .finish()
    }
}

impl ObjectStore {
    pub fn new() -> Self {
        Self::default()
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
        let slot = Arc::new(Slot {
            outcome: Mutex::new(None),
            handles: AtomicUsize::new(1),
            waiters: Mutex::default(),
            attempts: Default::default(),
            resolved: Condvar::new(),
            any_resolved: self.any_resolved.clone(),
            cancel: Arc::default(),
            account: account.clone(),
            charged: AtomicUsize::new(0),
        });
        let id = ObjectId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let completer = Completer {
            slot: Some(slot.clone()),
        };
        let object = ObjectRef {
            id,
            tenant: tenant.clone(),
            ty,
            producer,
            slot,
        };
        (object, completer)
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

    /// Waits for one object, at most `timeout` (forever with `None`).
    pub fn get(
        &self,
        object: &ObjectRef,
        timeout: Option<Duration>,
    ) -> Result<Arc<TaskOutput>, GetError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let slot = &object.slot;
        let mut outcome = slot.outcome.lock().expect("slot lock");
        loop {
            if let Some(outcome) = &*outcome {
                return outcome.clone().map_err(|error| GetError::Task {
                    id: object.id,
                    error,
                });
            }
            outcome = match deadline {
                None => slot.resolved.wait(outcome).expect("slot lock"),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(GetError::Timeout {
                            id: object.id,
                            timeout: timeout.expect("a deadline comes from a timeout"),
                        });
                    }
                    slot.resolved
                        .wait_timeout(outcome, deadline - now)
                        .expect("slot lock")
                        .0
                }
            };
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
        if num_returns > objects.len() {
            return Err(GetError::NumReturns {
                num_returns,
                n_refs: objects.len(),
            });
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let notifier = &self.any_resolved;
        let mut generation = notifier.generation.lock().expect("notifier lock");
        loop {
            // Resolutions bump the generation under this lock, so none is missed
            // between this count and the wait below.
            let n_ready = objects.iter().filter(|o| o.is_ready()).count();
            let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
            if n_ready >= num_returns || timed_out {
                break;
            }
            generation = match deadline {
                None => notifier.changed.wait(generation).expect("notifier lock"),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    notifier
                        .changed
                        .wait_timeout(generation, left)
                        .expect("notifier lock")
                        .0
                }
            };
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
