//! Checking destructive actions: `raise`, `system`, `stop`, `chill`, and those tracer refuses.
//!
//! A program that uses one is marked destructive; the consumer refuses to enable it unless
//! destructive actions are allowed (`-w` or `#pragma D option destructive`), as dtrace does when it
//! enables tracing, after compiling.

use super::Checker;
use crate::ast::Expr;
use crate::builtin::function::FunctionKind;
use crate::diagnostic::{Diagnostic, ErrTag};
use crate::source::Span;

impl Checker {
    pub(super) fn destructive_action(
        &mut self,
        kind: FunctionKind,
        func: &str,
        func_span: Span,
        args: &[Expr],
    ) {
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
            FunctionKind::System => self.printf("system", args),
            FunctionKind::StopsKernel => {
                self.errors.push(
                    Diagnostic::error(
                        ErrTag::D_UNKNOWN,
                        func_span,
                        format!("{func}() is not implemented (yet)"),
                    )
                    .with_note("tracer never stops the kernel"),
                );
            }
            FunctionKind::WritesUser => {
                self.errors.push(
                    Diagnostic::error(
                        ErrTag::D_UNKNOWN,
                        func_span,
                        format!("{func}( ) is not supported: writing user memory needs the bpf_probe_write_user helper, which is unavailable"),
                    )
                );
            }
            _ => {}
        }
        self.destructive = true;
    }
}
