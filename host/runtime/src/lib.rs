//! Wask: typed WebAssembly components run as sandboxed, Ray-style tasks.
//!
//! A *task* is a function exported by a WebAssembly component, with a WIT signature.
//! [`Tenant::submit`] queues a call and hands back an [`ObjectRef`] at once;
//! [`Tenant::get`] waits for its value and [`Tenant::wait`] splits refs into ready and
//! pending ones. Each call runs in a fresh sandboxed store on a pool of worker threads.
//! A [`Runtime`] is also its default tenant, so these are called on the runtime too.
//!
//! ```no_run
//! use wask::{Runtime, RuntimeConfig};
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let fibonacci = runtime.load("fibonacci.wasm".as_ref())?;
//! let refs: Vec<_> = (0..8)
//!     .map(|_| runtime.submit(fibonacci.parse_call("generate-fibonacci(100000)")?))
//!     .collect::<Result<_, _>>()?;
//! let lengths = runtime.get_all(&refs, None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Values, WIT types, ids, limits and errors come from `wask-core`, which has no
//! WebAssembly engine in it; they are re-exported here.

// Library code reports failures as values; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod entries;
mod inspect;
mod object_store;
mod runtime;
mod sandbox;
mod scheduler;
mod spin;
mod timeline;

pub use inspect::{Inspection, inspect};
pub use object_store::{ObjectFuture, ObjectRef, OutputFuture, RunInfo, StoreConfig};
pub use runtime::{
    Arg, DEFAULT_TENANT, Executor, MemoStats, RemoteTask, Runtime, RuntimeConfig, TaskBuilder,
    TaskEvent, TaskObserver, TaskOptions, Tenant, TenantConfig, default_memo_dir,
};
pub use sandbox::{
    Call, Capabilities, SandboxConfig, TaskComponent, TaskFunction, default_cache_dir,
};
pub use timeline::{TaskSpan, Timeline};
pub use wask_core::{
    CallError, CodecError, Exports, GetError, InspectError, Limit, LimitHit, Limits, LoadError,
    ObjectId, SetupError, Signature, SubmitError, TaskError, TaskOutput, TenantId, Value,
    ValueType,
};

/// The README's Rust examples, compiled as doc tests so they cannot fall behind the API.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
