//! The checks libdtrace makes while it generates a clause's code, after the clause is typed: the
//! order of speculation actions, data-recording actions and aggregations (`dt_cg_clsflags`), and
//! the actions tracer refuses outright.
//!
//! libdtrace walks a clause's statements in order and keeps flags of what it has seen so far:
//!
//! | statement                     | refused after                                | sets        |
//! |-------------------------------|----------------------------------------------|-------------|
//! | `speculate()`                 | `speculate()`, `commit()`, data, aggregation | SPECULATE   |
//! | `commit()`                    | data, aggregation                            | COMMIT      |
//! | `discard()`                   | nothing                                      |             |
//! | aggregation                   | `commit()`, `speculate()`                    | AGGREGATION |
//! | destructive action, `exit()`  | `speculate()`, `commit()`                    | DATA        |
//! | other data-recording action   | `commit()`                                   | DATA        |
//!
//! It stops at the first violation, so each clause reports at most one. These errors come after
//! the clause's type errors and before the next clause's, as libdtrace checks each clause's types
//! before it generates its code. Statements inside `if` and `else` count in source order, as
//! libdtrace generates them.

use super::Checker;
use crate::ast::{Expr, ExprKind, Stmt};
use crate::builtin::function::{self, FunctionKind};
use crate::diagnostic::{Diagnostic, ErrTag};
use crate::source::Span;

/// What a clause has done so far, as libdtrace's `DT_CLSFLAG_*` bits.
#[derive(Clone, Copy, Debug, Default)]
struct ClauseFlags {
    data: bool,
    aggregation: bool,
    speculate: bool,
    commit: bool,
}

impl Checker<'_> {
    /// Checks the argument of `speculate`, `commit` or `discard`: a speculation ID, an integer.
    pub(super) fn speculation_id(&mut self, func: &str, id: &Expr) {
        let ty = self.expr(id);
        if !ty.is_int() {
            self.error(
                ErrTag::D_PROTO_ARG,
                id.span,
                format!(
                    "{func}( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: {}",
                    ty.name()
                ),
            );
        }
    }

    /// Runs the code-generation checks over a typed clause body; reports the first violation.
    pub(super) fn clause_flags(&mut self, body: &[Stmt]) {
        let mut flags = ClauseFlags::default();
        if let Err(error) = walk(body, &mut flags) {
            self.errors.push(*error);
        }
    }
}

fn walk(body: &[Stmt], flags: &mut ClauseFlags) -> Result<(), Box<Diagnostic>> {
    for stmt in body {
        match stmt {
            Stmt::Expr(expr) => statement(expr, flags)?,
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                walk(then_body, flags)?;
                walk(else_body, flags)?;
            }
            Stmt::Empty(_) => {}
        }
    }
    Ok(())
}

fn refuse(tag: ErrTag, span: Span, message: &str) -> Result<(), Box<Diagnostic>> {
    Err(Box::new(Diagnostic::error(tag, span, message)))
}

fn statement(expr: &Expr, flags: &mut ClauseFlags) -> Result<(), Box<Diagnostic>> {
    let (func, func_span) = match &expr.kind {
        ExprKind::Assign { target, .. } if matches!(target.kind, ExprKind::Agg { .. }) => {
            if flags.commit {
                refuse(
                    ErrTag::D_AGG_COMM,
                    expr.span,
                    "aggregating actions may not follow commit( )",
                )?;
            }
            if flags.speculate {
                refuse(
                    ErrTag::D_AGG_SPEC,
                    expr.span,
                    "aggregating actions may not follow speculate( )",
                )?;
            }
            flags.aggregation = true;
            return Ok(());
        }
        ExprKind::Call {
            func, func_span, ..
        } => (func.as_str(), *func_span),
        _ => return Ok(()),
    };
    let Some(function) = function::lookup(func) else {
        return Ok(());
    };
    match function.kind {
        FunctionKind::Aggregating(_) => Ok(()),
        FunctionKind::Speculate => {
            if flags.speculate {
                refuse(
                    ErrTag::D_SPEC_SPEC,
                    expr.span,
                    "speculate( ) may not follow speculate( )",
                )?;
            }
            if flags.commit {
                refuse(
                    ErrTag::D_SPEC_COMM,
                    expr.span,
                    "speculate( ) may not follow commit( )",
                )?;
            }
            if flags.data || flags.aggregation {
                refuse(
                    ErrTag::D_SPEC_DREC,
                    expr.span,
                    "speculate( ) may not follow data-recording action(s)",
                )?;
            }
            flags.speculate = true;
            Ok(())
        }
        FunctionKind::Commit => {
            if flags.data || flags.aggregation {
                refuse(
                    ErrTag::D_COMM_DREC,
                    expr.span,
                    "commit( ) may not follow data-recording action(s)",
                )?;
            }
            flags.commit = true;
            Ok(())
        }
        FunctionKind::Discard => Ok(()),
        kind => {
            let destructive = matches!(
                kind,
                FunctionKind::Raise
                    | FunctionKind::System
                    | FunctionKind::Stop
                    | FunctionKind::Chill
                    | FunctionKind::StopsKernel
                    | FunctionKind::WritesUser
            );
            if flags.speculate && destructive {
                refuse(
                    ErrTag::D_ACT_SPEC,
                    expr.span,
                    "destructive actions may not follow speculate( )",
                )?;
            }
            if flags.speculate && kind == FunctionKind::Exit {
                refuse(
                    ErrTag::D_EXIT_SPEC,
                    expr.span,
                    "exit( ) may not follow speculate( )",
                )?;
            }
            if flags.commit {
                refuse(
                    ErrTag::D_DREC_COMM,
                    expr.span,
                    "data-recording actions may not follow commit( )",
                )?;
            }
            refused_action(kind, func, func_span)?;
            flags.data = true;
            Ok(())
        }
    }
}

/// The actions tracer cannot do: it never stops the kernel, and it cannot write user memory.
fn refused_action(kind: FunctionKind, func: &str, func_span: Span) -> Result<(), Box<Diagnostic>> {
    match kind {
        FunctionKind::StopsKernel => Err(Box::new(
            Diagnostic::error(
                ErrTag::D_UNKNOWN,
                func_span,
                format!("{func}() is not implemented (yet)"),
            )
            .with_note("tracer never stops the kernel"),
        )),
        FunctionKind::WritesUser => Err(Box::new(Diagnostic::error(
            ErrTag::D_UNKNOWN,
            func_span,
            format!(
                "{func}( ) is not supported: writing user memory needs the bpf_probe_write_user helper, which is unavailable"
            ),
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
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

    fn first_error(text: &str) -> (ErrTag, String) {
        let errors = compile_one(text).expect_err(text);
        (errors[0].tag, errors[0].message.clone())
    }

    #[test]
    fn speculation_order_errors_are_libdtraces() {
        let cases: [(&str, ErrTag, &str); 10] = [
            (
                "BEGIN { speculate(1); speculate(2); }",
                ErrTag::D_SPEC_SPEC,
                "speculate( ) may not follow speculate( )",
            ),
            (
                "BEGIN { commit(1); speculate(1); }",
                ErrTag::D_SPEC_COMM,
                "speculate( ) may not follow commit( )",
            ),
            (
                "BEGIN { trace(1); speculate(1); }",
                ErrTag::D_SPEC_DREC,
                "speculate( ) may not follow data-recording action(s)",
            ),
            (
                "BEGIN { @a = count(); speculate(1); }",
                ErrTag::D_SPEC_DREC,
                "speculate( ) may not follow data-recording action(s)",
            ),
            (
                "BEGIN { printf(\"x\"); commit(1); }",
                ErrTag::D_COMM_DREC,
                "commit( ) may not follow data-recording action(s)",
            ),
            (
                "BEGIN { commit(1); trace(1); }",
                ErrTag::D_DREC_COMM,
                "data-recording actions may not follow commit( )",
            ),
            (
                "BEGIN { commit(1); @a = count(); }",
                ErrTag::D_AGG_COMM,
                "aggregating actions may not follow commit( )",
            ),
            (
                "BEGIN { speculate(1); @a = sum(1); }",
                ErrTag::D_AGG_SPEC,
                "aggregating actions may not follow speculate( )",
            ),
            (
                "BEGIN { speculate(1); raise(9); }",
                ErrTag::D_ACT_SPEC,
                "destructive actions may not follow speculate( )",
            ),
            (
                "BEGIN { speculate(1); exit(0); }",
                ErrTag::D_EXIT_SPEC,
                "exit( ) may not follow speculate( )",
            ),
        ];
        for (text, tag, message) in cases {
            assert_eq!(first_error(text), (tag, message.to_string()), "{text}");
        }
    }

    #[test]
    fn allowed_orders_compile() {
        for text in [
            "BEGIN { speculate(1); printf(\"%d\", 1); trace(2); }",
            "BEGIN { trace(1); discard(1); trace(2); }",
            "BEGIN { discard(1); commit(2); }",
            "BEGIN { commit(1); commit(2); discard(3); }",
            "BEGIN { @a = count(); discard(1); }",
            "BEGIN { speculate(1); self->i++; }",
            "BEGIN { speculate(1); commit(2); }",
        ] {
            if let Err(errors) = compile_one(text) {
                panic!("{text}: {errors:?}");
            }
        }
    }

    #[test]
    fn statements_inside_if_count_in_source_order() {
        let (tag, _) = first_error("BEGIN { if (arg0) { trace(1); } else { speculate(1); } }");
        assert_eq!(tag, ErrTag::D_SPEC_DREC);
        let (tag, _) = first_error("BEGIN { if (arg0) { speculate(1); } else { exit(0); } }");
        assert_eq!(tag, ErrTag::D_EXIT_SPEC);
    }

    #[test]
    fn order_errors_come_before_refusals_and_after_type_errors() {
        let (tag, _) = first_error("BEGIN { speculate(1); panic(); }");
        assert_eq!(tag, ErrTag::D_ACT_SPEC);
        let errors = compile_one("BEGIN { speculate(1); exit(0); trace(1 + \"s\"); }").unwrap_err();
        let tags: Vec<ErrTag> = errors.iter().map(|error| error.tag).collect();
        assert_eq!(tags.len(), 2, "{errors:?}");
        assert_eq!(tags[1], ErrTag::D_EXIT_SPEC, "the type error comes first");
        let (tag, message) = first_error("BEGIN { speculate(\"s\"); }");
        assert_eq!(tag, ErrTag::D_PROTO_ARG);
        assert_eq!(
            message,
            "speculate( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: string"
        );
        let (tag, message) = first_error("BEGIN { speculate(); }");
        assert_eq!(tag, ErrTag::D_PROTO_LEN);
        assert_eq!(
            message,
            "speculate( ) prototype mismatch: 0 args passed, 1 expected"
        );
    }

    #[test]
    fn one_error_per_clause() {
        let errors =
            compile_one("BEGIN { speculate(1); exit(0); raise(1); } END { commit(1); trace(1); }")
                .unwrap_err();
        let tags: Vec<ErrTag> = errors.iter().map(|error| error.tag).collect();
        assert_eq!(tags, [ErrTag::D_EXIT_SPEC, ErrTag::D_DREC_COMM]);
    }
}
