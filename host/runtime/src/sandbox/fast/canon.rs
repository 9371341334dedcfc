//! The canonical ABI for Wask's values, walked beside the component's own types:
//! values lowered into flat core values or guest memory, and lifted back out.
//!
//! Every layout (sizes, alignments, offsets, flat counts, discriminant widths) comes
//! from the component's `ComponentTypes`; a value that does not fit its type is an
//! error, never a guess. Scalars, strings and `list<u8>` go through wasmtime's own
//! implementations for Rust types, so they behave exactly as in any typed call; a
//! `list<u8>` is one copy each way.

use std::mem::MaybeUninit;
use std::sync::Arc;

use wask_core::Value;
use wasmtime::component::__internal::{ComponentTypes, InterfaceType, LiftContext, LowerContext};
use wasmtime::component::{Lift, Lower};
use wasmtime::{Result, ValRaw, format_err};

/// Checks that the bulk path can carry values of the component's type `ty`.
pub(super) fn check(ty: InterfaceType, types: &ComponentTypes) -> Result<()> {
    let all = |tys: &mut dyn Iterator<Item = InterfaceType>| {
        for t in tys {
            check(t, types)?;
        }
        Ok(())
    };
    match ty {
        InterfaceType::Bool
        | InterfaceType::S8
        | InterfaceType::U8
        | InterfaceType::S16
        | InterfaceType::U16
        | InterfaceType::S32
        | InterfaceType::U32
        | InterfaceType::S64
        | InterfaceType::U64
        | InterfaceType::Float32
        | InterfaceType::Float64
        | InterfaceType::Char
        | InterfaceType::String
        | InterfaceType::Enum(_)
        | InterfaceType::Flags(_) => Ok(()),
        InterfaceType::List(i) => check(types[i].element, types),
        InterfaceType::Record(i) => all(&mut types[i].fields.iter().map(|f| f.ty)),
        InterfaceType::Tuple(i) => all(&mut types[i].types.iter().copied()),
        InterfaceType::Variant(i) => all(&mut types[i].cases.values().filter_map(|t| *t)),
        InterfaceType::Option(i) => check(types[i].ty, types),
        InterfaceType::Result(i) => all(&mut types[i].ok.into_iter().chain(types[i].err)),
        other => Err(format_err!(
            "the bulk path does not carry {other:?} (maps, fixed-length lists, resources, \
             futures, streams and error-contexts take the generic path)"
        )),
    }
}

/// How many core values `ty` flattens into.
pub(super) fn flat_count(ty: InterfaceType, types: &ComponentTypes) -> Result<usize> {
    types
        .canonical_abi(&ty)
        .flat_count
        .map(usize::from)
        .ok_or_else(|| format_err!("a type that flattens to more than 16 values"))
}

fn mismatch(ty: InterfaceType, value: &Value) -> wasmtime::Error {
    format_err!("a value {value:?} that does not fit the export's type {ty:?}")
}

fn name_mismatch(expected: &str, found: &str) -> wasmtime::Error {
    format_err!("expected the field `{expected}`, found `{found}`")
}

/// A scalar lowered flat by wasmtime's own implementation for its Rust type.
fn scalar<T, V: Lower<Lower = ValRaw>>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    value: &V,
    out: &mut [ValRaw],
) -> Result<()> {
    let mut raw = MaybeUninit::uninit();
    value.linear_lower_to_flat(cx, ty, &mut raw)?;
    // SAFETY: `Lower::linear_lower_to_flat` initialises `dst` when it returns `Ok`.
    out[0] = unsafe { raw.assume_init() };
    Ok(())
}

/// A string or `list<u8>` lowered flat (pointer and length) by wasmtime's own
/// implementation, which copies it into guest memory in one piece.
fn pair<T, V: Lower<Lower = [ValRaw; 2]> + ?Sized>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    value: &V,
    out: &mut [ValRaw],
) -> Result<()> {
    let mut raw = MaybeUninit::uninit();
    value.linear_lower_to_flat(cx, ty, &mut raw)?;
    // SAFETY: `Lower::linear_lower_to_flat` initialises `dst` when it returns `Ok`.
    out[..2].copy_from_slice(&unsafe { raw.assume_init() });
    Ok(())
}

fn is_bytes(ty: InterfaceType, types: &ComponentTypes) -> bool {
    matches!(ty, InterfaceType::List(i) if types[i].element == InterfaceType::U8)
}

/// Lowers `value` of type `ty` flat into `out`, which holds exactly as many core
/// values as `ty` flattens into, all zero on entry.
pub(super) fn lower_flat<T>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    value: &Value,
    out: &mut [ValRaw],
) -> Result<()> {
    let types = cx.types;
    match (ty, value) {
        (InterfaceType::Bool, Value::Bool(v)) => scalar(cx, ty, v, out),
        (InterfaceType::S8, Value::S8(v)) => scalar(cx, ty, v, out),
        (InterfaceType::U8, Value::U8(v)) => scalar(cx, ty, v, out),
        (InterfaceType::S16, Value::S16(v)) => scalar(cx, ty, v, out),
        (InterfaceType::U16, Value::U16(v)) => scalar(cx, ty, v, out),
        (InterfaceType::S32, Value::S32(v)) => scalar(cx, ty, v, out),
        (InterfaceType::U32, Value::U32(v)) => scalar(cx, ty, v, out),
        (InterfaceType::S64, Value::S64(v)) => scalar(cx, ty, v, out),
        (InterfaceType::U64, Value::U64(v)) => scalar(cx, ty, v, out),
        (InterfaceType::Float32, Value::Float32(v)) => scalar(cx, ty, v, out),
        (InterfaceType::Float64, Value::Float64(v)) => scalar(cx, ty, v, out),
        (InterfaceType::Char, Value::Char(v)) => scalar(cx, ty, v, out),
        (InterfaceType::String, Value::String(s)) => pair(cx, ty, s.as_str(), out),
        (InterfaceType::List(_), Value::Bytes(bytes)) if is_bytes(ty, types) => {
            pair(cx, ty, &bytes[..], out)
        }
        (InterfaceType::List(i), Value::List(items)) => {
            let (ptr, len) = lower_list(cx, types[i].element, items)?;
            out[0] = ValRaw::u64(u64::try_from(ptr)?);
            out[1] = ValRaw::u64(u64::try_from(len)?);
            Ok(())
        }
        (InterfaceType::Record(i), Value::Record(fields)) => {
            let record = &types[i].fields;
            if record.len() != fields.len() {
                return Err(mismatch(ty, value));
            }
            let mut at = 0;
            for (field, (name, v)) in record.iter().zip(fields) {
                if field.name != *name {
                    return Err(name_mismatch(&field.name, name));
                }
                let n = flat_count(field.ty, types)?;
                lower_flat(cx, field.ty, v, &mut out[at..at + n])?;
                at += n;
            }
            Ok(())
        }
        (InterfaceType::Tuple(i), Value::Tuple(items)) => {
            let tuple = &types[i].types;
            if tuple.len() != items.len() {
                return Err(mismatch(ty, value));
            }
            let mut at = 0;
            for (t, v) in tuple.iter().zip(items) {
                let n = flat_count(*t, types)?;
                lower_flat(cx, *t, v, &mut out[at..at + n])?;
                at += n;
            }
            Ok(())
        }
        (InterfaceType::Variant(i), Value::Variant(name, payload)) => {
            let (case, _, case_ty) = types[i]
                .cases
                .get_full(name.as_str())
                .ok_or_else(|| mismatch(ty, value))?;
            lower_case_flat(cx, case, *case_ty, payload.as_deref(), out)
        }
        (InterfaceType::Enum(i), Value::Enum(name)) => {
            let case = types[i]
                .names
                .get_index_of(name.as_str())
                .ok_or_else(|| mismatch(ty, value))?;
            lower_case_flat(cx, case, None, None, out)
        }
        (InterfaceType::Option(i), Value::Option(payload)) => match payload {
            None => lower_case_flat(cx, 0, None, None, out),
            Some(v) => lower_case_flat(cx, 1, Some(types[i].ty), Some(v), out),
        },
        (InterfaceType::Result(i), Value::Result(result)) => match result {
            Ok(v) => lower_case_flat(cx, 0, types[i].ok, v.as_deref(), out),
            Err(v) => lower_case_flat(cx, 1, types[i].err, v.as_deref(), out),
        },
        (InterfaceType::Flags(i), Value::Flags(names)) => {
            for (word, bits) in flag_words(
                types[i].names.len(),
                |n| types[i].names.get_index_of(n),
                names,
            )?
            .into_iter()
            .enumerate()
            {
                out[word] = ValRaw::u32(bits);
            }
            Ok(())
        }
        _ => Err(mismatch(ty, value)),
    }
}

/// A variant's discriminant and its case's payload, flat; the payload's slots past
/// the case's own stay zero.
fn lower_case_flat<T>(
    cx: &mut LowerContext<'_, T>,
    case: usize,
    case_ty: Option<InterfaceType>,
    payload: Option<&Value>,
    out: &mut [ValRaw],
) -> Result<()> {
    out[0] = ValRaw::u32(u32::try_from(case)?);
    match (case_ty, payload) {
        (None, None) => Ok(()),
        (Some(t), Some(v)) => {
            let n = flat_count(t, cx.types)?;
            lower_flat(cx, t, v, &mut out[1..=n])
        }
        (Some(t), None) => Err(format_err!(
            "a case without the payload its type {t:?} needs"
        )),
        (None, Some(v)) => Err(format_err!("a payload {v:?} for a case that has none")),
    }
}

/// The 32-bit words of a flags value: bit `i` set for the type's `i`th name.
fn flag_words(
    count: usize,
    index_of: impl Fn(&str) -> Option<usize>,
    set: &[String],
) -> Result<Vec<u32>> {
    let mut words = vec![0u32; count.div_ceil(32)];
    for name in set {
        let i = index_of(name)
            .ok_or_else(|| format_err!("expected one of the flags' names, found `{name}`"))?;
        words[i / 32] |= 1 << (i % 32);
    }
    Ok(words)
}

/// Copies `items` into a fresh guest allocation; returns its pointer and length.
fn lower_list<T>(
    cx: &mut LowerContext<'_, T>,
    elem: InterfaceType,
    items: &[Value],
) -> Result<(usize, usize)> {
    let abi = cx.types.canonical_abi(&elem);
    let (size, align) = (abi.size32 as usize, abi.align32);
    let bytes = items
        .len()
        .checked_mul(size)
        .ok_or_else(|| format_err!("size overflow copying a list"))?;
    let ptr = cx.realloc(0, 0, align, bytes)?;
    for (i, item) in items.iter().enumerate() {
        lower_memory(cx, elem, item, ptr + i * size)?;
    }
    Ok((ptr, items.len()))
}

/// Stores `value` of type `ty` in guest memory at `offset` (aligned, in bounds).
pub(super) fn lower_memory<T>(
    cx: &mut LowerContext<'_, T>,
    ty: InterfaceType,
    value: &Value,
    offset: usize,
) -> Result<()> {
    let types = cx.types;
    match (ty, value) {
        (InterfaceType::Bool, Value::Bool(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::S8, Value::S8(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::U8, Value::U8(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::S16, Value::S16(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::U16, Value::U16(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::S32, Value::S32(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::U32, Value::U32(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::S64, Value::S64(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::U64, Value::U64(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Float32, Value::Float32(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Float64, Value::Float64(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Char, Value::Char(v)) => v.linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::String, Value::String(s)) => {
            s.as_str().linear_lower_to_memory(cx, ty, offset)
        }
        (InterfaceType::List(_), Value::Bytes(bytes)) if is_bytes(ty, types) => {
            bytes[..].linear_lower_to_memory(cx, ty, offset)
        }
        (InterfaceType::List(i), Value::List(items)) => {
            let (ptr, len) = lower_list(cx, types[i].element, items)?;
            *cx.get::<4>(offset) = u32::try_from(ptr)?.to_le_bytes();
            *cx.get::<4>(offset + 4) = u32::try_from(len)?.to_le_bytes();
            Ok(())
        }
        (InterfaceType::Record(i), Value::Record(fields)) => {
            let record = &types[i].fields;
            if record.len() != fields.len() {
                return Err(mismatch(ty, value));
            }
            let mut at = 0;
            for (field, (name, v)) in record.iter().zip(fields) {
                if field.name != *name {
                    return Err(name_mismatch(&field.name, name));
                }
                let field_at = types.canonical_abi(&field.ty).next_field32_size(&mut at);
                lower_memory(cx, field.ty, v, offset + field_at)?;
            }
            Ok(())
        }
        (InterfaceType::Tuple(i), Value::Tuple(items)) => {
            let tuple = &types[i].types;
            if tuple.len() != items.len() {
                return Err(mismatch(ty, value));
            }
            let mut at = 0;
            for (t, v) in tuple.iter().zip(items) {
                let field_at = types.canonical_abi(t).next_field32_size(&mut at);
                lower_memory(cx, *t, v, offset + field_at)?;
            }
            Ok(())
        }
        (InterfaceType::Variant(i), Value::Variant(name, payload)) => {
            let variant = &types[i];
            let (case, _, case_ty) = variant
                .cases
                .get_full(name.as_str())
                .ok_or_else(|| mismatch(ty, value))?;
            let layout = Layout::of(&variant.info);
            lower_case_memory(cx, layout, offset, case, *case_ty, payload.as_deref())
        }
        (InterfaceType::Enum(i), Value::Enum(name)) => {
            let case = types[i]
                .names
                .get_index_of(name.as_str())
                .ok_or_else(|| mismatch(ty, value))?;
            lower_case_memory(cx, Layout::of(&types[i].info), offset, case, None, None)
        }
        (InterfaceType::Option(i), Value::Option(payload)) => {
            let layout = Layout::of(&types[i].info);
            match payload {
                None => lower_case_memory(cx, layout, offset, 0, None, None),
                Some(v) => lower_case_memory(cx, layout, offset, 1, Some(types[i].ty), Some(v)),
            }
        }
        (InterfaceType::Result(i), Value::Result(result)) => {
            let layout = Layout::of(&types[i].info);
            match result {
                Ok(v) => lower_case_memory(cx, layout, offset, 0, types[i].ok, v.as_deref()),
                Err(v) => lower_case_memory(cx, layout, offset, 1, types[i].err, v.as_deref()),
            }
        }
        (InterfaceType::Flags(i), Value::Flags(names)) => {
            let words = flag_words(
                types[i].names.len(),
                |n| types[i].names.get_index_of(n),
                names,
            )?;
            match types[i].abi.size32 {
                0 => {}
                1 => cx.get::<1>(offset)[0] = words[0].to_le_bytes()[0],
                2 => *cx.get::<2>(offset) = u16::try_from(words[0])?.to_le_bytes(),
                _ => {
                    for (k, word) in words.iter().enumerate() {
                        *cx.get::<4>(offset + 4 * k) = word.to_le_bytes();
                    }
                }
            }
            Ok(())
        }
        _ => Err(mismatch(ty, value)),
    }
}

/// Where a variant's discriminant and payload sit in memory.
#[derive(Clone, Copy)]
struct Layout {
    discriminant_bytes: u32,
    payload_offset: usize,
}

impl Layout {
    fn of(
        info: &wasmtime::component::__internal::wasmtime_environ::component::VariantInfo,
    ) -> Self {
        Layout {
            discriminant_bytes: info.size.byte_size(),
            payload_offset: info.payload_offset32 as usize,
        }
    }
}

fn lower_case_memory<T>(
    cx: &mut LowerContext<'_, T>,
    layout: Layout,
    offset: usize,
    case: usize,
    case_ty: Option<InterfaceType>,
    payload: Option<&Value>,
) -> Result<()> {
    match layout.discriminant_bytes {
        1 => cx.get::<1>(offset)[0] = u8::try_from(case)?,
        2 => *cx.get::<2>(offset) = u16::try_from(case)?.to_le_bytes(),
        _ => *cx.get::<4>(offset) = u32::try_from(case)?.to_le_bytes(),
    }
    match (case_ty, payload) {
        (None, None) => Ok(()),
        (Some(t), Some(v)) => lower_memory(cx, t, v, offset + layout.payload_offset),
        (Some(t), None) => Err(format_err!(
            "a case without the payload its type {t:?} needs"
        )),
        (None, Some(v)) => Err(format_err!("a payload {v:?} for a case that has none")),
    }
}

/// Lifts a value of type `ty` from the flat core values `src` (as many as `ty`
/// flattens into).
pub(super) fn lift_flat(
    cx: &mut LiftContext<'_>,
    ty: InterfaceType,
    src: &[ValRaw],
) -> Result<Value> {
    let types = cx.types;
    let one = |src: &[ValRaw]| {
        src.first()
            .copied()
            .ok_or_else(|| format_err!("too few flat values"))
    };
    Ok(match ty {
        InterfaceType::Bool => Value::Bool(bool::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::S8 => Value::S8(i8::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::U8 => Value::U8(u8::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::S16 => Value::S16(i16::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::U16 => Value::U16(u16::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::S32 => Value::S32(i32::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::U32 => Value::U32(u32::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::S64 => Value::S64(i64::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::U64 => Value::U64(u64::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::Float32 => Value::Float32(f32::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::Float64 => Value::Float64(f64::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::Char => Value::Char(char::linear_lift_from_flat(cx, ty, &one(src)?)?),
        InterfaceType::String => {
            let pair: &[ValRaw; 2] = src
                .get(..2)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| format_err!("too few flat values"))?;
            Value::String(String::linear_lift_from_flat(cx, ty, pair)?)
        }
        InterfaceType::List(i) => {
            let (ptr, len) = match src {
                [ptr, len, ..] => (ptr.get_u32() as usize, len.get_u32() as usize),
                _ => return Err(format_err!("too few flat values")),
            };
            lift_list(cx, types[i].element, ptr, len)?
        }
        InterfaceType::Record(i) => {
            let mut at = 0;
            cx.consume_fuel_array(types[i].fields.len(), size_of::<(String, Value)>())?;
            let mut fields = Vec::with_capacity(types[i].fields.len());
            for field in &types[i].fields {
                let n = flat_count(field.ty, types)?;
                let v = lift_flat(cx, field.ty, src.get(at..at + n).unwrap_or_default())?;
                fields.push((named(cx, &field.name)?, v));
                at += n;
            }
            Value::Record(fields)
        }
        InterfaceType::Tuple(i) => {
            let mut at = 0;
            cx.consume_fuel_array(types[i].types.len(), size_of::<Value>())?;
            let mut items = Vec::with_capacity(types[i].types.len());
            for t in &types[i].types {
                let n = flat_count(*t, types)?;
                items.push(lift_flat(cx, *t, src.get(at..at + n).unwrap_or_default())?);
                at += n;
            }
            Value::Tuple(items)
        }
        InterfaceType::Flags(i) => {
            let n = types[i].names.len().div_ceil(32);
            let words: Vec<u32> = src.iter().take(n).map(ValRaw::get_u32).collect();
            flag_names(cx, types[i].names.iter(), &words)?
        }
        _ => {
            let case = one(src)?.get_u32() as usize;
            let payload = src.get(1..).unwrap_or_default();
            lift_case(cx, ty, case, |cx, t| lift_flat(cx, t, payload))?
        }
    })
}

/// A variant-like value (variant, enum, option, result, flags) from its case index
/// (for flags: its first word of bits), the payload lifted by `payload`.
fn lift_case(
    cx: &mut LiftContext<'_>,
    ty: InterfaceType,
    case: usize,
    payload: impl FnOnce(&mut LiftContext<'_>, InterfaceType) -> Result<Value>,
) -> Result<Value> {
    let types = cx.types;
    let bad = || format_err!("invalid discriminant {case} for {ty:?}");
    // The case's name (variants and enums) and payload type.
    let (name, case_ty) = match ty {
        InterfaceType::Variant(i) => {
            let (name, case_ty) = types[i].cases.get_index(case).ok_or_else(bad)?;
            (Some(name), *case_ty)
        }
        InterfaceType::Enum(i) => (Some(types[i].names.iter().nth(case).ok_or_else(bad)?), None),
        InterfaceType::Option(i) if case <= 1 => (None, Some(types[i].ty).filter(|_| case == 1)),
        InterfaceType::Result(i) if case <= 1 => {
            (None, if case == 0 { types[i].ok } else { types[i].err })
        }
        InterfaceType::Option(_) | InterfaceType::Result(_) => return Err(bad()),
        other => return Err(format_err!("the bulk path does not carry {other:?}")),
    };
    let payload = match case_ty {
        Some(t) => Some(Box::new(payload(cx, t)?)),
        None => None,
    };
    Ok(match (ty, name) {
        (InterfaceType::Variant(_), Some(name)) => Value::Variant(named(cx, name)?, payload),
        (InterfaceType::Enum(_), Some(name)) => Value::Enum(named(cx, name)?),
        (InterfaceType::Option(_), _) => Value::Option(payload),
        (_, _) if case == 0 => Value::Result(Ok(payload)),
        (_, _) => Value::Result(Err(payload)),
    })
}

/// The names set in a flags value, from its 32-bit words.
fn flag_names<'a>(
    cx: &mut LiftContext<'_>,
    all: impl Iterator<Item = &'a String>,
    words: &[u32],
) -> Result<Value> {
    let mut names = Vec::new();
    for (i, name) in all.enumerate() {
        if words.get(i / 32).is_some_and(|w| w & (1 << (i % 32)) != 0) {
            names.push(named(cx, name)?);
        }
    }
    Ok(Value::Flags(names))
}

/// A copy of a name the component declared (a field, case or flag), charged to the
/// store's hostcall fuel as wasmtime's own lifting charges it: a name may be long, and
/// a list repeats it per element, so the copies count against the result's budget.
fn named(cx: &mut LiftContext<'_>, name: &str) -> Result<String> {
    cx.consume_fuel(name.len())?;
    Ok(name.to_owned())
}

/// `n` bytes of guest memory at `offset`.
fn bytes<'a>(cx: &LiftContext<'a>, offset: usize, n: usize) -> Result<&'a [u8]> {
    cx.memory()
        .get(offset..)
        .and_then(|m| m.get(..n))
        .ok_or_else(|| format_err!("pointer out of bounds of memory"))
}

fn u32_at(cx: &LiftContext<'_>, offset: usize) -> Result<u32> {
    let b = bytes(cx, offset, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Lifts a value of type `ty` stored in guest memory at `offset` (aligned for `ty`).
pub(super) fn lift_memory(
    cx: &mut LiftContext<'_>,
    ty: InterfaceType,
    offset: usize,
) -> Result<Value> {
    let types = cx.types;
    macro_rules! scalar {
        ($variant:ident, $rust:ty, $n:expr) => {
            Value::$variant(<$rust>::linear_lift_from_memory(
                cx,
                ty,
                bytes(cx, offset, $n)?,
            )?)
        };
    }
    Ok(match ty {
        InterfaceType::Bool => scalar!(Bool, bool, 1),
        InterfaceType::S8 => scalar!(S8, i8, 1),
        InterfaceType::U8 => scalar!(U8, u8, 1),
        InterfaceType::S16 => scalar!(S16, i16, 2),
        InterfaceType::U16 => scalar!(U16, u16, 2),
        InterfaceType::S32 => scalar!(S32, i32, 4),
        InterfaceType::U32 => scalar!(U32, u32, 4),
        InterfaceType::S64 => scalar!(S64, i64, 8),
        InterfaceType::U64 => scalar!(U64, u64, 8),
        InterfaceType::Float32 => scalar!(Float32, f32, 4),
        InterfaceType::Float64 => scalar!(Float64, f64, 8),
        InterfaceType::Char => scalar!(Char, char, 4),
        InterfaceType::String => scalar!(String, String, 8),
        InterfaceType::List(i) => {
            let (ptr, len) = (
                u32_at(cx, offset)? as usize,
                u32_at(cx, offset + 4)? as usize,
            );
            lift_list(cx, types[i].element, ptr, len)?
        }
        InterfaceType::Record(i) => {
            let mut at = 0;
            cx.consume_fuel_array(types[i].fields.len(), size_of::<(String, Value)>())?;
            let mut fields = Vec::with_capacity(types[i].fields.len());
            for field in &types[i].fields {
                let field_at = types.canonical_abi(&field.ty).next_field32_size(&mut at);
                fields.push((
                    named(cx, &field.name)?,
                    lift_memory(cx, field.ty, offset + field_at)?,
                ));
            }
            Value::Record(fields)
        }
        InterfaceType::Tuple(i) => {
            let mut at = 0;
            cx.consume_fuel_array(types[i].types.len(), size_of::<Value>())?;
            let mut items = Vec::with_capacity(types[i].types.len());
            for t in &types[i].types {
                let field_at = types.canonical_abi(t).next_field32_size(&mut at);
                items.push(lift_memory(cx, *t, offset + field_at)?);
            }
            Value::Tuple(items)
        }
        InterfaceType::Flags(i) => {
            let flags = &types[i];
            let words = match flags.abi.size32 {
                0 => Vec::new(),
                1 => vec![u32::from(bytes(cx, offset, 1)?[0])],
                2 => {
                    let b = bytes(cx, offset, 2)?;
                    vec![u32::from(u16::from_le_bytes([b[0], b[1]]))]
                }
                size => (0..size as usize / 4)
                    .map(|k| u32_at(cx, offset + 4 * k))
                    .collect::<Result<_>>()?,
            };
            flag_names(cx, flags.names.iter(), &words)?
        }
        _ => {
            let info = match ty {
                InterfaceType::Variant(i) => &types[i].info,
                InterfaceType::Enum(i) => &types[i].info,
                InterfaceType::Option(i) => &types[i].info,
                InterfaceType::Result(i) => &types[i].info,
                other => return Err(format_err!("the bulk path does not carry {other:?}")),
            };
            let layout = Layout::of(info);
            let b = bytes(cx, offset, layout.discriminant_bytes as usize)?;
            let case = match b {
                [d] => usize::from(*d),
                [lo, hi] => usize::from(u16::from_le_bytes([*lo, *hi])),
                _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
            };
            let at = offset + layout.payload_offset;
            lift_case(cx, ty, case, |cx, t| lift_memory(cx, t, at))?
        }
    })
}

/// A list of `len` elements of type `elem` at guest pointer `ptr`; a `list<u8>` is
/// copied once, straight from guest memory into the value's shared buffer.
fn lift_list(
    cx: &mut LiftContext<'_>,
    elem: InterfaceType,
    ptr: usize,
    len: usize,
) -> Result<Value> {
    let abi = cx.types.canonical_abi(&elem);
    let (size, align) = (abi.size32 as usize, abi.align32 as usize);
    let memory = cx.memory();
    let end = len
        .checked_mul(size)
        .and_then(|n| ptr.checked_add(n))
        .filter(|&end| end <= memory.len())
        .ok_or_else(|| format_err!("list pointer/length out of bounds of memory"))?;
    if !ptr.is_multiple_of(align) {
        return Err(format_err!("list pointer is not aligned"));
    }
    if elem == InterfaceType::U8 {
        cx.consume_fuel(len)?;
        return Ok(Value::Bytes(Arc::from(&memory[ptr..end])));
    }
    cx.consume_fuel_array(len, size_of::<Value>())?;
    let items = (0..len)
        .map(|i| lift_memory(cx, elem, ptr + i * size))
        .collect::<Result<_>>()?;
    Ok(Value::List(items))
}
