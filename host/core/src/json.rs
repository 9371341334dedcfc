//! Values as JSON, both ways: how `host run --json` prints results and how a JSON
//! argument is read against its parameter's type.
//!
//! The mapping: numbers are numbers, except the non-finite floats, which are the
//! strings `"nan"`, `"inf"` and `"-inf"` (JSON has no such numbers, and `null` is an
//! empty option); chars and strings are strings; lists, tuples and `list<u8>` are
//! arrays; a map is an array of `[key, value]` pairs; a record is an object; a variant
//! is `{"case": payload}` (or `"case"` with no payload); an enum is its case's name; an
//! option is `null` or its value; a result is `{"ok": ..}` or `{"err": ..}`; flags are
//! an array of names.

use serde_json::{Map, Value as Json, json};

use crate::types::ValueType;
use crate::value::Value;

fn float_json(x: f64) -> Json {
    if x.is_nan() {
        Json::String("nan".into())
    } else if x.is_infinite() {
        Json::String(if x > 0.0 { "inf" } else { "-inf" }.into())
    } else {
        json!(x)
    }
}

impl Value {
    /// The value as JSON; see the module docs for the mapping.
    pub fn to_json(&self) -> Json {
        let opt = |v: &Option<Box<Value>>| v.as_deref().map_or(Json::Null, Value::to_json);
        match self {
            Value::Bool(b) => Json::Bool(*b),
            Value::S8(n) => json!(n),
            Value::U8(n) => json!(n),
            Value::S16(n) => json!(n),
            Value::U16(n) => json!(n),
            Value::S32(n) => json!(n),
            Value::U32(n) => json!(n),
            Value::S64(n) => json!(n),
            Value::U64(n) => json!(n),
            Value::Float32(n) => float_json(f64::from(*n)),
            Value::Float64(n) => float_json(*n),
            Value::Char(c) => Json::String(c.to_string()),
            Value::String(s) => Json::String(s.clone()),
            Value::Bytes(bytes) => Json::Array(bytes.iter().map(|b| json!(b)).collect()),
            Value::List(items) | Value::Tuple(items) | Value::FixedLengthList(items) => {
                Json::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(entries) => Json::Array(
                entries
                    .iter()
                    .map(|(k, v)| Json::Array(vec![k.to_json(), v.to_json()]))
                    .collect(),
            ),
            Value::Record(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Variant(case, None) | Value::Enum(case) => Json::String(case.clone()),
            Value::Variant(case, payload) => json!({ case.clone(): opt(payload) }),
            Value::Option(v) => opt(v),
            Value::Result(Ok(v)) => json!({ "ok": opt(v) }),
            Value::Result(Err(v)) => json!({ "err": opt(v) }),
            Value::Flags(names) => {
                Json::Array(names.iter().map(|n| Json::String(n.clone())).collect())
            }
        }
    }

    /// Reads a JSON value as type `ty`; the error names what was expected and where.
    pub fn from_json(json: &Json, ty: &ValueType) -> Result<Value, String> {
        from_json(json, ty).map_err(|(path, message)| {
            if path.is_empty() {
                message
            } else {
                format!("{message} at {}", path.join(""))
            }
        })
    }
}

/// An error and the path to it, innermost last.
type JsonError = (Vec<String>, String);

fn expected(ty: &ValueType, json: &Json) -> JsonError {
    let mut shown = json.to_string();
    if shown.len() > 60 {
        shown = format!("{}…", &shown[..shown.floor_char_boundary(60)]);
    }
    (Vec::new(), format!("expected {ty}, got {shown}"))
}

fn within(place: String) -> impl FnOnce(JsonError) -> JsonError {
    move |(mut path, message)| {
        path.insert(0, place);
        (path, message)
    }
}

fn int<T: TryFrom<i128>>(json: &Json, ty: &ValueType) -> Result<T, JsonError> {
    let n = json
        .as_i64()
        .map(i128::from)
        .or_else(|| json.as_u64().map(i128::from))
        .ok_or_else(|| expected(ty, json))?;
    T::try_from(n).map_err(|_| (Vec::new(), format!("{n} is out of range for {ty}")))
}

fn float(json: &Json, ty: &ValueType) -> Result<f64, JsonError> {
    match json {
        Json::Number(n) => n.as_f64().ok_or_else(|| expected(ty, json)),
        Json::String(s) if s == "nan" => Ok(f64::NAN),
        Json::String(s) if s == "inf" => Ok(f64::INFINITY),
        Json::String(s) if s == "-inf" => Ok(f64::NEG_INFINITY),
        _ => Err(expected(ty, json)),
    }
}

fn array<'j>(json: &'j Json, ty: &ValueType) -> Result<&'j [Json], JsonError> {
    json.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| expected(ty, json))
}

fn elements(items: &[Json], elem: &ValueType) -> Result<Vec<Value>, JsonError> {
    items
        .iter()
        .enumerate()
        .map(|(i, j)| from_json(j, elem).map_err(within(format!("[{i}]"))))
        .collect()
}

fn from_json(json: &Json, ty: &ValueType) -> Result<Value, JsonError> {
    Ok(match ty {
        ValueType::Bool => Value::Bool(json.as_bool().ok_or_else(|| expected(ty, json))?),
        ValueType::S8 => Value::S8(int(json, ty)?),
        ValueType::U8 => Value::U8(int(json, ty)?),
        ValueType::S16 => Value::S16(int(json, ty)?),
        ValueType::U16 => Value::U16(int(json, ty)?),
        ValueType::S32 => Value::S32(int(json, ty)?),
        ValueType::U32 => Value::U32(int(json, ty)?),
        ValueType::S64 => Value::S64(int(json, ty)?),
        ValueType::U64 => Value::U64(int(json, ty)?),
        ValueType::F32 => {
            let x = float(json, ty)?;
            // Narrowed on purpose; a finite value that does not fit is refused.
            #[allow(clippy::cast_possible_truncation, reason = "checked below")]
            let narrow = x as f32;
            if x.is_finite() && narrow.is_infinite() {
                return Err((Vec::new(), format!("{x} is out of range for f32")));
            }
            Value::Float32(narrow)
        }
        ValueType::F64 => Value::Float64(float(json, ty)?),
        ValueType::Char => {
            let s = json.as_str().ok_or_else(|| expected(ty, json))?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Value::Char(c),
                _ => return Err(expected(ty, json)),
            }
        }
        ValueType::String => {
            Value::String(json.as_str().ok_or_else(|| expected(ty, json))?.to_owned())
        }
        ValueType::List(elem) if **elem == ValueType::U8 => {
            let bytes = array(json, ty)?
                .iter()
                .enumerate()
                .map(|(i, j)| int::<u8>(j, elem).map_err(within(format!("[{i}]"))))
                .collect::<Result<Vec<u8>, _>>()?;
            Value::Bytes(bytes.into())
        }
        ValueType::List(elem) => Value::List(elements(array(json, ty)?, elem)?),
        ValueType::FixedList(elem, n) => {
            let items = array(json, ty)?;
            if items.len() != *n as usize {
                return Err((
                    Vec::new(),
                    format!("expected {n} elements, got {}", items.len()),
                ));
            }
            Value::FixedLengthList(elements(items, elem)?)
        }
        ValueType::Map(kv) => Value::Map(
            array(json, ty)?
                .iter()
                .enumerate()
                .map(|(i, pair)| match pair.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((
                        from_json(k, &kv.0).map_err(within(format!("[{i}][0]")))?,
                        from_json(v, &kv.1).map_err(within(format!("[{i}][1]")))?,
                    )),
                    _ => Err((
                        vec![format!("[{i}]")],
                        "expected a [key, value] pair".to_owned(),
                    )),
                })
                .collect::<Result<_, _>>()?,
        ),
        ValueType::Record(fields) => {
            let object = json.as_object().ok_or_else(|| expected(ty, json))?;
            record(object, fields)?
        }
        ValueType::Tuple(types) => {
            let items = array(json, ty)?;
            if items.len() != types.len() {
                return Err(expected(ty, json));
            }
            Value::Tuple(
                items
                    .iter()
                    .zip(types.iter())
                    .enumerate()
                    .map(|(i, (j, t))| from_json(j, t).map_err(within(format!("[{i}]"))))
                    .collect::<Result<_, _>>()?,
            )
        }
        ValueType::Variant(cases) => {
            let (name, payload) = match json {
                Json::String(name) => (name.as_str(), None),
                Json::Object(o) if o.len() == 1 => {
                    let (name, payload) = o.iter().next().expect("one entry");
                    (name.as_str(), Some(payload))
                }
                _ => return Err(expected(ty, json)),
            };
            let case = cases
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| (Vec::new(), format!("unknown case `{name}` of {ty}")))?;
            let payload = match (&case.ty, payload) {
                (Some(t), Some(p)) => Some(Box::new(
                    from_json(p, t).map_err(within(format!(".{name}")))?,
                )),
                (None, None | Some(Json::Null)) => None,
                (Some(t), None) => {
                    return Err((Vec::new(), format!("case `{name}` lacks its payload ({t})")));
                }
                (None, Some(_)) => {
                    return Err((Vec::new(), format!("case `{name}` takes no payload")));
                }
            };
            Value::Variant(name.to_owned(), payload)
        }
        ValueType::Enum(names) => {
            let name = json.as_str().ok_or_else(|| expected(ty, json))?;
            if !names.iter().any(|n| n == name) {
                return Err((Vec::new(), format!("unknown case `{name}` of {ty}")));
            }
            Value::Enum(name.to_owned())
        }
        ValueType::Option(some) => match json {
            Json::Null => Value::Option(None),
            other => Value::Option(Some(Box::new(from_json(other, some)?))),
        },
        ValueType::Result { ok, err } => {
            let object = json.as_object().filter(|o| o.len() == 1);
            let Some((name, payload)) = object.and_then(|o| o.iter().next()) else {
                return Err(expected(ty, json));
            };
            let payload_ty = match name.as_str() {
                "ok" => ok,
                "err" => err,
                _ => return Err(expected(ty, json)),
            };
            let payload = match (payload_ty, payload) {
                (Some(t), p) => Some(Box::new(
                    from_json(p, t).map_err(within(format!(".{name}")))?,
                )),
                (None, Json::Null) => None,
                (None, _) => return Err((Vec::new(), format!("`{name}` takes no payload here"))),
            };
            Value::Result(if name == "ok" {
                Ok(payload)
            } else {
                Err(payload)
            })
        }
        ValueType::Flags(names) => {
            let given = array(json, ty)?;
            let mut set = Vec::new();
            for (i, g) in given.iter().enumerate() {
                let name = g
                    .as_str()
                    .filter(|n| names.iter().any(|m| m == n))
                    .ok_or_else(|| (vec![format!("[{i}]")], format!("expected a flag of {ty}")))?;
                set.push(name);
            }
            Value::Flags(
                names
                    .iter()
                    .filter(|n| set.contains(&n.as_str()))
                    .cloned()
                    .collect(),
            )
        }
        ValueType::Unsupported(name) => {
            return Err((Vec::new(), format!("a {name} cannot be passed as a value")));
        }
    })
}

fn record(object: &Map<String, Json>, fields: &[crate::types::Field]) -> Result<Value, JsonError> {
    if let Some(unknown) = object
        .keys()
        .find(|k| !fields.iter().any(|f| f.name == **k))
    {
        let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return Err((
            Vec::new(),
            format!(
                "unknown field `{unknown}`; the record has {}",
                known.join(", ")
            ),
        ));
    }
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let value = match object.get(&field.name) {
            Some(j) => from_json(j, &field.ty).map_err(within(format!(".{}", field.name)))?,
            None if matches!(field.ty, ValueType::Option(_)) => Value::Option(None),
            None => return Err((Vec::new(), format!("missing field `{}`", field.name))),
        };
        out.push((field.name.clone(), value));
    }
    Ok(Value::Record(out))
}

#[cfg(test)]
mod test {
    //! Reading values back from the JSON they print as.

    use super::*;

    #[test]
    fn a_float_printed_as_json_reads_back_exactly() {
        // Found by fuzzing (json_value): serde_json's default float parsing is off by
        // an ulp for about a third of all doubles.
        for x in [
            1.038_063_586_566_405_8e-306,
            1.071_566_039_146_582_6e-75,
            -1.603_964_615_428_183e143,
        ] {
            let text = Value::Float64(x).to_json().to_string();
            let json: Json = serde_json::from_str(&text).unwrap();
            let back = Value::from_json(&json, &ValueType::F64).unwrap();
            assert_eq!(back, Value::Float64(x), "{text}");
        }
    }
}
