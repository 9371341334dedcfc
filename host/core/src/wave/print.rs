//! Values printed as WAVE: the `Display` of [`Value`]. Strings and chars are escaped,
//! and a label spelled like a WAVE keyword is written with a `%`, so what is printed
//! parses back to the same value.

use std::fmt::{self, Write as _};

use crate::value::Value;

/// WAVE's keywords: a label spelled like one is written with a `%` in front.
fn is_keyword(label: &str) -> bool {
    matches!(
        label,
        "true" | "false" | "some" | "none" | "ok" | "err" | "inf" | "nan"
    )
}

fn write_label(f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
    if is_keyword(label) {
        f.write_char('%')?;
    }
    f.write_str(label)
}

fn write_escaped(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    // escape_debug writes control and non-printable characters as \u{..} and escapes
    // quotes and backslashes, so a value never writes raw control codes. But it writes
    // NUL as `\0`, which WAVE does not have.
    match c {
        '\0' => f.write_str("\\u{0}"),
        c => write!(f, "{}", c.escape_debug()),
    }
}

fn write_float(f: &mut fmt::Formatter<'_>, x: f64, text: impl fmt::Display) -> fmt::Result {
    if x.is_nan() {
        f.write_str("nan")
    } else {
        write!(f, "{text}")
    }
}

fn write_seq<'v>(
    f: &mut fmt::Formatter<'_>,
    open: &str,
    items: impl Iterator<Item = &'v Value>,
    close: &str,
) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

fn write_payload(f: &mut fmt::Formatter<'_>, payload: Option<&Value>) -> fmt::Result {
    match payload {
        Some(p) => write!(f, "({p})"),
        None => Ok(()),
    }
}

impl fmt::Display for Value {
    /// The value in WAVE, as `wasmtime run --invoke` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::S8(n) => write!(f, "{n}"),
            Value::U8(n) => write!(f, "{n}"),
            Value::S16(n) => write!(f, "{n}"),
            Value::U16(n) => write!(f, "{n}"),
            Value::S32(n) => write!(f, "{n}"),
            Value::U32(n) => write!(f, "{n}"),
            Value::S64(n) => write!(f, "{n}"),
            Value::U64(n) => write!(f, "{n}"),
            Value::Float32(x) => write_float(f, f64::from(*x), x),
            Value::Float64(x) => write_float(f, *x, x),
            Value::Char(c) => {
                f.write_char('\'')?;
                write_escaped(f, *c)?;
                f.write_char('\'')
            }
            Value::String(s) => {
                f.write_char('"')?;
                for c in s.chars() {
                    write_escaped(f, c)?;
                }
                f.write_char('"')
            }
            Value::Bytes(bytes) => {
                f.write_char('[')?;
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{b}")?;
                }
                f.write_char(']')
            }
            Value::List(items) | Value::FixedLengthList(items) => {
                write_seq(f, "[", items.iter(), "]")
            }
            Value::Tuple(items) => write_seq(f, "(", items.iter(), ")"),
            Value::Map(entries) => {
                f.write_char('[')?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "({k}, {v})")?;
                }
                f.write_char(']')
            }
            Value::Record(fields) => {
                f.write_char('{')?;
                let mut first = true;
                for (name, v) in fields {
                    if matches!(v, Value::Option(None)) {
                        continue;
                    }
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    write_label(f, name)?;
                    write!(f, ": {v}")?;
                }
                if first {
                    f.write_char(':')?;
                }
                f.write_char('}')
            }
            Value::Variant(case, payload) => {
                write_label(f, case)?;
                write_payload(f, payload.as_deref())
            }
            Value::Enum(case) => write_label(f, case),
            Value::Option(None) => f.write_str("none"),
            Value::Option(Some(v)) => write!(f, "some({v})"),
            Value::Result(Ok(payload)) => {
                f.write_str("ok")?;
                write_payload(f, payload.as_deref())
            }
            Value::Result(Err(payload)) => {
                f.write_str("err")?;
                write_payload(f, payload.as_deref())
            }
            Value::Flags(names) => {
                f.write_char('{')?;
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    // A flag needs no `%`, and wasm-wave (so `wasmtime run --invoke`)
                    // keeps the `%` of a flag as part of its name.
                    f.write_str(name)?;
                }
                f.write_char('}')
            }
        }
    }
}
