//! The core of Wask, with no WebAssembly engine in it: values and their WIT types,
//! signatures and the checks of a call, WAVE and JSON, the binary value codec, ids,
//! limits and the error enums.
//!
//! Everything here is plain data that can cross threads, processes and machines. The
//! runtime (`wask`) reads types from components with wasmtime and turns them into
//! these; a cluster worker or an HTTP front door can use them without wasmtime.

// Library code reports failures as values; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod codec;
mod error;
mod ids;
mod json;
mod limits;
mod signature;
mod types;
mod value;
mod wave;

pub use codec::{CODEC_VERSION, CodecError, MAX_DEPTH, decode_value, encode_value};
pub use error::{
    CallError, GetError, InspectError, LoadError, SetupError, SubmitError, TaskError,
    escape_control,
};
pub use ids::{ObjectId, TenantId};
pub use limits::{Limit, LimitHit, Limits, format_bytes};
pub use signature::{Exports, Signature};
pub use types::{Case, Field, ValueType};
pub use value::{TaskOutput, Value};
pub use wave::{MAX_NESTING, parse_value, quote};
