//! The bulk path: a call whose signature moves bytes (a `string` or a `list`
//! anywhere in its parameters or result) skips `Val` and goes through wasmtime's
//! statically typed call with Wask's values lowered and lifted by the canonical ABI
//! directly into and out of guest memory, so a `list<u8>` crosses as one copy
//! instead of a boxed value per byte.
//!
//! wasmtime's `TypedFunc` fixes at compile time how a call's values are laid out;
//! Wask knows a signature only at run time. The parameters therefore travel as
//! [`Args`], which always lowers *flat* into 16 core values (the canonical ABI's
//! `MAX_FLAT_PARAMS`, zero past the ones the export reads), and the result as one
//! of three types by how the ABI returns it: none (`()`), one flat core value
//! ([`FlatResult`]) or a pointer to guest memory ([`MemoryResult`]). Each checks
//! the export's real types when the typed function is made, so a signature that
//! does not fit its class is refused there, never miscalled; `canon.rs` then walks
//! the component's types beside the values.
//!
//! A *plan* says which class a signature takes. Signatures this path leaves to the
//! generic path: parameters that flatten to more than 16 core values (passed in
//! memory by the ABI), a result that flattens to zero values (an empty record or
//! flags), and any `map`, fixed-length list or resource. Both paths give the same
//! values.

mod canon;

use std::mem::MaybeUninit;

use wask_core::{Value, ValueType};
use wasmtime::component::__internal::wasmtime_environ::component::{
    MAX_FLAT_PARAMS, MAX_FLAT_RESULTS,
};
use wasmtime::component::__internal::{
    CanonicalAbiInfo, ComponentTypes, InstanceType, InterfaceType, LiftContext, LowerContext,
};
use wasmtime::component::{
    ComponentExportIndex, ComponentNamedList, ComponentType, Instance, Lift, Lower,
};
use wasmtime::{AsContextMut, Store, ValRaw};

/// How the canonical ABI returns a signature's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Returned {
    Nothing,
    /// In one core value.
    Flat,
    /// Through a pointer to guest memory the export returns.
    Memory,
}

/// A signature the bulk path can call, and how its result comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    returned: Returned,
}

/// The plan for a signature, if the bulk path takes it.
pub(super) fn plan(params: &[(String, ValueType)], result: Option<&ValueType>) -> Option<Plan> {
    let all = || params.iter().map(|(_, ty)| ty).chain(result);
    if !all().all(carried) || !all().any(moves_bytes) {
        return None;
    }
    let flat = params
        .iter()
        .map(|(_, ty)| flat_count(ty))
        .fold(0, usize::saturating_add);
    if flat > MAX_FLAT_PARAMS {
        return None;
    }
    let returned = match result.map(flat_count) {
        None => Returned::Nothing,
        Some(0) => return None,
        Some(n) if n <= MAX_FLAT_RESULTS => Returned::Flat,
        Some(_) => Returned::Memory,
    };
    Some(Plan { returned })
}

/// Whether the bulk path can carry values of `ty`.
fn carried(ty: &ValueType) -> bool {
    match ty {
        ValueType::FixedList(..) | ValueType::Map(_) | ValueType::Unsupported(_) => false,
        ValueType::List(elem) | ValueType::Option(elem) => carried(elem),
        ValueType::Record(fields) => fields.iter().all(|f| carried(&f.ty)),
        ValueType::Tuple(types) => types.iter().all(carried),
        ValueType::Variant(cases) => cases.iter().filter_map(|c| c.ty.as_ref()).all(carried),
        ValueType::Result { ok, err } => ok.iter().chain(err).all(|t| carried(t)),
        _ => true,
    }
}

/// Whether values of `ty` hold a string or a list, which the generic path copies
/// slowly (a list as a boxed value per element).
fn moves_bytes(ty: &ValueType) -> bool {
    match ty {
        ValueType::String | ValueType::List(_) => true,
        ValueType::Option(elem) => moves_bytes(elem),
        ValueType::Record(fields) => fields.iter().any(|f| moves_bytes(&f.ty)),
        ValueType::Tuple(types) => types.iter().any(moves_bytes),
        ValueType::Variant(cases) => cases.iter().filter_map(|c| c.ty.as_ref()).any(moves_bytes),
        ValueType::Result { ok, err } => ok.iter().chain(err).any(|t| moves_bytes(t)),
        _ => false,
    }
}

/// How many core values the canonical ABI flattens `ty` into (saturating).
fn flat_count(ty: &ValueType) -> usize {
    let max_of =
        |types: &mut dyn Iterator<Item = &ValueType>| types.map(flat_count).max().unwrap_or(0);
    match ty {
        ValueType::String | ValueType::List(_) => 2,
        ValueType::Record(fields) => fields
            .iter()
            .map(|f| flat_count(&f.ty))
            .fold(0, usize::saturating_add),
        ValueType::Tuple(types) => types.iter().map(flat_count).fold(0, usize::saturating_add),
        ValueType::Variant(cases) => 1 + max_of(&mut cases.iter().filter_map(|c| c.ty.as_ref())),
        ValueType::Option(some) => 1 + flat_count(some),
        ValueType::Result { ok, err } => 1 + max_of(&mut ok.iter().chain(err).map(|t| &**t)),
        ValueType::Flags(names) => names.len().div_ceil(32),
        // Not carried (see `carried`); counted past the limit so no plan is made.
        ValueType::FixedList(..) | ValueType::Map(_) | ValueType::Unsupported(_) => usize::MAX,
        _ => 1,
    }
}

/// Calls the export through a typed function; `None` when wasmtime's check of the
/// export's types refuses the plan's classes (then the generic path runs the call).
pub(super) fn call<T: Send + 'static>(
    plan: Plan,
    instance: &Instance,
    store: &mut Store<T>,
    index: ComponentExportIndex,
    args: &[Value],
) -> Option<wasmtime::Result<Option<Value>>> {
    let args = Args(args);
    macro_rules! typed {
        ($result:ty) => {
            match instance.get_typed_func::<Args<'_>, $result>(store.as_context_mut(), index) {
                Ok(f) => f.call(store.as_context_mut(), args),
                Err(e) => {
                    tracing::debug!(
                        "the bulk path refused an export, taking the generic path: {e:#}"
                    );
                    return None;
                }
            }
        };
    }
    Some(match plan.returned {
        Returned::Nothing => typed!(()).map(|()| None),
        Returned::Flat => typed!(FlatResult).map(|r| Some(r.0)),
        Returned::Memory => typed!(MemoryResult).map(|r| Some(r.0)),
    })
}

/// The parameters of a call, lowered flat into `MAX_FLAT_PARAMS` core values.
struct Args<'a>(&'a [Value]);

/// A result the export returns in one core value.
struct FlatResult(Value);

/// A result the export returns in guest memory, through a pointer.
struct MemoryResult(Value);

/// The static layout the typed call uses for a type whose real layout is read from
/// the component: it is never used to place a value (see each type's `ABI`).
const RUNTIME_LAYOUT: CanonicalAbiInfo = CanonicalAbiInfo {
    size32: 0,
    align32: 1,
    size64: 0,
    align64: 1,
    flat_count: None,
};

/// The tuple type of an export's parameters or results.
fn tuple_types(ty: InterfaceType, types: &ComponentTypes) -> wasmtime::Result<&[InterfaceType]> {
    match ty {
        InterfaceType::Tuple(i) => Ok(&types[i].types),
        _ => Err(wasmtime::format_err!(
            "expected a tuple of parameters or results"
        )),
    }
}

/// Checks that the export's results are one value of a type this path carries,
/// returned the way `returned` says.
fn check_result(
    ty: InterfaceType,
    types: &InstanceType<'_>,
    returned: Returned,
) -> wasmtime::Result<()> {
    let [result] = tuple_types(ty, types.types)? else {
        return Err(wasmtime::format_err!("expected exactly one result"));
    };
    canon::check(*result, types.types)?;
    let flat = types
        .types
        .canonical_abi(result)
        .flat_count
        .map(usize::from);
    let fits = match returned {
        Returned::Flat => flat == Some(1),
        Returned::Memory => flat.is_none_or(|n| n > MAX_FLAT_RESULTS),
        Returned::Nothing => false,
    };
    if fits {
        Ok(())
    } else {
        Err(wasmtime::format_err!(
            "expected a result returned {returned:?}, found one of {flat:?} flat values"
        ))
    }
}

// SAFETY: `Lower` is 16 `ValRaw`s, and `flatten_count` is therefore 16, so wasmtime
// always lowers these parameters flat; `typecheck` refuses an export whose parameters
// the ABI passes in memory (more than 16 flat values), and `linear_lower_to_flat`
// initialises all 16 (the export reads the first n, as many as its parameters
// flatten to, each written from the component's own types). `ABI` is never used to
// place these parameters, as they are never stored in memory.
unsafe impl ComponentType for Args<'_> {
    type Lower = [ValRaw; MAX_FLAT_PARAMS];

    const ABI: CanonicalAbiInfo = RUNTIME_LAYOUT;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        for param in tuple_types(*ty, types.types)? {
            canon::check(*param, types.types)?;
        }
        match types.types.canonical_abi(ty).flat_count {
            Some(n) if usize::from(n) <= MAX_FLAT_PARAMS => Ok(()),
            _ => Err(wasmtime::format_err!(
                "expected parameters that flatten to at most {MAX_FLAT_PARAMS} values"
            )),
        }
    }
}

// SAFETY: `Args` is typechecked against the parameters' own tuple.
unsafe impl ComponentNamedList for Args<'_> {}

// SAFETY: see `ComponentType for Args`.
unsafe impl Lower for Args<'_> {
    fn linear_lower_to_flat<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        ty: InterfaceType,
        dst: &mut MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        let types = cx.types;
        let params = tuple_types(ty, types)?;
        if params.len() != self.0.len() {
            return Err(wasmtime::format_err!(
                "expected {} arguments, got {}",
                params.len(),
                self.0.len()
            ));
        }
        let mut flat = [ValRaw::u64(0); MAX_FLAT_PARAMS];
        let mut at = 0;
        for (param, value) in params.iter().zip(self.0) {
            let n = canon::flat_count(*param, types)?;
            let slots = flat.get_mut(at..at + n).ok_or_else(|| {
                wasmtime::format_err!("parameters past {MAX_FLAT_PARAMS} flat values")
            })?;
            canon::lower_flat(cx, *param, value, slots)?;
            at += n;
        }
        dst.write(flat);
        Ok(())
    }

    fn linear_lower_to_memory<T>(
        &self,
        _cx: &mut LowerContext<'_, T>,
        _ty: InterfaceType,
        _offset: usize,
    ) -> wasmtime::Result<()> {
        Err(wasmtime::format_err!(
            "the bulk path passes parameters flat, never in memory"
        ))
    }
}

// SAFETY: `Lower` is one `ValRaw`, and `typecheck` accepts only an export whose one
// result flattens to exactly one value, so wasmtime lifts it flat from that value.
// `ABI` is never used: a flat result is not read from memory.
unsafe impl ComponentType for FlatResult {
    type Lower = [ValRaw; 1];

    const ABI: CanonicalAbiInfo = RUNTIME_LAYOUT;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        check_result(*ty, types, Returned::Flat)
    }
}

// SAFETY: `FlatResult` is made only by the typed call, from the results' own tuple.
unsafe impl ComponentNamedList for FlatResult {}

// SAFETY: see `ComponentType for FlatResult`.
unsafe impl Lift for FlatResult {
    fn linear_lift_from_flat(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        let [result] = tuple_types(ty, cx.types)? else {
            return Err(wasmtime::format_err!("expected exactly one result"));
        };
        canon::lift_flat(cx, *result, src).map(FlatResult)
    }

    fn linear_lift_from_memory(
        _cx: &mut LiftContext<'_>,
        _ty: InterfaceType,
        _bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        Err(wasmtime::format_err!(
            "a flat result is not read from memory"
        ))
    }
}

// SAFETY: `Lower` is two `ValRaw`s, so wasmtime takes the result through the pointer
// the export returns, and `typecheck` accepts only an export whose one result the
// ABI returns that way. wasmtime checks the pointer against the static `ABI`, which
// claims zero bytes aligned to 1, and hands over the empty slice of memory at it;
// `linear_lift_from_memory` reads the pointer back from that slice's address and
// checks alignment and bounds against the result's real layout before reading.
unsafe impl ComponentType for MemoryResult {
    type Lower = [ValRaw; 2];

    const ABI: CanonicalAbiInfo = RUNTIME_LAYOUT;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        check_result(*ty, types, Returned::Memory)
    }
}

// SAFETY: `MemoryResult` is made only by the typed call, from the results' own tuple.
unsafe impl ComponentNamedList for MemoryResult {}

// SAFETY: see `ComponentType for MemoryResult`.
unsafe impl Lift for MemoryResult {
    fn linear_lift_from_flat(
        _cx: &mut LiftContext<'_>,
        _ty: InterfaceType,
        _src: &Self::Lower,
    ) -> wasmtime::Result<Self> {
        Err(wasmtime::format_err!(
            "a result returned through memory is not lifted flat"
        ))
    }

    fn linear_lift_from_memory(
        cx: &mut LiftContext<'_>,
        ty: InterfaceType,
        bytes: &[u8],
    ) -> wasmtime::Result<Self> {
        let [result] = tuple_types(ty, cx.types)? else {
            return Err(wasmtime::format_err!("expected exactly one result"));
        };
        let memory = cx.memory();
        let ptr = bytes
            .as_ptr()
            .addr()
            .checked_sub(memory.as_ptr().addr())
            .filter(|&ptr| ptr <= memory.len())
            .ok_or_else(|| wasmtime::format_err!("result pointer out of bounds of memory"))?;
        let abi = cx.types.canonical_abi(&ty);
        let (size, align) = (abi.size32 as usize, abi.align32 as usize);
        if !ptr.is_multiple_of(align) {
            return Err(wasmtime::format_err!("return pointer not aligned"));
        }
        if ptr.checked_add(size).is_none_or(|end| end > memory.len()) {
            return Err(wasmtime::format_err!("pointer out of bounds of memory"));
        }
        canon::lift_memory(cx, *result, ptr).map(MemoryResult)
    }
}

#[cfg(test)]
mod test;
