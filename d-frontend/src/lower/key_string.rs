//! String keys narrower than a whole string (see `sema::string_width`): the key expressions whose
//! width sema bounded, written NUL-padded to their key slot.
//!
//! Every use of an aggregation or an array writes a narrow key position to the same width, so
//! equal strings make equal keys whichever expression wrote them.

use super::Lowerer;
use crate::ast::{Expr, ExprKind};
use crate::builtin::variable::{self, VariableSource};
use crate::ir::Inst;

impl Lowerer<'_> {
    /// Writes `key`, a string expression whose width sema bounded, NUL-padded to `size` bytes at
    /// scratch `offset`. The expressions are those `Checker::string_width` bounds; none of them is
    /// ever NULL.
    pub(super) fn bounded_string_into(&mut self, key: &Expr, offset: u32, size: u32) {
        let span = key.span;
        match &key.kind {
            ExprKind::Str(bytes) => {
                let kept = &bytes[..bytes.len().min(self.strsize() as usize)];
                self.push(
                    span,
                    Inst::StoreBytes {
                        offset,
                        bytes: kept.to_vec(),
                        size,
                    },
                );
            }
            ExprKind::Ident(name) => {
                self.push(span, Inst::Zero { offset, size });
                match variable::lookup(name).map(|variable| variable.source) {
                    Some(VariableSource::Execname) => {
                        self.push(span, Inst::CurrentComm { offset });
                    }
                    Some(VariableSource::ProbeName(field)) => {
                        self.push(span, Inst::ProbeName { offset, field });
                    }
                    _ => unreachable!("sema bounds no string {name}"),
                }
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => self.if_else(
                cond,
                span,
                |lowerer| lowerer.bounded_string_into(then_expr, offset, size),
                |lowerer| lowerer.bounded_string_into(else_expr, offset, size),
            ),
            ExprKind::Call { func, args, .. } if func == "stringof" => {
                self.bounded_string_into(&args[0], offset, size);
            }
            ExprKind::Cast { operand, .. } => self.bounded_string_into(operand, offset, size),
            other => unreachable!("sema bounds no string {other:?}"),
        }
    }
}
