//! BTF records as the front end's [`KernelType`]s.
//!
//! The front end imports kernel types one at a time, by ID, as a program reaches them (`struct
//! task_struct`, then the type of `->real_parent`, ...), so this is a plain translation of one
//! record with no recursion: the types a record refers to stay IDs.

use d_frontend::provider::{KernelMember, KernelType};

use super::{
    BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FWD,
    BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_RESTRICT, BTF_KIND_STRUCT, BTF_KIND_TYPE_TAG,
    BTF_KIND_TYPEDEF, BTF_KIND_UNION, BTF_KIND_VOLATILE, Btf, read_u32,
};

/// `BTF_INT_SIGNED` in an integer's encoding byte.
const BTF_INT_SIGNED: u32 = 1;
/// `BTF_INT_CHAR` in an integer's encoding byte.
const BTF_INT_CHAR: u32 = 2;

impl Btf {
    /// Type `type_id` as the front end describes kernel types; 0 is `void`. `None` when there is
    /// no such type or its record is damaged.
    pub fn kernel_type(&self, type_id: u32) -> Option<KernelType> {
        if type_id == 0 {
            return Some(KernelType::Void);
        }
        let record = self.record(type_id)?;
        let kernel_type = match record.kind {
            BTF_KIND_INT => {
                let encoding = (read_u32(&self.data, record.extra, "int").ok()? >> 24) & 0xf;
                // pahole does not mark plain `char` signed, but it is on x86-64, and D's `char`
                // is signed.
                let plain_char =
                    encoding & BTF_INT_CHAR != 0 || self.string(record.name_off) == Some("char");
                KernelType::Int {
                    size: record.size_or_type,
                    signed: encoding & BTF_INT_SIGNED != 0 || plain_char,
                }
            }
            BTF_KIND_FLOAT => KernelType::Float {
                size: record.size_or_type,
            },
            BTF_KIND_PTR => KernelType::Pointer {
                target: record.size_or_type,
            },
            BTF_KIND_ARRAY => KernelType::Array {
                element: read_u32(&self.data, record.extra, "array").ok()?,
                len: read_u32(&self.data, record.extra + 8, "array").ok()?,
            },
            BTF_KIND_STRUCT | BTF_KIND_UNION => KernelType::Struct {
                name: self.string(record.name_off)?.to_owned(),
                union: record.kind == BTF_KIND_UNION,
                size: record.size_or_type,
                members: self.members(record)?,
            },
            BTF_KIND_FWD => KernelType::Forward {
                name: self.string(record.name_off)?.to_owned(),
                union: record.kind_flag,
            },
            BTF_KIND_ENUM | BTF_KIND_ENUM64 => KernelType::Enum {
                size: record.size_or_type,
                signed: record.kind_flag,
            },
            BTF_KIND_TYPEDEF => KernelType::Typedef {
                target: record.size_or_type,
            },
            BTF_KIND_VOLATILE | BTF_KIND_CONST | BTF_KIND_RESTRICT | BTF_KIND_TYPE_TAG => {
                KernelType::Qualified {
                    target: record.size_or_type,
                }
            }
            _ => KernelType::Other,
        };
        Some(kernel_type)
    }

    fn members(&self, record: super::TypeRecord) -> Option<Vec<KernelMember>> {
        let mut members = Vec::with_capacity(record.vlen);
        for member_idx in 0..record.vlen {
            let at = record.extra + 12 * member_idx;
            let name_off = read_u32(&self.data, at, "member").ok()?;
            let ty = read_u32(&self.data, at + 4, "member").ok()?;
            let raw_offset = read_u32(&self.data, at + 8, "member").ok()?;
            let (bit_offset, bit_size) = if record.kind_flag {
                (raw_offset & 0x00ff_ffff, raw_offset >> 24)
            } else {
                (raw_offset, 0)
            };
            members.push(KernelMember {
                name: self.string(name_off)?.to_owned(),
                ty,
                bit_offset,
                bit_size,
            });
        }
        Some(members)
    }
}

#[cfg(test)]
mod tests {
    use d_frontend::provider::{KernelNamespace, KernelType};

    use super::super::Btf;
    use super::super::tests::task_struct_btf;

    #[test]
    fn types_by_name_and_id() {
        let btf = Btf::parse(task_struct_btf()).expect("valid BTF");
        let task_id = btf
            .type_named(KernelNamespace::Struct, "task_struct")
            .expect("task_struct is named");
        let Some(KernelType::Struct {
            name,
            union: false,
            size: 64,
            members,
        }) = btf.kernel_type(task_id)
        else {
            panic!("{:?}", btf.kernel_type(task_id));
        };
        assert_eq!(name, "task_struct");
        let names: Vec<&str> = members.iter().map(|member| member.name.as_str()).collect();
        assert_eq!(names, ["pid", "in_execve", "", "real_parent", "comm"]);
        assert_eq!((members[1].bit_offset, members[1].bit_size), (32, 1));
        let pid_t = btf
            .type_named(KernelNamespace::Plain, "pid_t")
            .expect("pid_t is named");
        assert_eq!(members[0].ty, pid_t);
        let Some(KernelType::Typedef { target }) = btf.kernel_type(pid_t) else {
            panic!("pid_t is a typedef");
        };
        assert_eq!(
            btf.kernel_type(target),
            Some(KernelType::Int {
                size: 4,
                signed: true
            })
        );
        let Some(KernelType::Array { element, len: 16 }) = btf.kernel_type(members[4].ty) else {
            panic!("comm is char[16]");
        };
        assert!(matches!(
            btf.kernel_type(element),
            Some(KernelType::Int { size: 1, .. })
        ));
        assert_eq!(btf.kernel_type(0), Some(KernelType::Void));
        assert_eq!(btf.kernel_type(10_000), None);
        assert_eq!(btf.type_named(KernelNamespace::Union, "task_struct"), None);
    }
}
