//! WAVE text for calls and values: the syntax of `wasmtime run --invoke`.
//!
//! Parsing is in two steps: `wasm-wave` turns the text into an untyped tree, and
//! [`value_from_node`] reads that tree against the parameter's [`ValueType`], so every
//! problem (a number out of range, an unknown record field, a missing payload) is
//! named with the place in the text where it is. Printing is the `Display` of
//! [`Value`]; strings and chars are escaped, so no control character a guest returns
//! reaches a terminal raw.

use std::fmt;
use std::ops::Range;

use wasm_wave::ast::{Node, NodeType};
use wasm_wave::untyped::{UntypedFuncCall, UntypedValue};

use crate::error::CallError;
use crate::signature::Exports;
use crate::types::{Case, Field, ValueType};
use crate::value::Value;

/// Deepest nesting of brackets a call may have; the parser recurses once per level.
pub const MAX_NESTING: usize = 100;

/// Characters of a long call quoted around the place of an error.
const QUOTE_AROUND: usize = 40;

/// A problem at a place in the text.
struct NodeError {
    span: Range<usize>,
    message: String,
}

impl NodeError {
    fn new(node: &Node, message: impl Into<String>) -> Self {
        NodeError {
            span: node.span(),
            message: message.into(),
        }
    }
}

/// The text, or for a long one a window around `span` with `…` where it was cut.
pub fn quote(text: &str, span: Range<usize>) -> String {
    if text.len() <= 2 * QUOTE_AROUND + 20 {
        return text.to_owned();
    }
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start.saturating_sub(QUOTE_AROUND));
    let end = floor(
        span.end
            .min(span.start + QUOTE_AROUND)
            .saturating_add(QUOTE_AROUND),
    );
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&text[start..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// For a long text, the words "in" and a quoted window of it around `span`: where in
/// it a problem is. Nothing for a short text, which its message quotes whole already.
fn context(text: &str, span: Range<usize>) -> String {
    if text.len() <= 2 * QUOTE_AROUND + 20 {
        String::new()
    } else {
        format!(" in `{}`", quote(text, span))
    }
}

/// How deeply brackets nest in `text`, outside string and char literals.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn syntax(text: &str, span: Range<usize>, message: impl fmt::Display) -> CallError {
    CallError::Syntax {
        text: quote(text, span),
        message: message.to_string(),
    }
}

fn looks_like_call(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic()) && text.contains('(')
}

/// Arguments alone, `(1, 2)` or `1, 2`, as a call of the component's only function.
fn with_only_function(exports: &Exports, text: &str) -> Result<String, CallError> {
    let [only] = exports.functions() else {
        return Err(CallError::AmbiguousFunction {
            text: quote(text, 0..0),
            component: exports.component().to_owned(),
            available: exports.list(),
        });
    };
    Ok(if text.starts_with('(') {
        format!("{}{text}", only.name())
    } else {
        format!("{}({text})", only.name())
    })
}

/// Parses `name(arg, ...)`, or only the arguments when there is one export, and reads
/// each argument as its parameter's type.
pub(crate) fn parse_call(exports: &Exports, text: &str) -> Result<(usize, Vec<Value>), CallError> {
    let text = text.trim();
    if nesting(text) > MAX_NESTING {
        return Err(syntax(
            text,
            0..0,
            format!("it nests brackets deeper than {MAX_NESTING} levels"),
        ));
    }
    let wrapped;
    let parsed = match UntypedFuncCall::parse(text) {
        Ok(call) => call,
        Err(e) if looks_like_call(text) => {
            // `count_words(...)` or `countWords(...)` is not WAVE: name the export meant.
            if let Some(name) = foreign_name(text) {
                exports.find(name)?;
            }
            return Err(syntax(text, e.span(), &e));
        }
        Err(_) => {
            wrapped = with_only_function(exports, text)?;
            UntypedFuncCall::parse(&wrapped).map_err(|e| syntax(&wrapped, e.span(), &e))?
        }
    };
    let source = parsed.source();
    let index = exports.find(parsed.name())?;
    let func = exports.function(index);
    let nodes: Vec<&Node> = match parsed.params_node() {
        Some(node) => node
            .as_tuple()
            .map_err(|e| syntax(source, e.span(), &e))?
            .collect(),
        None => Vec::new(),
    };
    let params = func.params();
    // As in WAVE, trailing `option` parameters may be left out.
    let n_required = params
        .iter()
        .rposition(|(_, ty)| !matches!(ty, ValueType::Option(_)))
        .map_or(0, |i| i + 1);
    if nodes.len() > params.len() || nodes.len() < n_required {
        return Err(func.arity_error(nodes.len()));
    }
    let mut args = Vec::with_capacity(params.len());
    for (position, (param, ty)) in params.iter().enumerate() {
        let Some(node) = nodes.get(position) else {
            args.push(Value::Option(None));
            continue;
        };
        let value = value_from_node(node, ty, source).map_err(|e| {
            // The error names the parameter's type already.
            let expected = format!("expected {ty}, ");
            let problem = e.message.strip_prefix(&expected).unwrap_or(&e.message);
            func.wrong_type(
                position,
                param,
                ty,
                problem.to_owned() + &context(source, e.span),
            )
        })?;
        args.push(value);
    }
    Ok((index, args))
}

/// The function name of a call spelled as Rust, Python or JavaScript would
/// (`count_words`, `countWords`), which WAVE cannot parse.
fn foreign_name(text: &str) -> Option<&str> {
    let name = text[..text.find('(')?].trim();
    let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (identifier && name.contains(|c: char| c == '_' || c.is_ascii_uppercase())).then_some(name)
}

/// Parses one value written in WAVE as type `ty`.
pub fn parse_value(text: &str, ty: &ValueType) -> Result<Value, String> {
    if nesting(text) > MAX_NESTING {
        return Err(format!(
            "the value nests brackets deeper than {MAX_NESTING} levels"
        ));
    }
    let parsed = UntypedValue::parse(text)
        .map_err(|e| format!("cannot parse `{}`: {e}", quote(text, e.span())))?;
    value_from_node(parsed.node(), ty, parsed.source())
        .map_err(|e| e.message + &context(text, e.span))
}

fn integer<T: std::str::FromStr>(node: &Node, src: &str, ty: &ValueType) -> Result<T, NodeError> {
    let text = number_text(node, src, ty)?;
    text.parse().map_err(|_| match text.parse::<i128>() {
        Ok(_) => NodeError::new(node, format!("`{text}` is out of range for {ty}")),
        Err(_) => NodeError::new(node, format!("expected {ty}, got `{text}`")),
    })
}

/// A float of type `T` (f32 or f64); a finite literal too large for it is an error
/// rather than an infinity.
fn float<T: std::str::FromStr + Into<f64> + Copy>(
    node: &Node,
    src: &str,
    ty: &ValueType,
) -> Result<T, NodeError> {
    let text = number_text(node, src, ty)?;
    let value: T = text
        .parse()
        .map_err(|_| NodeError::new(node, format!("expected {ty}, got `{text}`")))?;
    let wide: f64 = value.into();
    if wide.is_infinite() && !text.contains("inf") {
        return Err(NodeError::new(
            node,
            format!("`{text}` is out of range for {ty}; write inf or -inf for an infinity"),
        ));
    }
    Ok(value)
}

fn number_text<'s>(node: &Node, src: &'s str, ty: &ValueType) -> Result<&'s str, NodeError> {
    match node.ty() {
        NodeType::Number => Ok(&src[node.span()]),
        _ => Err(NodeError::new(
            node,
            format!("expected {ty}, got `{}`", &src[node.span()]),
        )),
    }
}

fn wave_err(
    node: &Node,
    ty: &ValueType,
    src: &str,
) -> impl Fn(wasm_wave::parser::ParserError) -> NodeError {
    let message = format!("expected {ty}, got `{}`", quote(src, node.span()));
    let span = node.span();
    move |_| NodeError {
        span: span.clone(),
        message: message.clone(),
    }
}

/// Reads an untyped WAVE tree as a value of type `ty`.
fn value_from_node(node: &Node, ty: &ValueType, src: &str) -> Result<Value, NodeError> {
    let bad = wave_err(node, ty, src);
    Ok(match ty {
        ValueType::Bool => Value::Bool(node.as_bool().map_err(bad)?),
        ValueType::S8 => Value::S8(integer(node, src, ty)?),
        ValueType::U8 => Value::U8(integer(node, src, ty)?),
        ValueType::S16 => Value::S16(integer(node, src, ty)?),
        ValueType::U16 => Value::U16(integer(node, src, ty)?),
        ValueType::S32 => Value::S32(integer(node, src, ty)?),
        ValueType::U32 => Value::U32(integer(node, src, ty)?),
        ValueType::S64 => Value::S64(integer(node, src, ty)?),
        ValueType::U64 => Value::U64(integer(node, src, ty)?),
        ValueType::F32 => Value::Float32(float(node, src, ty)?),
        ValueType::F64 => Value::Float64(float(node, src, ty)?),
        ValueType::Char => Value::Char(node.as_char(src).map_err(bad)?),
        ValueType::String => Value::String(node.as_str(src).map_err(bad)?.into_owned()),
        ValueType::List(elem) if **elem == ValueType::U8 => {
            let bytes = node
                .as_list()
                .map_err(bad)?
                .map(|n| integer::<u8>(n, src, elem))
                .collect::<Result<Vec<u8>, _>>()?;
            Value::Bytes(bytes.into())
        }
        ValueType::List(elem) => Value::List(items(node.as_list().map_err(bad)?, elem, src)?),
        ValueType::FixedList(elem, n) => {
            let nodes = node.as_list().map_err(bad)?;
            if nodes.len() != *n as usize {
                return Err(NodeError::new(
                    node,
                    format!("expected {n} elements, got {}", nodes.len()),
                ));
            }
            Value::FixedLengthList(items(nodes, elem, src)?)
        }
        ValueType::Map(_) => {
            return Err(NodeError::new(
                node,
                format!("WAVE has no syntax for {ty}; pass it as JSON"),
            ));
        }
        ValueType::Record(fields) => record(node, fields, ty, src)?,
        ValueType::Tuple(types) => {
            let nodes = node.as_tuple().map_err(bad)?;
            if nodes.len() != types.len() {
                return Err(NodeError::new(
                    node,
                    format!(
                        "expected {ty}, a tuple of {}, got {}",
                        types.len(),
                        nodes.len()
                    ),
                ));
            }
            Value::Tuple(
                nodes
                    .zip(types.iter())
                    .map(|(n, t)| value_from_node(n, t, src))
                    .collect::<Result<_, _>>()?,
            )
        }
        ValueType::Variant(cases) => variant(node, cases, ty, src)?,
        ValueType::Enum(names) => {
            let label = node.as_enum(src).map_err(bad)?;
            if !names.iter().any(|n| n == label) {
                return Err(NodeError::new(
                    node,
                    format!("unknown case `{label}` of {ty}"),
                ));
            }
            Value::Enum(label.to_owned())
        }
        ValueType::Option(some) => option(node, some, ty, src)?,
        ValueType::Result { ok, err } => result(node, ok.as_deref(), err.as_deref(), ty, src)?,
        ValueType::Flags(names) => flags(node, names, ty, src)?,
        ValueType::Unsupported(name) => {
            return Err(NodeError::new(
                node,
                format!("a {name} cannot be passed as a value"),
            ));
        }
    })
}

fn variant(node: &Node, cases: &[Case], ty: &ValueType, src: &str) -> Result<Value, NodeError> {
    let (label, payload) = node.as_variant(src).map_err(wave_err(node, ty, src))?;
    let case = cases
        .iter()
        .find(|c| c.name == label)
        .ok_or_else(|| NodeError::new(node, format!("unknown case `{label}` of {ty}")))?;
    let payload = payload_of(node, label, case.ty.as_ref(), payload, src)?;
    Ok(Value::Variant(label.to_owned(), payload))
}

fn option(node: &Node, some: &ValueType, ty: &ValueType, src: &str) -> Result<Value, NodeError> {
    match node.ty() {
        NodeType::OptionSome | NodeType::OptionNone => {
            let payload = node.as_option().map_err(wave_err(node, ty, src))?;
            let value = payload.map(|p| value_from_node(p, some, src)).transpose()?;
            Ok(Value::Option(value.map(Box::new)))
        }
        _ if flattenable(some) => Ok(Value::Option(Some(Box::new(value_from_node(
            node, some, src,
        )?)))),
        _ => Err(bad_of(node, ty, src)),
    }
}

fn result(
    node: &Node,
    ok: Option<&ValueType>,
    err: Option<&ValueType>,
    ty: &ValueType,
    src: &str,
) -> Result<Value, NodeError> {
    match node.ty() {
        NodeType::ResultOk | NodeType::ResultErr => {
            Ok(match node.as_result().map_err(wave_err(node, ty, src))? {
                Ok(p) => Value::Result(Ok(payload_of(node, "ok", ok, p, src)?)),
                Err(p) => Value::Result(Err(payload_of(node, "err", err, p, src)?)),
            })
        }
        _ => match ok {
            Some(ok) if flattenable(ok) => Ok(Value::Result(Ok(Some(Box::new(value_from_node(
                node, ok, src,
            )?))))),
            _ => Err(bad_of(node, ty, src)),
        },
    }
}

fn flags(node: &Node, names: &[String], ty: &ValueType, src: &str) -> Result<Value, NodeError> {
    let given: Vec<&str> = node
        .as_flags(src)
        .map_err(wave_err(node, ty, src))?
        // wasm-wave strips a label's `%` everywhere but in flags.
        .map(|label| label.strip_prefix('%').unwrap_or(label))
        .collect();
    if let Some(unknown) = given.iter().find(|g| !names.iter().any(|n| n == *g)) {
        return Err(NodeError::new(
            node,
            format!("unknown flag `{unknown}` of {ty}"),
        ));
    }
    Ok(Value::Flags(
        names
            .iter()
            .filter(|n| given.contains(&n.as_str()))
            .cloned()
            .collect(),
    ))
}

fn bad_of(node: &Node, ty: &ValueType, src: &str) -> NodeError {
    NodeError::new(
        node,
        format!("expected {ty}, got `{}`", quote(src, node.span())),
    )
}

/// As in WAVE, a bare value stands for `some(value)` or `ok(value)` unless the payload
/// is itself an option or result.
fn flattenable(ty: &ValueType) -> bool {
    !matches!(ty, ValueType::Option(_) | ValueType::Result { .. })
}

fn items<'n>(
    nodes: impl Iterator<Item = &'n Node>,
    elem: &ValueType,
    src: &str,
) -> Result<Vec<Value>, NodeError> {
    nodes.map(|n| value_from_node(n, elem, src)).collect()
}

fn record(node: &Node, fields: &[Field], ty: &ValueType, src: &str) -> Result<Value, NodeError> {
    let given: Vec<(&str, &Node)> = node
        .as_record(src)
        .map_err(wave_err(node, ty, src))?
        .collect();
    for (i, (name, value)) in given.iter().enumerate() {
        if !fields.iter().any(|f| f.name == *name) {
            return Err(NodeError::new(
                value,
                format!("unknown field `{name}` of {ty}"),
            ));
        }
        if given[..i].iter().any(|(n, _)| n == name) {
            return Err(NodeError::new(value, format!("field `{name}` given twice")));
        }
    }
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let value = match given.iter().find(|(n, _)| *n == field.name) {
            Some((_, n)) => value_from_node(n, &field.ty, src)?,
            None if matches!(field.ty, ValueType::Option(_)) => Value::Option(None),
            None => {
                return Err(NodeError::new(
                    node,
                    format!("missing field `{}` of {ty}", field.name),
                ));
            }
        };
        out.push((field.name.clone(), value));
    }
    Ok(Value::Record(out))
}

fn payload_of(
    node: &Node,
    case: &str,
    ty: Option<&ValueType>,
    payload: Option<&Node>,
    src: &str,
) -> Result<Option<Box<Value>>, NodeError> {
    match (ty, payload) {
        (Some(ty), Some(p)) => Ok(Some(Box::new(value_from_node(p, ty, src)?))),
        (None, None) => Ok(None),
        (Some(ty), None) => Err(NodeError::new(
            node,
            format!("case `{case}` lacks its payload ({ty})"),
        )),
        (None, Some(_)) => Err(NodeError::new(
            node,
            format!("case `{case}` takes no payload"),
        )),
    }
}

mod print;
#[cfg(test)]
mod test;
