//! The sandbox: the one module that owns wasmtime's engine, linker and stores.
//!
//! A *task component* is a WebAssembly component whose exported functions are tasks.
//! Loading one compiles it once (or loads the compiled artifact from the on-disk cache)
//! and pre-instantiates it into an `InstancePre`. Every invocation then gets its own
//! fresh `Store`: that store, with its own linear memory and WASI context, is the
//! sandbox boundary. It is never entered again after the call returns or traps, and it
//! is dropped once the task's ref is resolved (see `invoke::Spent`).
//!
//! Nothing outside this module names a wasmtime type: types and values cross it as
//! Wask's own ([`wask_core::ValueType`], [`wask_core::Value`]).

mod cache;
mod component;
mod convert;
mod fast;
mod invoke;
mod limiter;
mod nested;
mod provided;
mod trap;
mod wasi;

pub(crate) use provided::host_provides;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wask_core::{LoadError, SetupError};
use wasmtime::component::Linker;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub(crate) use self::component::check_header;
pub use self::component::{Call, TaskComponent, TaskFunction};
use self::invoke::TaskState;
pub(crate) use self::invoke::{InvokeOptions, Phases, Spent};
pub(crate) use self::nested::TaskHost;

/// How often the epoch ticker advances; deadlines are measured in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Dirty bytes of each linear memory reset in place, not unmapped, when its slot is
/// freed (where the kernel has `PAGEMAP_SCAN`): a Rust guest's stack and static data.
/// Every warm slot of the pool may hold this much resident, so it stays small: at
/// 16 MiB the hostile suite's host grew by 245 MiB, at 2 MiB it stays within its bound.
const KEEP_RESIDENT: usize = 2 << 20;
/// The same for each table.
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// Settings of the sandbox shared by every task of a runtime.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Folder for compiled components (`None` compiles every time). It is made
    /// private to this user; one that others can write to is refused.
    pub cache_dir: Option<PathBuf>,
    /// Bytes the cache folder may hold; past this, the least recently used compiled
    /// components are evicted.
    pub cache_max_bytes: u64,
    /// Largest component file `load` reads, in bytes.
    pub max_component_bytes: u64,
    /// Component instances that may be alive at once (sizes the pooling allocator).
    pub max_instances: u32,
    /// Largest linear memory any instance may reserve, in bytes: the ceiling of every
    /// task's [`wask_core::Limits::max_memory_bytes`].
    pub max_memory_bytes: usize,
    /// Wasm stack each call may use, in bytes (wasmtime sets it per engine).
    pub max_wasm_stack: usize,
    /// Meter fuel, so tasks can be given [`wask_core::Limits::fuel`] (costs some speed).
    pub fuel: bool,
    /// Move strings and lists through the bulk path (`sandbox/fast.rs`), one copy
    /// each way. Off, every call takes wasmtime's per-element `Val` path: for
    /// comparing the two, not for use.
    pub bulk_path: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            cache_dir: default_cache_dir(),
            cache_max_bytes: 2 << 30,
            max_component_bytes: 256 << 20,
            max_instances: 64,
            max_memory_bytes: wask_core::Limits::default().max_memory_bytes,
            max_wasm_stack: 512 << 10,
            fuel: false,
            bulk_path: true,
        }
    }
}

/// What a task may reach beyond its own memory. Nothing is granted by default: no
/// files, no environment variables, no network, no inherited stdio (stdout and stderr
/// are captured). Clocks and randomness are always there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Host folders the task may read, each as (host path, path the guest sees).
    pub read_only_dirs: Vec<(PathBuf, String)>,
    /// Seed of `wasi:random`, for reproducible runs; `None` draws fresh OS randomness.
    pub random_seed: Option<u64>,
}

impl Capabilities {
    /// Checks that every granted folder is a folder this process can open, so a bad
    /// grant is refused when a runtime or tenant is made, not by every task.
    pub(crate) fn check(&self) -> Result<(), (PathBuf, String)> {
        for (host, _) in &self.read_only_dirs {
            match std::fs::metadata(host) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err((host.clone(), "it is not a folder".into())),
                Err(e) => return Err((host.clone(), e.to_string())),
            }
            if let Err(e) = std::fs::read_dir(host) {
                return Err((host.clone(), e.to_string()));
            }
        }
        Ok(())
    }
}

/// `$WASK_CACHE_DIR`, else `$XDG_CACHE_HOME/wask/components`, else `~/.cache/wask/components`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASK_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("wask").join("components"))
}

/// The shared engine and linker; cheap to share across worker threads behind an `Arc`.
pub(crate) struct Sandbox {
    engine: Engine,
    linker: Linker<TaskState>,
    cache: Option<cache::ComponentCache>,
    config: SandboxConfig,
    ticker_stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn engine_error(e: impl std::fmt::Display) -> SetupError {
    SetupError::Engine(format!("{e:#}"))
}

impl Sandbox {
    pub(crate) fn new(config: SandboxConfig) -> Result<Self, SetupError> {
        let mut pool = PoolingAllocationConfig::new();
        let max_instances = config.max_instances.max(1);
        // A wasip2 component built by rustc holds a few core instances (the program,
        // the preview-1 adapter and shims) and up to two memories and tables.
        pool.total_component_instances(max_instances)
            .total_core_instances(max_instances.saturating_mul(8))
            .total_memories(max_instances.saturating_mul(4))
            .total_tables(max_instances.saturating_mul(4))
            .max_memory_size(config.max_memory_bytes);
        if PoolingAllocationConfig::is_pagemap_scan_available() {
            // A freed slot's dirty pages, up to KEEP_RESIDENT bytes of them, are found
            // with the PAGEMAP_SCAN ioctl (Linux 6.7+) and set back to their initial
            // contents in place; the rest is given back to the kernel. The next task
            // on the slot then takes no page faults for them (most of a short task's
            // sandbox cost).
            // Without the ioctl nothing is kept: resetting a fixed prefix by `memset`
            // would cost every task that prefix. Either way the next task sees a
            // freshly initialised memory.
            pool.pagemap_scan(Enabled::Yes)
                .linear_memory_keep_resident(KEEP_RESIDENT)
                .table_keep_resident(TABLE_KEEP_RESIDENT);
        }
        let mut wasm_config = Config::new();
        wasm_config
            .wasm_component_model(true)
            // SIMD on (guests are built with `simd128`); relaxed SIMD stays available
            // for guests that use it, with the same results on every host CPU, so a
            // task gives the same answer wherever it runs.
            .wasm_simd(true)
            .wasm_relaxed_simd(true)
            .relaxed_simd_deterministic(true)
            .epoch_interruption(true)
            .consume_fuel(config.fuel)
            .max_wasm_stack(config.max_wasm_stack)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        if std::env::var_os("WASK_PERFMAP").is_some_and(|v| !v.is_empty()) {
            // For `perf record`: wasmtime writes /tmp/perf-<pid>.map, naming every
            // compiled guest function, so a profile shows where a task's time goes.
            wasm_config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&wasm_config).map_err(|e| {
            SetupError::Engine(format!(
                "cannot set up {max_instances} instance slots with up to {} of memory each: {e:#}; run fewer tasks at once (--parallel) or give each less memory (--max-memory)",
                wask_core::format_bytes(config.max_memory_bytes as u64)
            ))
        })?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(engine_error)?;
        nested::add_to_linker(&mut linker).map_err(engine_error)?;
        let cache = match &config.cache_dir {
            Some(dir) => Some(cache::ComponentCache::open(
                dir,
                &engine,
                config.cache_max_bytes,
            )?),
            None => None,
        };
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = ticker_stop.clone();
            std::thread::Builder::new()
                .name("wask-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|cause| SetupError::Thread {
                    what: "the epoch ticker thread".into(),
                    cause,
                })?
        };
        Ok(Sandbox {
            engine,
            linker,
            cache,
            config,
            ticker_stop,
            ticker: Some(ticker),
        })
    }

    /// Reads, compiles (or loads from the cache) and pre-instantiates a component file.
    pub(crate) fn load(&self, path: &Path) -> Result<TaskComponent, LoadError> {
        let bytes = read_file(path, self.config.max_component_bytes)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        component::load(self, &name, path, &bytes)
    }

    /// Compiles (or loads from the cache) and pre-instantiates component bytes;
    /// `name` names it in messages.
    pub(crate) fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<TaskComponent, LoadError> {
        if bytes.len() as u64 > self.config.max_component_bytes {
            return Err(LoadError::TooLarge {
                path: name.into(),
                limit: self.config.max_component_bytes,
            });
        }
        component::load(self, name, Path::new(name), bytes)
    }

    /// A digest of what, besides a call, can change a task's result: Wask's version,
    /// the engine (wasmtime's version, its settings, the target), the wasm stack size
    /// and whether fuel is metered. Memoised results are keyed by it.
    pub(crate) fn memo_salt(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut salt = cache::engine_key(&self.engine);
        salt.update((self.config.max_wasm_stack as u64).to_le_bytes());
        salt.update([u8::from(self.config.fuel)]);
        salt.finalize().into()
    }

    /// Whether loading these component bytes would find their compiled form in the cache.
    pub(crate) fn is_cached(&self, bytes: &[u8]) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|cache| cache.contains(bytes))
    }
}

/// Reads a component file: a regular file (not a device or pipe that never ends) of at
/// most `max_bytes`.
pub(crate) fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let read_error = |cause| LoadError::Read {
        path: path.to_owned(),
        cause,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(LoadError::NotAFile {
            path: path.to_owned(),
        });
    }
    let too_large = || LoadError::TooLarge {
        path: path.to_owned(),
        limit: max_bytes,
    };
    if meta.len() > max_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file can grow while it is read (or be a /proc file with no size): read one
    // byte past the cap to tell.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}
