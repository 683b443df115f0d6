//! A small reader for kernel BTF: kernel types by name and ID, and where a member sits in a
//! kernel struct.
//!
//! aya-obj parses BTF, but keeps type lookup and member iteration private. The questions the
//! front end asks are narrow (the ID of `struct S` or typedef `T`, one type's record, the offset
//! and size of `struct S`'s member `m`), so this module reads the format itself
//! (`include/uapi/linux/btf.h`): a header, a type section of variable-length records, and a
//! string section. Turning records into the front end's `KernelType`s is in `types`.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use d_frontend::provider::{KernelNamespace, MemberInfo};

mod funcs;
pub mod traceable;
mod types;
mod vars;

/// Where the running kernel's BTF is.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

const BTF_MAGIC: u16 = 0xeb9f;
/// Size of `struct btf_header` up to and including `str_len`.
const HEADER_SIZE: usize = 24;
/// Size of `struct btf_type`.
const TYPE_SIZE: usize = 12;
/// Anonymous-member nesting and modifier chains deeper than this are treated as corrupt.
const MAX_DEPTH: u32 = 32;

const BTF_KIND_INT: u32 = 1;
const BTF_KIND_PTR: u32 = 2;
const BTF_KIND_ARRAY: u32 = 3;
const BTF_KIND_STRUCT: u32 = 4;
const BTF_KIND_UNION: u32 = 5;
const BTF_KIND_ENUM: u32 = 6;
const BTF_KIND_FWD: u32 = 7;
const BTF_KIND_TYPEDEF: u32 = 8;
const BTF_KIND_VOLATILE: u32 = 9;
const BTF_KIND_CONST: u32 = 10;
const BTF_KIND_RESTRICT: u32 = 11;
const BTF_KIND_FUNC: u32 = 12;
const BTF_KIND_FUNC_PROTO: u32 = 13;
const BTF_KIND_VAR: u32 = 14;
const BTF_KIND_DATASEC: u32 = 15;
const BTF_KIND_FLOAT: u32 = 16;
const BTF_KIND_DECL_TAG: u32 = 17;
const BTF_KIND_TYPE_TAG: u32 = 18;
const BTF_KIND_ENUM64: u32 = 19;

/// Why BTF could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BtfError {
    /// The file could not be read.
    #[error("failed to read BTF from `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        io_error: io::Error,
    },
    /// The data does not start with a BTF header.
    #[error("not BTF data: bad magic {magic:#06x}")]
    BadMagic {
        /// The first two bytes.
        magic: u16,
    },
    /// A section or record runs past the end of the data.
    #[error(
        "truncated BTF data: {what} needs {needed} bytes at offset {offset}, but there are {len}"
    )]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Its offset.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there are.
        len: usize,
    },
    /// A type record of a kind this reader does not know, so the following records cannot be
    /// found.
    #[error("unknown BTF kind {kind} for type {type_id}")]
    UnknownKind {
        /// The kind.
        kind: u32,
        /// The type's ID.
        type_id: u32,
    },
}

/// Parsed BTF: the raw data plus an index of where each type starts and of struct names.
#[derive(Debug)]
pub struct Btf {
    data: Vec<u8>,
    /// Offset in `data` of type `id`'s record at `type_offsets[id - 1]`.
    type_offsets: Vec<usize>,
    strings_start: usize,
    strings_len: usize,
    /// The first type with each name in each namespace: structs, unions, enums, and typedefs
    /// and integers as plain names.
    names: HashMap<(KernelNamespace, String), u32>,
    /// The first function with each name.
    functions: HashMap<String, u32>,
}

/// One `struct btf_type` record's common part.
#[derive(Clone, Copy, Debug)]
struct TypeRecord {
    name_off: u32,
    kind: u32,
    vlen: usize,
    kind_flag: bool,
    /// `size` or `type`, depending on the kind.
    size_or_type: u32,
    /// Offset of the kind-specific data after the common part.
    extra: usize,
}

impl Btf {
    /// Reads and parses the BTF at `path` (usually [`VMLINUX_BTF`]).
    pub fn from_file(path: &Path) -> Result<Btf, BtfError> {
        match std::fs::read(path) {
            Ok(data) => Btf::parse(data),
            Err(io_error) => Err(BtfError::Read {
                path: path.to_owned(),
                io_error,
            }),
        }
    }

    /// Parses raw BTF (native byte order), indexing every type.
    pub fn parse(data: Vec<u8>) -> Result<Btf, BtfError> {
        let magic = read_u16(&data, 0, "header")?;
        if magic != BTF_MAGIC {
            return Err(BtfError::BadMagic { magic });
        }
        let hdr_len = read_u32(&data, 4, "header")? as usize;
        let type_off = read_u32(&data, 8, "header")? as usize;
        let type_len = read_u32(&data, 12, "header")? as usize;
        let str_off = read_u32(&data, 16, "header")? as usize;
        let str_len = read_u32(&data, 20, "header")? as usize;
        let hdr_len = hdr_len.max(HEADER_SIZE);
        let types_start = hdr_len.saturating_add(type_off);
        let types_end = types_start.saturating_add(type_len);
        let strings_start = hdr_len.saturating_add(str_off);
        check_range(&data, types_start, type_len, "type section")?;
        check_range(&data, strings_start, str_len, "string section")?;

        let mut btf = Btf {
            data,
            type_offsets: Vec::new(),
            strings_start,
            strings_len: str_len,
            names: HashMap::new(),
            functions: HashMap::new(),
        };
        let mut offset = types_start;
        while offset < types_end {
            let type_id = btf.type_offsets.len() as u32 + 1;
            let record = btf.record_at(offset)?;
            let extra_len = match record.kind {
                BTF_KIND_INT | BTF_KIND_VAR | BTF_KIND_DECL_TAG => 4,
                BTF_KIND_ARRAY => 12,
                BTF_KIND_STRUCT | BTF_KIND_UNION | BTF_KIND_DATASEC | BTF_KIND_ENUM64 => {
                    12 * record.vlen
                }
                BTF_KIND_ENUM | BTF_KIND_FUNC_PROTO => 8 * record.vlen,
                BTF_KIND_PTR | BTF_KIND_FWD | BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE
                | BTF_KIND_CONST | BTF_KIND_RESTRICT | BTF_KIND_FUNC | BTF_KIND_FLOAT
                | BTF_KIND_TYPE_TAG => 0,
                kind => return Err(BtfError::UnknownKind { kind, type_id }),
            };
            check_range(&btf.data, record.extra, extra_len, "type record")?;
            let namespace = match record.kind {
                BTF_KIND_STRUCT => Some(KernelNamespace::Struct),
                BTF_KIND_UNION => Some(KernelNamespace::Union),
                BTF_KIND_ENUM | BTF_KIND_ENUM64 => Some(KernelNamespace::Enum),
                BTF_KIND_TYPEDEF | BTF_KIND_INT => Some(KernelNamespace::Plain),
                _ => None,
            };
            if let Some(namespace) = namespace
                && let Some(name) = btf.string(record.name_off)
                && !name.is_empty()
            {
                btf.names
                    .entry((namespace, name.to_owned()))
                    .or_insert(type_id);
            }
            if record.kind == BTF_KIND_FUNC
                && let Some(name) = btf.string(record.name_off)
                && !name.is_empty()
            {
                btf.functions.entry(name.to_owned()).or_insert(type_id);
            }
            btf.type_offsets.push(offset);
            offset = record.extra + extra_len;
        }
        Ok(btf)
    }

    /// The offset and size of `member` in `struct struct_name`, looking through anonymous struct
    /// and union members; `None` when there is no such struct or member, or the member is a
    /// bitfield (it has no byte offset and size).
    pub fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
        let struct_id = self.type_named(KernelNamespace::Struct, struct_name)?;
        self.find_member(struct_id, member, 0, 0)
    }

    /// The ID of the first type called `name` in `namespace`.
    pub fn type_named(&self, namespace: KernelNamespace, name: &str) -> Option<u32> {
        self.names.get(&(namespace, name.to_owned())).copied()
    }

    fn find_member(&self, type_id: u32, member: &str, base: u32, depth: u32) -> Option<MemberInfo> {
        if depth > MAX_DEPTH {
            return None;
        }
        let record = self.record(type_id)?;
        if record.kind != BTF_KIND_STRUCT && record.kind != BTF_KIND_UNION {
            return None;
        }
        for member_idx in 0..record.vlen {
            let at = record.extra + 12 * member_idx;
            let name_off = read_u32(&self.data, at, "member").ok()?;
            let member_type = read_u32(&self.data, at + 4, "member").ok()?;
            let raw_offset = read_u32(&self.data, at + 8, "member").ok()?;
            let (bit_offset, bitfield_size) = if record.kind_flag {
                (raw_offset & 0x00ff_ffff, raw_offset >> 24)
            } else {
                (raw_offset, 0)
            };
            let name = self.string(name_off)?;
            if name == member {
                if bitfield_size != 0 || bit_offset % 8 != 0 {
                    return None;
                }
                let size = self.type_size(member_type, 0)?;
                return Some(MemberInfo {
                    offset: base.checked_add(bit_offset / 8)?,
                    size,
                });
            }
            if name.is_empty() {
                let inner = self.resolve_modifiers(member_type, 0)?;
                let inner_base = base.checked_add(bit_offset / 8)?;
                if let Some(found) = self.find_member(inner, member, inner_base, depth + 1) {
                    return Some(found);
                }
            }
        }
        None
    }

    /// Follows typedefs and qualifiers to the underlying type.
    fn resolve_modifiers(&self, type_id: u32, depth: u32) -> Option<u32> {
        if depth > MAX_DEPTH {
            return None;
        }
        let record = self.record(type_id)?;
        match record.kind {
            BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE | BTF_KIND_CONST | BTF_KIND_RESTRICT
            | BTF_KIND_TYPE_TAG => self.resolve_modifiers(record.size_or_type, depth + 1),
            _ => Some(type_id),
        }
    }

    /// The size in bytes of a value of type `type_id`.
    fn type_size(&self, type_id: u32, depth: u32) -> Option<u32> {
        if depth > MAX_DEPTH {
            return None;
        }
        let record = self.record(type_id)?;
        match record.kind {
            BTF_KIND_INT | BTF_KIND_STRUCT | BTF_KIND_UNION | BTF_KIND_ENUM | BTF_KIND_ENUM64
            | BTF_KIND_FLOAT => Some(record.size_or_type),
            BTF_KIND_PTR => Some(8),
            BTF_KIND_ARRAY => {
                let element = read_u32(&self.data, record.extra, "array").ok()?;
                let n_elements = read_u32(&self.data, record.extra + 8, "array").ok()?;
                self.type_size(element, depth + 1)?.checked_mul(n_elements)
            }
            BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE | BTF_KIND_CONST | BTF_KIND_RESTRICT
            | BTF_KIND_TYPE_TAG => self.type_size(record.size_or_type, depth + 1),
            _ => None,
        }
    }

    fn record(&self, type_id: u32) -> Option<TypeRecord> {
        let offset = *self.type_offsets.get((type_id as usize).checked_sub(1)?)?;
        self.record_at(offset).ok()
    }

    fn record_at(&self, offset: usize) -> Result<TypeRecord, BtfError> {
        let name_off = read_u32(&self.data, offset, "type record")?;
        let info = read_u32(&self.data, offset + 4, "type record")?;
        let size_or_type = read_u32(&self.data, offset + 8, "type record")?;
        Ok(TypeRecord {
            name_off,
            kind: (info >> 24) & 0x1f,
            vlen: (info & 0xffff) as usize,
            kind_flag: info >> 31 == 1,
            size_or_type,
            extra: offset + TYPE_SIZE,
        })
    }

    /// The NUL-terminated string at `offset` in the string section.
    fn string(&self, offset: u32) -> Option<&str> {
        if offset as usize >= self.strings_len {
            return None;
        }
        let strings = &self.data[self.strings_start..self.strings_start + self.strings_len];
        let tail = &strings[offset as usize..];
        let len = tail.iter().position(|&byte| byte == 0)?;
        std::str::from_utf8(&tail[..len]).ok()
    }
}

fn check_range(
    data: &[u8],
    offset: usize,
    needed: usize,
    what: &'static str,
) -> Result<(), BtfError> {
    if offset
        .checked_add(needed)
        .is_none_or(|end| end > data.len())
    {
        return Err(BtfError::Truncated {
            what,
            offset,
            needed,
            len: data.len(),
        });
    }
    Ok(())
}

fn read_u16(data: &[u8], offset: usize, what: &'static str) -> Result<u16, BtfError> {
    check_range(data, offset, 2, what)?;
    Ok(u16::from_ne_bytes([data[offset], data[offset + 1]]))
}

fn read_u32(data: &[u8], offset: usize, what: &'static str) -> Result<u32, BtfError> {
    check_range(data, offset, 4, what)?;
    let bytes = [
        data[offset],
        data[offset + 1],
        data[offset + 2],
        data[offset + 3],
    ];
    Ok(u32::from_ne_bytes(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds BTF by hand, the way `pahole` lays it out.
    #[derive(Default)]
    pub(crate) struct BtfBuilder {
        types: Vec<u8>,
        strings: Vec<u8>,
        n_types: u32,
    }

    impl BtfBuilder {
        pub(crate) fn new() -> BtfBuilder {
            BtfBuilder {
                strings: vec![0],
                ..BtfBuilder::default()
            }
        }

        fn name(&mut self, name: &str) -> u32 {
            if name.is_empty() {
                return 0;
            }
            let offset = self.strings.len() as u32;
            self.strings.extend_from_slice(name.as_bytes());
            self.strings.push(0);
            offset
        }

        fn push_type(
            &mut self,
            name: &str,
            kind: u32,
            vlen: u32,
            kind_flag: bool,
            size_or_type: u32,
        ) -> u32 {
            let name_off = self.name(name);
            let info = (u32::from(kind_flag) << 31) | (kind << 24) | vlen;
            for word in [name_off, info, size_or_type] {
                self.types.extend_from_slice(&word.to_ne_bytes());
            }
            self.n_types += 1;
            self.n_types
        }

        /// A signed integer.
        pub(crate) fn int(&mut self, name: &str, size: u32) -> u32 {
            let id = self.push_type(name, BTF_KIND_INT, 0, false, size);
            let encoding = (1 << 24) | (size * 8);
            self.types.extend_from_slice(&encoding.to_ne_bytes());
            id
        }

        pub(crate) fn ptr(&mut self, target: u32) -> u32 {
            self.push_type("", BTF_KIND_PTR, 0, false, target)
        }

        pub(crate) fn typedef(&mut self, name: &str, target: u32) -> u32 {
            self.push_type(name, BTF_KIND_TYPEDEF, 0, false, target)
        }

        pub(crate) fn array(&mut self, element: u32, index: u32, n_elements: u32) -> u32 {
            let id = self.push_type("", BTF_KIND_ARRAY, 0, false, 0);
            for word in [element, index, n_elements] {
                self.types.extend_from_slice(&word.to_ne_bytes());
            }
            id
        }

        /// A struct (or union) with `(name, type, bit offset, bitfield size)` members.
        pub(crate) fn composite(
            &mut self,
            kind: u32,
            name: &str,
            size: u32,
            members: &[(&str, u32, u32, u32)],
        ) -> u32 {
            let kind_flag = members.iter().any(|member| member.3 != 0);
            let id = self.push_type(name, kind, members.len() as u32, kind_flag, size);
            for &(member_name, member_type, bit_offset, bitfield_size) in members {
                let name_off = self.name(member_name);
                let offset = if kind_flag {
                    (bitfield_size << 24) | bit_offset
                } else {
                    bit_offset
                };
                for word in [name_off, member_type, offset] {
                    self.types.extend_from_slice(&word.to_ne_bytes());
                }
            }
            id
        }

        /// A function prototype with `(name, type)` parameters.
        pub(crate) fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
            let id = self.push_type("", BTF_KIND_FUNC_PROTO, params.len() as u32, false, ret);
            for &(param_name, param_type) in params {
                let name_off = self.name(param_name);
                for word in [name_off, param_type] {
                    self.types.extend_from_slice(&word.to_ne_bytes());
                }
            }
            id
        }

        /// A function of prototype `proto`.
        pub(crate) fn func(&mut self, name: &str, proto: u32) -> u32 {
            self.push_type(name, BTF_KIND_FUNC, 0, false, proto)
        }

        pub(crate) fn float(&mut self, name: &str, size: u32) -> u32 {
            self.push_type(name, BTF_KIND_FLOAT, 0, false, size)
        }

        pub(crate) fn var(&mut self, name: &str, ty: u32) -> u32 {
            let id = self.push_type(name, BTF_KIND_VAR, 0, false, ty);
            // Linkage: a global variable.
            self.types.extend_from_slice(&1u32.to_ne_bytes());
            id
        }

        pub(crate) fn build(&self) -> Vec<u8> {
            let mut data = Vec::new();
            data.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
            data.push(1);
            data.push(0);
            let type_len = self.types.len() as u32;
            for word in [
                HEADER_SIZE as u32,
                0,
                type_len,
                type_len,
                self.strings.len() as u32,
            ] {
                data.extend_from_slice(&word.to_ne_bytes());
            }
            data.extend_from_slice(&self.types);
            data.extend_from_slice(&self.strings);
            data
        }
    }

    /// A `task_struct` with an anonymous union holding an anonymous struct, as the kernel has.
    pub(crate) fn task_struct_btf() -> Vec<u8> {
        let mut builder = BtfBuilder::new();
        let int = builder.int("int", 4);
        let long = builder.int("long", 8);
        let pid_t = builder.typedef("pid_t", int);
        let char_ty = builder.int("char", 1);
        let comm = builder.array(char_ty, int, 16);
        let inner = builder.composite(
            BTF_KIND_STRUCT,
            "",
            16,
            &[("tgid", pid_t, 0, 0), ("flags", long, 64, 0)],
        );
        let anon_union = builder.composite(
            BTF_KIND_UNION,
            "",
            16,
            &[("", inner, 0, 0), ("raw", long, 0, 0)],
        );
        let task_ptr = builder.ptr(0);
        builder.composite(
            BTF_KIND_STRUCT,
            "task_struct",
            64,
            &[
                ("pid", pid_t, 0, 0),
                ("in_execve", int, 32, 1),
                ("", anon_union, 64, 0),
                ("real_parent", task_ptr, 192, 0),
                ("comm", comm, 256, 0),
            ],
        );
        builder.build()
    }

    #[test]
    fn finds_direct_members() {
        let btf = Btf::parse(task_struct_btf()).expect("valid BTF");
        assert_eq!(
            btf.struct_member("task_struct", "pid"),
            Some(MemberInfo { offset: 0, size: 4 })
        );
        assert_eq!(
            btf.struct_member("task_struct", "real_parent"),
            Some(MemberInfo {
                offset: 24,
                size: 8
            })
        );
        assert_eq!(
            btf.struct_member("task_struct", "comm"),
            Some(MemberInfo {
                offset: 32,
                size: 16
            })
        );
    }

    #[test]
    fn finds_members_of_nested_anonymous_structs_and_unions() {
        let btf = Btf::parse(task_struct_btf()).expect("valid BTF");
        assert_eq!(
            btf.struct_member("task_struct", "tgid"),
            Some(MemberInfo { offset: 8, size: 4 })
        );
        assert_eq!(
            btf.struct_member("task_struct", "flags"),
            Some(MemberInfo {
                offset: 16,
                size: 8
            })
        );
        assert_eq!(
            btf.struct_member("task_struct", "raw"),
            Some(MemberInfo { offset: 8, size: 8 })
        );
    }

    #[test]
    fn bitfields_and_unknown_names_are_none() {
        let btf = Btf::parse(task_struct_btf()).expect("valid BTF");
        assert_eq!(btf.struct_member("task_struct", "in_execve"), None);
        assert_eq!(btf.struct_member("task_struct", "nope"), None);
        assert_eq!(btf.struct_member("mm_struct", "pgd"), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let valid = task_struct_btf();
        assert!(matches!(
            Btf::parse([&BTF_MAGIC.to_ne_bytes()[..], &[1, 0]].concat()),
            Err(BtfError::Truncated { .. })
        ));
        assert!(matches!(
            Btf::parse(vec![0; 64]),
            Err(BtfError::BadMagic { magic: 0 })
        ));
        for len in 0..valid.len() {
            let _ = Btf::parse(valid[..len].to_vec());
        }
        let mut flipped = valid.clone();
        for byte_idx in HEADER_SIZE..flipped.len() {
            flipped[byte_idx] ^= 0xff;
            if let Ok(btf) = Btf::parse(flipped.clone()) {
                let _ = btf.struct_member("task_struct", "tgid");
            }
            flipped[byte_idx] ^= 0xff;
        }
    }
}
