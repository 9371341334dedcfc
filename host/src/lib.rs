//! Wask: typed WebAssembly components run as sandboxed, Ray-style tasks.
//!
//! A *task* is a function exported by a WebAssembly component, with a WIT signature.
//! [`Runtime::submit`] queues a call and hands back an [`ObjectRef`] at once;
//! [`Runtime::get`] waits for its value and [`Runtime::wait`] splits refs into ready and
//! pending ones. Each call runs in a fresh sandboxed store on a pool of worker threads.
//!
//! ```no_run
//! use wask::{Runtime, RuntimeConfig};
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let fibonacci = runtime.load("fibonacci.wasm".as_ref())?;
//! let refs: Vec<_> = (0..8)
//!     .map(|_| fibonacci.parse_call("generate-fibonacci(100000)").map(|c| runtime.submit(c)))
//!     .collect::<Result<_, _>>()?;
//! let lengths = runtime.get_all(&refs, None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod object_store;
pub mod runtime;
pub mod sandbox;
pub mod scheduler;
pub mod timeline;

pub use error::{CallError, GetError, LoadError, SetupError, SubmitError, TaskError};
pub use object_store::{ObjectFuture, ObjectId, ObjectRef, StoreConfig, TenantId};
pub use runtime::{Arg, DEFAULT_TENANT, Runtime, RuntimeConfig, TaskOptions, Tenant, TenantConfig};
pub use sandbox::{
    Call, Capabilities, Limit, LimitHit, Limits, TaskComponent, TaskFunction, TaskOutput, Value,
    ValueType,
};
pub use timeline::{TaskSpan, Timeline};
