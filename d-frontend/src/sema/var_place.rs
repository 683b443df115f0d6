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
            variable::lookup(name).is_none() && !info.inline_uses.contains_key(&expr.span)
        }
        ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => true,
        // An associative array's name is never typed itself; an array or pointer being indexed is.
        ExprKind::Index { base, .. } => {
            matches!(base.kind, ExprKind::Ident(_) | ExprKind::ThreadLocal(_))
                && types.lookup(base.span).is_none()
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
        if bitfield || !target_type.is_scalar() {
            self.unsupported(
                target,
                "stores to bit-fields and to struct, union or array members",
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
