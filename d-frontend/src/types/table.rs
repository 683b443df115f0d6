//! The type table: every pointer, array, struct and union type a program uses.
//!
//! Sema owns one [`TypeTable`] per program and hands it to lowering inside `sema::Checked`. Pointer
//! and array types are interned, so two spellings of `int *` get the same [`TypeId`] and `Type`'s
//! derived equality is type identity. Kernel types are imported from the catalog on demand:
//! importing a struct records its size only, and its members are read the first time a member is
//! looked up, so `struct task_struct *` does not pull in half of the kernel's types.

use std::collections::HashMap;

use super::{Type, TypeId};
use crate::provider::{KernelType, KernelTypeId, ProbeCatalog};

/// Pointer and modifier chains deeper than this in kernel types are treated as corrupt.
const MAX_IMPORT_DEPTH: u32 = 32;

/// What a [`TypeId`] stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDef {
    /// A pointer to `target`.
    Pointer {
        /// The pointee.
        target: Type,
    },
    /// `len` elements of `element`.
    Array {
        /// The element type.
        element: Type,
        /// Number of elements.
        len: u32,
    },
    /// A struct or union.
    Struct(StructDef),
}

/// A struct or union type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    /// Its tag; `None` when anonymous.
    pub name: Option<String>,
    /// A union rather than a struct.
    pub union: bool,
    /// Size in bytes.
    pub size: u32,
    /// Alignment in bytes.
    pub align: u32,
    /// The members; `None` while the type is incomplete (declared, not defined) or, for a kernel
    /// type, not loaded yet.
    pub members: Option<Vec<Member>>,
    /// The catalog ID of a kernel type, to load its members from.
    pub kernel: Option<KernelTypeId>,
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its name; empty for an anonymous struct or union member.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, 0 for an ordinary member.
    pub bit_size: u32,
}

/// A member found by name, with its offset from the start of the outermost struct (anonymous
/// members it sits in are looked through).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// Its type.
    pub ty: Type,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Width of a bitfield in bits, 0 for an ordinary member.
    pub bit_size: u32,
}

/// Every composite type of one program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeTable {
    defs: Vec<TypeDef>,
    pointers: HashMap<Type, TypeId>,
    arrays: HashMap<(Type, u32), TypeId>,
    kernel_imports: HashMap<KernelTypeId, Type>,
}

impl TypeTable {
    /// What `id` stands for.
    pub fn def(&self, id: TypeId) -> &TypeDef {
        match self.defs.get(id.0 as usize) {
            Some(def) => def,
            None => panic!("type {id:?} is not in a table of {} types", self.defs.len()),
        }
    }

    /// The struct or union `id` stands for.
    pub fn struct_def(&self, id: TypeId) -> &StructDef {
        match self.def(id) {
            TypeDef::Struct(def) => def,
            other => panic!("type {id:?} is {other:?}, not a struct"),
        }
    }

    fn add(&mut self, def: TypeDef) -> TypeId {
        let id = TypeId(u32::try_from(self.defs.len()).expect("fewer than 2^32 types"));
        self.defs.push(def);
        id
    }

    /// The type `target *`.
    pub fn pointer_to(&mut self, target: Type) -> Type {
        if let Some(&id) = self.pointers.get(&target) {
            return Type::Pointer(id);
        }
        let id = self.add(TypeDef::Pointer { target });
        self.pointers.insert(target, id);
        Type::Pointer(id)
    }

    /// The type `element [len]`.
    pub fn array_of(&mut self, element: Type, len: u32) -> Type {
        if let Some(&id) = self.arrays.get(&(element, len)) {
            return Type::Array(id);
        }
        let id = self.add(TypeDef::Array { element, len });
        self.arrays.insert((element, len), id);
        Type::Array(id)
    }

    /// Adds a struct or union (complete or not) and returns its type.
    pub fn add_struct(&mut self, def: StructDef) -> Type {
        Type::Struct(self.add(TypeDef::Struct(def)))
    }

    /// Completes a struct declared earlier with its members, size and alignment.
    pub fn complete_struct(&mut self, id: TypeId, members: Vec<Member>, size: u32, align: u32) {
        if let Some(TypeDef::Struct(def)) = self.defs.get_mut(id.0 as usize) {
            def.members = Some(members);
            def.size = size;
            def.align = align;
        }
    }

    /// What a pointer points to, or `None` for a non-pointer.
    pub fn pointee(&self, ty: Type) -> Option<Type> {
        match ty {
            Type::Pointer(id) => match self.def(id) {
                TypeDef::Pointer { target } => Some(*target),
                _ => None,
            },
            _ => None,
        }
    }

    /// An array's element type and length, or `None` for a non-array.
    pub fn array(&self, ty: Type) -> Option<(Type, u32)> {
        match ty {
            Type::Array(id) => match self.def(id) {
                TypeDef::Array { element, len } => Some((*element, *len)),
                _ => None,
            },
            _ => None,
        }
    }

    /// What a pointer points to or an array holds; `None` for other types.
    pub fn element(&self, ty: Type) -> Option<Type> {
        self.pointee(ty)
            .or_else(|| self.array(ty).map(|(element, _)| element))
    }

    /// Whether `ty` is a `char` array, which D uses as a string.
    pub fn is_char_array(&self, ty: Type) -> bool {
        matches!(self.array(ty), Some((Type::Int { size: 1, .. }, _)))
    }

    /// The size of a value of type `ty` in bytes, or `None` when it has no size (`void`, an
    /// incomplete struct). A `string` takes `strsize` bytes.
    pub fn size_of(&self, ty: Type, strsize: u32) -> Option<u32> {
        match ty {
            Type::Int { size, .. } | Type::Float { size } => Some(u32::from(size)),
            Type::String => Some(strsize),
            Type::Void | Type::Stack(_) | Type::SymAddr(_) => None,
            Type::Pointer(_) => Some(8),
            Type::Array(_) => {
                let (element, len) = self.array(ty)?;
                self.size_of(element, strsize)?.checked_mul(len)
            }
            Type::Struct(id) => {
                let def = self.struct_def(id);
                (def.members.is_some() || def.kernel.is_some()).then_some(def.size)
            }
        }
    }

    /// The alignment of `ty` in bytes, as C lays out structs.
    pub fn align_of(&self, ty: Type) -> u32 {
        match ty {
            Type::Int { size, .. } | Type::Float { size } => u32::from(size),
            Type::Pointer(_) => 8,
            Type::Array(_) => self
                .array(ty)
                .map_or(1, |(element, _)| self.align_of(element)),
            Type::Struct(id) => self.struct_def(id).align.max(1),
            Type::String | Type::Void | Type::Stack(_) | Type::SymAddr(_) => 1,
        }
    }

    /// The type's name as D prints it (`unsigned long`, `struct task_struct *`, `char [16]`).
    pub fn name(&self, ty: Type) -> String {
        match ty {
            Type::Int { size, signed } => {
                let base = match size {
                    1 => "char",
                    2 => "short",
                    4 => "int",
                    _ => "long",
                };
                if signed {
                    base.to_owned()
                } else {
                    format!("unsigned {base}")
                }
            }
            Type::Float { .. } | Type::String | Type::Void | Type::Stack(_) | Type::SymAddr(_) => {
                ty.name().to_owned()
            }
            Type::Pointer(_) => match self.pointee(ty) {
                Some(target @ Type::Pointer(_)) => format!("{}*", self.name(target)),
                Some(target) => format!("{} *", self.name(target)),
                None => "void *".to_owned(),
            },
            Type::Array(_) => match self.array(ty) {
                Some((element, len)) => format!("{} [{len}]", self.name(element)),
                None => "array".to_owned(),
            },
            Type::Struct(id) => {
                let def = self.struct_def(id);
                let keyword = if def.union { "union" } else { "struct" };
                match &def.name {
                    Some(name) => format!("{keyword} {name}"),
                    None => format!("{keyword} <anon>"),
                }
            }
        }
    }

    /// Finds `name` in struct `id`, looking through anonymous members; loads a kernel struct's
    /// members from `catalog` first if needed.
    pub fn find_member(
        &mut self,
        id: TypeId,
        name: &str,
        catalog: &dyn ProbeCatalog,
    ) -> Option<MemberRef> {
        self.load_members(id, catalog);
        let members = self.struct_def(id).members.clone()?;
        for member in members {
            if member.name == name {
                return Some(MemberRef {
                    ty: member.ty,
                    bit_offset: member.bit_offset,
                    bit_size: member.bit_size,
                });
            }
            if member.name.is_empty()
                && let Type::Struct(inner) = member.ty
                && let Some(found) = self.find_member(inner, name, catalog)
            {
                return Some(MemberRef {
                    bit_offset: found.bit_offset + member.bit_offset,
                    ..found
                });
            }
        }
        None
    }

    /// A struct's members, read from the catalog first for a kernel struct; `None` while it is
    /// incomplete.
    pub fn loaded_members(
        &mut self,
        id: TypeId,
        catalog: &dyn ProbeCatalog,
    ) -> Option<Vec<Member>> {
        self.load_members(id, catalog);
        self.struct_def(id).members.clone()
    }

    /// Reads a kernel struct's members from the catalog, once.
    fn load_members(&mut self, id: TypeId, catalog: &dyn ProbeCatalog) {
        let def = self.struct_def(id);
        let (None, Some(kernel_id)) = (&def.members, def.kernel) else {
            return;
        };
        let Some(KernelType::Struct { members, .. }) = catalog.kernel_type(kernel_id) else {
            return;
        };
        let mut loaded = Vec::with_capacity(members.len());
        for member in members {
            let Some(ty) = self.import_kernel(catalog, member.ty) else {
                continue;
            };
            loaded.push(Member {
                name: member.name,
                ty,
                bit_offset: member.bit_offset,
                bit_size: member.bit_size,
            });
        }
        if let TypeDef::Struct(def) = &mut self.defs[id.0 as usize] {
            def.members = Some(loaded);
        }
    }

    /// The D type for kernel type `id`, or `None` when D has no type for it (functions, floats).
    pub fn import_kernel(&mut self, catalog: &dyn ProbeCatalog, id: KernelTypeId) -> Option<Type> {
        self.import_kernel_at(catalog, id, 0)
    }

    fn import_kernel_at(
        &mut self,
        catalog: &dyn ProbeCatalog,
        id: KernelTypeId,
        depth: u32,
    ) -> Option<Type> {
        if depth > MAX_IMPORT_DEPTH {
            return None;
        }
        if let Some(&ty) = self.kernel_imports.get(&id) {
            return Some(ty);
        }
        let ty = match catalog.kernel_type(id)? {
            KernelType::Void => Type::Void,
            KernelType::Int { size, signed } => Type::Int {
                size: u8::try_from(size)
                    .ok()
                    .filter(|size| size.is_power_of_two() && *size <= 8)?,
                signed,
            },
            KernelType::Enum { size, signed } => Type::Int {
                size: u8::try_from(size)
                    .ok()
                    .filter(|size| size.is_power_of_two() && *size <= 8)?,
                signed,
            },
            KernelType::Float { size } => Type::Float {
                size: u8::try_from(size)
                    .ok()
                    .filter(|size| matches!(size, 4 | 8 | 16))?,
            },
            KernelType::Pointer { target } => {
                let target = self
                    .import_kernel_at(catalog, target, depth + 1)
                    .unwrap_or(Type::Void);
                self.pointer_to(target)
            }
            KernelType::Array { element, len } => {
                let element = self.import_kernel_at(catalog, element, depth + 1)?;
                self.array_of(element, len)
            }
            KernelType::Struct {
                name, union, size, ..
            } => self.add_struct(StructDef {
                name: (!name.is_empty()).then_some(name),
                union,
                size,
                align: size.clamp(1, 8),
                members: None,
                kernel: Some(id),
            }),
            KernelType::Forward { name, union } => self.add_struct(StructDef {
                name: Some(name),
                union,
                size: 0,
                align: 1,
                members: None,
                kernel: None,
            }),
            KernelType::Typedef { target } | KernelType::Qualified { target } => {
                self.import_kernel_at(catalog, target, depth + 1)?
            }
            KernelType::Other => return None,
        };
        self.kernel_imports.insert(id, ty);
        Some(ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::KernelNamespace;
    use crate::provider::tests::FakeCatalog;

    #[test]
    fn pointers_and_arrays_are_interned() {
        let mut table = TypeTable::default();
        let first = table.pointer_to(Type::INT);
        assert_eq!(table.pointer_to(Type::INT), first);
        assert_ne!(table.pointer_to(Type::LONG), first);
        let chars = table.array_of(
            Type::Int {
                size: 1,
                signed: true,
            },
            16,
        );
        assert_eq!(table.size_of(chars, 256), Some(16));
        assert!(table.is_char_array(chars));
        assert_eq!(table.name(chars), "char [16]");
        let pointer_pointer = table.pointer_to(first);
        assert_eq!(table.name(pointer_pointer), "int **");
        assert_eq!(table.size_of(Type::Void, 256), None);
    }

    #[test]
    fn kernel_structs_load_members_on_first_lookup() {
        let mut table = TypeTable::default();
        let catalog = FakeCatalog;
        let id = catalog
            .kernel_type_named(KernelNamespace::Struct, "task_struct")
            .expect("the fake catalog has task_struct");
        let task = table.import_kernel(&catalog, id).expect("imports");
        let Type::Struct(task_id) = task else {
            panic!("{task:?}");
        };
        assert_eq!(table.struct_def(task_id).members, None);
        assert_eq!(table.name(task), "struct task_struct");
        let tgid = table.find_member(task_id, "tgid", &catalog).expect("tgid");
        assert_eq!((tgid.ty, tgid.bit_offset), (Type::INT, 2428 * 8));
        let parent = table
            .find_member(task_id, "real_parent", &catalog)
            .expect("real_parent");
        assert_eq!(table.pointee(parent.ty), Some(task));
        let comm = table.find_member(task_id, "comm", &catalog).expect("comm");
        assert!(table.is_char_array(comm.ty));
        assert_eq!(table.find_member(task_id, "nope", &catalog), None);
    }
}
