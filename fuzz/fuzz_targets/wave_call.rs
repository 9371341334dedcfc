//! Fuzzes WAVE parsing: calls checked against signatures of every WIT type
//! (`Exports::parse_call`) and single values (`parse_value`), and the round trip of
//! printing a value as WAVE and parsing it back.
//!
//! The first byte picks the mode, the second the type where a mode needs one; the rest
//! is the WAVE text (or, for the round trip, the bytes a value is drawn from). Errors
//! are fine; a panic, or a value that does not come back equal, is a bug.

#![no_main]

use std::sync::LazyLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wask_core::{Exports, Value, ValueType, parse_value};
use wask_fuzz::{exports, same, single_export, typed_value, types, wave_types};

static EXPORTS: LazyLock<Exports> = LazyLock::new(exports);
static SINGLE: LazyLock<Exports> = LazyLock::new(single_export);
static TYPES: LazyLock<Vec<ValueType>> = LazyLock::new(types);
static WAVE_TYPES: LazyLock<Vec<ValueType>> = LazyLock::new(wave_types);

fuzz_target!(|data: &[u8]| {
    let [mode, pick, rest @ ..] = data else {
        return;
    };
    match mode % 4 {
        0 => call(&EXPORTS, rest),
        1 => call(&SINGLE, rest),
        2 => value(&TYPES[usize::from(*pick) % TYPES.len()], rest),
        _ => printed_value(&WAVE_TYPES[usize::from(*pick) % WAVE_TYPES.len()], rest),
    }
});

/// A call that parses prints as `name(args)` and parses back to the same call.
fn call(exports: &Exports, text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok((index, args)) = exports.parse_call(text) else {
        return;
    };
    let func = exports.function(index);
    func.check_args(&args)
        .unwrap_or_else(|e| panic!("parsed call `{text}` does not check: {e}"));
    let printed = format!(
        "{}({})",
        func.name(),
        args.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (again_index, again) = exports
        .parse_call(&printed)
        .unwrap_or_else(|e| panic!("`{text}` printed as `{printed}`, which fails: {e}"));
    assert_eq!(index, again_index, "`{printed}` calls another function");
    assert_eq!(args.len(), again.len());
    for (a, b) in args.iter().zip(&again) {
        assert!(
            same(a, b),
            "`{text}` printed as `{printed}`: {a:?} came back as {b:?}"
        );
    }
}

/// A value that parses prints and parses back to itself.
fn value(ty: &ValueType, text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    if let Ok(value) = parse_value(text, ty) {
        round_trip(&value, ty);
    }
}

/// A value drawn of type `ty` prints and parses back to itself.
fn printed_value(ty: &ValueType, bytes: &[u8]) {
    if let Ok(value) = typed_value(&mut Unstructured::new(bytes), ty) {
        round_trip(&value, ty);
    }
}

fn round_trip(value: &Value, ty: &ValueType) {
    let printed = value.to_string();
    let again = parse_value(&printed, ty)
        .unwrap_or_else(|e| panic!("{value:?} printed as `{printed}`, which fails as {ty}: {e}"));
    assert!(
        same(value, &again),
        "{value:?} printed as `{printed}` came back as {again:?}"
    );
}
