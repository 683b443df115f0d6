//! Actions (`trace( )`, `printf( )`, ...) written where an operator wants a value. libdtrace types
//! such a call `void` after checking its prototype, so the operator that receives it reports the
//! error: `-trace(0)` needs an arithmetic operand, and `c ? trace(0) : trace(1)` is an action in
//! a conditional context.

use super::Checker;
use crate::ast::{Expr, ExprKind};
use crate::builtin::function::{self, FunctionKind};
use crate::builtin::subr;
use crate::diagnostic::ErrTag;
use crate::types::Type;

impl Checker<'_> {
    /// When `expr` calls an action, checks its arguments and prototype as libdtrace does before
    /// looking at the operator, and returns `true`; otherwise leaves `expr` unchecked.
    pub(super) fn action_operand(&mut self, expr: &Expr) -> bool {
        let ExprKind::Call {
            func,
            func_span,
            args,
        } = &expr.kind
        else {
            return false;
        };
        if func == "stringof" || subr::lookup(func).is_some() {
            return false;
        }
        let Some(function) = function::lookup(func) else {
            return false;
        };
        if matches!(function.kind, FunctionKind::Aggregating(_)) {
            return false;
        }
        for arg in args {
            self.expr(arg);
        }
        self.arity(function, *func_span, args.len());
        true
    }

    /// Types the branches of `cond ? then_expr : else_expr` when either calls an action: two
    /// actions are an action in a conditional context, an action and a value are incompatible.
    /// Returns `None` when neither branch is an action.
    pub(super) fn action_branches(
        &mut self,
        then_expr: &Expr,
        else_expr: &Expr,
        expr: &Expr,
    ) -> Option<Type> {
        let then_action = self.action_operand(then_expr);
        let else_action = self.action_operand(else_expr);
        if !then_action && !else_action {
            return None;
        }
        if then_action && else_action {
            self.error(
                ErrTag::D_OP_ACT,
                expr.span,
                "action cannot be used in a conditional context",
            );
        } else {
            let value = if then_action { else_expr } else { then_expr };
            self.expr(value);
            self.error(
                ErrTag::D_OP_INCOMPAT,
                expr.span,
                "operator ?: operands must have compatible types",
            );
        }
        Some(Type::INT)
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::compile_one;
    use crate::diagnostic::ErrTag;

    fn first_error(text: &str) -> (ErrTag, String) {
        match compile_one(text) {
            Ok(_) => panic!("{text} compiled"),
            Err(errors) => (errors[0].tag, errors[0].message.clone()),
        }
    }

    #[test]
    fn actions_as_conditional_branches() {
        assert_eq!(
            first_error("BEGIN { x = pid ? trace(1) : trace(2); }"),
            (
                ErrTag::D_OP_ACT,
                "action cannot be used in a conditional context".to_owned()
            )
        );
        assert_eq!(
            first_error("BEGIN { x = pid ? printf(\"a\") : trace(); }"),
            (
                ErrTag::D_PROTO_LEN,
                "trace( ) prototype mismatch: 0 args passed, 1 expected".to_owned()
            )
        );
        assert_eq!(
            first_error("BEGIN { x = pid ? 1 : trace(2); }").0,
            ErrTag::D_OP_INCOMPAT
        );
        compile_one("BEGIN { x = pid ? strlen(\"ab\") : 3; }")
            .unwrap_or_else(|errors| panic!("subroutines are values: {errors:?}"));
    }

    #[test]
    fn an_action_is_no_arithmetic_operand() {
        assert_eq!(
            first_error("BEGIN { x = 1 + -trace(0); }"),
            (
                ErrTag::D_OP_ARITH,
                "operator - requires an operand of arithmetic type".to_owned()
            )
        );
    }

    #[test]
    fn a_conditional_needs_a_scalar_condition() {
        assert_eq!(
            first_error("BEGIN { x = \"a\" ? 1 : 2; }"),
            (
                ErrTag::D_OP_SCALAR,
                "operator ?: expression must be of scalar type".to_owned()
            )
        );
    }
}
