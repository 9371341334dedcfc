//! Parsing calls and values from WAVE against their types, and printing values.

use std::sync::Arc;

use super::*;
use crate::signature::Signature;
use crate::types::Case;

fn point() -> ValueType {
    ValueType::Record(
        vec![
            Field {
                name: "x".into(),
                ty: ValueType::S32,
            },
            Field {
                name: "y".into(),
                ty: ValueType::S32,
            },
            Field {
                name: "label".into(),
                ty: ValueType::Option(Arc::new(ValueType::String)),
            },
        ]
        .into(),
    )
}

fn exports() -> Exports {
    let sig = |name: &str, params: Vec<(&str, ValueType)>, result| {
        Signature::new(
            name,
            params.into_iter().map(|(n, t)| (n.into(), t)).collect(),
            result,
        )
    };
    Exports::new(
        "test.wasm",
        vec![
            sig("fib", vec![("n", ValueType::U32)], Some(ValueType::String)),
            sig(
                "echo-f64",
                vec![("x", ValueType::F64)],
                Some(ValueType::F64),
            ),
            sig("norm", vec![("p", point())], Some(ValueType::F64)),
            sig(
                "echo",
                vec![("data", ValueType::List(Arc::new(ValueType::U8)))],
                None,
            ),
            sig(
                "maybe",
                vec![
                    ("a", ValueType::U8),
                    ("b", ValueType::Option(Arc::new(ValueType::U8))),
                ],
                None,
            ),
        ],
    )
}

fn err(text: &str) -> String {
    exports().parse_call(text).unwrap_err().to_string()
}

#[test]
fn a_call_parses_to_its_index_and_typed_arguments() {
    assert_eq!(
        exports().parse_call("fib(100)").unwrap(),
        (0, vec![Value::U32(100)])
    );
    let (_, args) = exports().parse_call("echo([1, 2, 255])").unwrap();
    assert_eq!(args, vec![Value::Bytes(vec![1, 2, 255].into())]);
    let (_, args) = exports().parse_call("maybe(1)").unwrap();
    assert_eq!(args, vec![Value::U8(1), Value::Option(None)]);
    let (_, args) = exports().parse_call("norm({y: 2, x: 1})").unwrap();
    assert_eq!(
        args,
        vec![Value::Record(vec![
            ("x".into(), Value::S32(1)),
            ("y".into(), Value::S32(2)),
            ("label".into(), Value::Option(None)),
        ])]
    );
}

#[test]
fn bad_arguments_are_named_with_their_place() {
    assert_eq!(
        err("fib(-1)"),
        "argument 1 (`n`) of `fib`: expected u32, `-1` is out of range for u32"
    );
    assert_eq!(
        err("norm({x: 1, y: 2, label: \"a\", z: 3})"),
        "argument 1 (`p`) of `norm`: expected record { x: s32, y: s32, label: option<string> }, unknown field `z` of record { x: s32, y: s32, label: option<string> }"
    );
    assert!(
        err("norm({x: 1})").contains("missing field `y`"),
        "{}",
        err("norm({x: 1})")
    );
    assert!(err("echo-f64(1e309)").contains("`1e309` is out of range for f64"));
    assert!(exports().parse_call("echo-f64(inf)").is_ok());
    assert!(err("fib(1, 2)").contains("takes 1 argument"));
    assert!(err("fob(1)").starts_with("unknown function `fob`"));
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let text = format!("echo({}{})", "[".repeat(100_000), "]".repeat(100_000));
    assert!(err(&text).contains("deeper than 100 levels"));
}

#[test]
fn a_long_call_is_quoted_around_the_error_only() {
    let long = format!("echo([{}300])", "1, ".repeat(1_000_000));
    let message = err(&long);
    assert!(
        message.len() < 400,
        "{} bytes: {}",
        message.len(),
        &message[..400]
    );
    assert!(message.contains("`300` is out of range for u8"));
}

#[test]
fn values_print_as_wave_with_escapes() {
    let v = Value::String("a\u{1b}[31mb\"\n".into());
    assert_eq!(v.to_string(), r#""a\u{1b}[31mb\"\n""#);
    let v = Value::Variant("none".into(), Some(Box::new(Value::Float64(f64::NAN))));
    assert_eq!(v.to_string(), "%none(nan)");
    let v = Value::Record(vec![
        ("x".into(), Value::S32(1)),
        ("label".into(), Value::Option(None)),
    ]);
    assert_eq!(v.to_string(), "{x: 1}");
    assert_eq!(Value::Bytes(vec![1, 2].into()).to_string(), "[1, 2]");
    assert_eq!(Value::unit().to_string(), "()");
}

#[test]
fn printed_values_parse_back() {
    let ty = ValueType::Variant(
        vec![
            Case {
                name: "some".into(),
                ty: Some(ValueType::Tuple(
                    vec![ValueType::Char, ValueType::S8].into(),
                )),
            },
            Case {
                name: "nothing".into(),
                ty: None,
            },
        ]
        .into(),
    );
    let value = Value::Variant(
        "some".into(),
        Some(Box::new(Value::Tuple(vec![
            Value::Char('\''),
            Value::S8(-3),
        ]))),
    );
    assert_eq!(parse_value(&value.to_string(), &ty).unwrap(), value);
}

#[test]
fn a_call_spelled_as_python_or_javascript_names_the_export() {
    for text in ["echo_f64(1.0)", "echoF64(1.0)"] {
        let err = exports().parse_call(text).unwrap_err().to_string();
        assert!(
            err.contains("did you mean `echo-f64`? (WIT names are kebab-case)"),
            "{text}: {err}"
        );
    }
}

#[test]
fn nul_prints_as_a_wave_escape() {
    // Found by fuzzing (wave_call): escape_debug wrote `'\0'`, which WAVE cannot parse.
    let value = Value::Char('\0');
    assert_eq!(value.to_string(), r"'\u{0}'");
    assert_eq!(
        parse_value(&value.to_string(), &ValueType::Char).unwrap(),
        value
    );
    let value = Value::String("a\0b".into());
    assert_eq!(value.to_string(), r#""a\u{0}b""#);
    assert_eq!(
        parse_value(&value.to_string(), &ValueType::String).unwrap(),
        value
    );
}

#[test]
fn a_flag_named_like_a_keyword_round_trips() {
    // Found by fuzzing (wave_call): `{%some}` was printed, and read as a flag `%some`.
    let ty = ValueType::Flags(vec!["read".into(), "some".into()].into());
    let value = Value::Flags(vec!["read".into(), "some".into()]);
    assert_eq!(value.to_string(), "{read, some}");
    assert_eq!(parse_value("{read, some}", &ty).unwrap(), value);
    assert_eq!(parse_value("{%some, read}", &ty).unwrap(), value);
}
