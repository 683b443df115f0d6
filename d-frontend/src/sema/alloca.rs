//! `alloca` pointers: which expressions hold one, and the rules for variables that hold them.
//!
//! As in DTrace, an `alloca` pointer is not an address but an offset into the clause's `alloca`
//! area, which starts at 8 (so that 0 stays `NULL`) and is empty again when the next clause starts.
//! Casts and pointer arithmetic keep an offset an offset; a dereference, a member access or a
//! subroutine reading memory checks it against the area's current top and turns it into an
//! address. Whether an expression is an offset is decided from its shape and from the variables
//! that were given one, so sema (which enforces DTrace's `D_ALLOCA_INCOMPAT` rules) and lowering
//! (which converts) agree.

use super::{Checker, TypeInfo, TypeMap};
use crate::ast::{AssignOp, BinaryOp, Expr, ExprKind, UnaryOp, VarScope};
use crate::diagnostic::ErrTag;
use crate::types::Type;

/// The bytes `alloca` may use for a `scratchsize` setting as `#pragma D option` writes it: DTrace
/// adds its 8-byte `NULL` offset and rounds up to 8, so `n` gives `n` rounded up to 8.
pub(super) fn scratchsize(value: &str) -> Option<u32> {
    let (digits, scale) = match value.char_indices().last()? {
        (at, 'k' | 'K') => (&value[..at], 1 << 10),
        (at, 'm' | 'M') => (&value[..at], 1 << 20),
        (at, 'g' | 'G') => (&value[..at], 1 << 30),
        _ => (value, 1),
    };
    let bytes = digits.parse::<u64>().ok()?.checked_mul(scale)?;
    u32::try_from(bytes.next_multiple_of(8)).ok()
}

/// The variable an identifier expression names, as sema keys it.
fn variable_key(expr: &Expr) -> Option<(VarScope, String)> {
    match &expr.kind {
        ExprKind::Ident(name) => Some((VarScope::Global, name.clone())),
        ExprKind::ThreadLocal(name) => Some((VarScope::ThreadLocal, name.clone())),
        ExprKind::ClauseLocal(name) => Some((VarScope::ClauseLocal, name.clone())),
        _ => None,
    }
}

/// Whether `expr`'s value is an `alloca` pointer (an offset into the `alloca` area).
pub fn is_alloca(expr: &Expr, types: &TypeMap, info: &TypeInfo) -> bool {
    match &expr.kind {
        ExprKind::Call { func, .. } => func == "alloca" || func == "copyin",
        ExprKind::Cast { operand, .. } => is_alloca(operand, types, info),
        // As in libdtrace, arithmetic keeps an offset an offset whether the result is a pointer
        // or an integer, so `(int *)((long)p + 4)` still points into the area; a shift keeps its
        // left operand's kind, and a comparison gives a plain truth value.
        ExprKind::Binary { op, lhs, rhs } => match op {
            BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Mod
            | BinaryOp::BitAnd
            | BinaryOp::BitXor
            | BinaryOp::BitOr
            | BinaryOp::LogicalAnd
            | BinaryOp::LogicalXor
            | BinaryOp::LogicalOr => is_alloca(lhs, types, info) || is_alloca(rhs, types, info),
            BinaryOp::Shl | BinaryOp::Shr => is_alloca(lhs, types, info),
            BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Eq
            | BinaryOp::Ne => false,
        },
        ExprKind::Unary { op, operand } => match op {
            UnaryOp::AddrOf => place_is_alloca(operand, types, info),
            UnaryOp::Neg
            | UnaryOp::Plus
            | UnaryOp::BitNot
            | UnaryOp::PreInc
            | UnaryOp::PreDec
            | UnaryOp::PostInc
            | UnaryOp::PostDec => is_alloca(operand, types, info),
            UnaryOp::LogicalNot | UnaryOp::Deref => false,
        },
        ExprKind::Ternary {
            then_expr,
            else_expr,
            ..
        } => is_alloca(then_expr, types, info) || is_alloca(else_expr, types, info),
        ExprKind::Assign {
            op: AssignOp::Assign,
            value,
            ..
        } => is_alloca(value, types, info),
        ExprKind::Ident(_) | ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => {
            variable_key(expr).is_some_and(|key| info.alloca_vars.contains(&key))
        }
        _ => false,
    }
}

/// Whether the place `expr` (`*p`, `p[i]`, `p->m`, `s.m`) is in the `alloca` area: the pointer it
/// goes through is an `alloca` pointer.
pub fn place_is_alloca(expr: &Expr, types: &TypeMap, info: &TypeInfo) -> bool {
    match &expr.kind {
        ExprKind::Unary {
            op: UnaryOp::Deref,
            operand,
        } => is_alloca(operand, types, info),
        ExprKind::Member { base, arrow, .. } => {
            if *arrow {
                is_alloca(base, types, info)
            } else {
                place_is_alloca(base, types, info)
            }
        }
        ExprKind::Index { base, .. } => match types.lookup(base.span) {
            Some(Type::Array(_)) => place_is_alloca(base, types, info),
            Some(Type::Pointer(_)) => is_alloca(base, types, info),
            _ => false,
        },
        _ => false,
    }
}

impl Checker<'_> {
    /// Whether `expr`, already typed, is an `alloca` pointer.
    pub(super) fn alloca_value(&self, expr: &Expr) -> bool {
        is_alloca(expr, &self.types, &self.type_info)
    }

    /// Whether the place `expr`, already typed, is in the `alloca` area.
    pub(super) fn alloca_place(&self, expr: &Expr) -> bool {
        place_is_alloca(expr, &self.types, &self.type_info)
    }

    /// Records what `target = value` gives a scalar variable, and rejects what DTrace rejects: a
    /// ternary whose branches mix `alloca` and other pointers, and a variable given both kinds.
    /// `NULL` goes with either.
    pub(super) fn alloca_assignment(&mut self, target: &Expr, value: &Expr) {
        let Some(key) = variable_key(target) else {
            return;
        };
        if let ExprKind::Ternary {
            then_expr,
            else_expr,
            ..
        } = &value.kind
        {
            let kinds = [then_expr, else_expr].map(|branch| {
                (
                    self.alloca_value(branch),
                    super::subr::is_null_constant(branch),
                )
            });
            if kinds.iter().any(|(alloca, _)| *alloca)
                && kinds.iter().any(|(alloca, null)| !alloca && !null)
            {
                self.error(
                    ErrTag::D_ALLOCA_INCOMPAT,
                    value.span,
                    "ternary conditional with alloca and non-alloca branches cannot be assigned to a variable",
                );
                return;
            }
        }
        let alloca = self.alloca_value(value);
        let pointer = self.types.lookup(value.span).is_some_and(Type::is_pointer);
        let clash = if alloca {
            self.type_info.plain_pointer_vars.contains(&key)
        } else {
            pointer
                && !super::subr::is_null_constant(value)
                && self.type_info.alloca_vars.contains(&key)
        };
        if clash {
            // libdtrace finds the clash while generating the clause's code.
            self.error(
                ErrTag::D_ALLOCA_INCOMPAT,
                self.clause_start.unwrap_or(target.span.to(value.span)),
                format!(
                    "{}: cannot reuse the same identifier for both alloca and non-alloca allocations",
                    key.1
                ),
            );
            return;
        }
        if alloca {
            self.type_info.alloca_vars.insert(key);
        } else if pointer && !super::subr::is_null_constant(value) {
            self.type_info.plain_pointer_vars.insert(key);
        }
    }

    /// Types `place = value` where the place, already typed, is in the `alloca` area (`p[i] = v`,
    /// `p->m = v`, `*s = "..."`): an integer, a pointer or a string stored in memory the clause
    /// allocated.
    pub(super) fn alloca_store(&mut self, op: AssignOp, target: &Expr, value: &Expr) -> Type {
        let target_type = self.types.get(target.span);
        let value_type = self.expr(value);
        if op == AssignOp::Assign && target_type == Type::String {
            if value_type != Type::String && !self.type_info.table.is_char_array(value_type) {
                let message = format!(
                    "operands have incompatible types: \"{}\" = \"{}\"",
                    target_type.name(),
                    value_type.name()
                );
                self.error(ErrTag::D_OP_INCOMPAT, target.span.to(value.span), message);
            }
            return target_type;
        }
        if !target_type.is_scalar() {
            self.unsupported(
                target,
                "stores other than of strings, integers and pointers to alloca memory",
            );
            return target_type;
        }
        // A compound assignment computes as the same operator would, so it takes an integer, and
        // only `+=` and `-=` apply to a pointer.
        let compatible = match op {
            AssignOp::Assign => value_type.is_scalar(),
            AssignOp::Compound(BinaryOp::Add | BinaryOp::Sub) => value_type.is_int(),
            AssignOp::Compound(_) => value_type.is_int() && target_type.is_int(),
        };
        if !compatible {
            let symbol = match op {
                AssignOp::Assign => "=".to_owned(),
                AssignOp::Compound(binary_op) => format!("{}=", binary_op.symbol()),
            };
            let message = format!(
                "operands have incompatible types: \"{}\" {symbol} \"{}\"",
                self.type_info.table.name(target_type),
                self.type_info.table.name(value_type)
            );
            self.error(ErrTag::D_OP_INCOMPAT, target.span.to(value.span), message);
        }
        target_type
    }
}

#[cfg(test)]
mod tests {
    use super::scratchsize;
    use crate::compile::tests::compile_one;
    use crate::diagnostic::ErrTag;

    fn first_error(text: &str) -> (ErrTag, String) {
        match compile_one(text) {
            Ok(_) => panic!("{text} compiled"),
            Err(errors) => (errors[0].tag, errors[0].message.clone()),
        }
    }

    #[test]
    fn scratchsize_rounds_up_to_words() {
        assert_eq!(scratchsize("9"), Some(16));
        assert_eq!(scratchsize("64"), Some(64));
        assert_eq!(scratchsize("1k"), Some(1024));
        assert_eq!(scratchsize("lots"), None);
    }

    #[test]
    fn a_variable_holds_alloca_pointers_or_others_but_not_both() {
        let (tag, message) =
            first_error("BEGIN { a = (char *)alloca(1); a = (char *)curthread + 5; }");
        assert_eq!(tag, ErrTag::D_ALLOCA_INCOMPAT);
        assert_eq!(
            message,
            "a: cannot reuse the same identifier for both alloca and non-alloca allocations"
        );
        let (tag, _) = first_error("BEGIN { a = (char *)curthread; a = (char *)alloca(1); }");
        assert_eq!(tag, ErrTag::D_ALLOCA_INCOMPAT);
        compile_one("BEGIN { a = (char *)alloca(1); a = NULL; a = (char *)alloca(2); }")
            .unwrap_or_else(|errors| panic!("NULL goes with alloca pointers: {errors:?}"));
    }

    #[test]
    fn a_clash_is_reported_at_the_clause_whose_code_finds_it() {
        for text in [
            "BEGIN { a = (char *)alloca(1); }\ntick-1s,\nEND\n{\n\ta = NULL;\n\ta = (char *)curthread + 5;\n}",
            "BEGIN { a = (char *)curthread + 5; }\ntick-1s,\nEND\n{\n\ta = (char *)alloca(1);\n}",
        ] {
            let errors = compile_one(text).expect_err(text);
            assert_eq!(errors[0].tag, ErrTag::D_ALLOCA_INCOMPAT, "{text}");
            let start = text.find("tick-1s").expect("a second clause");
            assert_eq!(errors[0].span.start as usize, start, "{text}");
        }
    }

    #[test]
    fn a_ternary_may_not_mix_alloca_and_other_pointers_into_a_variable() {
        let (tag, _) =
            first_error("BEGIN { a = (char *)alloca(1); a = a == NULL ? (char *)50 : a; }");
        assert_eq!(tag, ErrTag::D_ALLOCA_INCOMPAT);
        compile_one("BEGIN { a = (char *)alloca(1); trace(a == NULL ? (char *)50 : a); }")
            .unwrap_or_else(|errors| panic!("a traced ternary may mix them: {errors:?}"));
    }

    #[test]
    fn integer_arithmetic_on_an_alloca_pointer_keeps_it_an_alloca_pointer() {
        compile_one("BEGIN { a = alloca(8); b = (int *)((long)a + 4 - 4); *b = 1; *(int *)(-(-(long)a)) = 2; }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        let (tag, _) =
            first_error("BEGIN { a = alloca(8); b = (int *)((long)a * 1); b = (int *)curthread; }");
        assert_eq!(tag, ErrTag::D_ALLOCA_INCOMPAT);
        let (tag, _) = first_error("BEGIN { a = alloca(8); b = (int *)((long)a == 8); *b = 1; }");
        assert_eq!(tag, ErrTag::D_OP_WRITE, "a comparison is a plain value");
    }

    #[test]
    fn a_variable_given_alloca_memory_in_the_predicate_holds_it_in_the_body() {
        compile_one("BEGIN / (a = alloca(8)) != NULL / { b = (int *)a; *b = 1; trace(*b); }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        compile_one(
            "BEGIN / (n++ == 0) ? a = alloca(8) : a / { b = (int *)((long)a + 1 - 1); *b = 1; }",
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
    }

    #[test]
    fn compound_assignments_to_alloca_memory_take_integers() {
        compile_one("BEGIN { p = (long *)alloca(16); *p = 1; *p += 2; p[1] = 3; p[1] <<= 1; }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        compile_one("BEGIN { q = (int **)alloca(8); *q = (int *)curthread; *q -= 1; }")
            .unwrap_or_else(|errors| panic!("a pointer steps: {errors:?}"));
        let (tag, message) = first_error("BEGIN { q = (int **)alloca(8); *q = NULL; *q *= 2; }");
        assert_eq!(tag, ErrTag::D_OP_INCOMPAT);
        assert_eq!(
            message,
            "operands have incompatible types: \"int *\" *= \"int\""
        );
    }

    #[test]
    fn strings_store_into_alloca_memory_only_from_strings() {
        let program = |value: &str| {
            format!("BEGIN {{ s = (string *)alloca(sizeof(string)); *s = {value}; trace(*s); }}")
        };
        compile_one(&program("\"abc\"")).unwrap_or_else(|errors| panic!("{errors:?}"));
        let (tag, message) = first_error(&program("1"));
        assert_eq!(tag, ErrTag::D_OP_INCOMPAT);
        assert_eq!(
            message,
            "operands have incompatible types: \"string\" = \"int\""
        );
    }
}
