//! Fuzzes reading JSON arguments: arbitrary JSON text read with `Value::from_json` as a
//! type of the set, and `to_json` of what was read.
//!
//! The first byte picks the type; the rest is JSON text. A value that was read must
//! fit its type, print as JSON that reads back to the same value (unless its type
//! nests an option in an option, which JSON cannot tell apart), and, where WAVE can
//! write its type, print as WAVE that parses back to the same value.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use wask_core::{Signature, Value, ValueType, parse_value};
use wask_fuzz::{has_map, has_nested_option, same, types};

static TYPES: LazyLock<Vec<ValueType>> = LazyLock::new(types);

fuzz_target!(|data: &[u8]| {
    let [pick, text @ ..] = data else {
        return;
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(text) else {
        return;
    };
    let ty = &TYPES[usize::from(*pick) % TYPES.len()];
    let Ok(value) = Value::from_json(&json, ty) else {
        return;
    };
    Signature::new("f", vec![("x".into(), ty.clone())], None)
        .check_arg(0, &value)
        .unwrap_or_else(|e| panic!("{json} read as {value:?}, which does not fit: {e}"));

    let printed = value.to_json();
    // `some(none)` and `none` are both `null`; see `has_nested_option`.
    if !has_nested_option(ty) {
        let again = Value::from_json(&printed, ty)
            .unwrap_or_else(|e| panic!("{value:?} printed as {printed}, which fails as {ty}: {e}"));
        assert!(
            same(&value, &again),
            "{value:?} printed as {printed} came back as {again:?}"
        );
    }

    if !has_map(ty) {
        let wave = value.to_string();
        let again = parse_value(&wave, ty)
            .unwrap_or_else(|e| panic!("{value:?} printed as `{wave}`, which fails: {e}"));
        assert!(same(&value, &again), "`{wave}` came back as {again:?}");
    }
});
