//! Fuzzes reading JSON arguments: arbitrary JSON text read with `Value::from_json` as a
//! type of the set, and `to_json` of what was read.
//!
//! The first byte picks the type (its low seven bits) and the mode (its high bit). In
//! the text mode the rest is JSON text: a value read from it must fit its type, print
//! as JSON that reads back to the same value, and, where WAVE can write its type,
//! print as WAVE that parses back to the same value. In the drawn mode the rest draws a
//! value of the type with `arbitrary`, which must print as JSON text and read back
//! to the same value. A type with an option in an option is left out of the JSON
//! round trips: its `some(none)` and `none` are both `null`.

#![no_main]

use std::sync::LazyLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wask_core::{Signature, Value, ValueType, parse_value};
use wask_fuzz::{has_map, has_nested_option, same, short, typed_value, types};

static TYPES: LazyLock<Vec<ValueType>> = LazyLock::new(types);

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else {
        return;
    };
    let ty = &TYPES[usize::from(pick & 0x7f) % TYPES.len()];
    if pick & 0x80 == 0 {
        text(ty, rest);
    } else {
        drawn(ty, rest);
    }
});

fn text(ty: &ValueType, text: &[u8]) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(text) else {
        return;
    };
    let Ok(value) = Value::from_json(&json, ty) else {
        return;
    };
    Signature::new("f", vec![("x".into(), ty.clone())], None)
        .check_arg(0, &value)
        .unwrap_or_else(|e| panic!("{json} read as {}, which does not fit: {e}", short(&value)));
    if !has_nested_option(ty) {
        json_round_trip(&value, ty);
    }
    if !has_map(ty) {
        let wave = value.to_string();
        let again = parse_value(&wave, ty)
            .unwrap_or_else(|e| panic!("{} printed as `{wave}`, which fails: {e}", short(&value)));
        assert!(
            same(&value, &again),
            "`{wave}` came back as {}",
            short(&again)
        );
    }
}

fn drawn(ty: &ValueType, bytes: &[u8]) {
    if has_nested_option(ty) {
        return;
    }
    if let Ok(value) = typed_value(&mut Unstructured::new(bytes), ty) {
        json_round_trip(&value, ty);
    }
}

/// The value prints as JSON text (as `host run --json` writes it) and reads back.
fn json_round_trip(value: &Value, ty: &ValueType) {
    let printed = value.to_json().to_string();
    let json: serde_json::Value = serde_json::from_str(&printed)
        .unwrap_or_else(|e| panic!("{} printed as {printed}, not JSON: {e}", short(value)));
    let again = Value::from_json(&json, ty)
        .unwrap_or_else(|e| panic!("{} printed as {printed}, which fails: {e}", short(value)));
    assert!(
        same(value, &again),
        "{} printed as {printed} came back as {}",
        short(value),
        short(&again)
    );
}
