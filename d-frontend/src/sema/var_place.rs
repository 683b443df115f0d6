//! Places inside struct, union and array variables: `self->s.m`, `this->a[2]`, `a[k].m`,
//! `g.inner.arr[i]`.
//!
//! Such a variable holds its value by reference, as in DTrace: reading it gives the address of its
//! storage, so reading a member is a memory read, and writing one is a store into the storage
//! (which [`crate::ir::Inst::StoreVarMember`] does, creating a dynamic variable's element first).
//! Sema decides from an expression's shape and types whether it is such a place, and lowering
//! decides the same way, as with `alloca` pointers.

use super::{Checker, TypeInfo, TypeMap};
use crate::ast::{AssignOp, BinaryOp, Expr, ExprKind, UnaryOp};
use crate::builtin::variable;
use crate::diagnostic::ErrTag;
use crate::types::Type;

/// Whether `expr` reads a struct, union or array variable: `x`, `self->x`, `this->x`, `a[k]`,
/// `self->a[k]` whose value sema typed as a struct, union or array.
pub fn is_aggregate_var(expr: &Expr, types: &TypeMap, info: &TypeInfo) -> bool {
    let is_variable = match &expr.kind {
        ExprKind::Ident(name) => {
            variable::lookup(name).is_none()
                && !info.kernel_symbols.contains_key(&expr.span)
                && !info.inline_uses.contains_key(&expr.span)
                && !info.param_uses.contains_key(&expr.span)
        }
        ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => true,
        // An associative array's name is never typed itself; an array or pointer being indexed is.
        ExprKind::Index { base, .. } => {
            let names_array = match &base.kind {
                ExprKind::Ident(name) => name != "args" && variable::lookup(name).is_none(),
                ExprKind::ThreadLocal(_) => true,
                _ => false,
            };
            names_array && types.lookup(base.span).is_none()
        }
        _ => false,
    };
    is_variable
        && types
            .lookup(expr.span)
            .is_some_and(|ty| matches!(ty, Type::Struct(_) | Type::Array(_)))
}

/// The variable expression a place lies in, when the place is a member or an element (at any
/// depth) of a struct, union or array variable.
pub fn var_place_root<'e>(expr: &'e Expr, types: &TypeMap, info: &TypeInfo) -> Option<&'e Expr> {
    let base = match &expr.kind {
        ExprKind::Member {
            base, arrow: false, ..
        } => base,
        ExprKind::Index { base, .. } if matches!(types.lookup(base.span), Some(Type::Array(_))) => {
            base
        }
        _ => return None,
    };
    if is_aggregate_var(base, types, info) {
        return Some(base);
    }
    var_place_root(base, types, info)
}

impl Checker<'_> {
    /// Whether the place `expr`, already typed, lies in a struct, union or array variable.
    pub(super) fn var_place(&self, expr: &Expr) -> bool {
        var_place_root(expr, &self.types, &self.type_info).is_some()
    }

    /// Whether the struct or union value `expr`, already typed, is at an address, which is how
    /// lowering represents it: a place (a variable's storage included), a translator's or inline
    /// array's parameter bound to one, or a cast or conditional choosing among such values.
    pub(super) fn has_address(&self, expr: &Expr) -> bool {
        if self.type_info.param_uses.contains_key(&expr.span) {
            return true;
        }
        match &expr.kind {
            ExprKind::Cast { operand, .. } => self.has_address(operand),
            ExprKind::Ternary {
                then_expr,
                else_expr,
                ..
            } => self.has_address(then_expr) && self.has_address(else_expr),
            _ => self.is_place(expr),
        }
    }

    /// Whether the place `expr` is reached from a D variable, which libdtrace's `DT_NF_WRITABLE`
    /// marks: `v->m`, `*v`, `v[i]`, `*(v + i)` and members and elements of those.
    pub(super) fn writable_root(&self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::Ident(name) => {
                variable::lookup(name).is_none()
                    && !self.type_info.inline_uses.contains_key(&expr.span)
                    && !self.type_info.param_uses.contains_key(&expr.span)
            }
            ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => true,
            ExprKind::Index { base, .. } => {
                self.types.lookup(base.span).is_none() || self.writable_root(base)
            }
            ExprKind::Unary {
                op: UnaryOp::Deref,
                operand: base,
            }
            | ExprKind::Member { base, .. }
            | ExprKind::Binary {
                op: BinaryOp::Add,
                lhs: base,
                ..
            } => self.writable_root(base),
            _ => false,
        }
    }

    /// Types `place op= value` where the place, already typed, is a member or an element of a
    /// variable: an integer or a pointer stored in the variable's value.
    pub(super) fn var_place_store(&mut self, op: AssignOp, target: &Expr, value: &Expr) -> Type {
        let value_type = self.expr(value);
        self.var_place_stored(op, target, value_type, Some(value))
    }

    /// Checks a store of a `value_type` value (`value`, or the 1 of `++` and `--` when `None`) to
    /// a member or element of a variable.
    pub(super) fn var_place_stored(
        &mut self,
        op: AssignOp,
        target: &Expr,
        value_type: Type,
        value: Option<&Expr>,
    ) -> Type {
        let target_type = self.types.get(target.span);
        let span = value.map_or(target.span, |value| target.span.to(value.span));
        let bitfield = self
            .type_info
            .members
            .get(&target.span)
            .is_some_and(|member| member.bit_size != 0);
        let copies = super::var::is_aggregate(target_type)
            && op == AssignOp::Assign
            && value_type == target_type;
        // A string is copied into a `string` or `char` array member, as far as it fits.
        let copies_string = op == AssignOp::Assign
            && value_type == Type::String
            && (target_type == Type::String || self.type_info.table.is_char_array(target_type));
        if copies_string {
            return target_type;
        }
        if bitfield || !(target_type.is_scalar() || copies) {
            self.unsupported(
                target,
                "stores to bit-fields, and stores of other types to struct, union or array members,",
            );
            return target_type;
        }
        let compatible = match op {
            AssignOp::Assign => self.assignable(target_type, value_type, value),
            AssignOp::Compound(BinaryOp::Add | BinaryOp::Sub) => {
                value_type.is_int() && target_type.is_scalar()
            }
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
            self.error(ErrTag::D_OP_INCOMPAT, span, message);
        }
        target_type
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, errors_of};

    /// The variables of a program that must compile, as `name size`.
    fn value_sizes(text: &str) -> Vec<(String, Option<u32>)> {
        let compiled = compile_one(text).unwrap_or_else(|errors| panic!("{text}: {errors:?}"));
        compiled
            .module
            .variables
            .iter()
            .map(|var| (var.display_name(), var.value_size))
            .collect()
    }

    #[test]
    fn variables_hold_structs_unions_and_arrays_by_their_size() {
        assert_eq!(
            value_sizes(
                "struct pair { int a; char b; long c; };\nunion u { int i; char c[2]; };\nstruct pair g;\nthis union u v;\nuint8_t bytes[20];\nBEGIN { self->s = g; a[1] = this->v; x = 1; trace(g.a + this->v.i + bytes[2] + a[1].i); }"
            ),
            [
                ("g".to_owned(), Some(16)),
                ("this->v".to_owned(), Some(4)),
                ("bytes".to_owned(), Some(20)),
                ("self->s".to_owned(), Some(16)),
                ("a[]".to_owned(), Some(4)),
                ("x".to_owned(), None),
            ]
        );
    }

    #[test]
    fn members_and_elements_of_variables_take_stores_of_their_type() {
        compile_one(
            "struct pair { int a; char *p; };\nstruct pair g;\nint arr[3];\nBEGIN { g.a = 1; g.a += 2; g.a++; g.p = (char *)0; arr[2] = 5; --arr[1]; self->s = g; self->s.a = 3; }",
        )
        .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(
            errors_of(
                "struct pair { int a; char *p; };\nstruct pair g;\nBEGIN { g.a = \"text\"; }"
            ),
            ["[D_OP_INCOMPAT] operands have incompatible types: \"int\" = \"string\""]
        );
        compile_one(
            "struct c { int x; };\nstruct p { struct c a; char n[4]; };\nstruct p g;\nstruct c h;\nBEGIN { g.a = h; self->p = g; self->p.a = g.a; }",
        )
        .unwrap_or_else(|errors| panic!("struct members take structs: {errors:?}"));
        assert_eq!(
            errors_of("struct p { char n[4]; };\nstruct p g;\nBEGIN { g.n = 1; }"),
            [
                "[D_UNKNOWN] stores to bit-fields, and stores of other types to struct, union or array members, are not supported yet"
            ]
        );
        assert_eq!(
            errors_of(
                "struct a { int x; };\nstruct b { int x; };\nstruct a v;\nstruct b w;\nBEGIN { v = w; }"
            ),
            ["[D_OP_INCOMPAT] operands have incompatible types: \"struct a\" = \"struct b\""]
        );
    }

    #[test]
    fn kernel_memory_is_never_written() {
        assert_eq!(
            errors_of("BEGIN { curthread->pid = 1; }"),
            ["[D_OP_WRITE] operator = can only be applied to a writable variable"]
        );
        assert_eq!(
            errors_of("BEGIN { curthread->pid++; }"),
            ["[D_OP_WRITE] operator ++ can only be applied to a writable variable"]
        );
        // Through a D variable libdtrace accepts the store and the verifier refuses it, so any
        // other error comes first.
        assert_eq!(
            errors_of("BEGIN { p = curthread; p->pid = 1; trace(nosuch); }"),
            [
                "[D_IDENT_UNDEF] failed to resolve nosuch: Unknown variable name",
                "[D_OP_WRITE] operator = can only be applied to a writable variable"
            ]
        );
    }

    #[test]
    fn pointers_step_by_their_target_size_and_take_integers_only() {
        compile_one("BEGIN { p = (int *)alloca(16); p += 2; p -= 1; }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(
            errors_of("BEGIN { p = (int *)0; p += p; }"),
            ["[D_OP_INCOMPAT] operands have incompatible types: \"int *\" += \"int *\""]
        );
    }

    #[test]
    fn a_variable_has_no_address_but_its_members_do() {
        assert_eq!(
            errors_of("struct pair { int a; };\nstruct pair g;\nBEGIN { trace(&g); }"),
            ["[D_ADDROF_VAR] cannot take address of dynamic variable"]
        );
        compile_one("struct pair { int a; };\nstruct pair g;\nBEGIN { trace(&g.a); }")
            .unwrap_or_else(|errors| panic!("{errors:?}"));
    }

    #[test]
    fn incomplete_structs_make_no_variables() {
        assert_eq!(
            errors_of("struct later;\nstruct later v;\nBEGIN { }"),
            ["[D_DECL_INCOMPLETE] incomplete struct/union/enum struct later"]
        );
    }
}
