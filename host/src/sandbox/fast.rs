//! The bulk path: calls whose signature moves bytes skip `Val` and go through
//! wasmtime's statically typed calls, so a `list<u8>` crosses as one copy instead of
//! a boxed value per byte.
//!
//! A *shape* is a signature this path knows: parameters `(list<u8>)`, `(list<u8>, u32)`
//! or `(list<u8>, u32, u32)`, and a result `list<u8>` or `result<list<u8>, string>`.
//! Any other signature takes the generic path; both give the same value.

use wasmtime::component::types::Type;
use wasmtime::component::{ComponentExportIndex, Instance};
use wasmtime::{AsContextMut, Store};

use super::value::Value;

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

fn is_bytes(ty: &Type) -> bool {
    matches!(ty, Type::List(l) if matches!(l.ty(), Type::U8))
}

/// The shape of a signature, if the bulk path knows it.
pub(super) fn shape_of(params: &[(String, Type)], result: Option<&Type>) -> Option<Shape> {
    let params = match params {
        [(_, a)] if is_bytes(a) => Params::Bytes,
        [(_, a), (_, Type::U32)] if is_bytes(a) => Params::BytesU32,
        [(_, a), (_, Type::U32), (_, Type::U32)] if is_bytes(a) => Params::BytesU32U32,
        _ => return None,
    };
    let output = match result? {
        ty if is_bytes(ty) => Output::Bytes,
        Type::Result(r)
            if r.ok().is_some_and(|ok| is_bytes(&ok)) && matches!(r.err(), Some(Type::String)) =>
        {
            Output::BytesOrString
        }
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

fn output_value(output: Result<Vec<u8>, String>, shape: Shape) -> Value {
    match (shape.output, output) {
        (Output::Bytes, Ok(bytes)) => Value::Bytes(bytes.into()),
        (Output::Bytes, Err(_)) => unreachable!("a list<u8> result cannot be an error"),
        (Output::BytesOrString, Ok(bytes)) => {
            Value::Result(Ok(Some(Box::new(Value::Bytes(bytes.into())))))
        }
        (Output::BytesOrString, Err(message)) => {
            Value::Result(Err(Some(Box::new(Value::String(message)))))
        }
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
                    .map(|(out,)| output_value(Ok(out), shape)),
                Output::BytesOrString => instance
                    .get_typed_func::<$params, (Result<Vec<u8>, String>,)>(
                        store.as_context_mut(),
                        index,
                    )
                    .and_then(|f| f.call(store.as_context_mut(), $args))
                    .map(|(out,)| output_value(out, shape)),
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
