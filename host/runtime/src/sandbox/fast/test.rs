//! Which signatures the bulk path plans for, and how their results come back.

use std::sync::Arc;

use wask_core::{Field, ValueType};

use super::{Plan, Returned, plan};

fn bytes() -> ValueType {
    ValueType::List(Arc::new(ValueType::U8))
}

fn point() -> ValueType {
    ValueType::Record(
        [("x", ValueType::S32), ("y", ValueType::S32)]
            .into_iter()
            .map(|(name, ty)| Field {
                name: name.into(),
                ty,
            })
            .chain([Field {
                name: "label".into(),
                ty: ValueType::Option(Arc::new(ValueType::String)),
            }])
            .collect(),
    )
}

fn check(params: &[ValueType], result: Option<&ValueType>, expected: Option<Returned>) {
    let params: Vec<_> = params
        .iter()
        .enumerate()
        .map(|(i, ty)| (format!("p{i}"), ty.clone()))
        .collect();
    assert_eq!(
        plan(&params, result),
        expected.map(|returned| Plan { returned }),
        "{params:?} -> {result:?}"
    );
}

#[test]
fn signatures_that_move_bytes_are_planned_by_how_their_result_returns() {
    check(&[bytes()], Some(&ValueType::U64), Some(Returned::Flat));
    check(
        &[ValueType::String],
        Some(&ValueType::U32),
        Some(Returned::Flat),
    );
    check(
        &[ValueType::String, bytes()],
        Some(&bytes()),
        Some(Returned::Memory),
    );
    check(&[point()], None, Some(Returned::Nothing));
    check(
        &[bytes(), ValueType::String],
        Some(&ValueType::Result {
            ok: Some(Arc::new(bytes())),
            err: Some(Arc::new(ValueType::String)),
        }),
        Some(Returned::Memory),
    );
    check(
        &[ValueType::U32],
        Some(&ValueType::List(Arc::new(bytes()))),
        Some(Returned::Memory),
    );
}

#[test]
fn other_signatures_are_left_to_the_generic_path() {
    // No string or list anywhere: nothing for the bulk path to save.
    check(
        &[ValueType::U64, ValueType::U64],
        Some(&ValueType::U64),
        None,
    );
    // Four points flatten to 20 values, which the ABI passes in memory.
    check(
        &[point(), point(), point(), point()],
        Some(&ValueType::U32),
        None,
    );
    // A result that flattens to nothing.
    check(&[bytes()], Some(&ValueType::Flags(Arc::from([]))), None);
    // Types the bulk path does not carry.
    let map = ValueType::Map(Arc::new((ValueType::String, ValueType::U32)));
    check(&[map], None, None);
    check(
        &[ValueType::FixedList(Arc::new(ValueType::U8), 4)],
        Some(&bytes()),
        None,
    );
    check(
        &[ValueType::Unsupported("own<resource>".into())],
        Some(&bytes()),
        None,
    );
}
