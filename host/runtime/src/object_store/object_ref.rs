//! Object refs: the handles a caller holds, and the future that awaits one.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use wask_core::{GetError, ObjectId, TaskOutput, TenantId, Value, ValueType};

use super::slot::{Held, Slot};
use super::{Outcome, RunInfo};

/// A future for one object. Clones name the same object; when the last clone is
/// dropped, the value is freed at once and its bytes leave the owner's quota.
pub struct ObjectRef {
    pub(super) id: ObjectId,
    pub(super) slot: Arc<Slot>,
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
            self.id.as_u64(),
            self.slot.tenant
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

    /// Where and when its task ran, once it has: the worker slot and the phases'
    /// times (set for tasks of this runtime or its cluster, not for a `put`).
    pub fn run_info(&self) -> Option<RunInfo> {
        self.slot
            .run_info
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Awaits the value with the task's captured output, as `get_output` does without
    /// a timeout (and without a tenant check: the holder of a ref may read it).
    pub fn output(&self) -> OutputFuture {
        OutputFuture {
            object: self.clone(),
            waker: None,
        }
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

/// Awaits the object's outcome: its value with the task's captured output.
#[derive(Debug)]
pub struct OutputFuture {
    object: ObjectRef,
    waker: Option<Arc<Mutex<Waker>>>,
}

impl Future for OutputFuture {
    type Output = Result<Arc<TaskOutput>, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(outcome) = self.object.peek() {
            let id = self.object.id;
            return Poll::Ready(outcome.map_err(|error| GetError::Task { id, error }));
        }
        if let Some(waker) = &self.waker {
            waker.lock().expect("waker lock").clone_from(cx.waker());
        } else {
            let waker = Arc::new(Mutex::new(cx.waker().clone()));
            self.waker = Some(waker.clone());
            self.object.on_ready(Box::new(move || {
                waker.lock().expect("waker lock").wake_by_ref();
            }));
        }
        Poll::Pending
    }
}

/// Awaits the object's value, as `get` does without a timeout.
#[derive(Debug)]
pub struct ObjectFuture(OutputFuture);

impl Future for ObjectFuture {
    type Output = Result<Value, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|outcome| outcome.map(|output| output.value.clone()))
    }
}

impl IntoFuture for ObjectRef {
    type Output = Result<Value, GetError>;
    type IntoFuture = ObjectFuture;

    fn into_future(self) -> ObjectFuture {
        ObjectFuture(OutputFuture {
            object: self,
            waker: None,
        })
    }
}

impl IntoFuture for &ObjectRef {
    type Output = Result<Value, GetError>;
    type IntoFuture = ObjectFuture;

    fn into_future(self) -> ObjectFuture {
        self.clone().into_future()
    }
}
