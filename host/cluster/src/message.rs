//! What travels between drivers and workers: a task message (what to run) and a
//! result entry (what came of it), both versioned envelopes.
//!
//! An envelope is `WASK`, a kind byte (`T` task, `R` result), a little-endian `u32`
//! header length, a JSON header, then a binary payload: values in Wask's value codec,
//! and for a result the captured stdout and stderr. Values larger than
//! [`INLINE_MAX`] travel through the `wask_values` object store instead, named in the
//! header. A reader refuses another envelope version by name.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use wask_core::{Limits, TaskError, Value, decode_value, encode_value};

use crate::ClusterError;

/// The envelope version this build writes and reads.
pub const VERSION: u32 = 1;

/// Encoded values up to this size travel inline; larger ones through the object store.
pub const INLINE_MAX: usize = 256 << 10;

/// What a worker needs to run a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskHeader {
    pub v: u32,
    /// `<driver>.<index>`: where the result goes.
    pub key: String,
    pub tenant: String,
    /// The component's SHA-256, in hex.
    pub component: String,
    /// The component's file name, for messages.
    pub component_name: String,
    pub function: String,
    pub limits: Limits,
    /// Folders the task may read, as (host path, guest path): granted only if the
    /// worker allows them too.
    pub read_only_dirs: Vec<(PathBuf, String)>,
    pub random_seed: Option<u64>,
    pub max_retries: u32,
    pub priority: i32,
    pub nested: bool,
    /// The arguments' object, when too large to travel inline.
    pub args_object: Option<String>,
}

/// What came of a task, as its worker wrote it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultHeader {
    pub v: u32,
    /// The worker that ran it, and the slot there.
    pub worker: String,
    pub slot: usize,
    /// Runs of the task in all: retries after traps, and earlier deliveries whose
    /// workers were lost.
    pub attempts: u32,
    /// Wall-clock times, nanoseconds since the Unix epoch.
    pub started_ns: u64,
    pub instantiated_ns: Option<u64>,
    pub returned_ns: Option<u64>,
    pub finished_ns: u64,
    /// Why it failed; `None` when it succeeded.
    pub error: Option<TaskError>,
    /// The value's object, when too large to travel inline.
    pub value_object: Option<String>,
    pub stdout_len: usize,
    pub stderr_len: usize,
}

/// Nanoseconds since the Unix epoch.
pub fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The time `ns` nanoseconds after the Unix epoch.
pub fn from_unix_ns(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

fn bad(what: &str, problem: impl std::fmt::Display) -> ClusterError {
    ClusterError::Message {
        what: what.to_owned(),
        problem: problem.to_string(),
    }
}

/// Writes an envelope of `kind` with `header` and `payload`.
pub fn seal<H: Serialize>(kind: u8, header: &H, payload: &[&[u8]]) -> Vec<u8> {
    let json = serde_json::to_vec(header).unwrap_or_default();
    let len = u32::try_from(json.len()).unwrap_or(u32::MAX);
    let total = 9 + json.len() + payload.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"WASK");
    out.push(kind);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&json);
    for part in payload {
        out.extend_from_slice(part);
    }
    out
}

/// Reads an envelope of `kind`: its header and payload.
pub fn open<'b, H: for<'de> Deserialize<'de> + Versioned>(
    kind: u8,
    bytes: &'b [u8],
) -> Result<(H, &'b [u8]), ClusterError> {
    let what = if kind == b'T' {
        "task message"
    } else {
        "result"
    };
    if bytes.len() < 9 || &bytes[..4] != b"WASK" || bytes[4] != kind {
        return Err(bad(what, "it is not a Wask envelope of this kind"));
    }
    let len = u32::from_le_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) as usize;
    let rest = &bytes[9..];
    if rest.len() < len {
        return Err(bad(what, "its header is cut short"));
    }
    let (json, payload) = rest.split_at(len);
    let version: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| bad(what, format!("its header is not JSON: {e}")))?;
    let v = version.get("v").and_then(serde_json::Value::as_u64);
    if v != Some(u64::from(VERSION)) {
        return Err(bad(
            what,
            format!(
                "it has envelope version {}, but this build reads version {VERSION} only",
                v.map_or_else(|| "none".to_owned(), |v| v.to_string())
            ),
        ));
    }
    let header: H = serde_json::from_value(version)
        .map_err(|e| bad(what, format!("its header is bad: {e}")))?;
    Ok((header, payload))
}

/// A header with a version (checked before the rest is read).
pub trait Versioned {}
impl Versioned for TaskHeader {}
impl Versioned for ResultHeader {}

/// The encoded arguments of a task, as one tuple.
pub fn encode_args(args: &[Value]) -> Result<Vec<u8>, ClusterError> {
    encode_value(&Value::Tuple(args.to_vec())).map_err(|e| bad("arguments", e))
}

/// The arguments that [`encode_args`] wrote.
pub fn decode_args(bytes: &[u8]) -> Result<Vec<Value>, ClusterError> {
    match decode_value(bytes).map_err(|e| bad("arguments", e))? {
        Value::Tuple(args) => Ok(args),
        other => Err(bad(
            "arguments",
            format!("expected a tuple, got {}", other.describe()),
        )),
    }
}

/// A decoded value, named for errors.
pub fn decode(what: &str, bytes: &[u8]) -> Result<Value, ClusterError> {
    decode_value(bytes).map_err(|e| bad(what, e))
}

/// An encoded value, named for errors.
pub fn encode(what: &str, value: &Value) -> Result<Vec<u8>, ClusterError> {
    encode_value(value).map_err(|e| bad(what, e))
}

#[cfg(test)]
mod test {
    //! Envelopes round-trip, and other versions and kinds are refused by name.

    use super::*;

    fn header() -> ResultHeader {
        ResultHeader {
            v: VERSION,
            worker: "w1".into(),
            slot: 0,
            attempts: 1,
            started_ns: 1,
            instantiated_ns: None,
            returned_ns: Some(2),
            finished_ns: 3,
            error: Some(TaskError::Cancelled),
            value_object: None,
            stdout_len: 0,
            stderr_len: 0,
        }
    }

    #[test]
    fn an_envelope_round_trips() {
        let sealed = seal(b'R', &header(), &[b"payload"]);
        let (read, payload): (ResultHeader, _) = open(b'R', &sealed).unwrap();
        assert_eq!(read.error, Some(TaskError::Cancelled));
        assert_eq!(payload, b"payload");
    }

    #[test]
    fn another_kind_or_version_is_refused() {
        let sealed = seal(b'R', &header(), &[]);
        assert!(open::<TaskHeader>(b'T', &sealed).is_err());
        let mut newer = header();
        newer.v = 9;
        let sealed = seal(b'R', &newer, &[]);
        let err = open::<ResultHeader>(b'R', &sealed).unwrap_err().to_string();
        assert!(err.contains("version 9"), "{err}");
        assert!(open::<ResultHeader>(b'R', b"WASKR").is_err());
    }

    #[test]
    fn arguments_round_trip() {
        let args = vec![Value::U32(7), Value::bytes(b"abc")];
        assert_eq!(decode_args(&encode_args(&args).unwrap()).unwrap(), args);
    }
}
