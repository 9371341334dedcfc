//! The shared state of one object (its slot), the completer that resolves it, and the
//! accounts its bytes are charged to.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use wask_core::{ObjectId, TaskError, TaskOutput, TenantId, ValueType, decode_value, encode_value};

use super::{Outcome, RunInfo, Shared};

/// Bytes held against a cap: a tenant's quota, or the store's memory.
#[derive(Debug)]
pub(crate) struct Account {
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

    pub(super) fn try_charge(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.quota)
            })
            .is_ok()
    }

    pub(super) fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// Where a resolved object's outcome is.
pub(super) enum Held {
    Memory(Outcome),
    /// Spilled: the encoded value, and the captured output kept in memory.
    Disk {
        path: PathBuf,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
}

impl Held {
    pub(super) fn load(&self, id: ObjectId) -> Outcome {
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

pub(super) struct Slot {
    pub(super) held: Mutex<Option<Held>>,
    /// Set once `held` has its outcome: read without the lock by a `get` spinning
    /// briefly before it sleeps.
    pub(super) ready: AtomicBool,
    /// Live `ObjectRef`s; at zero the value is freed.
    pub(super) handles: AtomicUsize,
    /// Run once when the outcome is stored (dependent tasks, async wakers).
    pub(super) waiters: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    pub(super) resolved: Condvar,
    /// Threads waiting on `resolved`, counted under the slot lock: a resolution wakes
    /// them only if there are any (a wake-up is a system call).
    pub(super) sleepers: AtomicUsize,
    pub(super) attempts: AtomicU32,
    pub(super) run_info: Mutex<Option<RunInfo>>,
    pub(super) cancel: Arc<AtomicBool>,
    pub(super) tenant: TenantId,
    pub(super) ty: Option<ValueType>,
    pub(super) producer: Option<Arc<str>>,
    pub(super) index: u64,
    pub(super) shared: Arc<Shared>,
    pub(super) account: Arc<Account>,
    /// Bytes charged to `account`, and to the store's memory when held in memory.
    pub(super) charged: AtomicUsize,
    pub(super) in_memory: AtomicUsize,
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
    pub(super) fn resolve(&self, outcome: Outcome) {
        let mut held = self.held.lock().expect("slot lock");
        let stored = match outcome {
            Ok(_) if self.handles.load(Ordering::Acquire) == 0 => {
                Held::Memory(Err(TaskError::Shutdown))
            }
            Ok(output) => self.keep(output),
            Err(e) => Held::Memory(Err(e)),
        };
        *held = Some(stored);
        self.ready.store(true, Ordering::SeqCst);
        drop(held);
        let waiters = std::mem::take(&mut *self.waiters.lock().expect("waiters lock"));
        for waiter in waiters {
            waiter();
        }
        if self.sleepers.load(Ordering::Acquire) > 0 {
            self.resolved.notify_all();
        }
        // `wait` counts itself in before it looks at any ref, and `ready` was set
        // before this load (both SeqCst): either it sees this ref ready or this sees
        // it waiting. With no one waiting, a resolution takes no store-wide lock.
        if self.shared.waiting.load(Ordering::SeqCst) > 0 {
            let mut generation = self.shared.generation.lock().expect("notifier lock");
            *generation += 1;
            drop(generation);
            self.shared.changed.notify_all();
        }
    }

    fn keep(&self, output: Arc<TaskOutput>) -> Held {
        let bytes = output.size();
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
    pub(super) fn free(&self) {
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
    pub(super) slot: Option<Arc<Slot>>,
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

    /// Notes where and when the task ran, before it resolves.
    pub(crate) fn set_run_info(&self, info: RunInfo) {
        if let Some(slot) = &self.slot {
            *slot
                .run_info
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(info);
        }
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
