//! WIT types as text, and the check of a value against its WIT type.

use super::value::Value as Val;
use wasmtime::component::types::Type;

/// A WIT signature: `name: func(a: u32, b: string) -> list<u8>`.
pub(super) fn signature(name: &str, params: &[(String, Type)], result: Option<&Type>) -> String {
    let params: Vec<_> = params
        .iter()
        .map(|(n, t)| format!("{n}: {}", wit_type(t)))
        .collect();
    let result = result
        .map(|t| format!(" -> {}", wit_type(t)))
        .unwrap_or_default();
    format!("{name}: func({}){result}", params.join(", "))
}

/// The WIT spelling of a type, such as `list<u8>` or `result<string, error-code>`.
pub(super) fn wit_type(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(l) => format!("list<{}>", wit_type(&l.ty())),
        Type::FixedLengthList(l) => format!("list<{}, {}>", wit_type(&l.ty()), l.len()),
        Type::Map(m) => format!("map<{}, {}>", wit_type(&m.key()), wit_type(&m.value())),
        Type::Record(r) => {
            let fields: Vec<_> = r
                .fields()
                .map(|f| format!("{}: {}", f.name, wit_type(&f.ty)))
                .collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        Type::Tuple(t) => {
            let types: Vec<_> = t.types().map(|t| wit_type(&t)).collect();
            format!("tuple<{}>", types.join(", "))
        }
        Type::Variant(v) => {
            let cases: Vec<_> = v
                .cases()
                .map(|c| match &c.ty {
                    Some(t) => format!("{}({})", c.name, wit_type(t)),
                    None => c.name.to_owned(),
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        Type::Enum(e) => format!("enum {{ {} }}", e.names().collect::<Vec<_>>().join(", ")),
        Type::Flags(f) => format!("flags {{ {} }}", f.names().collect::<Vec<_>>().join(", ")),
        Type::Option(o) => format!("option<{}>", wit_type(&o.ty())),
        Type::Result(r) => match (r.ok(), r.err()) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", wit_type(&ok)),
            (None, Some(err)) => format!("result<_, {}>", wit_type(&err)),
            (Some(ok), Some(err)) => format!("result<{}, {}>", wit_type(&ok), wit_type(&err)),
        },
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        Type::Future(_) => "future".into(),
        Type::Stream(_) => "stream".into(),
        Type::ErrorContext => "error-context".into(),
    }
}

/// A short description of what a value is, for "expected X, got Y" messages.
fn val_kind(val: &Val) -> &'static str {
    match val {
        Val::Bool(_) => "a bool",
        Val::S8(_) => "an s8",
        Val::U8(_) => "a u8",
        Val::S16(_) => "an s16",
        Val::U16(_) => "a u16",
        Val::S32(_) => "an s32",
        Val::U32(_) => "a u32",
        Val::S64(_) => "an s64",
        Val::U64(_) => "a u64",
        Val::Float32(_) => "an f32",
        Val::Float64(_) => "an f64",
        Val::Char(_) => "a char",
        Val::String(_) => "a string",
        Val::List(_) => "a list",
        Val::Bytes(_) => "bytes (a list<u8>)",
        Val::FixedLengthList(_) => "a fixed-length list",
        Val::Map(_) => "a map",
        Val::Record(_) => "a record",
        Val::Tuple(_) => "a tuple",
        Val::Variant(..) => "a variant",
        Val::Enum(_) => "an enum",
        Val::Option(_) => "an option",
        Val::Result(_) => "a result",
        Val::Flags(_) => "flags",
    }
}

/// Checks that `val` has type `ty`; the error says what was found instead, and where.
pub(super) fn check_value(val: &Val, ty: &Type) -> Result<(), String> {
    let mismatch = || Err(format!("got {}", val_kind(val)));
    let at = |place: String, r: Result<(), String>| r.map_err(|e| format!("{e} at {place}"));
    match (ty, val) {
        (Type::Bool, Val::Bool(_))
        | (Type::S8, Val::S8(_))
        | (Type::U8, Val::U8(_))
        | (Type::S16, Val::S16(_))
        | (Type::U16, Val::U16(_))
        | (Type::S32, Val::S32(_))
        | (Type::U32, Val::U32(_))
        | (Type::S64, Val::S64(_))
        | (Type::U64, Val::U64(_))
        | (Type::Float32, Val::Float32(_))
        | (Type::Float64, Val::Float64(_))
        | (Type::Char, Val::Char(_))
        | (Type::String, Val::String(_)) => Ok(()),
        (Type::List(l), Val::Bytes(_)) if matches!(l.ty(), Type::U8) => Ok(()),
        (Type::List(l), Val::List(items)) => {
            let elem = l.ty();
            // Bytes are the bulk case: check them without a call per element.
            if matches!(elem, Type::U8) {
                return match items.iter().position(|v| !matches!(v, Val::U8(_))) {
                    None => Ok(()),
                    Some(i) => at(format!("element {i}"), check_value(&items[i], &elem)),
                };
            }
            for (i, item) in items.iter().enumerate() {
                at(format!("element {i}"), check_value(item, &elem))?;
            }
            Ok(())
        }
        (Type::FixedLengthList(l), Val::FixedLengthList(items)) => {
            if items.len() != l.len() as usize {
                return Err(format!(
                    "got {} elements instead of {}",
                    items.len(),
                    l.len()
                ));
            }
            for (i, item) in items.iter().enumerate() {
                at(format!("element {i}"), check_value(item, &l.ty()))?;
            }
            Ok(())
        }
        (Type::Map(m), Val::Map(entries)) => {
            for (i, (k, v)) in entries.iter().enumerate() {
                at(format!("key {i}"), check_value(k, &m.key()))?;
                at(format!("value {i}"), check_value(v, &m.value()))?;
            }
            Ok(())
        }
        (Type::Record(r), Val::Record(fields)) => {
            if r.fields().len() != fields.len() {
                return Err(format!(
                    "got a record with {} fields instead of {}",
                    fields.len(),
                    r.fields().len()
                ));
            }
            for (field, (name, v)) in r.fields().zip(fields) {
                if field.name != name {
                    return Err(format!("got field `{name}` where `{}` belongs", field.name));
                }
                at(format!("field `{name}`"), check_value(v, &field.ty))?;
            }
            Ok(())
        }
        (Type::Tuple(t), Val::Tuple(items)) => {
            if t.types().len() != items.len() {
                return Err(format!(
                    "got a tuple of {} instead of {}",
                    items.len(),
                    t.types().len()
                ));
            }
            for (i, (ty, item)) in t.types().zip(items).enumerate() {
                at(format!("element {i}"), check_value(item, &ty))?;
            }
            Ok(())
        }
        (Type::Variant(v), Val::Variant(name, payload)) => {
            let Some(case) = v.cases().find(|c| c.name == name) else {
                return Err(format!("got unknown case `{name}`"));
            };
            match (&case.ty, payload) {
                (None, None) => Ok(()),
                (Some(ty), Some(p)) => at(format!("case `{name}`"), check_value(p, ty)),
                (Some(_), None) => Err(format!("case `{name}` lacks its payload")),
                (None, Some(_)) => Err(format!("case `{name}` takes no payload")),
            }
        }
        (Type::Enum(e), Val::Enum(name)) => match e.names().any(|n| n == name) {
            true => Ok(()),
            false => Err(format!("got unknown case `{name}`")),
        },
        (Type::Flags(f), Val::Flags(names)) => {
            match names.iter().find(|n| !f.names().any(|m| m == n.as_str())) {
                None => Ok(()),
                Some(n) => Err(format!("got unknown flag `{n}`")),
            }
        }
        (Type::Option(o), Val::Option(v)) => match v {
            None => Ok(()),
            Some(v) => at("some".into(), check_value(v, &o.ty())),
        },
        (Type::Result(r), Val::Result(v)) => match (v, r.ok(), r.err()) {
            (Ok(None), None, _) | (Err(None), _, None) => Ok(()),
            (Ok(Some(v)), Some(ty), _) => at("ok".into(), check_value(v, &ty)),
            (Err(Some(v)), _, Some(ty)) => at("err".into(), check_value(v, &ty)),
            _ => Err("got a result whose payload does not fit".into()),
        },
        _ => mismatch(),
    }
}

/// Whether two types are the same WIT type, compared by structure (types of two
/// components are distinct handles even when they are spelled alike).
pub(super) fn same_type(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::List(x), Type::List(y)) => same_type(&x.ty(), &y.ty()),
        (Type::FixedLengthList(x), Type::FixedLengthList(y)) => {
            x.len() == y.len() && same_type(&x.ty(), &y.ty())
        }
        (Type::Map(x), Type::Map(y)) => {
            same_type(&x.key(), &y.key()) && same_type(&x.value(), &y.value())
        }
        (Type::Record(x), Type::Record(y)) => {
            x.fields().len() == y.fields().len()
                && x.fields()
                    .zip(y.fields())
                    .all(|(f, g)| f.name == g.name && same_type(&f.ty, &g.ty))
        }
        (Type::Tuple(x), Type::Tuple(y)) => {
            x.types().len() == y.types().len()
                && x.types().zip(y.types()).all(|(s, t)| same_type(&s, &t))
        }
        (Type::Variant(x), Type::Variant(y)) => {
            x.cases().len() == y.cases().len()
                && x.cases().zip(y.cases()).all(|(c, d)| {
                    c.name == d.name
                        && match (&c.ty, &d.ty) {
                            (None, None) => true,
                            (Some(s), Some(t)) => same_type(s, t),
                            _ => false,
                        }
                })
        }
        (Type::Enum(x), Type::Enum(y)) => x.names().eq(y.names()),
        (Type::Flags(x), Type::Flags(y)) => x.names().eq(y.names()),
        (Type::Option(x), Type::Option(y)) => same_type(&x.ty(), &y.ty()),
        (Type::Result(x), Type::Result(y)) => {
            let same = |s: Option<Type>, t: Option<Type>| match (s, t) {
                (None, None) => true,
                (Some(s), Some(t)) => same_type(&s, &t),
                _ => false,
            };
            same(x.ok(), y.ok()) && same(x.err(), y.err())
        }
        // Resources, futures and streams are only the same when they are one type.
        (Type::Own(_), _) | (Type::Borrow(_), _) | (Type::Future(_), _) | (Type::Stream(_), _) => {
            a == b
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}
