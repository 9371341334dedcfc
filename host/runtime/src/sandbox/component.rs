//! A loaded component: its `InstancePre`, its exports with their signatures, and the
//! checked [`Call`]s made from it.

use std::path::Path;
use std::sync::Arc;

use sha2::Digest as _;
use wask_core::{CallError, Exports, LoadError, Signature, Value};
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, types::ComponentItem};

use super::invoke::TaskState;
use super::{Sandbox, convert, fast};

/// One exported function of a task component: its WIT signature and where it is.
#[derive(Clone)]
pub struct TaskFunction {
    signature: Signature,
    index: ComponentExportIndex,
    /// Set when the signature moves bytes in a form the bulk path takes.
    fast: Option<fast::Plan>,
}

impl std::fmt::Debug for TaskFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.signature)
    }
}

impl TaskFunction {
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    pub fn name(&self) -> &str {
        self.signature.name()
    }

    pub(super) fn index(&self) -> ComponentExportIndex {
        self.index
    }

    pub(super) fn fast(&self) -> Option<fast::Plan> {
        self.fast
    }
}

/// A component loaded into a sandbox, ready to be called many times. Cheap to clone.
#[derive(Clone)]
pub struct TaskComponent {
    pub(super) inner: Arc<ComponentInner>,
}

pub(super) struct ComponentInner {
    pub(super) pre: InstancePre<TaskState>,
    /// The component's bytes, and their SHA-256: its content id.
    pub(super) bytes: Arc<[u8]>,
    pub(super) digest: [u8; 32],
    pub(super) exports: Exports,
    /// Runtime side of each export, in the order of `exports`.
    pub(super) functions: Vec<TaskFunction>,
    pub(super) imports: Vec<String>,
    pub(super) imports_wasi: bool,
    pub(super) imports_task_host: bool,
    /// Core module instances one instantiation creates (what a store's instance limit
    /// counts), read from the binary.
    pub(super) core_instances: usize,
    pub(super) max_wasm_stack: usize,
    pub(super) fuel: bool,
}

impl std::fmt::Debug for TaskComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskComponent")
            .field("name", &self.name())
            .field("functions", &self.inner.functions)
            .finish_non_exhaustive()
    }
}

impl TaskComponent {
    /// The file name the component was loaded from.
    pub fn name(&self) -> &str {
        self.inner.exports.component()
    }

    /// The component's bytes, as loaded.
    pub fn bytes(&self) -> &Arc<[u8]> {
        &self.inner.bytes
    }

    /// The SHA-256 of the component's bytes: the id by which a cluster ships it.
    pub fn digest(&self) -> [u8; 32] {
        self.inner.digest
    }

    /// The exported functions, with their signatures.
    pub fn functions(&self) -> &[TaskFunction] {
        &self.inner.functions
    }

    /// The signatures of the exports: the component's typed contract.
    pub fn exports(&self) -> &Exports {
        &self.inner.exports
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

    /// Why this component, run with `capabilities`, could give different results for
    /// the same call (so it cannot be memoised), or `None` when it cannot.
    pub(crate) fn impurity(&self, capabilities: &super::Capabilities) -> Option<String> {
        super::wasi::impurity(&self.inner.imports, capabilities)
    }

    pub(crate) fn function(&self, index: usize) -> &TaskFunction {
        &self.inner.functions[index]
    }

    /// The index of an exported function, by name.
    pub fn find(&self, name: &str) -> Result<usize, CallError> {
        self.inner.exports.find(name)
    }

    /// Builds a checked call from a function name and argument values.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<Call, CallError> {
        let (func, args) = self.inner.exports.call(name, args)?;
        Ok(Call::checked(self.clone(), func, args))
    }

    /// Parses a call written in WAVE, such as `fib(100)`, and checks it against the
    /// export's signature. If the component exports exactly one function, the text
    /// may give only the arguments: `(100)` or `100`.
    pub fn parse_call(&self, text: &str) -> Result<Call, CallError> {
        let (func, args) = self.inner.exports.parse_call(text)?;
        Ok(Call::checked(self.clone(), func, args))
    }
}

/// A call checked against its function's signature, ready to run. It is made only by
/// [`TaskComponent::call`] or [`TaskComponent::parse_call`], so it always fits.
#[derive(Debug, Clone)]
pub struct Call {
    component: TaskComponent,
    func: usize,
    args: Vec<Value>,
}

impl Call {
    /// A call whose arguments were checked against the signature already.
    pub(crate) fn checked(component: TaskComponent, func: usize, args: Vec<Value>) -> Call {
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
    pub fn func_idx(&self) -> usize {
        self.func
    }

    pub fn function(&self) -> &TaskFunction {
        self.component.function(self.func)
    }

    pub fn args(&self) -> &[Value] {
        &self.args
    }

    pub(crate) fn into_args(self) -> Vec<Value> {
        self.args
    }
}

/// Checks that `bytes` start as a component does, not as a core module or other file.
pub(crate) fn check_header(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
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

/// Core module instances a component creates when instantiated, from its binary.
fn core_instances(bytes: &[u8]) -> usize {
    wasmparser::Parser::new(0)
        .parse_all(bytes)
        .filter_map(|payload| match payload {
            Ok(wasmparser::Payload::InstanceSection(reader)) => Some(
                reader
                    .into_iter()
                    .filter(|i| matches!(i, Ok(wasmparser::Instance::Instantiate { .. })))
                    .count(),
            ),
            _ => None,
        })
        .sum()
}

/// The component's exported functions, with their signatures in Wask's types; with
/// `bulk_path` off, every call takes the generic path.
fn exported_functions(
    component: &Component,
    engine: &wasmtime::Engine,
    bulk_path: bool,
) -> Vec<TaskFunction> {
    let mut functions = Vec::new();
    for (export_name, item) in component.component_type().exports(engine) {
        let ComponentItem::ComponentFunc(func) = item.ty else {
            continue;
        };
        let Some(index) = component.get_export_index(None, export_name) else {
            continue;
        };
        let params: Vec<_> = func
            .params()
            .map(|(name, ty)| (name.to_owned(), convert::value_type(&ty)))
            .collect();
        let result = func.results().next().map(|ty| convert::value_type(&ty));
        functions.push(TaskFunction {
            fast: fast::plan(&params, result.as_ref()).filter(|_| bulk_path),
            signature: Signature::new(export_name, params, result),
            index,
        });
    }
    functions
}

/// Compiles (or takes from the cache) and pre-instantiates component bytes.
pub(super) fn load(
    sandbox: &Sandbox,
    name: &str,
    path: &Path,
    bytes: &[u8],
) -> Result<TaskComponent, LoadError> {
    check_header(path, bytes)?;
    let component = match &sandbox.cache {
        Some(cache) => cache.get_or_compile(&sandbox.engine, bytes),
        None => Component::new(&sandbox.engine, bytes),
    }
    .map_err(|e| LoadError::Compile {
        path: path.to_owned(),
        message: format!("{e:#}"),
    })?;
    let pre = sandbox
        .linker
        .instantiate_pre(&component)
        .map_err(|e| LoadError::Link {
            path: path.to_owned(),
            message: format!("{e:#}"),
        })?;
    let engine = &sandbox.engine;
    let functions = exported_functions(&component, engine, sandbox.config.bulk_path);
    if functions.is_empty() {
        return Err(LoadError::NoFunctions {
            path: path.to_owned(),
        });
    }
    let imports: Vec<String> = component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let exports = Exports::new(
        name,
        functions.iter().map(|f| f.signature.clone()).collect(),
    );
    Ok(TaskComponent {
        inner: Arc::new(ComponentInner {
            pre,
            digest: sha2::Sha256::digest(bytes).into(),
            bytes: bytes.into(),
            exports,
            functions,
            imports_wasi: imports.iter().any(|name| name.starts_with("wasi:")),
            imports_task_host: imports.iter().any(|name| name.starts_with("wask:runtime/")),
            imports,
            core_instances: core_instances(bytes),
            max_wasm_stack: sandbox.config.max_wasm_stack,
            fuel: sandbox.config.fuel,
        }),
    })
}
