//! The kernel field offsets `d_path` walks with and `execargs` reads, looked up once per program
//! in the running kernel's BTF, so one binary works across kernel versions.

use super::Checker;
use crate::ir::{ExecArgsOffsets, PathOffsets};
use crate::provider::ProbeCatalog;

impl Checker<'_> {
    /// The offsets `d_path` needs, when this kernel's BTF has them; looked up on first use, as
    /// reading them parses the kernel's BTF.
    pub(super) fn path_offsets(&self) -> Option<PathOffsets> {
        *self.path_offsets.get_or_init(|| offsets(self.catalog))
    }

    /// The offsets `execargs` needs, when this kernel's BTF has them; looked up on first use.
    pub(super) fn execargs_offsets(&self) -> Option<ExecArgsOffsets> {
        *self
            .execargs_offsets
            .get_or_init(|| execargs_offsets(self.catalog))
    }
}

/// The offsets of every field a path walk reads, or `None` when BTF lacks one of them (no BTF,
/// or a kernel whose structures differ).
pub(super) fn offsets(catalog: &dyn ProbeCatalog) -> Option<PathOffsets> {
    let offset = |struct_name: &str, member: &str| {
        catalog
            .struct_member(struct_name, member)
            .map(|info| info.offset)
    };
    let d_name = offset("dentry", "d_name")?;
    Some(PathOffsets {
        path_mnt: offset("path", "mnt")?,
        path_dentry: offset("path", "dentry")?,
        dentry_parent: offset("dentry", "d_parent")?,
        dentry_name_len: d_name + offset("qstr", "len")?,
        dentry_name: d_name + offset("qstr", "name")?,
        dentry_sb: offset("dentry", "d_sb")?,
        dentry_inode: offset("dentry", "d_inode")?,
        inode_ino: offset("inode", "i_ino")?,
        sb_magic: offset("super_block", "s_magic")?,
        vfsmount_root: offset("vfsmount", "mnt_root")?,
        mount_mnt: offset("mount", "mnt")?,
        mount_parent: offset("mount", "mnt_parent")?,
        mount_mountpoint: offset("mount", "mnt_mountpoint")?,
        task_fs: offset("task_struct", "fs")?,
        fs_root: offset("fs_struct", "root")?,
    })
}

/// The offsets `execargs` reads, or `None` when BTF lacks one of them.
pub(super) fn execargs_offsets(catalog: &dyn ProbeCatalog) -> Option<ExecArgsOffsets> {
    let offset = |struct_name: &str, member: &str| {
        catalog
            .struct_member(struct_name, member)
            .map(|info| info.offset)
    };
    Some(ExecArgsOffsets {
        task_mm: offset("task_struct", "mm")?,
        arg_start: offset("mm_struct", "arg_start")?,
        arg_end: offset("mm_struct", "arg_end")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;
    use crate::compile::tests::compile_one;
    use crate::diagnostic::{ErrTag, Origin};
    use crate::ir::{Inst, Subr};
    use crate::provider::MemberInfo;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    /// A catalog whose every member sits at an offset made from its names, so each lookup can be
    /// checked.
    struct Offsets;

    fn fake_offset(struct_name: &str, member: &str) -> u32 {
        (struct_name.len() * 100 + member.len()) as u32
    }

    impl ProbeCatalog for Offsets {
        fn syscalls(&self) -> Vec<crate::provider::SyscallInfo> {
            Vec::new()
        }

        fn struct_member(&self, struct_name: &str, member: &str) -> Option<MemberInfo> {
            Some(MemberInfo {
                offset: fake_offset(struct_name, member),
                size: 8,
            })
        }
    }

    #[test]
    fn the_name_offsets_are_inside_the_dentry_name() {
        let offsets = offsets(&Offsets).expect("every member is there");
        assert_eq!(
            offsets.dentry_name_len,
            fake_offset("dentry", "d_name") + fake_offset("qstr", "len")
        );
        assert_eq!(
            offsets.dentry_name,
            fake_offset("dentry", "d_name") + fake_offset("qstr", "name")
        );
        assert_eq!(offsets.mount_mnt, fake_offset("mount", "mnt"));
        assert_eq!(offsets.fs_root, fake_offset("fs_struct", "root"));
    }

    #[test]
    fn a_missing_member_means_no_walk() {
        assert_eq!(offsets(&FakeCatalog), None);
    }

    #[test]
    fn d_path_and_d_mountpath_walk_with_the_kernel_offsets() {
        let mut sources = SourceMap::default();
        let text = "BEGIN { trace(d_path(0)); trace(d_mountpath((void *)8)); }";
        let file = sources.add("t.d", text);
        let compiled = compile(
            &sources,
            &[(file, Origin::Script)],
            &Offsets,
            &CompileOptions::default(),
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let walks: Vec<(PathOffsets, bool)> = compiled.module.clauses[0]
            .insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Subr(Subr::DPath {
                    offsets,
                    mount_point,
                    ..
                }) => Some((*offsets, *mount_point)),
                _ => None,
            })
            .collect();
        let expected = offsets(&Offsets).expect("every member is there");
        assert_eq!(walks, [(expected, false), (expected, true)]);
    }

    #[test]
    fn d_path_needs_btf() {
        let errors = compile_one("BEGIN { trace(d_path(0)); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_IDENT_UNDEF);
        assert_eq!(
            errors[0].message,
            "failed to resolve d_path: kernel BTF has no struct path, dentry or mount"
        );
    }

    #[test]
    fn execargs_needs_btf() {
        let errors = compile_one("BEGIN { trace(execargs); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_IDENT_UNDEF);
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN { trace(execargs); }");
        let compiled = compile(
            &sources,
            &[(file, Origin::Script)],
            &Offsets,
            &CompileOptions::default(),
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let expected = execargs_offsets(&Offsets).expect("every member is there");
        assert!(compiled.module.clauses[0].insts.iter().any(|inst| matches!(
            inst,
            Inst::Subr(Subr::ExecArgs { offsets, .. }) if *offsets == expected
        )));
    }

    #[test]
    fn d_path_takes_one_pointer() {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", "BEGIN { trace(d_path(1)); }");
        let errors = compile(
            &sources,
            &[(file, Origin::Script)],
            &Offsets,
            &CompileOptions::default(),
        )
        .unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PROTO_ARG);
    }
}
