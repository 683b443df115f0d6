//! Checking destructive actions: `raise`, `system`, `stop`, `chill`, and those tracer refuses
//! (which `clause_flags` refuses, in the order libdtrace finds them).
//!
//! A program that uses one is marked destructive; the consumer refuses to enable it unless
//! destructive actions are allowed (`-w` or `#pragma D option destructive`), as dtrace does when it
//! enables tracing, after compiling.

use super::Checker;
use crate::ast::Expr;
use crate::builtin::function::FunctionKind;
use crate::builtin::subr::Param;
use crate::diagnostic::ErrTag;
use crate::types::Type;

impl Checker<'_> {
    pub(super) fn destructive_action(&mut self, kind: FunctionKind, func: &str, args: &[Expr]) {
        match kind {
            FunctionKind::Raise | FunctionKind::Chill => {
                let ty = self.expr(&args[0]);
                if !ty.is_int() {
                    self.error(
                        ErrTag::D_PROTO_ARG,
                        args[0].span,
                        format!("{func}( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: {}", ty.name()),
                    );
                }
            }
            FunctionKind::System => self.printf(func, args),
            FunctionKind::WritesUser => self.user_write_args(func, args),
            _ => {}
        }
        self.destructive = true;
    }

    /// Checks the arguments of `copyout(void *, uintptr_t, size_t)` and `copyoutstr(char *,
    /// uintptr_t, size_t)` against libdtrace's prototypes, which it does before anything else
    /// about them.
    fn user_write_args(&mut self, func: &str, args: &[Expr]) {
        let source = if func == "copyoutstr" {
            Param::String
        } else {
            Param::Pointer
        };
        let params = [source, Param::Int("uintptr_t"), Param::Int("size_t")];
        let types: Vec<Type> = args.iter().map(|arg| self.argument(arg)).collect();
        let params = params.into_iter().zip(args.iter().zip(types));
        for (arg_idx, (param, (arg, ty))) in params.enumerate() {
            // As for any `void *` parameter in libdtrace, the constant 0 is a null pointer.
            let null = param == Param::Pointer && super::subr::is_null_constant(arg);
            if !null && !self.accepts(param, arg, ty) {
                let message = format!(
                    "{func}( ) argument #{} is incompatible with prototype:\n\tprototype: {}\n\t argument: {}",
                    arg_idx + 1,
                    param.prototype_name(),
                    self.type_info.table.name(ty)
                );
                self.error(ErrTag::D_PROTO_ARG, arg.span, message);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use crate::compile::{Compiled, compile};
    use crate::diagnostic::{Diagnostic, ErrTag, Origin};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn compile_one(text: &str) -> Result<Compiled, Vec<Diagnostic>> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
    }

    #[test]
    fn destructive_actions_mark_the_program() {
        for text in [
            "BEGIN { raise(SIGUSR1); }",
            "BEGIN { system(\"echo %d\", 1); }",
            "BEGIN { if (arg0) { stop(); } }",
            "BEGIN { chill(1000); }",
        ] {
            let compiled = compile_one(text).unwrap_or_else(|errors| panic!("{text}: {errors:?}"));
            assert!(compiled.module.destructive, "{text}");
        }
        let compiled = compile_one("BEGIN { printf(\"%d\", 1); }").unwrap();
        assert!(!compiled.module.destructive);
    }

    #[test]
    fn freopen_is_a_destructive_printf_whose_empty_format_restores() {
        for text in [
            "BEGIN { freopen(\"/tmp/x.%d\", pid); }",
            "BEGIN { freopen(\"\"); }",
        ] {
            let compiled = compile_one(text).unwrap_or_else(|errors| panic!("{text}: {errors:?}"));
            assert!(compiled.module.destructive, "{text}");
            assert!(
                compiled.module.dump().contains("freopen "),
                "{text} records a freopen action"
            );
        }
        let errors = compile_one("BEGIN { freopen(\".\"); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_FREOPEN_INVALID);
        assert_eq!(errors[0].message, "freopen( ) argument #1 cannot be \".\"");
        let errors = compile_one("BEGIN { freopen(\"%s\", 1); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PRINTF_ARG_TYPE);
        assert!(errors[0].message.starts_with("freopen( ) argument #2"));
    }

    #[test]
    fn system_checks_its_format_like_printf() {
        let errors = compile_one("BEGIN { system(\"echo %d\", \"s\"); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PRINTF_ARG_TYPE);
        assert!(
            errors[0]
                .message
                .starts_with("system( ) argument #2 is incompatible with conversion #1"),
            "{}",
            errors[0].message
        );
        let errors = compile_one("BEGIN { system(\"echo %d\"); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PRINTF_ARG_PROTO);
    }

    #[test]
    fn raise_takes_an_integer() {
        let errors = compile_one("BEGIN { raise(\"x\"); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PROTO_ARG);
        let errors = compile_one("BEGIN { raise(); }").unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_PROTO_LEN);
    }

    #[test]
    fn kernel_stopping_and_user_writing_actions_are_refused() {
        let errors = compile_one("BEGIN { panic(); }").unwrap_err();
        assert_eq!(errors[0].message, "panic() is not implemented (yet)");
        assert_eq!(errors[0].notes, ["tracer never stops the kernel"]);
        let errors = compile_one("BEGIN { breakpoint(); }").unwrap_err();
        assert_eq!(errors[0].message, "breakpoint() is not implemented (yet)");
        for func in ["copyout", "copyoutstr"] {
            let errors = compile_one(&format!("BEGIN {{ {func}(0, 0, 1); }}")).unwrap_err();
            assert!(
                errors[0]
                    .message
                    .starts_with(&format!("{func}( ) is not supported")),
                "{}",
                errors[0].message
            );
        }
    }

    #[test]
    fn user_writes_are_checked_against_their_prototypes_first() {
        for (program, expected) in [
            (
                "BEGIN { copyout(\"buf\", \"addr\", 1); }",
                "copyout( ) argument #2 is incompatible with prototype:\n\tprototype: uintptr_t\n\t argument: string",
            ),
            (
                "BEGIN { copyout(1, 0, 1); }",
                "copyout( ) argument #1 is incompatible with prototype:\n\tprototype: void *\n\t argument: int",
            ),
            (
                "BEGIN { copyoutstr(\"s\", 0, \"n\"); }",
                "copyoutstr( ) argument #3 is incompatible with prototype:\n\tprototype: size_t\n\t argument: string",
            ),
            (
                "BEGIN { copyoutstr(1, 0, 1); }",
                "copyoutstr( ) argument #1 is incompatible with prototype:\n\tprototype: char *\n\t argument: int",
            ),
        ] {
            let errors = compile_one(program).expect_err(program);
            assert_eq!(errors[0].tag, ErrTag::D_PROTO_ARG, "{program}");
            assert_eq!(errors[0].message, expected, "{program}");
        }
    }

    #[test]
    fn actions_are_allowed_inside_if_and_else() {
        let compiled =
            compile_one("BEGIN { if (arg0) { printf(\"a\"); trace(1); } else { exit(1); } }")
                .unwrap();
        let clause = &compiled.module.clauses[0];
        assert_eq!(clause.record.as_ref().map(Vec::len), Some(3));
        assert_eq!(clause.action_blocks, [0, 0, 1]);
    }

    #[test]
    fn too_many_blocks_with_actions_is_an_error() {
        let ifs = |n_ifs: usize| {
            let mut body = String::new();
            for idx in 0..n_ifs {
                let _ = write!(body, "if (arg0 == {idx}) {{ trace({idx}); }} ");
            }
            format!("BEGIN {{ {body} }}")
        };
        let errors = compile_one(&ifs(33)).unwrap_err();
        assert_eq!(errors[0].tag, ErrTag::D_UNKNOWN);
        assert!(errors[0].message.starts_with("clause has 33 blocks"));
        assert!(compile_one(&ifs(32)).is_ok());
    }
}
