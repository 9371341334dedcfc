//! Errors at the library boundary: one enum per stage a caller branches on.
//!
//! Text a guest controls (a panic message, say) is shown with its control characters
//! escaped, so an error printed to a terminal cannot carry raw escape sequences.

use std::path::PathBuf;
use std::time::Duration;

use crate::ids::{ObjectId, TenantId};
use crate::limits::LimitHit;

/// The sandbox could not be set up (engine configuration, cache folder).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("sandbox setup failed: {0}")]
    Engine(String),
    #[error(
        "the {what} asks for a fuel limit, but this runtime meters no fuel; turn on fuel in the sandbox settings (host run --fuel)"
    )]
    FuelOff { what: String },
    #[error("cannot grant read access to {path}: {problem}")]
    Capability { path: PathBuf, problem: String },
    #[error("cannot start {what}: {cause}")]
    Thread { what: String, cause: std::io::Error },
    #[error("cannot use compiled-component cache folder {path}: {cause}")]
    CacheDir {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// A component file could not be turned into something that can run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read component {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path} is not a regular file: a component is read from a file")]
    NotAFile { path: PathBuf },
    #[error(
        "{path} is larger than the limit of {} for a component (host run --max-component-size)",
        crate::limits::format_bytes(*limit)
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error(
        "{path} is not a WebAssembly component: it does not start with the wasm magic bytes \\0asm"
    )]
    NotWasm { path: PathBuf },
    #[error(
        "{path} is a core WebAssembly module, not a component: build the guest for wasm32-wasip2, or wrap it with `wasm-tools component new`"
    )]
    CoreModule { path: PathBuf },
    #[error("{path} is not a valid component: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("{path} failed to compile: {message}")]
    Compile { path: PathBuf, message: String },
    #[error("{path} needs imports this host does not provide: {message}")]
    Link { path: PathBuf, message: String },
    #[error(
        "{path} exports no functions: a task component must export at least one typed function"
    )]
    NoFunctions { path: PathBuf },
}

/// A call was rejected before anything ran: it does not fit the export's WIT signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error(
        "unknown function `{name}`{}; {component} exports: {available}",
        suggestion.as_ref().map(|s| format!("; did you mean `{s}`? (WIT names are kebab-case)")).unwrap_or_default()
    )]
    UnknownFunction {
        name: String,
        component: String,
        available: String,
        /// The export the name was probably meant to be (`count-words` for `count_words`).
        suggestion: Option<String>,
    },
    #[error(
        "`{func}` takes {expected} argument{s} ({signature}), but {given} {were} given",
        s = if *expected == 1 { "" } else { "s" },
        were = if *given == 1 { "was" } else { "were" }
    )]
    WrongArity {
        func: String,
        signature: String,
        expected: usize,
        given: usize,
    },
    #[error("argument {position} (`{param}`) of `{func}`: expected {expected}, {problem}")]
    WrongType {
        func: String,
        position: usize,
        param: String,
        expected: String,
        problem: String,
    },
    #[error(
        "cannot parse call `{text}`: {message}; expected a WAVE call such as `name(arg1, arg2)`"
    )]
    Syntax { text: String, message: String },
    #[error(
        "`{text}` gives only arguments, which works only when the component exports exactly one function; {component} exports: {available}"
    )]
    AmbiguousFunction {
        text: String,
        component: String,
        available: String,
    },
}

/// Why a task produced no value. Stored in the task's own ref; it never unwinds a
/// worker. It serialises, so a cluster worker can send it to the task's owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum TaskError {
    /// The guest trapped; a Rust guest's panic message is taken from its stderr.
    #[error("task trapped: {}{}", escape_control(message), panic_suffix(panic.as_deref()))]
    Trap {
        message: String,
        panic: Option<String>,
        stderr: String,
    },
    /// The task hit one of its limits (the deadline among them).
    #[error("task exceeded its {0}")]
    LimitExceeded(LimitHit),
    #[error("task was cancelled")]
    Cancelled,
    /// The object store could not keep the result (spilling it to disk failed).
    #[error("{0}")]
    Store(String),
    /// An input ref of the task failed, so the task never ran. `object` is the task
    /// that failed first in the chain, and `error` why.
    #[error("upstream task `{function}` ({object}) failed: {error}")]
    Upstream {
        object: ObjectId,
        function: String,
        error: Box<TaskError>,
    },
    #[error(
        "the result of {needed} bytes does not fit the tenant's object-store quota ({used} of {quota} bytes in use)"
    )]
    QuotaExceeded {
        needed: usize,
        used: usize,
        quota: usize,
    },
    #[error("task could not be instantiated: {}", escape_control(.0))]
    Instantiate(String),
    #[error("the runtime shut down before the task finished")]
    Shutdown,
    #[error("the host panicked while running the task: {0}")]
    HostPanic(String),
    /// The cluster worker running the task stopped (was killed, crashed or lost its
    /// connection) on the last attempt the task had.
    #[error(
        "the task's worker {worker} was lost during its attempt {attempts}, and no attempts are left"
    )]
    WorkerLost { worker: String, attempts: u32 },
    /// The cluster could not run the task: a worker could not fetch, verify or compile
    /// its component, say.
    #[error("{}", escape_control(.0))]
    Cluster(String),
}

fn panic_suffix(panic: Option<&str>) -> String {
    panic
        .map(|p| format!("; guest {}", escape_control(p)))
        .unwrap_or_default()
}

/// The text with every control character (and other non-printing ones) written as an
/// escape such as `\u{1b}`, so it prints safely on one terminal line.
pub fn escape_control(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if needs_escape(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `get` returned no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetError {
    #[error("timed out after {timeout:?} waiting for {id}")]
    Timeout { id: ObjectId, timeout: Duration },
    #[error("{id} failed: {error}")]
    Task { id: ObjectId, error: TaskError },
    #[error("wait asked for {num_returns} ready refs out of only {n_refs}")]
    NumReturns { num_returns: usize, n_refs: usize },
    #[error("{id} was made by another runtime's object store, not this one")]
    ForeignStore { id: ObjectId },
    #[error("{id} was freed: its last ref was dropped")]
    Freed { id: ObjectId },
    #[error("{id} belongs to tenant `{owner}`, not to tenant `{caller}`")]
    ForeignRef {
        id: ObjectId,
        owner: TenantId,
        caller: TenantId,
    },
}

/// `host inspect` could not list a component's exports.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// A submission was refused; nothing was queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error(
        "the task asks for a fuel limit, but this runtime meters no fuel; turn on fuel in the sandbox settings (host run --fuel)"
    )]
    FuelOff,
    #[error("unknown tenant `{0}`; add it with Runtime::add_tenant first")]
    UnknownTenant(TenantId),
    #[error("tenant `{0}` exists already")]
    DuplicateTenant(TenantId),
    #[error("tenant id `{0}` is not allowed: use 1 to 64 letters, digits, `-` or `_`")]
    BadTenantId(String),
    #[error("cannot grant read access to {path}: {problem}")]
    BadCapability { path: PathBuf, problem: String },
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(
        "{id} belongs to tenant `{owner}`, not to tenant `{caller}`, so it cannot be an argument"
    )]
    ForeignRef {
        id: ObjectId,
        owner: TenantId,
        caller: TenantId,
    },
    #[error("cannot use that ref as an argument: {0}")]
    BadRef(GetError),
    #[error("`{func}` returns {result}, not a tuple, so its result cannot be split into refs")]
    NotATuple { func: String, result: String },
    #[error("`{func}` of {component} cannot be memoised: {reason}")]
    Impure {
        component: String,
        func: String,
        /// What lets the task observe the world outside it: an import or a capability.
        reason: String,
    },
    #[error("memoisation is unavailable: {0}")]
    MemoUnavailable(String),
}
