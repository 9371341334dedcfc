//! The bulk path: calls whose signature moves bytes skip `Val` and go through
//! wasmtime's statically typed calls, so a `list<u8>` crosses as one copy instead of
//! a boxed value per byte.
//!
//! A *shape* is a signature this path knows: parameters `(list<u8>)`, `(list<u8>, u32)`
//! or `(list<u8>, u32, u32)`, and a result `list<u8>` or `result<list<u8>, string>`.
//! Any other signature takes the generic path; both give the same value.

use wask_core::{Value, ValueType};
use wasmtime::component::{ComponentExportIndex, Instance};
use wasmtime::{AsContextMut, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    Bytes,
    BytesU32,
    BytesU32U32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Bytes,
    BytesOrString,
}

/// A signature the bulk path can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    params: Params,
    output: Output,
}

/// The shape of a signature, if the bulk path knows it.
pub(super) fn shape_of(
    params: &[(String, ValueType)],
    result: Option<&ValueType>,
) -> Option<Shape> {
    let params = match params {
        [(_, a)] if a.is_bytes() => Params::Bytes,
        [(_, a), (_, ValueType::U32)] if a.is_bytes() => Params::BytesU32,
        [(_, a), (_, ValueType::U32), (_, ValueType::U32)] if a.is_bytes() => Params::BytesU32U32,
        _ => return None,
    };
    let output = match result? {
        ty if ty.is_bytes() => Output::Bytes,
        ValueType::Result {
            ok: Some(ok),
            err: Some(err),
        } if ok.is_bytes() && **err == ValueType::String => Output::BytesOrString,
        _ => return None,
    };
    Some(Shape { params, output })
}

fn u32_arg(args: &[Value], i: usize) -> Option<u32> {
    match args.get(i)? {
        Value::U32(n) => Some(*n),
        _ => None,
    }
}

fn bytes_or_string(output: Result<Vec<u8>, String>) -> Value {
    match output {
        Ok(bytes) => Value::Result(Ok(Some(Box::new(Value::Bytes(bytes.into()))))),
        Err(message) => Value::Result(Err(Some(Box::new(Value::String(message))))),
    }
}

/// Calls the export through its typed signature; `None` when the arguments are not
/// in the form this path takes (then the generic path runs the call).
pub(super) fn call<T: Send + 'static>(
    shape: Shape,
    instance: &Instance,
    store: &mut Store<T>,
    index: ComponentExportIndex,
    args: &[Value],
) -> Option<wasmtime::Result<Value>> {
    let Some(Value::Bytes(bytes)) = args.first() else {
        return None;
    };
    let bytes: &[u8] = bytes;
    macro_rules! typed {
        ($params:ty, $args:expr) => {{
            match shape.output {
                Output::Bytes => instance
                    .get_typed_func::<$params, (Vec<u8>,)>(store.as_context_mut(), index)
                    .and_then(|f| f.call(store.as_context_mut(), $args))
                    .map(|(out,)| Value::Bytes(out.into())),
                Output::BytesOrString => instance
                    .get_typed_func::<$params, (Result<Vec<u8>, String>,)>(
                        store.as_context_mut(),
                        index,
                    )
                    .and_then(|f| f.call(store.as_context_mut(), $args))
                    .map(|(out,)| bytes_or_string(out)),
            }
        }};
    }
    Some(match shape.params {
        Params::Bytes => typed!((&[u8],), (bytes,)),
        Params::BytesU32 => {
            let a = u32_arg(args, 1)?;
            typed!((&[u8], u32), (bytes, a))
        }
        Params::BytesU32U32 => {
            let (a, b) = (u32_arg(args, 1)?, u32_arg(args, 2)?);
            typed!((&[u8], u32, u32), (bytes, a, b))
        }
    })
}
