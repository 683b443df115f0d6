//! Basic blocks: the runs of statements between `if` statements.
//!
//! DTrace runs a clause that contains `if` as one sub-clause per basic block, each with a predicate
//! saying whether control reaches it, so each block that records data sends its own record and
//! gets its own probe line. Lowering keeps one record per clause and a mask of the blocks that
//! ran; this counts the blocks that need a bit in that mask.

use crate::ast::{ExprKind, Stmt};
use crate::builtin::function::{self, FunctionKind};

/// Whether `stmt` is a data-recording action: a call of a built-in function that is not an
/// aggregating function.
pub fn is_record_action(stmt: &Stmt) -> bool {
    let Stmt::Expr(expr) = stmt else {
        return false;
    };
    let ExprKind::Call { func, .. } = &expr.kind else {
        return false;
    };
    function::lookup(func)
        .is_some_and(|function| !matches!(function.kind, FunctionKind::Aggregating(_)))
}

/// How many basic blocks of `body`, nested ones included, hold a data-recording action.
pub fn n_record_blocks(body: &[Stmt]) -> usize {
    let mut n_blocks = 0;
    let mut block_records = false;
    for stmt in body {
        if let Stmt::If {
            then_body,
            else_body,
            ..
        } = stmt
        {
            n_blocks += usize::from(block_records);
            block_records = false;
            n_blocks += n_record_blocks(then_body) + n_record_blocks(else_body);
        } else {
            block_records |= is_record_action(stmt);
        }
    }
    n_blocks + usize::from(block_records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_source;
    use crate::source::SourceMap;

    fn body_of(text: &str) -> Vec<Stmt> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.d", text);
        let (program, diagnostics) = parse_source(&sources, file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        match program.items.into_iter().next() {
            Some(crate::ast::Item::Clause(clause)) => clause.body,
            other => panic!("expected a clause, got {other:?}"),
        }
    }

    #[test]
    fn blocks_split_at_each_if() {
        let body = body_of(
            r#"BEGIN {
printf("a");
if (1) { trace(1); if (2) { trace(2); } trace(3); } else { @c = count(); }
printf("b");
}"#,
        );
        assert_eq!(n_record_blocks(&body), 5);
    }

    #[test]
    fn blocks_without_actions_need_no_bit() {
        let body = body_of("BEGIN { @c = count(); if (1) { @d = sum(1); } }");
        assert_eq!(n_record_blocks(&body), 0);
    }
}
