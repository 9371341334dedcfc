//! Round trips of every kind of value, and bad input.

use super::*;

#[test]
fn every_kind_of_value_round_trips() {
    let values = vec![
        Val::Bool(true),
        Val::S8(-3),
        Val::U8(250),
        Val::S16(-300),
        Val::U16(60000),
        Val::S32(-70000),
        Val::U32(4_000_000_000),
        Val::S64(i64::MIN),
        Val::U64(u64::MAX),
        Val::Float32(1.5),
        Val::Float64(-2.25),
        Val::Char('π'),
        Val::String("héllo".into()),
        Val::List(vec![]),
        Val::Bytes((0..=255).collect::<Vec<u8>>().into()),
        Val::List(vec![Val::U32(1), Val::U32(2)]),
        Val::Tuple(vec![Val::Bool(false), Val::String("x".into())]),
        Val::FixedLengthList(vec![Val::U16(7); 3]),
        Val::Map(vec![(Val::String("k".into()), Val::U64(9))]),
        Val::Record(vec![("a".into(), Val::U8(1)), ("b".into(), Val::Char('z'))]),
        Val::Variant("some-case".into(), Some(Box::new(Val::S32(-1)))),
        Val::Variant("bare".into(), None),
        Val::Enum("red".into()),
        Val::Option(None),
        Val::Option(Some(Box::new(Val::U8(3)))),
        Val::Result(Ok(Some(Box::new(Val::String("ok".into()))))),
        Val::Result(Err(None)),
        Val::Flags(vec!["read".into(), "write".into()]),
    ];
    for value in values {
        let bytes = encode_value(&value).unwrap();
        assert_eq!(decode_value(&bytes).unwrap(), value, "{bytes:?}");
    }
}

#[test]
fn bytes_are_stored_raw() {
    let value = Val::Bytes(vec![7; 1000].into());
    assert_eq!(encode_value(&value).unwrap().len(), 1 + 1 + 8 + 1000);
}

#[test]
fn another_version_is_refused_by_name() {
    let mut bytes = encode_value(&Val::U8(1)).unwrap();
    bytes[0] = 9;
    assert_eq!(
        decode_value(&bytes).unwrap_err().to_string(),
        "encoded value has version 9, but this build reads version 1 only"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut bytes = vec![CODEC_VERSION];
    for _ in 0..100_000 {
        bytes.extend_from_slice(&[tag::OPTION, 1]);
    }
    assert!(matches!(decode_value(&bytes), Err(CodecError::TooDeep(_))));
    let mut value = Val::U8(0);
    for _ in 0..=MAX_DEPTH {
        value = Val::Option(Some(Box::new(value)));
    }
    assert!(matches!(encode_value(&value), Err(CodecError::TooDeep(_))));
}

#[test]
fn what_encodes_decodes_at_the_depth_limit() {
    // Found by fuzzing (codec_decode): a value MAX_DEPTH + 1 levels deep encoded, but
    // the decoder refused its bytes as too deep.
    let nested = |levels: usize| {
        let mut value = Val::U8(0);
        for _ in 1..levels {
            value = Val::Option(Some(Box::new(value)));
        }
        value
    };
    let deepest = encode_value(&nested(MAX_DEPTH)).unwrap();
    assert_eq!(decode_value(&deepest).unwrap(), nested(MAX_DEPTH));
    assert!(matches!(
        encode_value(&nested(MAX_DEPTH + 1)),
        Err(CodecError::TooDeep(_))
    ));
}

#[test]
fn bad_input_is_named_not_a_panic() {
    let v = |bytes: &[u8]| [&[CODEC_VERSION][..], bytes].concat();
    assert_eq!(decode_value(&[]), Err(CodecError::Truncated(0)));
    assert_eq!(decode_value(&v(&[])), Err(CodecError::Truncated(1)));
    assert_eq!(
        decode_value(&v(&[99])),
        Err(CodecError::BadTag { tag: 99, at: 1 })
    );
    assert_eq!(
        decode_value(&v(&[tag::BOOL, 2])),
        Err(CodecError::Invalid {
            what: "bool",
            at: 1
        })
    );
    let huge = v(&[&[tag::STRING][..], &u64::MAX.to_le_bytes()].concat());
    assert_eq!(
        decode_value(&huge),
        Err(CodecError::Invalid {
            what: "length",
            at: 2
        })
    );
    assert_eq!(
        decode_value(&v(&[tag::U8, 1, 2])),
        Err(CodecError::Trailing(1))
    );
}
