//! The kernel's probe catalog over the socket: [`CatalogQuery`] mirrors each question of
//! [`ProbeCatalog`], [`CatalogAnswer`] its answer.
//!
//! A client that is not root cannot read tracefs, but it must compile the program itself to
//! print its records; it asks the daemon's catalog instead, and so compiles against exactly what
//! the daemon compiles against. The mirror types carry serde; the front end's own types do not,
//! because the front end stays free of anything but the language.

use d_frontend::provider::{
    FunctionPrototype, KernelMember, KernelNamespace, KernelType, MemberInfo, ProbeCatalog,
    SyscallInfo, TracepointField, TracepointInfo,
};
use serde::{Deserialize, Serialize};

/// One question of [`ProbeCatalog`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case", deny_unknown_fields)]
pub enum CatalogQuery {
    /// [`ProbeCatalog::syscalls`].
    Syscalls,
    /// [`ProbeCatalog::struct_member`].
    StructMember {
        /// The struct.
        struct_name: String,
        /// The member.
        member: String,
    },
    /// [`ProbeCatalog::kernel_type_named`].
    KernelTypeNamed {
        /// `struct`, `union`, `enum` or `plain`.
        namespace: Namespace,
        /// The name.
        name: String,
    },
    /// [`ProbeCatalog::kernel_type`].
    KernelType {
        /// The BTF type id.
        id: u32,
    },
    /// [`ProbeCatalog::tracepoints`].
    Tracepoints,
    /// [`ProbeCatalog::tracepoint_format`].
    TracepointFormat {
        /// The event's group.
        group: String,
        /// The event.
        event: String,
    },
    /// [`ProbeCatalog::kernel_functions`].
    KernelFunctions,
    /// [`ProbeCatalog::kernel_function`].
    KernelFunction {
        /// The function.
        name: String,
    },
    /// [`ProbeCatalog::has_module`].
    HasModule {
        /// The module (`vmlinux`).
        name: String,
    },
    /// [`ProbeCatalog::kernel_symbol`].
    KernelSymbol {
        /// The module the symbol is in, if named.
        module: Option<String>,
        /// The symbol.
        name: String,
    },
}

/// [`KernelNamespace`], for the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[expect(missing_docs, reason = "each is the KernelNamespace of the same name")]
pub enum Namespace {
    Struct,
    Union,
    Enum,
    Plain,
}

/// The answer to a [`CatalogQuery`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
#[expect(
    missing_docs,
    reason = "each field is the answer of the query of the same name"
)]
pub enum CatalogAnswer {
    Syscalls {
        syscalls: Vec<(String, u32)>,
    },
    StructMember {
        member: Option<(u32, u32)>,
    },
    KernelTypeNamed {
        id: Option<u32>,
    },
    KernelType {
        ty: Option<TypeMirror>,
    },
    Tracepoints {
        tracepoints: Vec<(String, String)>,
    },
    TracepointFormat {
        fields: Option<Vec<FieldMirror>>,
    },
    KernelFunctions {
        functions: Vec<String>,
    },
    KernelFunction {
        prototype: Option<(Vec<(String, u32)>, u32)>,
    },
    HasModule {
        present: bool,
    },
    KernelSymbol {
        symbol: Option<(u64, Option<u32>)>,
    },
}

/// [`KernelType`], for the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[expect(missing_docs, reason = "each is the KernelType of the same name")]
pub enum TypeMirror {
    Void,
    Int {
        size: u32,
        signed: bool,
    },
    Float {
        size: u32,
    },
    Pointer {
        target: u32,
    },
    Array {
        element: u32,
        len: u32,
    },
    Struct {
        name: String,
        union: bool,
        size: u32,
        members: Vec<(String, u32, u32, u32)>,
    },
    Forward {
        name: String,
        union: bool,
    },
    Enum {
        size: u32,
        signed: bool,
    },
    Typedef {
        target: u32,
    },
    Qualified {
        target: u32,
    },
    Other,
}

/// [`TracepointField`], for the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "each field is the TracepointField's of the same name"
)]
pub struct FieldMirror {
    pub declaration: String,
    pub name: String,
    pub offset: u32,
    pub size: u32,
    pub signed: bool,
}

/// Answers `query` from `catalog`.
pub fn answer(catalog: &dyn ProbeCatalog, query: &CatalogQuery) -> CatalogAnswer {
    match query {
        CatalogQuery::Syscalls => CatalogAnswer::Syscalls {
            syscalls: catalog
                .syscalls()
                .into_iter()
                .map(|syscall| (syscall.name, syscall.nr))
                .collect(),
        },
        CatalogQuery::StructMember {
            struct_name,
            member,
        } => CatalogAnswer::StructMember {
            member: catalog
                .struct_member(struct_name, member)
                .map(|info| (info.offset, info.size)),
        },
        CatalogQuery::KernelTypeNamed { namespace, name } => CatalogAnswer::KernelTypeNamed {
            id: catalog.kernel_type_named(namespace.into_kernel(), name),
        },
        CatalogQuery::KernelType { id } => CatalogAnswer::KernelType {
            ty: catalog.kernel_type(*id).map(TypeMirror::from_kernel),
        },
        CatalogQuery::Tracepoints => CatalogAnswer::Tracepoints {
            tracepoints: catalog
                .tracepoints()
                .into_iter()
                .map(|tracepoint| (tracepoint.group, tracepoint.event))
                .collect(),
        },
        CatalogQuery::TracepointFormat { group, event } => CatalogAnswer::TracepointFormat {
            fields: catalog.tracepoint_format(group, event).map(|fields| {
                fields
                    .into_iter()
                    .map(|field| FieldMirror {
                        declaration: field.declaration,
                        name: field.name,
                        offset: field.offset,
                        size: field.size,
                        signed: field.signed,
                    })
                    .collect()
            }),
        },
        CatalogQuery::KernelFunctions => CatalogAnswer::KernelFunctions {
            functions: catalog.kernel_functions(),
        },
        CatalogQuery::KernelFunction { name } => CatalogAnswer::KernelFunction {
            prototype: catalog
                .kernel_function(name)
                .map(|prototype| (prototype.params, prototype.ret)),
        },
        CatalogQuery::HasModule { name } => CatalogAnswer::HasModule {
            present: catalog.has_module(name),
        },
        CatalogQuery::KernelSymbol { module, name } => CatalogAnswer::KernelSymbol {
            symbol: catalog
                .kernel_symbol(module.as_deref(), name)
                .map(|symbol| (symbol.address, symbol.ty)),
        },
    }
}

impl Namespace {
    /// The wire form of `namespace`.
    pub fn from_kernel(namespace: KernelNamespace) -> Namespace {
        match namespace {
            KernelNamespace::Struct => Namespace::Struct,
            KernelNamespace::Union => Namespace::Union,
            KernelNamespace::Enum => Namespace::Enum,
            KernelNamespace::Plain => Namespace::Plain,
        }
    }

    /// The front end's form.
    pub fn into_kernel(self) -> KernelNamespace {
        match self {
            Namespace::Struct => KernelNamespace::Struct,
            Namespace::Union => KernelNamespace::Union,
            Namespace::Enum => KernelNamespace::Enum,
            Namespace::Plain => KernelNamespace::Plain,
        }
    }
}

impl TypeMirror {
    /// The wire form of `ty`.
    pub fn from_kernel(ty: KernelType) -> TypeMirror {
        match ty {
            KernelType::Void => TypeMirror::Void,
            KernelType::Int { size, signed } => TypeMirror::Int { size, signed },
            KernelType::Float { size } => TypeMirror::Float { size },
            KernelType::Pointer { target } => TypeMirror::Pointer { target },
            KernelType::Array { element, len } => TypeMirror::Array { element, len },
            KernelType::Struct {
                name,
                union,
                size,
                members,
            } => TypeMirror::Struct {
                name,
                union,
                size,
                members: members
                    .into_iter()
                    .map(|member| (member.name, member.ty, member.bit_offset, member.bit_size))
                    .collect(),
            },
            KernelType::Forward { name, union } => TypeMirror::Forward { name, union },
            KernelType::Enum { size, signed } => TypeMirror::Enum { size, signed },
            KernelType::Typedef { target } => TypeMirror::Typedef { target },
            KernelType::Qualified { target } => TypeMirror::Qualified { target },
            KernelType::Other => TypeMirror::Other,
        }
    }

    /// The front end's form.
    pub fn into_kernel(self) -> KernelType {
        match self {
            TypeMirror::Void => KernelType::Void,
            TypeMirror::Int { size, signed } => KernelType::Int { size, signed },
            TypeMirror::Float { size } => KernelType::Float { size },
            TypeMirror::Pointer { target } => KernelType::Pointer { target },
            TypeMirror::Array { element, len } => KernelType::Array { element, len },
            TypeMirror::Struct {
                name,
                union,
                size,
                members,
            } => KernelType::Struct {
                name,
                union,
                size,
                members: members
                    .into_iter()
                    .map(|(name, ty, bit_offset, bit_size)| KernelMember {
                        name,
                        ty,
                        bit_offset,
                        bit_size,
                    })
                    .collect(),
            },
            TypeMirror::Forward { name, union } => KernelType::Forward { name, union },
            TypeMirror::Enum { size, signed } => KernelType::Enum { size, signed },
            TypeMirror::Typedef { target } => KernelType::Typedef { target },
            TypeMirror::Qualified { target } => KernelType::Qualified { target },
            TypeMirror::Other => KernelType::Other,
        }
    }
}

/// The front end's forms of the answers, for a client's [`ProbeCatalog`].
impl CatalogAnswer {
    /// The syscalls, or none for another answer.
    pub fn into_syscalls(self) -> Vec<SyscallInfo> {
        match self {
            CatalogAnswer::Syscalls { syscalls } => syscalls
                .into_iter()
                .map(|(name, nr)| SyscallInfo { name, nr })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The member, or `None` for another answer.
    pub fn into_member(self) -> Option<MemberInfo> {
        match self {
            CatalogAnswer::StructMember {
                member: Some((offset, size)),
            } => Some(MemberInfo { offset, size }),
            _ => None,
        }
    }

    /// The type id, or `None` for another answer.
    pub fn into_type_id(self) -> Option<u32> {
        match self {
            CatalogAnswer::KernelTypeNamed { id } => id,
            _ => None,
        }
    }

    /// The type, or `None` for another answer.
    pub fn into_type(self) -> Option<KernelType> {
        match self {
            CatalogAnswer::KernelType { ty } => ty.map(TypeMirror::into_kernel),
            _ => None,
        }
    }

    /// The tracepoints, or none for another answer.
    pub fn into_tracepoints(self) -> Vec<TracepointInfo> {
        match self {
            CatalogAnswer::Tracepoints { tracepoints } => tracepoints
                .into_iter()
                .map(|(group, event)| TracepointInfo { group, event })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The fields, or `None` for another answer.
    pub fn into_fields(self) -> Option<Vec<TracepointField>> {
        match self {
            CatalogAnswer::TracepointFormat { fields } => fields.map(|fields| {
                fields
                    .into_iter()
                    .map(|field| TracepointField {
                        declaration: field.declaration,
                        name: field.name,
                        offset: field.offset,
                        size: field.size,
                        signed: field.signed,
                    })
                    .collect()
            }),
            _ => None,
        }
    }

    /// The functions, or none for another answer.
    pub fn into_functions(self) -> Vec<String> {
        match self {
            CatalogAnswer::KernelFunctions { functions } => functions,
            _ => Vec::new(),
        }
    }

    /// The prototype, or `None` for another answer.
    pub fn into_prototype(self) -> Option<FunctionPrototype> {
        match self {
            CatalogAnswer::KernelFunction {
                prototype: Some((params, ret)),
            } => Some(FunctionPrototype { params, ret }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_types_survive_the_wire() {
        let ty = KernelType::Struct {
            name: "task_struct".to_owned(),
            union: false,
            size: 16,
            members: vec![KernelMember {
                name: "pid".to_owned(),
                ty: 7,
                bit_offset: 64,
                bit_size: 0,
            }],
        };
        let answer = CatalogAnswer::KernelType {
            ty: Some(TypeMirror::from_kernel(ty.clone())),
        };
        let line = serde_json::to_string(&answer).unwrap();
        let back: CatalogAnswer = serde_json::from_str(&line).unwrap();
        assert_eq!(back.into_type(), Some(ty));
        for namespace in [
            KernelNamespace::Struct,
            KernelNamespace::Union,
            KernelNamespace::Enum,
            KernelNamespace::Plain,
        ] {
            assert_eq!(Namespace::from_kernel(namespace).into_kernel(), namespace);
        }
    }
}
