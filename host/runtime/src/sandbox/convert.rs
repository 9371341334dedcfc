//! Between wasmtime's component values and types and Wask's own.
//!
//! Types are read once, when a component loads; values are converted only at the
//! call boundary of the generic path (the bulk path in `fast.rs` skips `Val`).

use std::sync::Arc;

use wask_core::{Case, Field, Value, ValueType};
use wasmtime::component::Val;
use wasmtime::component::types::Type;

/// Wask's spelling of a WIT type read from a component.
pub(super) fn value_type(ty: &Type) -> ValueType {
    let arc = |t: &Type| Arc::new(value_type(t));
    match ty {
        Type::Bool => ValueType::Bool,
        Type::S8 => ValueType::S8,
        Type::U8 => ValueType::U8,
        Type::S16 => ValueType::S16,
        Type::U16 => ValueType::U16,
        Type::S32 => ValueType::S32,
        Type::U32 => ValueType::U32,
        Type::S64 => ValueType::S64,
        Type::U64 => ValueType::U64,
        Type::Float32 => ValueType::F32,
        Type::Float64 => ValueType::F64,
        Type::Char => ValueType::Char,
        Type::String => ValueType::String,
        Type::List(l) => ValueType::List(arc(&l.ty())),
        Type::FixedLengthList(l) => ValueType::FixedList(arc(&l.ty()), l.len()),
        Type::Map(m) => ValueType::Map(Arc::new((value_type(&m.key()), value_type(&m.value())))),
        Type::Record(r) => ValueType::Record(
            r.fields()
                .map(|f| Field {
                    name: f.name.to_owned(),
                    ty: value_type(&f.ty),
                })
                .collect(),
        ),
        Type::Tuple(t) => ValueType::Tuple(t.types().map(|t| value_type(&t)).collect()),
        Type::Variant(v) => ValueType::Variant(
            v.cases()
                .map(|c| Case {
                    name: c.name.to_owned(),
                    ty: c.ty.as_ref().map(value_type),
                })
                .collect(),
        ),
        Type::Enum(e) => ValueType::Enum(e.names().map(str::to_owned).collect()),
        Type::Flags(f) => ValueType::Flags(f.names().map(str::to_owned).collect()),
        Type::Option(o) => ValueType::Option(arc(&o.ty())),
        Type::Result(r) => ValueType::Result {
            ok: r.ok().as_ref().map(arc),
            err: r.err().as_ref().map(arc),
        },
        Type::Own(_) => ValueType::Unsupported("own<resource>".into()),
        Type::Borrow(_) => ValueType::Unsupported("borrow<resource>".into()),
        Type::Future(_) => ValueType::Unsupported("future".into()),
        Type::Stream(_) => ValueType::Unsupported("stream".into()),
        Type::ErrorContext => ValueType::Unsupported("error-context".into()),
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
pub(super) fn from_val(val: Val, ty: &ValueType) -> Result<Value, String> {
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
        (Val::Enum(case), _) => Value::Enum(case),
        (Val::Flags(names), _) => Value::Flags(names),
        (Val::Resource(_), _) => return Err("a resource, which Wask cannot hold as a value".into()),
        (Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_), _) => {
            return Err("a future, stream or error-context, which Wask cannot hold".into());
        }
        (val, ty) => compound(val, ty)?,
    })
}

/// A list, tuple, map, record, variant, option or result value.
fn compound(val: Val, ty: &ValueType) -> Result<Value, String> {
    let all = |items: Vec<Val>, ty: &ValueType| -> Result<Vec<Value>, String> {
        items.into_iter().map(|v| from_val(v, ty)).collect()
    };
    Ok(match (val, ty) {
        (Val::List(items), ValueType::List(elem)) if **elem == ValueType::U8 => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|v| match v {
                    Val::U8(b) => Some(*b),
                    _ => None,
                })
                .collect();
            Value::Bytes(bytes.ok_or("a list<u8> holding something else")?.into())
        }
        (Val::List(items), ValueType::List(elem)) => Value::List(all(items, elem)?),
        (Val::FixedLengthList(items), ValueType::FixedList(elem, _)) => {
            Value::FixedLengthList(all(items, elem)?)
        }
        (Val::Tuple(items), ValueType::Tuple(types)) => Value::Tuple(
            items
                .into_iter()
                .zip(types.iter())
                .map(|(v, t)| from_val(v, t))
                .collect::<Result<_, _>>()?,
        ),
        (Val::Map(entries), ValueType::Map(kv)) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((from_val(k, &kv.0)?, from_val(v, &kv.1)?)))
                .collect::<Result<_, String>>()?,
        ),
        (Val::Record(fields), ValueType::Record(types)) => Value::Record(
            fields
                .into_iter()
                .zip(types.iter())
                .map(|((name, v), field)| Ok((name, from_val(v, &field.ty)?)))
                .collect::<Result<_, String>>()?,
        ),
        (Val::Variant(case, payload), ValueType::Variant(cases)) => {
            let ty = cases
                .iter()
                .find(|c| c.name == case)
                .and_then(|c| c.ty.as_ref());
            Value::Variant(case, payload_of(payload, ty)?)
        }
        (Val::Option(v), ValueType::Option(some)) => Value::Option(payload_of(v, Some(some))?),
        (Val::Result(Ok(v)), ValueType::Result { ok, .. }) => {
            Value::Result(Ok(payload_of(v, ok.as_deref())?))
        }
        (Val::Result(Err(v)), ValueType::Result { err, .. }) => {
            Value::Result(Err(payload_of(v, err.as_deref())?))
        }
        (val, ty) => return Err(format!("a value {val:?} that does not fit its type {ty}")),
    })
}

fn payload_of(v: Option<Box<Val>>, ty: Option<&ValueType>) -> Result<Option<Box<Value>>, String> {
    match (v, ty) {
        (None, _) => Ok(None),
        (Some(v), Some(ty)) => Ok(Some(Box::new(from_val(*v, ty)?))),
        (Some(_), None) => Err("a payload where the type has none".to_owned()),
    }
}
