//! WIT value types, Wask's own: what a task's parameters and result are.
//!
//! A [`ValueType`] is read from a component's exports by the runtime and then lives on
//! without wasmtime, so a signature can be printed, compared and checked anywhere.
//! Two types are equal when they are spelled alike: types of two components compare
//! by structure.

use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// The WIT type of a [`Value`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueType {
    Bool,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
    S64,
    U64,
    F32,
    F64,
    Char,
    String,
    List(Arc<ValueType>),
    /// `list<T, N>`: exactly `N` elements.
    FixedList(Arc<ValueType>, u32),
    Map(Arc<(ValueType, ValueType)>),
    Record(Arc<[Field]>),
    Tuple(Arc<[ValueType]>),
    Variant(Arc<[Case]>),
    Enum(Arc<[String]>),
    Option(Arc<ValueType>),
    Result {
        ok: Option<Arc<ValueType>>,
        err: Option<Arc<ValueType>>,
    },
    Flags(Arc<[String]>),
    /// A type no [`Value`] can hold (a resource handle, future, stream or
    /// error-context), by its WIT spelling; a function that takes one cannot be called.
    Unsupported(Arc<str>),
}

/// A field of a record type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    pub name: String,
    pub ty: ValueType,
}

/// A case of a variant type, with its payload type if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Case {
    pub name: String,
    pub ty: Option<ValueType>,
}

impl ValueType {
    /// `list<u8>`: the type Wask keeps as raw bytes ([`Value::Bytes`]).
    pub fn is_bytes(&self) -> bool {
        matches!(self, ValueType::List(elem) if **elem == ValueType::U8)
    }
}

impl fmt::Display for ValueType {
    /// The WIT spelling, such as `list<u8>` or `result<string, error-code>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &mut dyn Iterator<Item = String>| {
            let items: Vec<String> = items.collect();
            f.write_str(&items.join(", "))
        };
        match self {
            ValueType::Bool => f.write_str("bool"),
            ValueType::S8 => f.write_str("s8"),
            ValueType::U8 => f.write_str("u8"),
            ValueType::S16 => f.write_str("s16"),
            ValueType::U16 => f.write_str("u16"),
            ValueType::S32 => f.write_str("s32"),
            ValueType::U32 => f.write_str("u32"),
            ValueType::S64 => f.write_str("s64"),
            ValueType::U64 => f.write_str("u64"),
            ValueType::F32 => f.write_str("f32"),
            ValueType::F64 => f.write_str("f64"),
            ValueType::Char => f.write_str("char"),
            ValueType::String => f.write_str("string"),
            ValueType::List(elem) => write!(f, "list<{elem}>"),
            ValueType::FixedList(elem, n) => write!(f, "list<{elem}, {n}>"),
            ValueType::Map(kv) => write!(f, "map<{}, {}>", kv.0, kv.1),
            ValueType::Record(fields) => {
                f.write_str("record { ")?;
                list(
                    f,
                    &mut fields.iter().map(|x| format!("{}: {}", x.name, x.ty)),
                )?;
                f.write_str(" }")
            }
            ValueType::Tuple(types) => {
                f.write_str("tuple<")?;
                list(f, &mut types.iter().map(ToString::to_string))?;
                f.write_str(">")
            }
            ValueType::Variant(cases) => {
                f.write_str("variant { ")?;
                list(
                    f,
                    &mut cases.iter().map(|c| match &c.ty {
                        Some(ty) => format!("{}({ty})", c.name),
                        None => c.name.clone(),
                    }),
                )?;
                f.write_str(" }")
            }
            ValueType::Enum(names) => write!(f, "enum {{ {} }}", names.join(", ")),
            ValueType::Flags(names) => write!(f, "flags {{ {} }}", names.join(", ")),
            ValueType::Option(some) => write!(f, "option<{some}>"),
            ValueType::Result { ok, err } => match (ok, err) {
                (None, None) => f.write_str("result"),
                (Some(ok), None) => write!(f, "result<{ok}>"),
                (None, Some(err)) => write!(f, "result<_, {err}>"),
                (Some(ok), Some(err)) => write!(f, "result<{ok}, {err}>"),
            },
            ValueType::Unsupported(name) => f.write_str(name),
        }
    }
}

/// Checks that `value` has type `ty`; the error says what was found instead, and where.
pub(crate) fn check_value(value: &Value, ty: &ValueType) -> Result<(), String> {
    let mismatch = || Err(format!("got {}", value.describe()));
    let at = |place: String, r: Result<(), String>| r.map_err(|e| format!("{e} at {place}"));
    match (ty, value) {
        (ValueType::Bool, Value::Bool(_))
        | (ValueType::S8, Value::S8(_))
        | (ValueType::U8, Value::U8(_))
        | (ValueType::S16, Value::S16(_))
        | (ValueType::U16, Value::U16(_))
        | (ValueType::S32, Value::S32(_))
        | (ValueType::U32, Value::U32(_))
        | (ValueType::S64, Value::S64(_))
        | (ValueType::U64, Value::U64(_))
        | (ValueType::F32, Value::Float32(_))
        | (ValueType::F64, Value::Float64(_))
        | (ValueType::Char, Value::Char(_))
        | (ValueType::String, Value::String(_)) => Ok(()),
        (ValueType::List(elem), Value::Bytes(_)) if **elem == ValueType::U8 => Ok(()),
        (ValueType::List(elem), Value::List(items)) => check_items(items, elem, at),
        (ValueType::FixedList(elem, n), Value::FixedLengthList(items)) => {
            if items.len() != *n as usize {
                return Err(format!("got {} elements instead of {n}", items.len()));
            }
            check_items(items, elem, at)
        }
        (ValueType::Map(kv), Value::Map(entries)) => {
            for (i, (k, v)) in entries.iter().enumerate() {
                at(format!("key {i}"), check_value(k, &kv.0))?;
                at(format!("value {i}"), check_value(v, &kv.1))?;
            }
            Ok(())
        }
        (ValueType::Record(fields), Value::Record(given)) => check_record(fields, given, at),
        (ValueType::Tuple(types), Value::Tuple(items)) => {
            if types.len() != items.len() {
                return Err(format!(
                    "got a tuple of {} instead of {}",
                    items.len(),
                    types.len()
                ));
            }
            for (i, (ty, item)) in types.iter().zip(items).enumerate() {
                at(format!("element {i}"), check_value(item, ty))?;
            }
            Ok(())
        }
        (ValueType::Variant(cases), Value::Variant(name, payload)) => {
            let Some(case) = cases.iter().find(|c| c.name == *name) else {
                return Err(format!("got unknown case `{name}`"));
            };
            match (&case.ty, payload) {
                (None, None) => Ok(()),
                (Some(ty), Some(p)) => at(format!("case `{name}`"), check_value(p, ty)),
                (Some(_), None) => Err(format!("case `{name}` lacks its payload")),
                (None, Some(_)) => Err(format!("case `{name}` takes no payload")),
            }
        }
        (ValueType::Enum(names), Value::Enum(name)) => {
            if names.contains(name) {
                Ok(())
            } else {
                Err(format!("got unknown case `{name}`"))
            }
        }
        (ValueType::Flags(names), Value::Flags(given)) => {
            match given.iter().find(|n| !names.contains(n)) {
                None => Ok(()),
                Some(n) => Err(format!("got unknown flag `{n}`")),
            }
        }
        (ValueType::Option(some), Value::Option(v)) => match v {
            None => Ok(()),
            Some(v) => at("some".into(), check_value(v, some)),
        },
        (ValueType::Result { ok, err }, Value::Result(v)) => match (v, ok, err) {
            (Ok(None), None, _) | (Err(None), _, None) => Ok(()),
            (Ok(Some(v)), Some(ty), _) => at("ok".into(), check_value(v, ty)),
            (Err(Some(v)), _, Some(ty)) => at("err".into(), check_value(v, ty)),
            _ => Err("got a result whose payload does not fit".into()),
        },
        _ => mismatch(),
    }
}

type At = fn(String, Result<(), String>) -> Result<(), String>;

fn check_items(items: &[Value], elem: &ValueType, at: At) -> Result<(), String> {
    // Bytes are the bulk case: check them without a call per element.
    if *elem == ValueType::U8 {
        return match items.iter().position(|v| !matches!(v, Value::U8(_))) {
            None => Ok(()),
            Some(i) => at(format!("element {i}"), check_value(&items[i], elem)),
        };
    }
    for (i, item) in items.iter().enumerate() {
        at(format!("element {i}"), check_value(item, elem))?;
    }
    Ok(())
}

fn check_record(fields: &[Field], given: &[(String, Value)], at: At) -> Result<(), String> {
    if let Some((name, _)) = given
        .iter()
        .find(|(name, _)| !fields.iter().any(|f| f.name == *name))
    {
        return Err(format!("got unknown field `{name}`"));
    }
    if fields.len() != given.len() {
        return Err(format!(
            "got a record with {} fields instead of {}",
            given.len(),
            fields.len()
        ));
    }
    for (field, (name, v)) in fields.iter().zip(given) {
        if field.name != *name {
            return Err(format!("got field `{name}` where `{}` belongs", field.name));
        }
        at(format!("field `{name}`"), check_value(v, &field.ty))?;
    }
    Ok(())
}

#[cfg(test)]
mod test {
    //! Spelling and checking of types.

    use super::*;

    fn record() -> ValueType {
        ValueType::Record(
            vec![
                Field {
                    name: "x".into(),
                    ty: ValueType::U32,
                },
                Field {
                    name: "label".into(),
                    ty: ValueType::String,
                },
            ]
            .into(),
        )
    }

    #[test]
    fn types_print_as_wit() {
        let ty = ValueType::Result {
            ok: Some(Arc::new(ValueType::List(Arc::new(ValueType::U8)))),
            err: Some(Arc::new(ValueType::String)),
        };
        assert_eq!(ty.to_string(), "result<list<u8>, string>");
        assert_eq!(record().to_string(), "record { x: u32, label: string }");
        assert!(ValueType::List(Arc::new(ValueType::U8)).is_bytes());
    }

    #[test]
    fn an_unknown_record_field_is_named() {
        let value = Value::Record(vec![
            ("x".into(), Value::U32(1)),
            ("label".into(), Value::String("a".into())),
            ("z".into(), Value::U32(3)),
        ]);
        assert_eq!(
            check_value(&value, &record()),
            Err("got unknown field `z`".into())
        );
    }

    #[test]
    fn a_nested_mismatch_names_its_place() {
        let ty = ValueType::List(Arc::new(ValueType::Option(Arc::new(ValueType::U32))));
        let value = Value::List(vec![
            Value::Option(None),
            Value::Option(Some(Box::new(Value::String("no".into())))),
        ]);
        assert_eq!(
            check_value(&value, &ty),
            Err("got a string at some at element 1".into())
        );
    }
}
