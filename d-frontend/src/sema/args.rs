//! `args[N]`: the typed arguments of the probes a clause is enabled on.
//!
//! As in libdtrace (`dt_idcook_args`), the index must be an integer constant, and every probe of
//! the clause must have the same argument types: a clause on `tracepoint:sched::` may use
//! `arg0` but not `args[0]`, whose type would differ from probe to probe.

use super::Checker;
use super::translate::Translated;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::ErrTag;
use crate::provider::{ArgType, Probe, ProbeArg};
use crate::types::Type;

/// What `args[]` means in the clause being checked.
#[derive(Clone, Debug, Default)]
pub(super) enum ClauseArgs {
    /// Outside any clause.
    #[default]
    Outside,
    /// Every probe has these arguments; `desc` is the clause's first description.
    Stable { args: Vec<ProbeArg>, desc: String },
    /// The probes' arguments differ.
    Unstable { desc: String },
}

impl ClauseArgs {
    /// The arguments of a clause on `probes`, whose first description reads `desc`.
    pub(super) fn of(probes: &[Probe], desc: String) -> ClauseArgs {
        let Some((first, rest)) = probes.split_first() else {
            return ClauseArgs::Stable {
                args: Vec::new(),
                desc,
            };
        };
        let same =
            |probe: &Probe| {
                probe.args.len() == first.args.len()
                    && probe.args.iter().zip(&first.args).all(|(arg, first_arg)| {
                        arg.ty == first_arg.ty && arg.fetch == first_arg.fetch
                    })
            };
        if rest.iter().all(same) {
            ClauseArgs::Stable {
                args: first.args.clone(),
                desc,
            }
        } else {
            ClauseArgs::Unstable { desc }
        }
    }
}

/// Whether `base[...]` is `args[...]`, the probe's typed arguments.
pub(super) fn is_args(base: &Expr) -> bool {
    matches!(&base.kind, ExprKind::Ident(name) if name == "args")
}

impl Checker<'_> {
    /// Types `args[index]`.
    pub(super) fn args_ref(&mut self, index: &[Expr], expr: &Expr) -> Type {
        let Some(arg) = self.arg_of(index, expr) else {
            return Type::LONG;
        };
        if let ArgType::Translated { .. } = &arg.ty {
            let message = "pointer to translated data may only be used with operator . or ->";
            self.error(ErrTag::D_OP_DYN, expr.span, message);
            return Type::INT;
        }
        self.arg_type(&arg.ty)
    }

    /// Whether `args[index]` (`expr`) is a translated argument (`args[0]` of `proc:::create`, a
    /// `psinfo_t *`), and its translator when it is. An argument reported as wrong is
    /// [`Translated::Failed`]; any other is [`Translated::No`], for the caller to type.
    pub(super) fn translated_arg(&mut self, index: &[Expr], expr: &Expr) -> Translated {
        let Some(arg) = self.arg_of(index, expr) else {
            return Translated::Failed;
        };
        let ArgType::Translated { input, output } = &arg.ty else {
            return Translated::No;
        };
        let input_words: Vec<&str> = input.split_whitespace().collect();
        let native = match self.named_type_quiet(&input_words) {
            Some(integer @ Type::Int { .. }) => integer,
            _ => self.arg_type(&ArgType::Pointer {
                pointee: input.clone(),
            }),
        };
        let Some(ty) = self.translated_arg_type(output) else {
            let message = format!(
                "failed to resolve translated type for args[{}]",
                self.type_info.args[&expr.span]
            );
            self.error(ErrTag::D_ARGS_TYPE, expr.span, message);
            return Translated::Failed;
        };
        let Some(translator) = self.translator_to(ty, native, None) else {
            let table = &self.type_info.table;
            let message = format!(
                "cannot translate from \"{}\" to \"{}\"",
                table.name(native),
                table.name(ty)
            );
            self.error(ErrTag::D_XLATE_NONE, expr.span, message);
            return Translated::Failed;
        };
        self.types.insert(expr.span, ty);
        Translated::Yes { translator, ty }
    }

    /// The type of a translated argument, a pointer to the translator's output type `output`,
    /// when the program knows that type.
    fn translated_arg_type(&mut self, output: &str) -> Option<Type> {
        let words: Vec<&str> = output.split_whitespace().collect();
        let output = self.named_type(&words).ok().flatten()?;
        Some(self.type_info.table.pointer_to(output))
    }

    /// The argument `args[index]` names, recorded for lowering, or `None` after reporting why
    /// there is none.
    fn arg_of(&mut self, index: &[Expr], expr: &Expr) -> Option<ProbeArg> {
        let index_types: Vec<Type> = index.iter().map(|key| self.expr(key)).collect();
        if index.len() != 1 {
            let message = format!(
                "args[ ] prototype mismatch: {} args passed, 1 expected",
                index.len()
            );
            self.error(ErrTag::D_PROTO_LEN, expr.span, message);
            return None;
        }
        let Some(arg_idx) = self.fold(&index[0]).filter(|_| index_types[0].is_int()) else {
            let message = format!(
                "args[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: {}",
                self.type_info.table.name(index_types[0])
            );
            self.error(ErrTag::D_PROTO_ARG, index[0].span, message);
            return None;
        };
        let (args, desc) = match &self.clause_args {
            ClauseArgs::Outside => unreachable!("expressions are checked inside clauses"),
            ClauseArgs::Unstable { desc } => {
                let message = format!(
                    "args[ ] may not be referenced because probe description {desc} matches an unstable set of probes"
                );
                self.error(ErrTag::D_ARGS_MULTI, expr.span, message);
                return None;
            }
            ClauseArgs::Stable { args, desc } => (args.clone(), desc.clone()),
        };
        let Some(arg) = usize::try_from(arg_idx).ok().and_then(|idx| args.get(idx)) else {
            let message = format!(
                "index {} is out of range for {desc} args[ ]",
                arg_idx as i64
            );
            self.error(ErrTag::D_ARGS_IDX, index[0].span, message);
            return None;
        };
        let arg = arg.clone();
        self.type_info.args.insert(expr.span, arg_idx as u8);
        if arg.ty == ArgType::UserString {
            self.type_info.user_string_args.insert(expr.span);
        }
        Some(arg)
    }

    /// The D type of an argument type.
    fn arg_type(&mut self, ty: &ArgType) -> Type {
        match ty {
            ArgType::Int { size, signed } => Type::Int {
                size: *size as u8,
                signed: *signed,
            },
            ArgType::String | ArgType::UserString => Type::String,
            ArgType::Kernel { id } => self
                .type_info
                .table
                .import_kernel(self.catalog, *id)
                .unwrap_or(Type::LONG),
            ArgType::Translated { input: pointee, .. } | ArgType::Pointer { pointee } => {
                let words: Vec<&str> = pointee.split_whitespace().collect();
                let pointee = match self.named_type(&words) {
                    Ok(Some(ty)) => ty,
                    _ => Type::Void,
                };
                self.type_info.table.pointer_to(pointee)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};
    use crate::ir::{Builtin, Inst};

    #[test]
    fn tracepoint_fields_are_typed_arguments() {
        let compiled = compile_one(
            "tracepoint:sched::sched_process_exec { printf(\"%s %d\", args[0], args[1] + 1); }",
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let insts = &compiled.module.clauses[0].insts;
        let reads_arg = |arg_idx| {
            insts.iter().any(|inst| {
                matches!(inst, Inst::Builtin { builtin, .. } if *builtin == Builtin::Arg(arg_idx))
            })
        };
        assert!(reads_arg(0) && reads_arg(1));
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::ReadStr { .. })),
            "the filename is read as a kernel string: {insts:?}"
        );
        assert_eq!(compiled.module.probes[0].args.len(), 3);
    }

    #[test]
    fn a_string_argument_is_not_an_integer() {
        let errors = errors_of("tracepoint:sched::sched_switch { trace(args[0] + 1); }");
        assert_eq!(
            errors,
            ["[D_OP_INT] operator + requires an operand of integral type"]
        );
    }

    #[test]
    fn the_index_must_be_in_range() {
        assert_eq!(
            errors_of("tracepoint:sched::sched_switch { trace(args[7]); }"),
            ["[D_ARGS_IDX] index 7 is out of range for tracepoint:sched::sched_switch args[ ]"]
        );
        assert_eq!(
            errors_of("BEGIN { trace(args[0]); }"),
            ["[D_ARGS_IDX] index 0 is out of range for :::BEGIN args[ ]"]
        );
    }

    #[test]
    fn the_index_must_be_a_constant() {
        let errors = errors_of("tracepoint:sched::sched_switch { trace(args[arg0]); }");
        assert!(
            errors[0]
                .starts_with("[D_PROTO_ARG] args[ ] argument #1 is incompatible with prototype:"),
            "{errors:?}"
        );
    }

    #[test]
    fn syscall_arguments_are_typed_from_the_entry_format() {
        let compiled = compile_one(
            "syscall::openat:entry { trace(copyinstr(args[1])); trace(args[0] + args[3]); }",
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        let args = &compiled.module.probes[0].args;
        let names: Vec<&str> = args.iter().map(|arg| arg.native.as_str()).collect();
        assert_eq!(names, ["int", "const char *", "int", "umode_t"]);
        let insts = &compiled.module.clauses[0].insts;
        assert!(
            insts.iter().any(|inst| matches!(
                inst,
                Inst::Extend {
                    size: 4,
                    signed: true,
                    ..
                }
            )),
            "an int argument is truncated from its register: {insts:?}"
        );
        assert_eq!(
            errors_of("syscall::openat:entry { trace(args[1] * 2); }"),
            ["[D_OP_ARITH] operator * requires operands of arithmetic type"]
        );
        assert!(compile_one("syscall::openat:return { trace(args[0] + args[1]); }").is_ok());
    }

    /// A `psinfo_t` and `lwpsinfo_t` with the translators of the D library, cut down to what the
    /// fake catalog's `struct task_struct` has.
    const PROCFS: &str = "typedef struct psinfo { int pr_pid; int pr_ppid; } psinfo_t;\n\
        typedef struct lwpsinfo { int pr_lwpid; } lwpsinfo_t;\n\
        translator psinfo_t < struct task_struct *T > { pr_pid = T->tgid; pr_ppid = 7; };\n\
        translator lwpsinfo_t < struct task_struct *T > { pr_lwpid = T->pid; };\n";

    #[test]
    fn task_arguments_are_translated_to_psinfo_and_lwpsinfo() {
        let program = format!(
            "{PROCFS}proc:::signal-send {{ trace(args[0]->pr_lwpid); trace(args[1]->pr_pid + args[2]); }}"
        );
        let compiled = compile_one(&program).unwrap_or_else(|errors| panic!("{errors:?}"));
        let args = &compiled.module.probes[0].args;
        assert_eq!(args[0].native, "struct task_struct *");
        assert_eq!(
            args[1].ty,
            crate::provider::ArgType::Translated {
                input: "struct task_struct".to_owned(),
                output: "psinfo_t".to_owned()
            }
        );
        let insts = &compiled.module.clauses[0].insts;
        let reads_arg = |arg_idx| {
            insts.iter().any(|inst| {
                matches!(inst, Inst::Builtin { builtin, .. } if *builtin == Builtin::Arg(arg_idx))
            })
        };
        assert!(reads_arg(0) && reads_arg(1) && reads_arg(2), "{insts:?}");
        let program = format!("{PROCFS}proc:::create {{ trace(args[0]->pr_ppid); }}");
        assert!(
            crate::compile::tests::constants_of(&program).contains(&7),
            "the translator's member is computed"
        );
    }

    #[test]
    fn translated_arguments_are_used_through_their_members() {
        for (program, expected) in [
            (
                "proc:::create { trace(args[0]); }",
                "[D_OP_DYN] pointer to translated data may only be used with operator . or ->",
            ),
            (
                "proc:::create { trace(args[0]->pr_fname); }",
                "[D_XLATE_NOCONV] translator does not define conversion for member: pr_fname",
            ),
            (
                "proc:::create { trace(args[0].pr_pid); }",
                "[D_OP_SOU] operator . cannot be applied to type \"struct psinfo *\"; must be applied to a struct or union",
            ),
            (
                "proc:::create { trace(args[1]->pr_pid); }",
                "[D_ARGS_IDX] index 1 is out of range for proc:::create args[ ]",
            ),
            (
                "proc:::create { trace((long)args[1]); }",
                "[D_ARGS_IDX] index 1 is out of range for proc:::create args[ ]",
            ),
            (
                "proc:::create { trace((long)args[0]); }",
                "[D_CAST_INVAL] invalid cast expression: \"pointer to translated data\" to \"long\"",
            ),
        ] {
            assert_eq!(
                errors_of(&format!("{PROCFS}{program}")),
                [expected],
                "{program}"
            );
        }
        assert_eq!(
            errors_of("proc:::create { trace(args[0]->pr_pid); }"),
            ["[D_ARGS_TYPE] failed to resolve translated type for args[0]"]
        );
        assert!(compile_one("proc:::create { trace(arg0); }").is_ok());
    }

    #[test]
    fn probes_with_different_arguments_are_unstable() {
        assert_eq!(
            errors_of("tracepoint:sched:: { trace(args[0]); }"),
            [
                "[D_ARGS_MULTI] args[ ] may not be referenced because probe description tracepoint:sched:: matches an unstable set of probes"
            ]
        );
        assert!(compile_one("tracepoint:sched:: { trace(arg0); }").is_ok());
    }
}
