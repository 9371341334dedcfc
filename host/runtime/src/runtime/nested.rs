//! Nested tasks: a running task's `wask:runtime/tasks` calls, served as tasks of the
//! same component and tenant, with the same limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wask_core::Limits;

use super::Core;
use super::submit::{Arg, Place, Returns, Submission, TaskOptions, enqueue};
use super::tenant::TenantState;
use crate::object_store::ObjectRef;
use crate::sandbox::{TaskComponent, TaskHost};

/// Serves one running task's nested-task calls.
pub(super) struct NestedTasks {
    core: Arc<Core>,
    tenant: Arc<TenantState>,
    component: TaskComponent,
    limits: Limits,
    /// Refs of the nested tasks not yet waited for, by handle (their object ids).
    handles: Mutex<HashMap<u64, ObjectRef>>,
}

impl NestedTasks {
    pub(super) fn new(
        core: &Arc<Core>,
        tenant: &Arc<TenantState>,
        component: &TaskComponent,
        limits: Limits,
    ) -> Self {
        NestedTasks {
            core: core.clone(),
            tenant: tenant.clone(),
            component: component.clone(),
            limits,
            handles: Mutex::default(),
        }
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<u64, ObjectRef>> {
        self.handles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TaskHost for NestedTasks {
    fn submit(&self, call: &str) -> Result<u64, String> {
        let call = self.component.parse_call(call).map_err(|e| e.to_string())?;
        let submission = Submission {
            component: call.component().clone(),
            func: call.func_idx(),
            args: call.into_args().into_iter().map(Arg::Value).collect(),
            options: TaskOptions {
                limits: Some(self.limits),
                ..TaskOptions::default()
            },
            place: Place::Nested,
        };
        let object = enqueue(&self.core, &self.tenant, submission, Returns::One)
            .map_err(|e| e.to_string())?
            .remove(0);
        let handle = object.id().as_u64();
        self.handles().insert(handle, object);
        Ok(handle)
    }

    fn get(&self, handle: u64) -> Result<String, String> {
        let object = self
            .handles()
            .remove(&handle)
            .ok_or_else(|| format!("no nested task with handle {handle} is waiting to be read"))?;
        // Waiting gives this worker's place to another thread, so the nested task
        // (or its own children) can run even on a pool of one.
        let outcome = self
            .core
            .spawner
            .block_in_place(self.tenant.queue, || self.core.objects.get(&object, None));
        outcome
            .map(|output| output.value.to_string())
            .map_err(|e| e.to_string())
    }
}
