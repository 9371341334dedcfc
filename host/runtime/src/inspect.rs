//! Reading a component's exports and imports from its binary, without compiling it.
//!
//! A component carries its own type: the WIT world it implements. Decoding that takes
//! milliseconds even for the 18 MB components a Python guest makes, where compiling
//! takes tens of seconds, so listing what a component offers never compiles it.

use std::path::Path;
use std::sync::Arc;

use wask_core::{Case, Exports, Field, InspectError, LoadError, Signature, ValueType};
use wit_parser::decoding::DecodedWasm;
use wit_parser::{Resolve, Type, TypeDefKind, WorldItem, WorldKey};

/// What a component offers and needs, as its embedded WIT world says.
#[derive(Debug, Clone)]
pub struct Inspection {
    exports: Exports,
    imports: Vec<String>,
}

impl Inspection {
    /// The exported functions with their signatures, in the component's order.
    pub fn exports(&self) -> &Exports {
        &self.exports
    }

    /// The interfaces and functions it imports, such as `wasi:cli/stdout@0.2.6`.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The imports this host does not provide: a component that has any cannot be
    /// loaded here.
    pub fn missing_imports(&self) -> Vec<&str> {
        self.imports
            .iter()
            .map(String::as_str)
            .filter(|i| !crate::sandbox::host_provides(i))
            .collect()
    }
}

/// Lists a component's exported functions and its imports without compiling it (as
/// `host inspect` does). It fails as loading would for a file that is not a
/// component, or a component that exports no function.
pub fn inspect(path: &Path) -> Result<Inspection, InspectError> {
    // The same checks as loading: a regular file, no larger than the default cap.
    let max_bytes = crate::SandboxConfig::default().max_component_bytes;
    let bytes = crate::sandbox::read_file(path, max_bytes)?;
    crate::sandbox::check_header(path, &bytes)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let decoded = wit_parser::decoding::decode(&bytes).map_err(|e| LoadError::Decode {
        path: path.to_owned(),
        message: format!("{e:#}"),
    })?;
    let DecodedWasm::Component(resolve, world) = decoded else {
        return Err(LoadError::NoFunctions {
            path: path.to_owned(),
        }
        .into());
    };
    let world = &resolve.worlds[world];
    let functions: Vec<Signature> = world
        .exports
        .values()
        .filter_map(|item| match item {
            WorldItem::Function(func) => Some(Signature::new(
                &func.name,
                func.params
                    .iter()
                    .map(|p| (p.name.clone(), value_type(&resolve, &p.ty)))
                    .collect(),
                func.result.as_ref().map(|ty| value_type(&resolve, ty)),
            )),
            _ => None,
        })
        .collect();
    if functions.is_empty() {
        return Err(LoadError::NoFunctions {
            path: path.to_owned(),
        }
        .into());
    }
    let imports = world
        .imports
        .iter()
        .filter(|(_, item)| !matches!(item, WorldItem::Type { .. }))
        .map(|(key, _)| match key {
            WorldKey::Name(name) => name.clone(),
            WorldKey::Interface(id) => resolve.id_of(*id).unwrap_or_default(),
        })
        .collect();
    Ok(Inspection {
        exports: Exports::new(&name, functions),
        imports,
    })
}

/// Wask's spelling of a WIT type from a decoded world; structural, as the runtime's.
fn value_type(resolve: &Resolve, ty: &Type) -> ValueType {
    let arc = |t: &Type| Arc::new(value_type(resolve, t));
    match ty {
        Type::Bool => ValueType::Bool,
        Type::S8 => ValueType::S8,
        Type::U8 => ValueType::U8,
        Type::S16 => ValueType::S16,
        Type::U16 => ValueType::U16,
        Type::S32 => ValueType::S32,
        Type::U32 => ValueType::U32,
        Type::S64 => ValueType::S64,
        Type::U64 => ValueType::U64,
        Type::F32 => ValueType::F32,
        Type::F64 => ValueType::F64,
        Type::Char => ValueType::Char,
        Type::String => ValueType::String,
        Type::ErrorContext => ValueType::Unsupported("error-context".into()),
        Type::Id(id) => match &resolve.types[*id].kind {
            TypeDefKind::Type(inner) => value_type(resolve, inner),
            TypeDefKind::List(elem) => ValueType::List(arc(elem)),
            TypeDefKind::FixedLengthList(elem, n) => ValueType::FixedList(arc(elem), *n),
            TypeDefKind::Map(k, v) => {
                ValueType::Map(Arc::new((value_type(resolve, k), value_type(resolve, v))))
            }
            TypeDefKind::Record(r) => ValueType::Record(
                r.fields
                    .iter()
                    .map(|f| Field {
                        name: f.name.clone(),
                        ty: value_type(resolve, &f.ty),
                    })
                    .collect(),
            ),
            TypeDefKind::Tuple(t) => {
                ValueType::Tuple(t.types.iter().map(|t| value_type(resolve, t)).collect())
            }
            TypeDefKind::Variant(v) => ValueType::Variant(
                v.cases
                    .iter()
                    .map(|c| Case {
                        name: c.name.clone(),
                        ty: c.ty.as_ref().map(|t| value_type(resolve, t)),
                    })
                    .collect(),
            ),
            TypeDefKind::Enum(e) => {
                ValueType::Enum(e.cases.iter().map(|c| c.name.clone()).collect())
            }
            TypeDefKind::Flags(f) => {
                ValueType::Flags(f.flags.iter().map(|f| f.name.clone()).collect())
            }
            TypeDefKind::Option(some) => ValueType::Option(arc(some)),
            TypeDefKind::Result(r) => ValueType::Result {
                ok: r.ok.as_ref().map(arc),
                err: r.err.as_ref().map(arc),
            },
            TypeDefKind::Handle(wit_parser::Handle::Own(_)) => {
                ValueType::Unsupported("own<resource>".into())
            }
            TypeDefKind::Handle(wit_parser::Handle::Borrow(_)) => {
                ValueType::Unsupported("borrow<resource>".into())
            }
            TypeDefKind::Resource => ValueType::Unsupported("resource".into()),
            TypeDefKind::Future(_) => ValueType::Unsupported("future".into()),
            TypeDefKind::Stream(_) => ValueType::Unsupported("stream".into()),
            TypeDefKind::Unknown => ValueType::Unsupported("unknown".into()),
        },
    }
}
