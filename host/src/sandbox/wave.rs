//! WAVE text for calls and values (the syntax of `wasmtime run --invoke`), and JSON.

use wasmtime::component::Val;
use wasmtime::component::types::Type;
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;

use super::value::{Value, from_val, to_val};
use super::{Call, TaskComponent, types};
use crate::error::CallError;

/// Parses `name(arg, ...)`, or only the arguments when there is one export, and checks
/// each argument against the export's WIT parameter type.
pub(super) fn parse_call(component: &TaskComponent, text: &str) -> Result<Call, CallError> {
    let text = text.trim();
    let looks_like_call = text.starts_with(|c: char| c.is_ascii_alphabetic()) && text.contains('(');
    let parsed = match UntypedFuncCall::parse(text) {
        Ok(call) => call.into_owned(),
        Err(e) if looks_like_call => {
            return Err(CallError::Syntax {
                text: text.to_owned(),
                message: e.to_string(),
            });
        }
        Err(_) => {
            let [only] = component.functions() else {
                return Err(CallError::AmbiguousFunction {
                    text: text.to_owned(),
                    component: component.name().to_owned(),
                    available: component.export_list(),
                });
            };
            let wrapped = if text.starts_with('(') {
                format!("{}{text}", only.name())
            } else {
                format!("{}({text})", only.name())
            };
            UntypedFuncCall::parse(&wrapped)
                .map_err(|e| CallError::Syntax {
                    text: text.to_owned(),
                    message: e.to_string(),
                })?
                .into_owned()
        }
    };
    let func_idx = component.find(parsed.name())?;
    let func = component.function(func_idx);
    let nodes: Vec<_> = match parsed.params_node() {
        Some(node) => node
            .as_tuple()
            .map_err(|e| CallError::Syntax {
                text: text.to_owned(),
                message: e.to_string(),
            })?
            .collect(),
        None => Vec::new(),
    };
    let n_params = func.params.len();
    // As in WAVE, trailing `option` parameters may be left out.
    let n_required = func
        .params
        .iter()
        .rposition(|(_, ty)| !matches!(ty, Type::Option(_)))
        .map_or(0, |i| i + 1);
    if nodes.len() > n_params || nodes.len() < n_required {
        return Err(func.arity_error(nodes.len()));
    }
    let source = parsed.source();
    let mut args = Vec::with_capacity(n_params);
    for (position, (param, ty)) in func.params.iter().enumerate() {
        let Some(node) = nodes.get(position) else {
            args.push(Value::Option(None));
            continue;
        };
        let value = node
            .to_wasm_value::<Val>(ty, source)
            .map_err(|e| e.to_string())
            .and_then(|val| from_val(val, ty))
            .map_err(|e| CallError::WrongType {
                func: func.name.to_string(),
                position: position + 1,
                param: param.clone(),
                expected: types::wit_type(ty),
                problem: format!("got `{}` ({e})", &source[node.span()]),
            })?;
        args.push(value);
    }
    Ok(Call {
        component: component.clone(),
        func: func_idx,
        args,
    })
}

/// A value in WAVE, as `wasmtime run --invoke` prints it.
pub fn value_to_wave(value: &Value) -> String {
    wasmtime::component::wasm_wave::to_string(&to_val(value)).unwrap_or_else(|e| format!("<{e}>"))
}

/// A value as JSON: records become objects, lists and tuples arrays, `option` null or
/// the value, `result` `{"ok": ..}` or `{"err": ..}`, variants `{"case": payload}`.
pub fn value_to_json(val: &Value) -> serde_json::Value {
    use Value as Val;
    use serde_json::{Value as J, json};
    let opt = |v: &Option<Box<Val>>| v.as_deref().map_or(J::Null, value_to_json);
    match val {
        Val::Bool(b) => J::Bool(*b),
        Val::S8(n) => json!(n),
        Val::U8(n) => json!(n),
        Val::S16(n) => json!(n),
        Val::U16(n) => json!(n),
        Val::S32(n) => json!(n),
        Val::U32(n) => json!(n),
        Val::S64(n) => json!(n),
        Val::U64(n) => json!(n),
        Val::Float32(n) => json!(n),
        Val::Float64(n) => json!(n),
        Val::Char(c) => J::String(c.to_string()),
        Val::String(s) => J::String(s.clone()),
        Val::Bytes(bytes) => J::Array(bytes.iter().map(|b| json!(b)).collect()),
        Val::List(items) | Val::Tuple(items) | Val::FixedLengthList(items) => {
            J::Array(items.iter().map(value_to_json).collect())
        }
        Val::Map(entries) => J::Array(
            entries
                .iter()
                .map(|(k, v)| J::Array(vec![value_to_json(k), value_to_json(v)]))
                .collect(),
        ),
        Val::Record(fields) => J::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), value_to_json(v)))
                .collect(),
        ),
        Val::Variant(case, payload) => json!({ case.clone(): opt(payload) }),
        Val::Enum(case) => J::String(case.clone()),
        Val::Option(v) => opt(v),
        Val::Result(Ok(v)) => json!({ "ok": opt(v) }),
        Val::Result(Err(v)) => json!({ "err": opt(v) }),
        Val::Flags(names) => J::Array(names.iter().map(|n| J::String(n.clone())).collect()),
    }
}
