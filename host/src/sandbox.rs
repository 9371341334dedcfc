//! The sandbox: the one module that owns wasmtime's engine, linker and stores.
//!
//! A *task component* is a WebAssembly component whose exported functions are tasks.
//! Loading one compiles it once (or loads the compiled artifact from the on-disk cache)
//! and pre-instantiates it into an [`InstancePre`]. Every invocation then gets its own
//! fresh [`Store`]: that store, with its own linear memory and WASI context, is the
//! sandbox boundary, and it is dropped as soon as the call returns or traps.
//!
//! Nothing outside this module names a wasmtime type except through the aliases
//! re-exported here ([`ValueType`]); values are Wask's own [`Value`].

mod cache;
mod codec;
mod fast;
mod limits;
mod types;
mod value;
mod wave;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::component::{
    Component, ComponentExportIndex, InstancePre, Linker, ResourceTable, Val, types::ComponentItem,
};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    UpdateDeadline,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::error::{CallError, LoadError, SetupError, TaskError};

pub use self::codec::{CodecError, decode_value, encode_value};
use self::limits::TaskLimiter;
pub use self::limits::{Limit, LimitHit, Limits};
pub use self::value::{Value, bytes_value, value_bytes, value_size};
pub use self::wave::{value_to_json, value_to_wave};
/// The WIT type of a [`Value`], as read from a component's exports.
pub use wasmtime::component::types::Type as ValueType;

/// The WIT spelling of a type, such as `list<u8>`.
pub fn wit_type(ty: &ValueType) -> String {
    types::wit_type(ty)
}

/// Whether a parameter of this type takes raw bytes (`list<u8>`).
pub fn is_bytes_type(ty: &ValueType) -> bool {
    matches!(ty, ValueType::List(l) if matches!(l.ty(), ValueType::U8))
}

/// How often the epoch ticker advances; deadlines are measured in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Settings of the sandbox shared by every task.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Folder for compiled components (`None` compiles every time).
    pub cache_dir: Option<PathBuf>,
    /// Component instances that may be alive at once (sizes the pooling allocator).
    pub max_instances: u32,
    /// Largest linear memory any instance may reserve, in bytes: the ceiling of every
    /// task's [`Limits::max_memory_bytes`].
    pub max_memory_bytes: usize,
    /// Wasm stack each call may use, in bytes (wasmtime sets it per engine).
    pub max_wasm_stack: usize,
    /// Meter fuel, so tasks can be given [`Limits::fuel`] (costs some speed).
    pub fuel: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            cache_dir: default_cache_dir(),
            max_instances: 64,
            max_memory_bytes: Limits::default().max_memory_bytes,
            max_wasm_stack: 512 << 10,
            fuel: false,
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

/// What a running task may ask of its runtime through the `wask:runtime/tasks`
/// import: nested tasks. The runtime implements it; calls and results are WAVE text.
pub trait TaskHost: Send + Sync {
    /// Queues a call of the calling component; gives a handle for [`TaskHost::get`].
    fn submit(&self, call: &str) -> Result<u64, String>;
    /// Waits for a task submitted through [`TaskHost::submit`]: its result in WAVE.
    fn get(&self, handle: u64) -> Result<String, String>;
}

/// How one invocation runs: its limits, capabilities, cancellation flag and host.
#[derive(Clone, Default)]
pub struct InvokeOptions {
    pub limits: Limits,
    pub capabilities: Arc<Capabilities>,
    /// Set to interrupt the running task; it then ends with [`TaskError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Serves the task's nested-task calls (none: such calls fail with an error).
    pub host: Option<Arc<dyn TaskHost>>,
}

impl std::fmt::Debug for InvokeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvokeOptions")
            .field("limits", &self.limits)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

/// A task's result with what it wrote to stdout and stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutput {
    pub value: Value,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
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

/// Per-store state. A component that imports nothing never touches `wasi`, so it is
/// built only for components that import WASI.
struct TaskState {
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limiter: TaskLimiter,
    /// When the deadline passes (checked at each epoch tick).
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
    /// Why the epoch callback interrupted the task.
    interrupted: Option<TaskError>,
    host: Option<Arc<dyn TaskHost>>,
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(|| WasiCtx::builder().build()),
            table: &mut self.table,
        }
    }
}

/// The shared engine and linker; cheap to share across worker threads behind an `Arc`.
pub struct Sandbox {
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
            .finish()
    }
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Result<Self, SetupError> {
        let mut pool = PoolingAllocationConfig::new();
        let max_instances = config.max_instances.max(1);
        // A wasip2 component built by rustc holds a few core instances (the program,
        // the preview-1 adapter and shims) and up to two memories and tables.
        pool.total_component_instances(max_instances)
            .total_core_instances(max_instances * 8)
            .total_memories(max_instances * 4)
            .total_tables(max_instances * 4)
            .max_memory_size(config.max_memory_bytes);
        let mut wasm_config = Config::new();
        wasm_config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .consume_fuel(config.fuel)
            .max_wasm_stack(config.max_wasm_stack)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm_config).map_err(|e| SetupError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| SetupError::Engine(format!("{e:#}")))?;
        add_task_host_to_linker(&mut linker).map_err(|e| SetupError::Engine(format!("{e:#}")))?;
        let cache = match &config.cache_dir {
            Some(dir) => Some(cache::ComponentCache::open(dir, &engine)?),
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
                .map_err(|e| SetupError::Engine(format!("cannot start the epoch ticker: {e}")))?
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
    pub fn load(&self, path: &Path) -> Result<TaskComponent, LoadError> {
        let bytes = std::fs::read(path).map_err(|cause| LoadError::Read {
            path: path.to_owned(),
            cause,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        self.load_bytes(&name, path, &bytes)
    }

    fn load_bytes(
        &self,
        name: &str,
        path: &Path,
        bytes: &[u8],
    ) -> Result<TaskComponent, LoadError> {
        check_header(path, bytes)?;
        let component = match &self.cache {
            Some(cache) => cache.get_or_compile(&self.engine, bytes),
            None => Component::new(&self.engine, bytes),
        }
        .map_err(|e| LoadError::Compile {
            path: path.to_owned(),
            message: format!("{e:#}"),
        })?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link {
                path: path.to_owned(),
                message: format!("{e:#}"),
            })?;
        let mut functions = Vec::new();
        for (export_name, item) in component.component_type().exports(&self.engine) {
            if let ComponentItem::ComponentFunc(func) = item.ty {
                let index = component
                    .get_export_index(None, export_name)
                    .expect("an export listed by the component type has an index");
                let params: Vec<(String, ValueType)> = func
                    .params()
                    .map(|(name, ty)| (name.to_owned(), ty))
                    .collect();
                let result = func.results().next();
                functions.push(TaskFunction {
                    name: export_name.into(),
                    fast: fast::shape_of(&params, result.as_ref()),
                    params,
                    result,
                    index,
                });
            }
        }
        if functions.is_empty() {
            return Err(LoadError::NoFunctions {
                path: path.to_owned(),
            });
        }
        let imports: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let imports_wasi = imports.iter().any(|name| name.starts_with("wasi:"));
        let imports_task_host = imports.iter().any(|name| name.starts_with("wask:runtime/"));
        Ok(TaskComponent {
            inner: Arc::new(ComponentInner {
                name: name.to_owned(),
                pre,
                functions,
                imports,
                imports_wasi,
                imports_task_host,
                max_wasm_stack: self.config.max_wasm_stack,
                fuel: self.config.fuel,
            }),
        })
    }

    /// Whether loading `path` would find its compiled form in the cache.
    pub fn is_cached(&self, bytes: &[u8]) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|cache| cache.contains(bytes))
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}

fn check_header(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(LoadError::NotWasm {
            path: path.to_owned(),
        });
    }
    // Bytes 4..8: version and layer. Layer 0 is a core module, layer 1 a component.
    if bytes[6..8] == [0, 0] {
        return Err(LoadError::CoreModule {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// One exported function of a task component, with its WIT signature.
#[derive(Clone)]
pub struct TaskFunction {
    /// Shared, so each submission can name its producer without a copy.
    name: Arc<str>,
    params: Vec<(String, ValueType)>,
    result: Option<ValueType>,
    index: ComponentExportIndex,
    /// Set when the signature moves bytes in a form the bulk path takes.
    fast: Option<fast::Shape>,
}

impl std::fmt::Debug for TaskFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.signature())
    }
}

impl TaskFunction {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn params(&self) -> impl ExactSizeIterator<Item = (&str, &ValueType)> {
        self.params.iter().map(|(n, t)| (n.as_str(), t))
    }

    pub fn result(&self) -> Option<&ValueType> {
        self.result.as_ref()
    }

    /// The WIT signature, as `name: func(a: u32) -> string`.
    pub fn signature(&self) -> String {
        types::signature(&self.name, &self.params, self.result.as_ref())
    }

    /// Writes a `list<u8>` argument given as a list of `u8` values as bytes, the form
    /// Wask keeps them in (and the bulk path takes).
    pub fn normalize_args(&self, args: Vec<Value>) -> Vec<Value> {
        args.into_iter()
            .enumerate()
            .map(|(position, arg)| match (&arg, self.params.get(position)) {
                (Value::List(_), Some((_, ty))) if is_bytes_type(ty) => {
                    value_bytes(&arg).map_or(arg, |bytes| Value::Bytes(bytes.into()))
                }
                _ => arg,
            })
            .collect()
    }

    /// Checks one argument against parameter `position` (from 0).
    pub fn check_arg(&self, position: usize, arg: &Value) -> Result<(), CallError> {
        let (param, ty) = &self.params[position];
        types::check_value(arg, ty).map_err(|problem| CallError::WrongType {
            func: self.name.to_string(),
            position: position + 1,
            param: param.clone(),
            expected: types::wit_type(ty),
            problem,
        })
    }

    /// Checks that a value of type `ty` fits parameter `position` (from 0).
    pub fn check_arg_type(&self, position: usize, ty: &ValueType) -> Result<(), CallError> {
        let (param, expected) = &self.params[position];
        if types::same_type(ty, expected) {
            return Ok(());
        }
        Err(CallError::WrongType {
            func: self.name.to_string(),
            position: position + 1,
            param: param.clone(),
            expected: types::wit_type(expected),
            problem: format!("got a ref to {}", types::wit_type(ty)),
        })
    }

    /// The arity error for `given` arguments.
    pub fn wrong_arity(&self, given: usize) -> CallError {
        self.arity_error(given)
    }

    /// Checks `args` against this function's parameters, naming the first mismatch.
    pub fn check_args(&self, args: &[Value]) -> Result<(), CallError> {
        if args.len() != self.params.len() {
            return Err(self.arity_error(args.len()));
        }
        for (position, arg) in args.iter().enumerate() {
            self.check_arg(position, arg)?;
        }
        Ok(())
    }

    fn arity_error(&self, given: usize) -> CallError {
        CallError::WrongArity {
            func: self.name.to_string(),
            signature: self.signature(),
            expected: self.params.len(),
            given,
        }
    }
}

/// A compiled, pre-instantiated component: cheap to clone and share across workers.
#[derive(Clone)]
pub struct TaskComponent {
    inner: Arc<ComponentInner>,
}

struct ComponentInner {
    name: String,
    pre: InstancePre<TaskState>,
    functions: Vec<TaskFunction>,
    /// The interfaces the component imports, by name.
    imports: Vec<String>,
    /// Whether the component imports any WASI interface (else it gets no WASI context).
    imports_wasi: bool,
    /// Whether it imports `wask:runtime/tasks` (else it gets no nested-task host).
    imports_task_host: bool,
    max_wasm_stack: usize,
    fuel: bool,
}

impl std::fmt::Debug for TaskComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskComponent")
            .field("name", &self.inner.name)
            .field("functions", &self.inner.functions)
            .finish()
    }
}

/// When the phases of one invocation ended, for timelines.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// The fresh instance was ready.
    pub instantiated: Option<Instant>,
    /// The export returned (or trapped).
    pub returned: Option<Instant>,
}

/// Index of a function within its [`TaskComponent`].
pub type FuncIdx = usize;

/// A call checked against its function's signature, ready to run. It is made only by
/// [`TaskComponent::call`] or [`TaskComponent::parse_call`], so it always fits.
#[derive(Debug, Clone)]
pub struct Call {
    component: TaskComponent,
    func: FuncIdx,
    args: Vec<Value>,
}

impl Call {
    /// A call whose arguments the caller has checked against the signature already.
    pub(crate) fn checked(component: TaskComponent, func: FuncIdx, args: Vec<Value>) -> Call {
        Call {
            component,
            func,
            args,
        }
    }

    pub fn component(&self) -> &TaskComponent {
        &self.component
    }

    /// The index of the called function in its component.
    pub fn func_idx(&self) -> FuncIdx {
        self.func
    }

    pub fn function(&self) -> &TaskFunction {
        self.component.function(self.func)
    }

    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// Runs the call in a fresh store; see [`TaskComponent::invoke`].
    pub fn invoke(&self, options: &InvokeOptions) -> Result<TaskOutput, TaskError> {
        self.component
            .invoke(self.func, &self.args, options, &mut Phases::default())
    }

    /// [`Call::invoke`], noting when each phase ended.
    pub fn invoke_traced(
        &self,
        options: &InvokeOptions,
        phases: &mut Phases,
    ) -> Result<TaskOutput, TaskError> {
        self.component
            .invoke(self.func, &self.args, options, phases)
    }
}

impl TaskComponent {
    /// The file name the component was loaded from.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn functions(&self) -> &[TaskFunction] {
        &self.inner.functions
    }

    /// The interfaces the component imports, such as `wasi:cli/stdout@0.2.6`. A
    /// component that imports none runs without any WASI context.
    pub fn imports(&self) -> &[String] {
        &self.inner.imports
    }

    /// Whether the component imports `wask:runtime/tasks`, to submit nested tasks.
    pub fn imports_task_host(&self) -> bool {
        self.inner.imports_task_host
    }

    pub fn function(&self, idx: FuncIdx) -> &TaskFunction {
        &self.inner.functions[idx]
    }

    /// Finds an exported function by name.
    pub fn find(&self, name: &str) -> Result<FuncIdx, CallError> {
        self.inner
            .functions
            .iter()
            .position(|f| &*f.name == name)
            .ok_or_else(|| CallError::UnknownFunction {
                name: name.to_owned(),
                component: self.inner.name.clone(),
                available: self.export_list(),
            })
    }

    fn export_list(&self) -> String {
        let names: Vec<_> = self.inner.functions.iter().map(|f| f.signature()).collect();
        names.join(", ")
    }

    /// Builds a checked call from a function name and argument values.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<Call, CallError> {
        let func = self.find(name)?;
        let args = self.function(func).normalize_args(args);
        self.function(func).check_args(&args)?;
        Ok(Call {
            component: self.clone(),
            func,
            args,
        })
    }

    /// Parses a call written in WAVE, such as `fib(100)`, and checks it against the
    /// export's signature. If the component exports exactly one function, the text
    /// may give only the arguments: `(100)` or `100`.
    pub fn parse_call(&self, text: &str) -> Result<Call, CallError> {
        wave::parse_call(self, text)
    }

    /// Runs an export in a fresh store and returns its result (`()` for none) with
    /// its captured output. The arguments must fit the signature: use [`Call`], which
    /// is checked when made.
    ///
    /// This is the sandbox boundary: the store, its memory and its WASI context exist
    /// only for this call. A trap, including a guest panic, and every limit hit come
    /// back as a [`TaskError`].
    pub fn invoke(
        &self,
        func: FuncIdx,
        args: &[Value],
        options: &InvokeOptions,
        phases: &mut Phases,
    ) -> Result<TaskOutput, TaskError> {
        let inner = &*self.inner;
        let func = &inner.functions[func];
        let limits = &options.limits;
        let stdout = MemoryOutputPipe::new(limits.max_stdout_bytes);
        let stderr = MemoryOutputPipe::new(limits.max_stderr_bytes);
        let wasi = if inner.imports_wasi {
            Some(wasi_ctx(&options.capabilities, &stdout, &stderr)?)
        } else {
            None
        };
        let mut store = Store::new(
            inner.pre.engine(),
            TaskState {
                wasi,
                table: ResourceTable::new(),
                limiter: TaskLimiter::new(*limits),
                deadline: limits.deadline.map(|d| Instant::now() + d),
                cancel: options.cancel.clone(),
                interrupted: None,
                host: options.host.clone(),
            },
        );
        store.limiter(|state| &mut state.limiter);
        if inner.fuel {
            let fuel = limits.fuel.unwrap_or(u64::MAX);
            store.set_fuel(fuel).expect("fuel is on in this engine");
        }
        if limits.deadline.is_some() || options.cancel.is_some() {
            // Checked at every epoch tick: cheap, and it reaches a task in a loop.
            store.set_epoch_deadline(1);
            let deadline_ms = limits.deadline.map_or(0, |d| d.as_millis() as u64);
            store.epoch_deadline_callback(move |mut ctx| {
                let state = ctx.data_mut();
                if state
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed))
                {
                    state.interrupted = Some(TaskError::Cancelled);
                    return Ok(UpdateDeadline::Interrupt);
                }
                if state.deadline.is_some_and(|d| Instant::now() >= d) {
                    state.interrupted = Some(TaskError::LimitExceeded(LimitHit {
                        limit: Limit::Deadline,
                        value: deadline_ms,
                    }));
                    return Ok(UpdateDeadline::Interrupt);
                }
                Ok(UpdateDeadline::Continue(1))
            });
        } else {
            store.set_epoch_deadline(u64::MAX / 2);
        }
        let instance = match inner.pre.instantiate(&mut store) {
            Ok(instance) => instance,
            Err(e) => {
                let message = format!("{e:#}");
                if message.contains("count too high") || message.contains("instance limit") {
                    return Err(TaskError::LimitExceeded(LimitHit {
                        limit: Limit::Instances,
                        value: limits.max_instances as u64,
                    }));
                }
                if let Some(hit) = store.data().limiter.hit {
                    return Err(TaskError::LimitExceeded(hit));
                }
                return Err(TaskError::Instantiate(message));
            }
        };
        phases.instantiated = Some(Instant::now());
        let called = match func
            .fast
            .and_then(|shape| fast::call(shape, &instance, &mut store, func.index, args))
        {
            Some(result) => result.map(|value| Some(Ok(value))),
            None => {
                let f = instance
                    .get_func(&mut store, func.index)
                    .expect("an export found at load time exists in every instance");
                let vals: Vec<Val> = args.iter().map(value::to_val).collect();
                let mut results = vec![Val::Bool(false); usize::from(func.result.is_some())];
                f.call(&mut store, &vals, &mut results).map(|()| {
                    results.pop().map(|val| {
                        let ty = func.result.as_ref().expect("a result has a type");
                        value::from_val(val, ty)
                    })
                })
            }
        };
        phases.returned = Some(Instant::now());
        let captured = |pipe: &MemoryOutputPipe| pipe.contents().to_vec();
        let result = match called {
            Ok(result) => result,
            Err(e) => {
                let state = store.data_mut();
                let stderr_text = String::from_utf8_lossy(&stderr.contents()).into_owned();
                return Err(classify_trap(
                    &e,
                    state,
                    limits,
                    inner.max_wasm_stack,
                    (&stdout, &stderr),
                    stderr_text,
                ));
            }
        };
        // The capture refuses writes past its limit, so a full capture means the task
        // wrote (or tried to write) more than it may.
        for (pipe, limit, max) in [
            (&stdout, Limit::Stdout, limits.max_stdout_bytes),
            (&stderr, Limit::Stderr, limits.max_stderr_bytes),
        ] {
            if max > 0 && pipe.contents().len() >= max {
                return Err(TaskError::LimitExceeded(LimitHit {
                    limit,
                    value: max as u64,
                }));
            }
        }
        let value = match result {
            None => Value::Tuple(Vec::new()),
            Some(Ok(value)) => value,
            Some(Err(problem)) => {
                return Err(TaskError::Trap {
                    message: format!("the task returned {problem}"),
                    panic: None,
                    stderr: String::new(),
                });
            }
        };
        let size = value_size(&value);
        if size > limits.max_result_bytes {
            return Err(TaskError::LimitExceeded(LimitHit {
                limit: Limit::ResultSize,
                value: limits.max_result_bytes as u64,
            }));
        }
        Ok(TaskOutput {
            value,
            stdout: captured(&stdout),
            stderr: captured(&stderr),
        })
    }
}

/// Defines `wask:runtime/tasks` (see wit/runtime.wit) on top of the store's [`TaskHost`].
fn add_task_host_to_linker(linker: &mut Linker<TaskState>) -> wasmtime::Result<()> {
    let mut tasks = linker.instance("wask:runtime/tasks")?;
    let no_host = || "this runtime offers no nested tasks here".to_owned();
    tasks.func_wrap(
        "submit",
        move |store: wasmtime::StoreContextMut<'_, TaskState>, (call,): (String,)| {
            let host = store.data().host.clone();
            Ok((host.map_or_else(|| Err(no_host()), |h| h.submit(&call)),))
        },
    )?;
    tasks.func_wrap(
        "get",
        move |store: wasmtime::StoreContextMut<'_, TaskState>, (handle,): (u64,)| {
            let host = store.data().host.clone();
            Ok((host.map_or_else(|| Err(no_host()), |h| h.get(handle)),))
        },
    )?;
    Ok(())
}

/// The WASI context of one task: only what its capabilities grant.
fn wasi_ctx(
    capabilities: &Capabilities,
    stdout: &MemoryOutputPipe,
    stderr: &MemoryOutputPipe,
) -> Result<WasiCtx, TaskError> {
    let mut builder = WasiCtx::builder();
    builder.stdout(stdout.clone()).stderr(stderr.clone());
    for (host, guest) in &capabilities.read_only_dirs {
        builder
            .preopened_dir(host, guest, wasmtime_wasi::FsPerms::ReadOnly)
            .map_err(|e| {
                TaskError::Instantiate(format!(
                    "cannot open granted folder {} for the guest: {e}",
                    host.display()
                ))
            })?;
    }
    if let Some(seed) = capabilities.random_seed {
        let stream = seeded_bytes(seed, 1 << 16);
        builder
            .secure_random(wasmtime_wasi::Deterministic::new(stream.clone()))
            .insecure_random(wasmtime_wasi::Deterministic::new(stream))
            .insecure_random_seed(u128::from(seed));
    }
    Ok(builder.build())
}

/// `len` bytes of SplitMix64 output from `seed`: the cycle a seeded task's random
/// numbers are drawn from.
fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Names why a call failed: an interruption (cancel, deadline), a limit the guest
/// ran into, or a plain trap with the guest's panic message.
fn classify_trap(
    e: &wasmtime::Error,
    state: &mut TaskState,
    limits: &Limits,
    max_wasm_stack: usize,
    (stdout, stderr): (&MemoryOutputPipe, &MemoryOutputPipe),
    stderr_text: String,
) -> TaskError {
    if let Some(reason) = state.interrupted.take() {
        return reason;
    }
    let trap = e.downcast_ref::<Trap>();
    let hit = |limit, value: u64| TaskError::LimitExceeded(LimitHit { limit, value });
    match trap {
        Some(Trap::OutOfFuel) => return hit(Limit::Fuel, limits.fuel.unwrap_or(0)),
        Some(Trap::StackOverflow) => return hit(Limit::Stack, max_wasm_stack as u64),
        _ => {}
    }
    if let Some(limit_hit) = state.limiter.hit {
        return TaskError::LimitExceeded(limit_hit);
    }
    if format!("{e:#}").contains("write beyond capacity") {
        // The pipe refused a write: name the one that is (nearly) full.
        let out_room = limits.max_stdout_bytes - stdout.contents().len();
        let err_room = limits.max_stderr_bytes - stderr.contents().len();
        return if out_room <= err_room {
            hit(Limit::Stdout, limits.max_stdout_bytes as u64)
        } else {
            hit(Limit::Stderr, limits.max_stderr_bytes as u64)
        };
    }
    TaskError::Trap {
        message: trap_message(e),
        panic: panic_message(&stderr_text),
        stderr: stderr_text,
    }
}

/// The trap's own words, without wasmtime's multi-line backtrace.
fn trap_message(e: &wasmtime::Error) -> String {
    match e.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => e.to_string(),
    }
}

/// A Rust guest's panic, from the standard library's report on stderr:
/// `thread '<unnamed>' panicked at src/lib.rs:9:5:` then the message, then a `note:`.
/// Gives `panicked at src/lib.rs:9:5: message` on one line.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines();
    let header = lines.by_ref().find(|l| l.contains(" panicked at "))?;
    let location = header[header.find("panicked at ")?..].trim_end_matches(':');
    let message: Vec<&str> = lines
        .take_while(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    Some(format!("{location}: {}", message.join(" ").trim()))
}
