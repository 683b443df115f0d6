//! Lowering speculations: `speculate()`, `commit()`, `discard()` and the `specsize` checks.
//!
//! A clause that calls `speculate(id)` keeps its one record: [`Inst::Speculate`] marks it as
//! speculative in its header when the speculation is active, and jumps to the clause's end when it
//! is not, so nothing after it runs (as in DTrace, which returns from the clause). After each
//! data-recording action that stores a value, [`Inst::SpecBound`] leaves the clause the same way,
//! counting a speculative drop, when the record so far is larger than `specsize`: DTrace checks each
//! record against `specsize` as it is written, and the consumer checks what it keeps of each
//! speculation.
//!
//! `commit(id)` and `discard(id)` record which speculation they finished (its ID and generation)
//! in an 8-byte field, which the consumer reads to print or drop what it kept.

use super::Lowerer;
use crate::ast::{Expr, ExprKind, Stmt};
use crate::ir::{Field, Inst, RecordAction};
use crate::source::Span;
use crate::types::Type;

/// Bytes `commit()` and `discard()` record: `id | generation << 32`.
pub(super) const FINISH_FIELD_SIZE: u32 = 8;

/// Whether a clause body calls `speculate()`, in any block.
pub(super) fn speculates(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Expr(Expr {
            kind: ExprKind::Call { func, .. },
            ..
        }) => func == "speculate",
        Stmt::If {
            then_body,
            else_body,
            ..
        } => speculates(then_body) || speculates(else_body),
        _ => false,
    })
}

impl Lowerer<'_> {
    /// `speculate(id)`, `commit(id)` or `discard(id)`.
    pub(super) fn speculation_action(&mut self, func: &str, id: &Expr, expr: &Expr) {
        let id = self.converted(id, Type::LONG);
        if func == "speculate" {
            let Some(abort) = self.speculation_end else {
                unreachable!("a clause calling speculate( ) has a speculation end");
            };
            self.push(expr.span, Inst::Speculate { id, abort });
            return;
        }
        let commit = func == "commit";
        let offset = self.record_field(FINISH_FIELD_SIZE);
        self.push(expr.span, Inst::FinishSpeculation { id, offset, commit });
        let field = Field {
            offset,
            ty: Type::ULONG,
        };
        self.actions.push(if commit {
            RecordAction::Commit(field)
        } else {
            RecordAction::Discard(field)
        });
    }

    /// In a clause that speculates, the `specsize` check after an action stored its values.
    pub(super) fn spec_bound(&mut self, span: Span) {
        if let Some(abort) = self.speculation_end {
            let size = self.record_cursor;
            self.push(span, Inst::SpecBound { size, abort });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::compile;
    use crate::diagnostic::Origin;
    use crate::ir::{Clause, Inst, RECORD_SPEC_OFFSET, RecordAction, Subr};
    use crate::provider::tests::FakeCatalog;
    use crate::sema::CompileOptions;
    use crate::source::SourceMap;

    fn clauses(text: &str) -> Vec<Clause> {
        let mut sources = SourceMap::default();
        let file = sources.add(text, text);
        compile(
            &sources,
            &[(file, Origin::ProbeSpecifier)],
            &FakeCatalog,
            &CompileOptions::default(),
        )
        .unwrap_or_else(|errors| panic!("{text}: {errors:?}"))
        .module
        .clauses
    }

    #[test]
    fn speculation_is_a_subroutine() {
        let clause = &clauses("BEGIN { x = speculation(); }")[0];
        assert!(
            clause
                .insts
                .iter()
                .any(|inst| matches!(inst, Inst::Subr(Subr::Speculation { .. })))
        );
        assert_eq!(clause.record, None);
    }

    #[test]
    fn speculate_clears_the_mark_then_jumps_to_the_end_when_inactive() {
        let clause = &clauses("BEGIN { speculate(1); printf(\"%d\", 2); x = 3; }")[0];
        assert_eq!(
            clause.insts[1],
            Inst::Zero {
                offset: RECORD_SPEC_OFFSET,
                size: 2
            }
        );
        let Some(Inst::Label(end)) = clause.insts.last() else {
            panic!("the clause ends with its end label: {:?}", clause.insts);
        };
        let speculate = clause
            .insts
            .iter()
            .position(|inst| matches!(inst, Inst::Speculate { abort, .. } if abort == end))
            .expect("speculate jumps to the end");
        let bound = clause
            .insts
            .iter()
            .position(|inst| {
                *inst
                    == Inst::SpecBound {
                        size: 24,
                        abort: *end,
                    }
            })
            .expect("the printf's 8 bytes are checked against specsize");
        assert!(speculate < bound);
    }

    #[test]
    fn a_speculate_only_clause_records_the_default_action() {
        let clause = &clauses("BEGIN { speculate(1); }")[0];
        assert_eq!(clause.record, Some(Vec::new()));
        assert!(
            !clause
                .insts
                .iter()
                .any(|inst| matches!(inst, Inst::SpecBound { .. }))
        );
    }

    #[test]
    fn commit_and_discard_record_what_they_finished() {
        let clause = &clauses("BEGIN { discard(2); commit(1); }")[0];
        let Some(actions) = &clause.record else {
            panic!("commit and discard send a record");
        };
        assert!(matches!(actions[0], RecordAction::Discard(field) if field.offset == 16));
        assert!(matches!(actions[1], RecordAction::Commit(field) if field.offset == 24));
        assert!(clause.insts.iter().any(|inst| matches!(
            inst,
            Inst::FinishSpeculation {
                offset: 24,
                commit: true,
                ..
            }
        )));
        assert!(
            !clause
                .insts
                .iter()
                .any(|inst| matches!(inst, Inst::SpecBound { .. } | Inst::Zero { offset: 10, .. })),
            "a clause that does not speculate is not checked against specsize"
        );
    }
}
