//! What the fuzz targets share: a fixed set of WIT types that covers every kind of
//! type, signatures made from them, values drawn from fuzz input, and an equality of
//! values that holds across a round trip (NaN equals NaN).
//!
//! The *type set* is the list [`types`] returns. A target picks a type from it by an
//! input byte, so the fuzzer can reach every kind of type from a few bytes, and a
//! crash names the type by its index in the list.

use std::sync::Arc;

use arbitrary::{Arbitrary, Result, Unstructured};
use wask_core::{Case, Exports, Field, Signature, Value, ValueType};

fn list(ty: ValueType) -> ValueType {
    ValueType::List(Arc::new(ty))
}

fn option(ty: ValueType) -> ValueType {
    ValueType::Option(Arc::new(ty))
}

fn result(ok: Option<ValueType>, err: Option<ValueType>) -> ValueType {
    ValueType::Result {
        ok: ok.map(Arc::new),
        err: err.map(Arc::new),
    }
}

fn tuple(types: Vec<ValueType>) -> ValueType {
    ValueType::Tuple(types.into())
}

fn record(fields: Vec<(&str, ValueType)>) -> ValueType {
    ValueType::Record(
        fields
            .into_iter()
            .map(|(name, ty)| Field {
                name: name.into(),
                ty,
            })
            .collect(),
    )
}

fn variant(cases: Vec<(&str, Option<ValueType>)>) -> ValueType {
    ValueType::Variant(
        cases
            .into_iter()
            .map(|(name, ty)| Case {
                name: name.into(),
                ty,
            })
            .collect(),
    )
}

fn names(names: &[&str]) -> Arc<[String]> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A record with option fields, one of them named like a WAVE keyword (`none`), so a
/// label must be written `%none`.
fn person() -> ValueType {
    record(vec![
        ("name", ValueType::String),
        ("age", option(ValueType::U8)),
        ("tags", option(list(ValueType::String))),
        ("none", option(ValueType::Bool)),
        ("score", ValueType::F32),
    ])
}

fn color() -> ValueType {
    ValueType::Enum(names(&["red", "green", "true", "nan"]))
}

fn shape() -> ValueType {
    variant(vec![
        ("empty", None),
        ("circle", Some(ValueType::F64)),
        ("ok", Some(ValueType::String)),
        ("dot", Some(tuple(vec![ValueType::S16, ValueType::S16]))),
        ("maybe", Some(option(ValueType::F32))),
        ("who", Some(person())),
    ])
}

/// Every WIT type WAVE can write, from scalars to nested compound types.
pub fn wave_types() -> Vec<ValueType> {
    vec![
        ValueType::Bool,
        ValueType::S8,
        ValueType::U8,
        ValueType::S16,
        ValueType::U16,
        ValueType::S32,
        ValueType::U32,
        ValueType::S64,
        ValueType::U64,
        ValueType::F32,
        ValueType::F64,
        ValueType::Char,
        ValueType::String,
        list(ValueType::U8),
        list(ValueType::U32),
        list(list(ValueType::String)),
        ValueType::FixedList(Arc::new(ValueType::U32), 3),
        tuple(vec![ValueType::U8, ValueType::String, ValueType::F64]),
        person(),
        shape(),
        color(),
        ValueType::Flags(names(&["read", "write", "some", "exec"])),
        option(ValueType::U8),
        option(option(ValueType::String)),
        option(result(Some(ValueType::U32), Some(ValueType::String))),
        result(None, None),
        result(Some(ValueType::U64), None),
        result(None, Some(ValueType::String)),
        result(Some(list(ValueType::U8)), Some(ValueType::String)),
        result(Some(option(ValueType::Char)), Some(color())),
        list(option(tuple(vec![ValueType::Char, ValueType::F32]))),
        list(record(vec![
            ("shapes", list(shape())),
            ("bytes", list(ValueType::U8)),
            ("flags", ValueType::Flags(names(&["a", "b"]))),
        ])),
    ]
}

/// The type set: [`wave_types`], then the types WAVE has no syntax for (maps) and a
/// type no value can hold.
pub fn types() -> Vec<ValueType> {
    let mut types = wave_types();
    types.push(ValueType::Map(Arc::new((
        ValueType::String,
        ValueType::U32,
    ))));
    types.push(ValueType::Map(Arc::new((
        ValueType::U32,
        list(ValueType::F64),
    ))));
    types.push(list(ValueType::Map(Arc::new((
        ValueType::Char,
        option(ValueType::Bool),
    )))));
    types.push(ValueType::Unsupported("own<thing>".into()));
    types
}

fn signature(name: &str, params: Vec<ValueType>) -> Signature {
    let params = params
        .into_iter()
        .enumerate()
        .map(|(i, ty)| (format!("p{i}"), ty))
        .collect();
    Signature::new(name, params, Some(ValueType::String))
}

/// A component's worth of signatures: one per type of the set (`take-N`), all scalars
/// in one call, trailing options that may be left out, and a function of no arguments.
pub fn exports() -> Exports {
    let types = types();
    let mut functions: Vec<Signature> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| signature(&format!("take-{i}"), vec![ty.clone()]))
        .collect();
    functions.push(signature("scalars", types[..13].to_vec()));
    functions.push(signature(
        "tail",
        vec![ValueType::U8, option(ValueType::U8), option(person())],
    ));
    functions.push(signature("nothing", vec![]));
    Exports::new("fuzz.wasm", functions)
}

/// A component that exports one function, so a call may give only its arguments.
pub fn single_export() -> Exports {
    Exports::new(
        "single.wasm",
        vec![signature(
            "only",
            vec![shape(), list(ValueType::U8), option(ValueType::U32)],
        )],
    )
}

/// Whether `ty` holds a map anywhere (WAVE cannot write one).
pub fn has_map(ty: &ValueType) -> bool {
    match ty {
        ValueType::Map(_) => true,
        ValueType::List(t) | ValueType::FixedList(t, _) | ValueType::Option(t) => has_map(t),
        ValueType::Record(fields) => fields.iter().any(|f| has_map(&f.ty)),
        ValueType::Tuple(types) => types.iter().any(has_map),
        ValueType::Variant(cases) => cases.iter().any(|c| c.ty.as_ref().is_some_and(has_map)),
        ValueType::Result { ok, err } => {
            ok.as_deref().is_some_and(has_map) || err.as_deref().is_some_and(has_map)
        }
        _ => false,
    }
}

/// Whether `ty` holds an option of an option anywhere: JSON writes `some(none)` and
/// `none` of such a type both as `null`, so its values cannot round trip through JSON.
pub fn has_nested_option(ty: &ValueType) -> bool {
    match ty {
        ValueType::Option(t) => matches!(**t, ValueType::Option(_)) || has_nested_option(t),
        ValueType::List(t) | ValueType::FixedList(t, _) => has_nested_option(t),
        ValueType::Map(kv) => has_nested_option(&kv.0) || has_nested_option(&kv.1),
        ValueType::Record(fields) => fields.iter().any(|f| has_nested_option(&f.ty)),
        ValueType::Tuple(types) => types.iter().any(has_nested_option),
        ValueType::Variant(cases) => cases
            .iter()
            .any(|c| c.ty.as_ref().is_some_and(has_nested_option)),
        ValueType::Result { ok, err } => {
            ok.as_deref().is_some_and(has_nested_option)
                || err.as_deref().is_some_and(has_nested_option)
        }
        _ => false,
    }
}

/// Whether two values are the same, with every NaN equal to every other NaN and
/// floats otherwise compared bit for bit (so `-0` is not `0`).
pub fn same(a: &Value, b: &Value) -> bool {
    fn all(a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
    }
    fn opt(a: &Option<Box<Value>>, b: &Option<Box<Value>>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(x), Some(y)) => same(x, y),
            _ => false,
        }
    }
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::Float64(x), Value::Float64(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::List(x), Value::List(y))
        | (Value::Tuple(x), Value::Tuple(y))
        | (Value::FixedLengthList(x), Value::FixedLengthList(y)) => all(x, y),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        (Value::Record(x), Value::Record(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((n1, v1), (n2, v2))| n1 == n2 && same(v1, v2))
        }
        (Value::Variant(n1, p1), Value::Variant(n2, p2)) => n1 == n2 && opt(p1, p2),
        (Value::Option(x), Value::Option(y)) => opt(x, y),
        (Value::Result(Ok(x)), Value::Result(Ok(y)))
        | (Value::Result(Err(x)), Value::Result(Err(y))) => opt(x, y),
        _ => a == b,
    }
}

/// At most this many elements in a drawn list, map or string of flags.
const MAX_LEN: usize = 16;

fn len(u: &mut Unstructured) -> Result<usize> {
    u.int_in_range(0..=MAX_LEN)
}

/// Draws a value of type `ty` from fuzz input, in the form Wask makes values: a
/// `list<u8>` as bytes, flags in the type's order, every record field present.
pub fn typed_value(u: &mut Unstructured, ty: &ValueType) -> Result<Value> {
    let boxed = |v: Value| Some(Box::new(v));
    Ok(match ty {
        ValueType::Bool => Value::Bool(u.arbitrary()?),
        ValueType::S8 => Value::S8(u.arbitrary()?),
        ValueType::U8 => Value::U8(u.arbitrary()?),
        ValueType::S16 => Value::S16(u.arbitrary()?),
        ValueType::U16 => Value::U16(u.arbitrary()?),
        ValueType::S32 => Value::S32(u.arbitrary()?),
        ValueType::U32 => Value::U32(u.arbitrary()?),
        ValueType::S64 => Value::S64(u.arbitrary()?),
        ValueType::U64 => Value::U64(u.arbitrary()?),
        ValueType::F32 => Value::Float32(u.arbitrary()?),
        ValueType::F64 => Value::Float64(u.arbitrary()?),
        ValueType::Char => Value::Char(u.arbitrary()?),
        ValueType::String => Value::String(u.arbitrary()?),
        ValueType::List(elem) if **elem == ValueType::U8 => {
            let n = len(u)?;
            Value::Bytes(u.bytes(n)?.into())
        }
        ValueType::List(elem) => Value::List(
            (0..len(u)?)
                .map(|_| typed_value(u, elem))
                .collect::<Result<_>>()?,
        ),
        ValueType::FixedList(elem, n) => Value::FixedLengthList(
            (0..*n)
                .map(|_| typed_value(u, elem))
                .collect::<Result<_>>()?,
        ),
        ValueType::Map(kv) => Value::Map(
            (0..len(u)?)
                .map(|_| Ok((typed_value(u, &kv.0)?, typed_value(u, &kv.1)?)))
                .collect::<Result<_>>()?,
        ),
        ValueType::Record(fields) => Value::Record(
            fields
                .iter()
                .map(|f| Ok((f.name.clone(), typed_value(u, &f.ty)?)))
                .collect::<Result<_>>()?,
        ),
        ValueType::Tuple(types) => Value::Tuple(
            types
                .iter()
                .map(|t| typed_value(u, t))
                .collect::<Result<_>>()?,
        ),
        ValueType::Variant(cases) => {
            let case = u.choose(cases)?;
            let payload = match &case.ty {
                Some(t) => boxed(typed_value(u, t)?),
                None => None,
            };
            Value::Variant(case.name.clone(), payload)
        }
        ValueType::Enum(names) => Value::Enum(u.choose(names)?.clone()),
        ValueType::Option(some) => Value::Option(match u.arbitrary()? {
            true => boxed(typed_value(u, some)?),
            false => None,
        }),
        ValueType::Result { ok, err } => {
            let payload = |u: &mut Unstructured, t: &Option<Arc<ValueType>>| match t {
                Some(t) => Ok(boxed(typed_value(u, t)?)),
                None => Ok(None),
            };
            Value::Result(match u.arbitrary()? {
                true => Ok(payload(u, ok)?),
                false => Err(payload(u, err)?),
            })
        }
        ValueType::Flags(names) => {
            let mut set = Vec::new();
            for name in names.iter() {
                if u.arbitrary()? {
                    set.push(name.clone());
                }
            }
            Value::Flags(set)
        }
        ValueType::Unsupported(_) => return Err(arbitrary::Error::IncorrectFormat),
    })
}

/// Draws any value at all, of no particular type, nesting at most `depth` levels: the
/// shapes a decoder may be handed, including ones no WIT type has.
pub fn any_value(u: &mut Unstructured, depth: usize) -> Result<Value> {
    let leaf = depth == 0;
    let pick = u.int_in_range(0..=if leaf { 13 } else { 24 })?;
    let boxed = |u: &mut Unstructured| -> Result<Option<Box<Value>>> {
        Ok(match u.arbitrary()? {
            true => Some(Box::new(any_value(u, depth - 1)?)),
            false => None,
        })
    };
    let items = |u: &mut Unstructured| -> Result<Vec<Value>> {
        (0..len(u)?).map(|_| any_value(u, depth - 1)).collect()
    };
    Ok(match pick {
        0 => Value::Bool(u.arbitrary()?),
        1 => Value::S8(u.arbitrary()?),
        2 => Value::U8(u.arbitrary()?),
        3 => Value::S16(u.arbitrary()?),
        4 => Value::U16(u.arbitrary()?),
        5 => Value::S32(u.arbitrary()?),
        6 => Value::U32(u.arbitrary()?),
        7 => Value::S64(u.arbitrary()?),
        8 => Value::U64(u.arbitrary()?),
        9 => Value::Float32(u.arbitrary()?),
        10 => Value::Float64(u.arbitrary()?),
        11 => Value::Char(u.arbitrary()?),
        12 => Value::String(u.arbitrary()?),
        13 => Value::Bytes(<Vec<u8>>::arbitrary(u)?.into()),
        14 => Value::List(items(u)?),
        15 => Value::FixedLengthList(items(u)?),
        16 => Value::Tuple(items(u)?),
        17 => Value::Map(
            (0..len(u)?)
                .map(|_| Ok((any_value(u, depth - 1)?, any_value(u, depth - 1)?)))
                .collect::<Result<_>>()?,
        ),
        18 => Value::Record(
            (0..len(u)?)
                .map(|_| Ok((u.arbitrary()?, any_value(u, depth - 1)?)))
                .collect::<Result<_>>()?,
        ),
        19 => Value::Variant(u.arbitrary()?, boxed(u)?),
        20 => Value::Enum(u.arbitrary()?),
        21 => Value::Option(boxed(u)?),
        22 => Value::Result(Ok(boxed(u)?)),
        23 => Value::Result(Err(boxed(u)?)),
        _ => Value::Flags(u.arbitrary()?),
    })
}

/// A value's `Debug` form, cut to a few hundred characters, for a panic message: a
/// drawn value can be megabytes long.
pub fn short(value: &impl std::fmt::Debug) -> String {
    let mut text = format!("{value:?}");
    if text.len() > 300 {
        text.truncate(text.floor_char_boundary(300));
        text.push('…');
    }
    text
}
