//! Lowering variable reads, assignments and increments.
//!
//! A dynamic variable (a thread-local or an associative array element) is addressed by a key that
//! lowering builds in scratch before each access: the thread ID (8 bytes) for a thread-local, then
//! each subscript converted to its key type (8 bytes for an integer, `string_size(strsize)` for a string).
//! Storing 0 in a dynamic variable deletes the element, as in DTrace, so every store to one is
//!
//! ```text
//!     jump Ldelete if %value == 0
//!     store var N key scratch[K] = %value
//!     jump Lend
//! Ldelete:
//!     delete var N key scratch[K]
//! Lend:
//! ```

use super::Lowerer;
use crate::ast::{AssignOp, BinaryOp, Expr, ExprKind, UnaryOp, VarScope};
use crate::ir::{BinOp, Builtin, Inst, Subr, VReg};
use crate::sema::place_is_alloca;
use crate::source::Span;
use crate::types::{Type, string_size};

/// Where an access lands: a variable and, for a dynamic variable, the scratch offset of its key.
#[derive(Clone, Copy)]
pub(super) struct Access {
    pub(super) var: usize,
    pub(super) key_offset: Option<u32>,
}

impl Lowerer<'_> {
    /// Whether `base[...]` subscripts an associative array (rather than a pointer or an array
    /// value), as sema decided: `base` names a variable that sema made an array.
    pub(super) fn is_array_variable(&self, base: &Expr) -> bool {
        let (scope, name) = match &base.kind {
            ExprKind::Ident(name) => (VarScope::Global, name),
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name),
            _ => return false,
        };
        self.checked
            .variables
            .iter()
            .any(|var| var.scope == scope && var.name == *name && var.keys.is_some())
    }

    /// Resolves a variable expression (`x`, `self->x`, `this->x`, `a[k...]`, `self->a[k...]`) and
    /// builds its key.
    pub(super) fn access(&mut self, target: &Expr) -> Access {
        let span = target.span;
        let (scope, name, index) = match &target.kind {
            ExprKind::Ident(name) => (VarScope::Global, name, None),
            ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name, None),
            ExprKind::ClauseLocal(name) => (VarScope::ClauseLocal, name, None),
            ExprKind::Index { base, index } => match &base.kind {
                ExprKind::Ident(name) => (VarScope::Global, name, Some(index)),
                ExprKind::ThreadLocal(name) => (VarScope::ThreadLocal, name, Some(index)),
                other => unreachable!("sema accepts no array {other:?}"),
            },
            other => unreachable!("sema accepts no variable {other:?}"),
        };
        let var = self.checked.variable_index(scope, name);
        let variable = &self.checked.variables[var];
        let Some(key_size) = variable.key_size(self.strsize()) else {
            return Access {
                var,
                key_offset: None,
            };
        };
        let key_types = variable.keys.clone().unwrap_or_default();
        let value_sizes = variable.key_value_sizes.clone();
        let key_offset = self.temp(key_size);
        let mut cursor = key_offset;
        if scope == VarScope::ThreadLocal {
            let tid = self.builtin(span, Builtin::Tid);
            self.push(
                span,
                Inst::Store {
                    offset: cursor,
                    size: 8,
                    src: tid,
                },
            );
            cursor += 8;
        }
        for (key_idx, (key, ty)) in index.into_iter().flatten().zip(key_types).enumerate() {
            let value_size = value_sizes.get(key_idx).copied().flatten();
            let stored_size = crate::ir::key_stored_size(ty, value_size, self.strsize());
            if let (Some(_), Type::String) = (value_size, ty) {
                self.bounded_string_into(key, cursor, stored_size);
            } else if let Some(size) = value_size {
                self.value_key_into(key, size, cursor);
            } else if ty == Type::String {
                self.string_value_into(key, cursor);
            } else {
                let value = self.stored(key, ty);
                self.push(
                    key.span,
                    Inst::Store {
                        offset: cursor,
                        size: 8,
                        src: value,
                    },
                );
            }
            cursor += stored_size;
        }
        Access {
            var,
            key_offset: Some(key_offset),
        }
    }

    fn var_type(&self, access: Access) -> Type {
        self.checked.variables[access.var].ty
    }

    fn load_access(&mut self, span: Span, access: Access) -> VReg {
        let dst = self.vreg();
        self.push(
            span,
            Inst::LoadVar {
                dst,
                var: access.var,
                key_offset: access.key_offset,
            },
        );
        dst
    }

    /// Stores an integer, deleting a dynamic variable's element when it is 0.
    fn store(&mut self, span: Span, access: Access, src: VReg) {
        let Some(key_offset) = access.key_offset else {
            self.push(
                span,
                Inst::StoreVar {
                    var: access.var,
                    key_offset: None,
                    src,
                },
            );
            return;
        };
        let delete = self.label();
        let end = self.label();
        self.push(
            span,
            Inst::JumpIf {
                cond: src,
                nonzero: false,
                target: delete,
            },
        );
        self.push(
            span,
            Inst::StoreVar {
                var: access.var,
                key_offset: Some(key_offset),
                src,
            },
        );
        self.push(span, Inst::Jump(end));
        self.push(span, Inst::Label(delete));
        self.push(
            span,
            Inst::DeleteVar {
                var: access.var,
                key_offset,
            },
        );
        self.push(span, Inst::Label(end));
    }

    /// Reads an integer variable, or the address of a struct, union or array variable's value.
    pub(super) fn load_var(&mut self, expr: &Expr) -> VReg {
        if let Some(value) = self.reused_load(expr) {
            return value;
        }
        let access = self.access(expr);
        if matches!(self.var_type(access), Type::Struct(_) | Type::Array(_)) {
            let dst = self.vreg();
            self.push(
                expr.span,
                Inst::VarAddr {
                    dst,
                    var: access.var,
                    key_offset: access.key_offset,
                },
            );
            return dst;
        }
        let value = self.load_access(expr.span, access);
        self.remember_load(expr, value);
        value
    }

    /// Copies a string variable to scratch `offset`.
    pub(super) fn load_var_string(&mut self, expr: &Expr, offset: u32) {
        let access = self.access(expr);
        self.push(
            expr.span,
            Inst::LoadVarString {
                offset,
                var: access.var,
                key_offset: access.key_offset,
            },
        );
    }

    /// `target op= value` on an integer variable; returns the value stored.
    pub(super) fn assign_int(
        &mut self,
        op: AssignOp,
        target: &Expr,
        value: &Expr,
        expr: &Expr,
    ) -> VReg {
        let span = expr.span;
        let access = self.access(target);
        let var_type = self.var_type(access);
        let result = match op {
            AssignOp::Assign => self.stored(value, var_type),
            AssignOp::Compound(binary_op) => {
                let old = match self.reused_load(target) {
                    Some(old) => old,
                    None => self.load_access(span, access),
                };
                self.compound_value(binary_op, old, var_type, value, span)
            }
        };
        self.store(span, access, result);
        result
    }

    /// The value `x op= v` stores, `x op v`, from `old`, the value of `x` of type `var_type`:
    /// computed in the operands' common type (the promoted left type for shifts), then converted to
    /// `var_type`. A pointer steps by the size of what it points to.
    pub(super) fn compound_value(
        &mut self,
        binary_op: BinaryOp,
        old: VReg,
        var_type: Type,
        value: &Expr,
        span: Span,
    ) -> VReg {
        if let Some(target) = self.checked.type_info.table.pointee(var_type) {
            let step = self.size_of(target);
            let count = self.int_expr(value);
            let op = if binary_op == BinaryOp::Sub {
                BinOp::Sub
            } else {
                BinOp::Add
            };
            return self.scaled_add(span, old, count, step, op);
        }
        let ty = match binary_op {
            BinaryOp::Shl | BinaryOp::Shr => var_type.promoted(),
            _ => Type::common(var_type, self.type_of(value)),
        };
        let lhs = self.convert(span, old, var_type, ty);
        let rhs = match binary_op {
            BinaryOp::Shl | BinaryOp::Shr => self.int_expr(value),
            _ => self.converted(value, ty),
        };
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: super::expr::arithmetic_op(binary_op, ty),
                dst,
                lhs,
                rhs,
            },
        );
        let computed = self.normalize(span, dst, ty);
        self.convert(span, computed, ty, var_type)
    }

    /// `target = value` on a string variable: the value is written at scratch `offset` (which is
    /// then the assignment's value) and stored. Assigning the literal 0 to a dynamic string
    /// variable deletes it and leaves the empty string.
    pub(super) fn assign_string(&mut self, target: &Expr, value: &Expr, offset: u32) {
        let span = target.span.to(value.span);
        if self.is_var_place(target) {
            self.string_value_into(value, offset);
            self.store_var_place_string(target, offset, span);
            return;
        }
        if place_is_alloca(target, &self.checked.types, &self.checked.type_info) {
            self.string_value_into(value, offset);
            self.alloca_store_string(target, offset, span);
            return;
        }
        let access = self.access(target);
        if let (Some(key_offset), ExprKind::Int { value: 0, .. }) = (access.key_offset, &value.kind)
        {
            self.push(
                span,
                Inst::DeleteVar {
                    var: access.var,
                    key_offset,
                },
            );
            let size = string_size(self.strsize());
            self.push(span, Inst::Zero { offset, size });
            return;
        }
        self.string_value_into(value, offset);
        self.push(
            span,
            Inst::StoreVarString {
                var: access.var,
                key_offset: access.key_offset,
                offset,
            },
        );
    }

    /// `++x`, `x++`, `--x`, `x--`: returns the new value for a prefix operator, the old one for a
    /// postfix one.
    pub(super) fn increment(&mut self, op: UnaryOp, operand: &Expr, expr: &Expr) -> VReg {
        let span = expr.span;
        let alloca = place_is_alloca(operand, &self.checked.types, &self.checked.type_info);
        if alloca || self.is_var_place(operand) {
            let ty = self.type_of(operand);
            let old = self.place_value(operand);
            let new = self.stepped(op, old, ty, span);
            if alloca {
                let addr = self.address_of(operand);
                let size = self.size_of(ty) as u8;
                self.push(
                    span,
                    Inst::Subr(Subr::StoreMem {
                        addr,
                        size,
                        src: new,
                    }),
                );
            } else {
                self.store_var_place(operand, new, span);
            }
            return if matches!(op, UnaryOp::PreInc | UnaryOp::PreDec) {
                new
            } else {
                old
            };
        }
        let access = self.access(operand);
        let ty = self.var_type(access);
        let old = match self.reused_load(operand) {
            Some(old) => old,
            None => self.load_access(span, access),
        };
        let new = self.stepped(op, old, ty, span);
        self.store(span, access, new);
        if matches!(op, UnaryOp::PreInc | UnaryOp::PreDec) {
            new
        } else {
            old
        }
    }

    /// `old` one step up (`++`) or down (`--`), for a value of type `ty`.
    fn stepped(&mut self, op: UnaryOp, old: VReg, ty: Type, span: Span) -> VReg {
        // A pointer steps by the size of what it points to.
        let step = match self.checked.type_info.table.pointee(ty) {
            Some(target) => self.checked.type_info.table.size_of(target, 1).map_or_else(
                || unreachable!("sema checked that {target:?} has a size"),
                u64::from,
            ),
            None => 1,
        };
        let step_value = self.vreg();
        self.push(
            span,
            Inst::Const {
                dst: step_value,
                value: step,
            },
        );
        let sum = self.vreg();
        let bin_op = if matches!(op, UnaryOp::PreInc | UnaryOp::PostInc) {
            BinOp::Add
        } else {
            BinOp::Sub
        };
        self.push(
            span,
            Inst::Bin {
                op: bin_op,
                dst: sum,
                lhs: old,
                rhs: step_value,
            },
        );
        self.normalize(span, sum, ty)
    }
}
