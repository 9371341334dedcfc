//! Fuzzes the binary value codec: arbitrary bytes into `decode_value`, and round trips
//! both ways.
//!
//! Bytes that decode re-encode to exactly the same bytes (the encoding is canonical).
//! The same bytes also draw a value of any shape (`any_value`), which must encode
//! and decode back to itself, or be refused as too deep by the encoder alone.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wask_core::{CodecError, MAX_DEPTH, decode_value, encode_value};
use wask_fuzz::{any_value, same, short};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = decode_value(data) {
        let again = encode_value(&value)
            .unwrap_or_else(|e| panic!("decoded {} does not encode: {e}", short(&value)));
        assert!(
            again == data,
            "decoded {} encodes to other bytes",
            short(&value)
        );
        // What a decoded value can be handed to next: printing, JSON, its size.
        let _ = (value.to_string(), value.to_json(), value.size());
    }

    // Deep enough to cross the codec's nesting limit.
    let Ok(value) = any_value(&mut Unstructured::new(data), MAX_DEPTH + 4) else {
        return;
    };
    match encode_value(&value) {
        Ok(bytes) => {
            let again = decode_value(&bytes)
                .unwrap_or_else(|e| panic!("{} encodes but does not decode: {e}", short(&value)));
            assert!(
                same(&value, &again),
                "{} came back as {}",
                short(&value),
                short(&again)
            );
        }
        Err(CodecError::TooDeep(_)) => {}
        Err(e) => panic!("{} does not encode: {e}", short(&value)),
    }
});
