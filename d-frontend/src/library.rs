//! The D library: declarations compiled before every program, as `dtrace` reads the files of
//! `/usr/lib/dtrace` before the user's.
//!
//! A library file holds what D programs may use without declaring it: types, inlines and
//! translators (`procfs.d`: `psinfo_t`, `curpsinfo`, `cwd`; `io.d`: `fileinfo_t`, `fds[]`). The
//! files are built into the binary, so a program never depends on what is installed.
//!
//! As in libdtrace, a file that says `#pragma D depends_on module vmlinux` is left out when the
//! catalog has no kernel types (see [`ProbeCatalog::has_module`](crate::provider::ProbeCatalog)),
//! so a kernel without BTF still runs programs that do not need it.
//! The caller adds them to the [`SourceMap`] with [`add`] and names them in
//! [`CompileOptions::library`](crate::sema::CompileOptions::library); `compile` then checks them
//! first, without macro arguments, and they take no part in the banner of matched probes.

use crate::source::{FileId, SourceMap};

pub(crate) mod needed;

/// The library's files, as name and text, in the order they are compiled.
pub const FILES: &[(&str, &str)] = &[
    ("sched.d", include_str!("library/sched.d")),
    ("procfs.d", include_str!("library/procfs.d")),
    ("io.d", include_str!("library/io.d")),
];

/// Adds `files` to `sources` and returns their ids, for
/// [`CompileOptions::library`](crate::sema::CompileOptions::library).
pub fn add(sources: &mut SourceMap, files: &[(&str, &str)]) -> Vec<FileId> {
    files
        .iter()
        .map(|&(name, text)| sources.add(name, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::Compiled;
    use crate::compile::compile;
    use crate::diagnostic::Diagnostic;
    use crate::diagnostic::Origin;
    use crate::provider::ProbeCatalog;
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;

    /// Compiles `program` with `library` as the D library against `catalog`; an error gives the
    /// name of the file it is in.
    fn compile_with(
        library: &[(&str, &str)],
        program: &str,
        catalog: &dyn ProbeCatalog,
    ) -> Result<Compiled, (String, Vec<Diagnostic>)> {
        let mut sources = SourceMap::default();
        let library = add(&mut sources, library);
        let program = sources.add("t.d", program);
        let options = CompileOptions {
            library,
            ..CompileOptions::default()
        };
        compile(&sources, &[(program, Origin::Script)], catalog, &options)
            .map_err(|errors| (sources.file(errors[0].span.file).name.clone(), errors))
    }

    const LIBRARY: &[(&str, &str)] = &[(
        "procs.d",
        "struct proc_info { int pid; long twice; };\ntranslator struct proc_info < int p > { pid = p; twice = p * 2; };\ninline int ANSWER = 42;\n",
    )];

    #[test]
    fn library_declarations_serve_the_program() {
        let compiled = compile_with(
            LIBRARY,
            "BEGIN { trace(xlate<struct proc_info>(ANSWER).twice); }",
            &FakeCatalog,
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(compiled.module.sources.len(), 1);
        assert_eq!(compiled.module.sources[0].name, "t.d");
        assert!(
            compiled.module.clauses[0]
                .insts
                .iter()
                .any(|inst| matches!(inst, crate::ir::Inst::Const { value: 42, .. }))
        );
    }

    #[test]
    fn library_errors_name_the_library_file() {
        let library = [("bad.d", "inline int x = nosuch;\n")];
        let Err((file, _)) = compile_with(&library, "BEGIN { }", &FakeCatalog) else {
            panic!("an undefined name in the library is an error");
        };
        assert_eq!(file, "bad.d");
    }

    #[test]
    fn the_shipped_library_compiles() {
        compile_with(FILES, "BEGIN { }", &FakeCatalog)
            .unwrap_or_else(|errors| panic!("{errors:?}"));
    }

    #[test]
    fn curcpu_points_to_the_librarys_cpuinfo_t() {
        let compiled = compile_with(
            FILES,
            "BEGIN { trace(curcpu->cpu_lgrp); trace(sizeof(*curcpu)); trace(chip); }",
            &FakeCatalog,
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let insts = &compiled.module.clauses[0].insts;
        let n_curcpu = insts
            .iter()
            .filter(|inst| {
                matches!(
                    inst,
                    crate::ir::Inst::Builtin {
                        builtin: crate::ir::Builtin::CurCpu,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(n_curcpu, 2, "curcpu->cpu_lgrp and the chip inline");
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, crate::ir::Inst::Const { value: 16, .. })),
            "cpuinfo_t is four ints"
        );
    }

    /// The fake catalog with the kernel's types, as far as `has_module` is concerned.
    struct WithVmlinux;

    impl ProbeCatalog for WithVmlinux {
        fn syscalls(&self) -> Vec<crate::provider::SyscallInfo> {
            Vec::new()
        }

        fn struct_member(
            &self,
            struct_name: &str,
            member: &str,
        ) -> Option<crate::provider::MemberInfo> {
            FakeCatalog.struct_member(struct_name, member)
        }

        fn has_module(&self, name: &str) -> bool {
            name == "vmlinux"
        }
    }

    #[test]
    fn a_file_depending_on_a_missing_module_is_left_out() {
        let library_files = &[
            (
                "kernel.d",
                "#pragma D depends_on module vmlinux\ninline int x = nosuch;\n",
            ),
            ("plain.d", "inline int ANSWER = 42;\n"),
        ];
        // The comment names `x`, so `kernel.d` is needed when its module is there.
        let failing_file = |catalog: &dyn ProbeCatalog| {
            compile_with(library_files, "BEGIN { trace(ANSWER); /* x */ }", catalog)
                .map(|_| ())
                .map_err(|(file, _)| file)
        };
        assert_eq!(failing_file(&FakeCatalog), Ok(()));
        assert_eq!(failing_file(&WithVmlinux), Err("kernel.d".to_owned()));
    }

    #[test]
    fn library_typedefs_declare_globals_and_cast_at_the_outer_level() {
        let library = [("info.d", "typedef struct info { int n; long m; } info_t;\n")];
        let compiled = compile_with(
            &library,
            "info_t *p;\ninfo_t s;\nBEGIN { p = (info_t *)16; trace(sizeof(*p) + (long)p); }",
            &FakeCatalog,
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let globals: Vec<_> = compiled
            .module
            .variables
            .iter()
            .map(|var| (var.name.as_str(), var.value_size))
            .collect();
        assert_eq!(globals, [("p", None), ("s", Some(16))]);
    }

    #[test]
    fn a_program_may_declare_a_library_typedef_again() {
        let library = [("info.d", "typedef int id_t2;\ntypedef long id_t2;\n")];
        let (_, errors) = compile_with(&library, "BEGIN { trace(1); }", &FakeCatalog)
            .expect_err("a library file may not declare a typedef twice");
        assert!(
            errors
                .iter()
                .any(|error| error.message == "typedef redeclared: id_t2"),
            "{errors:?}"
        );
        let library = [("info.d", "typedef int id_t2;\n")];
        let compiled = compile_with(
            &library,
            "typedef int id_t2;\nBEGIN { trace((id_t2)7); }",
            &FakeCatalog,
        );
        assert!(compiled.is_ok(), "{:?}", compiled.err());
    }

    #[test]
    fn a_module_file_the_program_does_not_use_is_left_out() {
        let library_files = &[(
            "kernel.d",
            "#pragma D depends_on module vmlinux\ninline int x = nosuch;\n",
        )];
        let compiles = |program: &str| compile_with(library_files, program, &WithVmlinux).is_ok();
        assert!(compiles("BEGIN { trace(1); }"));
        assert!(!compiles("BEGIN { trace(x); }"));
    }

    #[test]
    fn the_shipped_files_need_the_kernel_types() {
        // `sched.d` alone uses no kernel type, so `curcpu` works without BTF.
        for (name, text) in FILES {
            assert_eq!(
                text.contains("#pragma D depends_on module vmlinux"),
                *name != "sched.d",
                "{name} uses kernel types, so it must say it depends on vmlinux"
            );
        }
    }
}
