//! Wask's value: a typed component-model value, with bulk bytes kept raw.
//!
//! A [`Value`] mirrors wasmtime's `Val`, with one addition that matters for speed: a
//! `list<u8>` is [`Value::Bytes`], one shared buffer, instead of a boxed value per
//! byte. Values are converted to and from `Val` only at the call boundary, and a call
//! whose signature moves bytes skips `Val` entirely (see `fast.rs`).
//! Resources, futures and streams live in one store and are not values here.

use std::sync::Arc;

use wasmtime::component::Val;
use wasmtime::component::types::Type;

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

/// Raw bytes as a `list<u8>` value.
pub fn bytes_value(bytes: &[u8]) -> Value {
    Value::Bytes(bytes.into())
}

/// The bytes in a `list<u8>` value, or in the `ok` of a `result<list<u8>, _>`.
pub fn value_bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Bytes(bytes) => Some(bytes.to_vec()),
        Value::List(items) => items
            .iter()
            .map(|v| match v {
                Value::U8(b) => Some(*b),
                _ => None,
            })
            .collect(),
        Value::Result(Ok(Some(inner))) => value_bytes(inner),
        _ => None,
    }
}

/// Bytes a value takes, counted as its payload: one per `u8`, a string's length, the
/// sum over lists and records.
pub fn value_size(value: &Value) -> usize {
    match value {
        Value::Bool(_) | Value::S8(_) | Value::U8(_) => 1,
        Value::S16(_) | Value::U16(_) => 2,
        Value::S32(_) | Value::U32(_) | Value::Float32(_) | Value::Char(_) => 4,
        Value::S64(_) | Value::U64(_) | Value::Float64(_) => 8,
        Value::String(s) | Value::Enum(s) => s.len(),
        Value::Bytes(bytes) => bytes.len(),
        Value::List(items) | Value::Tuple(items) | Value::FixedLengthList(items) => {
            items.iter().map(value_size).sum()
        }
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| value_size(k) + value_size(v))
            .sum(),
        Value::Record(fields) => fields.iter().map(|(_, v)| value_size(v)).sum(),
        Value::Variant(_, payload) | Value::Option(payload) => {
            1 + payload.as_deref().map_or(0, value_size)
        }
        Value::Result(Ok(payload) | Err(payload)) => 1 + payload.as_deref().map_or(0, value_size),
        Value::Flags(names) => names.len(),
    }
}

/// The wasmtime value for a call (bytes become a list of `u8`).
pub(super) fn to_val(value: &Value) -> Val {
    let boxed = |v: &Option<Box<Value>>| v.as_deref().map(|v| Box::new(to_val(v)));
    match value {
        Value::Bool(b) => Val::Bool(*b),
        Value::S8(n) => Val::S8(*n),
        Value::U8(n) => Val::U8(*n),
        Value::S16(n) => Val::S16(*n),
        Value::U16(n) => Val::U16(*n),
        Value::S32(n) => Val::S32(*n),
        Value::U32(n) => Val::U32(*n),
        Value::S64(n) => Val::S64(*n),
        Value::U64(n) => Val::U64(*n),
        Value::Float32(n) => Val::Float32(*n),
        Value::Float64(n) => Val::Float64(*n),
        Value::Char(c) => Val::Char(*c),
        Value::String(s) => Val::String(s.clone()),
        Value::Bytes(bytes) => Val::List(bytes.iter().map(|b| Val::U8(*b)).collect()),
        Value::List(items) => Val::List(items.iter().map(to_val).collect()),
        Value::FixedLengthList(items) => Val::FixedLengthList(items.iter().map(to_val).collect()),
        Value::Tuple(items) => Val::Tuple(items.iter().map(to_val).collect()),
        Value::Map(entries) => Val::Map(
            entries
                .iter()
                .map(|(k, v)| (to_val(k), to_val(v)))
                .collect(),
        ),
        Value::Record(fields) => {
            Val::Record(fields.iter().map(|(n, v)| (n.clone(), to_val(v))).collect())
        }
        Value::Variant(case, payload) => Val::Variant(case.clone(), boxed(payload)),
        Value::Enum(case) => Val::Enum(case.clone()),
        Value::Option(v) => Val::Option(boxed(v)),
        Value::Result(Ok(v)) => Val::Result(Ok(boxed(v))),
        Value::Result(Err(v)) => Val::Result(Err(boxed(v))),
        Value::Flags(names) => Val::Flags(names.clone()),
    }
}

/// A wasmtime value of type `ty` as a [`Value`] (a `list<u8>` becomes bytes).
pub(super) fn from_val(val: Val, ty: &Type) -> Result<Value, String> {
    let boxed = |v: Option<Box<Val>>, ty: Option<Type>| -> Result<Option<Box<Value>>, String> {
        match (v, ty) {
            (None, _) => Ok(None),
            (Some(v), Some(ty)) => Ok(Some(Box::new(from_val(*v, &ty)?))),
            (Some(_), None) => Err("a payload where the type has none".into()),
        }
    };
    Ok(match (val, ty) {
        (Val::Bool(b), _) => Value::Bool(b),
        (Val::S8(n), _) => Value::S8(n),
        (Val::U8(n), _) => Value::U8(n),
        (Val::S16(n), _) => Value::S16(n),
        (Val::U16(n), _) => Value::U16(n),
        (Val::S32(n), _) => Value::S32(n),
        (Val::U32(n), _) => Value::U32(n),
        (Val::S64(n), _) => Value::S64(n),
        (Val::U64(n), _) => Value::U64(n),
        (Val::Float32(n), _) => Value::Float32(n),
        (Val::Float64(n), _) => Value::Float64(n),
        (Val::Char(c), _) => Value::Char(c),
        (Val::String(s), _) => Value::String(s),
        (Val::List(items), Type::List(list)) => {
            let elem = list.ty();
            if matches!(elem, Type::U8) {
                let bytes: Option<Vec<u8>> = items
                    .iter()
                    .map(|v| match v {
                        Val::U8(b) => Some(*b),
                        _ => None,
                    })
                    .collect();
                Value::Bytes(bytes.ok_or("a list<u8> holding something else")?.into())
            } else {
                Value::List(
                    items
                        .into_iter()
                        .map(|v| from_val(v, &elem))
                        .collect::<Result<_, _>>()?,
                )
            }
        }
        (Val::FixedLengthList(items), Type::FixedLengthList(list)) => Value::FixedLengthList(
            items
                .into_iter()
                .map(|v| from_val(v, &list.ty()))
                .collect::<Result<_, _>>()?,
        ),
        (Val::Tuple(items), Type::Tuple(tuple)) => Value::Tuple(
            items
                .into_iter()
                .zip(tuple.types())
                .map(|(v, t)| from_val(v, &t))
                .collect::<Result<_, _>>()?,
        ),
        (Val::Map(entries), Type::Map(map)) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((from_val(k, &map.key())?, from_val(v, &map.value())?)))
                .collect::<Result<_, String>>()?,
        ),
        (Val::Record(fields), Type::Record(record)) => Value::Record(
            fields
                .into_iter()
                .zip(record.fields())
                .map(|((name, v), field)| Ok((name, from_val(v, &field.ty)?)))
                .collect::<Result<_, String>>()?,
        ),
        (Val::Variant(case, payload), Type::Variant(variant)) => {
            let ty = variant.cases().find(|c| c.name == case).and_then(|c| c.ty);
            let payload = boxed(payload, ty)?;
            Value::Variant(case, payload)
        }
        (Val::Enum(case), _) => Value::Enum(case),
        (Val::Option(v), Type::Option(option)) => Value::Option(boxed(v, Some(option.ty()))?),
        (Val::Result(Ok(v)), Type::Result(result)) => Value::Result(Ok(boxed(v, result.ok())?)),
        (Val::Result(Err(v)), Type::Result(result)) => Value::Result(Err(boxed(v, result.err())?)),
        (Val::Flags(names), _) => Value::Flags(names),
        (Val::Resource(_), _) => return Err("a resource, which Wask cannot hold as a value".into()),
        (Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_), _) => {
            return Err("a future, stream or error-context, which Wask cannot hold".into());
        }
        (val, ty) => return Err(format!("a value {val:?} that does not fit its type {ty:?}")),
    })
}
