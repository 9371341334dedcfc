//! The host side of `wask:runtime/tasks` (see wit/runtime.wit): nested tasks, served
//! by whatever [`TaskHost`] the running task was given.

use wasmtime::StoreContextMut;
use wasmtime::component::Linker;

use super::invoke::TaskState;

/// What a running task may ask of its runtime through the `wask:runtime/tasks`
/// import: nested tasks. The runtime implements it; calls and results are WAVE text.
pub(crate) trait TaskHost: Send + Sync {
    /// Queues a call of the calling component; gives a handle for [`TaskHost::get`].
    fn submit(&self, call: &str) -> Result<u64, String>;
    /// Waits for a task submitted through [`TaskHost::submit`]: its result in WAVE.
    fn get(&self, handle: u64) -> Result<String, String>;
}

fn no_host() -> String {
    "this runtime offers no nested tasks here".to_owned()
}

/// Defines `wask:runtime/tasks` on top of the store's [`TaskHost`].
pub(super) fn add_to_linker(linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
    let mut tasks = linker.instance("wask:runtime/tasks")?;
    tasks.func_wrap(
        "submit",
        |store: StoreContextMut<'_, TaskState>, (call,): (String,)| {
            let host = store.data().host.clone();
            Ok((host.map_or_else(|| Err(no_host()), |h| h.submit(&call)),))
        },
    )?;
    tasks.func_wrap(
        "get",
        |store: StoreContextMut<'_, TaskState>, (handle,): (u64,)| {
            let host = store.data().host.clone();
            Ok((host.map_or_else(|| Err(no_host()), |h| h.get(handle)),))
        },
    )?;
    Ok(())
}
