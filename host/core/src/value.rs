//! Wask's value: a typed component-model value, with bulk bytes kept raw.
//!
//! A [`Value`] mirrors the component model's values, with one addition that matters
//! for speed: a `list<u8>` is [`Value::Bytes`], one shared buffer, instead of a boxed
//! value per byte. Resources, futures and streams live in one store and are not values.
//! A value prints as WAVE (`Display`), the syntax of `wasmtime run --invoke`.

use std::sync::Arc;

/// A typed component-model value: an argument to a task or its result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    S8(i8),
    U8(u8),
    S16(i16),
    U16(u16),
    S32(i32),
    U32(u32),
    S64(i64),
    U64(u64),
    Float32(f32),
    Float64(f64),
    Char(char),
    String(String),
    /// A `list<u8>`: raw bytes, shared on clone. Wask makes every `list<u8>` this way.
    Bytes(Arc<[u8]>),
    List(Vec<Value>),
    FixedLengthList(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Record(Vec<(String, Value)>),
    Tuple(Vec<Value>),
    Variant(String, Option<Box<Value>>),
    Enum(String),
    Option(Option<Box<Value>>),
    Result(Result<Option<Box<Value>>, Option<Box<Value>>>),
    Flags(Vec<String>),
}

/// A task's result with what it wrote to stdout and stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskOutput {
    pub value: Value,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl TaskOutput {
    /// A value with no captured output (a `put`, say).
    pub fn value(value: Value) -> Self {
        TaskOutput {
            value,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    /// Bytes the output takes: its value's size and the captured output.
    pub fn size(&self) -> usize {
        self.value.size() + self.stdout.len() + self.stderr.len()
    }
}

impl Value {
    /// The value of a function that returns nothing: the empty tuple.
    pub fn unit() -> Value {
        Value::Tuple(Vec::new())
    }

    /// Raw bytes as a `list<u8>` value.
    pub fn bytes(bytes: &[u8]) -> Value {
        Value::Bytes(bytes.into())
    }

    /// The bytes of a `list<u8>` value, or of the `ok` of a `result<list<u8>, _>`;
    /// a list of `u8` values is copied out.
    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Value::Bytes(bytes) => Some(bytes.to_vec()),
            Value::List(items) => items
                .iter()
                .map(|v| match v {
                    Value::U8(b) => Some(*b),
                    _ => None,
                })
                .collect(),
            Value::Result(Ok(Some(inner))) => inner.to_bytes(),
            _ => None,
        }
    }

    /// Bytes the value takes, counted as its payload: one per `u8`, a string's
    /// length, the sum over lists and records.
    pub fn size(&self) -> usize {
        match self {
            Value::Bool(_) | Value::S8(_) | Value::U8(_) => 1,
            Value::S16(_) | Value::U16(_) => 2,
            Value::S32(_) | Value::U32(_) | Value::Float32(_) | Value::Char(_) => 4,
            Value::S64(_) | Value::U64(_) | Value::Float64(_) => 8,
            Value::String(s) | Value::Enum(s) => s.len(),
            Value::Bytes(bytes) => bytes.len(),
            Value::List(items) | Value::Tuple(items) | Value::FixedLengthList(items) => {
                items.iter().map(Value::size).sum()
            }
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
            Value::Record(fields) => fields.iter().map(|(_, v)| v.size()).sum(),
            Value::Variant(_, payload)
            | Value::Option(payload)
            | Value::Result(Ok(payload) | Err(payload)) => {
                1 + payload.as_deref().map_or(0, Value::size)
            }
            Value::Flags(names) => names.len(),
        }
    }

    /// What kind of value this is, for "expected X, got Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Bool(_) => "a bool",
            Value::S8(_) => "an s8",
            Value::U8(_) => "a u8",
            Value::S16(_) => "an s16",
            Value::U16(_) => "a u16",
            Value::S32(_) => "an s32",
            Value::U32(_) => "a u32",
            Value::S64(_) => "an s64",
            Value::U64(_) => "a u64",
            Value::Float32(_) => "an f32",
            Value::Float64(_) => "an f64",
            Value::Char(_) => "a char",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Bytes(_) => "bytes (a list<u8>)",
            Value::FixedLengthList(_) => "a fixed-length list",
            Value::Map(_) => "a map",
            Value::Record(_) => "a record",
            Value::Tuple(_) => "a tuple",
            Value::Variant(..) => "a variant",
            Value::Enum(_) => "an enum",
            Value::Option(_) => "an option",
            Value::Result(_) => "a result",
            Value::Flags(_) => "flags",
        }
    }
}
