//! Lowering expressions: integers into virtual registers, strings into scratch memory.

use super::Lowerer;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::builtin::constant;
use crate::builtin::variable::{self, VariableSource};
use crate::ir::{BinOp, Builtin, Cond, Inst, Subr, VReg};
use crate::sema::place_is_alloca;
use crate::types::{Type, string_size};

impl Lowerer<'_> {
    /// Lowers an integer expression. As in DTrace, whose registers are 64 bits wide, arithmetic is
    /// not cut to the expression's type: `1 << 32` is 2^32 until it is stored or recorded (see
    /// [`Lowerer::stored`]). Any other value holds its type's value, sign- or zero-extended.
    pub(super) fn int_expr(&mut self, expr: &Expr) -> VReg {
        let span = expr.span;
        if let Some(&value) = self.checked.type_info.constants.get(&span) {
            return self.constant(span, value);
        }
        if let Some(value) = self.expanded_int(expr) {
            return value;
        }
        if let Some(&inline_idx) = self.checked.type_info.inline_uses.get(&span) {
            let inline = &self.checked.type_info.inlines[inline_idx];
            return self.stored(&inline.value, inline.ty);
        }
        if let Some(&arg_idx) = self.checked.type_info.args.get(&span) {
            // A syscall's `int` argument arrives as the whole register; truncate it to its type.
            let dst = self.vreg();
            let builtin = Builtin::Arg(arg_idx);
            self.push(span, Inst::Builtin { dst, builtin });
            return self.normalize(span, dst, self.type_of(expr));
        }
        match &expr.kind {
            ExprKind::Int { value, .. } => self.constant(span, *value),
            ExprKind::Char(ch) => self.constant(span, i64::from(*ch as i8) as u64),
            ExprKind::Ident(_) if self.checked.type_info.kernel_symbols.contains_key(&span) => {
                self.place_value(expr)
            }
            ExprKind::Ident(name) => {
                let Some(variable) = variable::lookup(name) else {
                    if let Some(value) = constant::lookup(name) {
                        return self.constant(span, i64::from(value) as u64);
                    }
                    return self.load_var(expr);
                };
                let builtin = match variable.source {
                    VariableSource::Int(builtin) => builtin,
                    VariableSource::Constant(value) => return self.constant(span, value),
                    VariableSource::Ppid => {
                        let Some((real_parent, tgid)) = self.checked.ppid_offsets else {
                            unreachable!("sema checked that ppid is available");
                        };
                        Builtin::Ppid { real_parent, tgid }
                    }
                    VariableSource::CurThread => Builtin::CurThread,
                    VariableSource::CurCpu => Builtin::CurCpu,
                    VariableSource::VTimestamp => {
                        let Some(offset) = self.checked.vtimestamp_offset else {
                            unreachable!("sema checked that vtimestamp is available");
                        };
                        Builtin::VTimestamp { offset }
                    }
                    VariableSource::Epid => Builtin::Epid {
                        clause: self.clause_idx,
                    },
                    VariableSource::Unsupported => {
                        unreachable!("sema rejects {name}")
                    }
                    VariableSource::StackDepth { user } => return self.stack_depth(user, span),
                    VariableSource::Execname
                    | VariableSource::ExecArgs
                    | VariableSource::ProbeName(_) => {
                        unreachable!("sema typed {name} as a string")
                    }
                };
                self.builtin(span, builtin)
            }
            ExprKind::Macro { name, .. } => {
                unreachable!("sema rejects the unsubstituted macro ${name}")
            }
            ExprKind::Unary { op, operand } => self.unary(*op, operand, expr),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, expr),
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                let ty = self.type_of(expr);
                let dst = self.vreg();
                self.if_else(
                    cond,
                    span,
                    |lowerer| {
                        let then_value = lowerer.converted(then_expr, ty);
                        lowerer.push(
                            span,
                            Inst::Move {
                                dst,
                                src: then_value,
                            },
                        );
                    },
                    |lowerer| {
                        let else_value = lowerer.converted(else_expr, ty);
                        lowerer.push(
                            span,
                            Inst::Move {
                                dst,
                                src: else_value,
                            },
                        );
                    },
                );
                dst
            }
            ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) => self.load_var(expr),
            ExprKind::Index { base, .. } if self.is_array_variable(base) => self.load_var(expr),
            ExprKind::Assign { op, target, value }
                if place_is_alloca(target, &self.checked.types, &self.checked.type_info) =>
            {
                self.alloca_store(*op, target, value)
            }
            ExprKind::Assign { op, target, value } if self.is_var_place(target) => {
                self.var_place_store(*op, target, value, expr)
            }
            ExprKind::Assign { target, value, .. } if self.is_aggregate_var(target) => {
                self.assign_aggregate(target, value)
            }
            ExprKind::Assign { op, target, value } => self.assign_int(*op, target, value, expr),
            ExprKind::Call { func, args, .. } => self.subroutine_int(func, args, span),
            ExprKind::Member { .. } | ExprKind::Index { .. } => self.place_value(expr),
            ExprKind::Cast { operand, .. } => {
                let to = self.type_of(expr);
                self.converted(operand, to)
            }
            _ => unreachable!("sema rejects {:?} in integer expressions", expr.kind),
        }
    }

    pub(super) fn constant(&mut self, span: crate::source::Span, value: u64) -> VReg {
        let dst = self.vreg();
        self.push(span, Inst::Const { dst, value });
        dst
    }

    /// Lowers `expr` and converts its value to `to`, cut to `to`'s size as a store into memory of
    /// that type cuts it: what a variable, a key or a record field of type `to` holds.
    pub(super) fn stored(&mut self, expr: &Expr, to: Type) -> VReg {
        let value = self.converted(expr, to);
        if self.may_exceed_type(expr) {
            self.normalize(expr.span, value, to)
        } else {
            value
        }
    }

    /// Whether `expr`'s 64-bit value may hold more than its type does: arithmetic, which is not
    /// cut to the type, or a choice or cast of it.
    fn may_exceed_type(&self, expr: &Expr) -> bool {
        if self.checked.type_info.constants.contains_key(&expr.span) {
            return false;
        }
        match &expr.kind {
            ExprKind::Binary { op, .. } => matches!(
                op,
                BinaryOp::Mul
                    | BinaryOp::Div
                    | BinaryOp::Mod
                    | BinaryOp::Add
                    | BinaryOp::Sub
                    | BinaryOp::Shl
                    | BinaryOp::Shr
                    | BinaryOp::BitAnd
                    | BinaryOp::BitOr
                    | BinaryOp::BitXor
            ),
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Neg | UnaryOp::BitNot => true,
                UnaryOp::Plus => self.may_exceed_type(operand),
                _ => false,
            },
            ExprKind::Ternary {
                then_expr,
                else_expr,
                ..
            } => self.may_exceed_type(then_expr) || self.may_exceed_type(else_expr),
            ExprKind::Cast { operand, .. } => self.may_exceed_type(operand),
            _ => false,
        }
    }

    /// Lowers `expr` and converts its value to `to`.
    pub(super) fn converted(&mut self, expr: &Expr, to: Type) -> VReg {
        let from = self.type_of(expr);
        let value = self.int_expr(expr);
        self.convert(expr.span, value, from, to)
    }

    pub(super) fn convert(
        &mut self,
        span: crate::source::Span,
        value: VReg,
        from: Type,
        to: Type,
    ) -> VReg {
        // A pointer converts like the 64-bit unsigned integer holding its address.
        let as_integer = |ty: Type| if ty.is_pointer() { Type::ULONG } else { ty };
        let (from, to) = (as_integer(from), as_integer(to));
        let (
            Type::Int {
                size: from_size,
                signed: from_signed,
            },
            Type::Int {
                size: to_size,
                signed: to_signed,
            },
        ) = (from, to)
        else {
            return value;
        };
        // The 64-bit value already represents `to` when `to` is 64 bits wide, or when `from` fits in
        // `to` and extends the same way (a narrower unsigned value zero-extends into either).
        let same_extension = from_signed == to_signed || (!from_signed && from_size < to_size);
        if to_size >= 8 || (from_size <= to_size && same_extension) {
            return value;
        }
        self.normalize(span, value, to)
    }

    /// Truncates a 64-bit result to `ty`'s size and extends it back.
    pub(super) fn normalize(&mut self, span: crate::source::Span, value: VReg, ty: Type) -> VReg {
        match ty {
            Type::Int { size, signed } if size < 8 => {
                let dst = self.vreg();
                self.push(
                    span,
                    Inst::Extend {
                        dst,
                        src: value,
                        size,
                        signed,
                    },
                );
                dst
            }
            _ => value,
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, expr: &Expr) -> VReg {
        let ty = self.type_of(expr);
        match op {
            UnaryOp::Plus => self.converted(operand, ty),
            UnaryOp::Neg | UnaryOp::BitNot => {
                let src = self.converted(operand, ty);
                let dst = self.vreg();
                let inst = if op == UnaryOp::Neg {
                    Inst::Neg { dst, src }
                } else {
                    Inst::BitNot { dst, src }
                };
                self.push(expr.span, inst);
                dst
            }
            UnaryOp::LogicalNot => {
                let value = self.int_expr(operand);
                let zero = self.constant(expr.span, 0);
                let dst = self.vreg();
                self.push(
                    expr.span,
                    Inst::Cmp {
                        cond: Cond::Eq,
                        dst,
                        lhs: value,
                        rhs: zero,
                    },
                );
                dst
            }
            UnaryOp::PreInc | UnaryOp::PreDec | UnaryOp::PostInc | UnaryOp::PostDec => {
                self.increment(op, operand, expr)
            }
            UnaryOp::Deref => self.place_value(expr),
            UnaryOp::AddrOf => self.place_address(operand, false),
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, expr: &Expr) -> VReg {
        let span = expr.span;
        let ty = self.type_of(expr);
        match op {
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr => {
                let is_and = op == BinaryOp::LogicalAnd;
                let dst = self.vreg();
                let end = self.label();
                self.push(
                    span,
                    Inst::Const {
                        dst,
                        value: u64::from(!is_and),
                    },
                );
                let lhs_value = self.int_expr(lhs);
                self.push(
                    span,
                    Inst::JumpIf {
                        cond: lhs_value,
                        nonzero: !is_and,
                        target: end,
                    },
                );
                let rhs_value = self.int_expr(rhs);
                self.push(
                    span,
                    Inst::JumpIf {
                        cond: rhs_value,
                        nonzero: !is_and,
                        target: end,
                    },
                );
                self.push(
                    span,
                    Inst::Const {
                        dst,
                        value: u64::from(is_and),
                    },
                );
                self.push(span, Inst::Label(end));
                dst
            }
            BinaryOp::LogicalXor => {
                let zero = self.constant(span, 0);
                let lhs_value = self.int_expr(lhs);
                let lhs_bool = self.vreg();
                self.push(
                    span,
                    Inst::Cmp {
                        cond: Cond::Ne,
                        dst: lhs_bool,
                        lhs: lhs_value,
                        rhs: zero,
                    },
                );
                let rhs_value = self.int_expr(rhs);
                let rhs_bool = self.vreg();
                self.push(
                    span,
                    Inst::Cmp {
                        cond: Cond::Ne,
                        dst: rhs_bool,
                        lhs: rhs_value,
                        rhs: zero,
                    },
                );
                let dst = self.vreg();
                self.push(
                    span,
                    Inst::Bin {
                        op: BinOp::Xor,
                        dst,
                        lhs: lhs_bool,
                        rhs: rhs_bool,
                    },
                );
                dst
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
                if self.is_string_like(lhs) || self.is_string_like(rhs) =>
            {
                self.string_comparison(op, lhs, rhs, span)
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let (lhs_type, rhs_type) = (self.type_of(lhs), self.type_of(rhs));
                let common = if lhs_type.is_int() && rhs_type.is_int() {
                    Type::common(lhs_type, rhs_type)
                } else {
                    Type::ULONG
                };
                let signed = matches!(common, Type::Int { signed: true, .. });
                let lhs_value = self.converted(lhs, common);
                let rhs_value = self.converted(rhs, common);
                let cond = match (op, signed) {
                    (BinaryOp::Eq, _) => Cond::Eq,
                    (BinaryOp::Ne, _) => Cond::Ne,
                    (BinaryOp::Lt, true) => Cond::SLt,
                    (BinaryOp::Lt, false) => Cond::ULt,
                    (BinaryOp::Le, true) => Cond::SLe,
                    (BinaryOp::Le, false) => Cond::ULe,
                    (BinaryOp::Gt, true) => Cond::SGt,
                    (BinaryOp::Gt, false) => Cond::UGt,
                    (BinaryOp::Ge, true) => Cond::SGe,
                    _ => Cond::UGe,
                };
                let dst = self.vreg();
                self.push(
                    span,
                    Inst::Cmp {
                        cond,
                        dst,
                        lhs: lhs_value,
                        rhs: rhs_value,
                    },
                );
                dst
            }
            BinaryOp::Add | BinaryOp::Sub
                if !self.type_of(lhs).is_int() || !self.type_of(rhs).is_int() =>
            {
                self.pointer_arithmetic(op, lhs, rhs, expr)
            }
            _ => {
                let lhs_value = self.converted(lhs, ty);
                let rhs_value = match op {
                    BinaryOp::Shl | BinaryOp::Shr => self.int_expr(rhs),
                    _ => self.converted(rhs, ty),
                };
                let dst = self.vreg();
                self.push(
                    span,
                    Inst::Bin {
                        op: arithmetic_op(op, ty),
                        dst,
                        lhs: lhs_value,
                        rhs: rhs_value,
                    },
                );
                dst
            }
        }
    }

    /// Writes the string value of `expr` as a NUL-padded string slot at scratch `offset`. An integer
    /// (the constant 0 that sema accepts as a string) is the NULL string.
    pub(super) fn string_into(&mut self, expr: &Expr, offset: u32) {
        let size = string_size(self.strsize());
        let span = expr.span;
        if self.expanded_string_into(expr, offset) {
            return;
        }
        if let Some(&inline_idx) = self.checked.type_info.inline_uses.get(&span) {
            let value = &self.checked.type_info.inlines[inline_idx].value;
            return self.string_value_into(value, offset);
        }
        if self.checked.type_info.user_string_args.contains(&span) {
            return self.user_string_into(expr, offset);
        }
        if self.checked.type_info.args.contains_key(&span) {
            return self.kernel_string_into(expr, offset);
        }
        if self.type_of(expr).is_int() {
            self.push(span, Inst::Subr(Subr::SetNull { dst: offset }));
            return;
        }
        if place_is_alloca(expr, &self.checked.types, &self.checked.type_info) {
            return self.alloca_string_into(expr, offset);
        }
        match &expr.kind {
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
                let Some(source) = variable::lookup(name).map(|variable| variable.source) else {
                    self.load_var_string(expr, offset);
                    return;
                };
                self.push(span, Inst::Zero { offset, size });
                match source {
                    VariableSource::Execname => {
                        self.push(span, Inst::CurrentComm { offset });
                    }
                    VariableSource::ExecArgs => {
                        let Some(offsets) = self.checked.execargs_offsets else {
                            unreachable!("sema checked that execargs is available");
                        };
                        self.push(
                            span,
                            Inst::Subr(crate::ir::Subr::ExecArgs {
                                dst: offset,
                                offsets,
                            }),
                        );
                    }
                    VariableSource::ProbeName(field) => {
                        self.push(span, Inst::ProbeName { offset, field });
                    }
                    _ => unreachable!("sema typed {name} as a string"),
                }
            }
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                self.if_else(
                    cond,
                    span,
                    |lowerer| lowerer.string_into(then_expr, offset),
                    |lowerer| lowerer.string_into(else_expr, offset),
                );
            }
            ExprKind::ThreadLocal(_) | ExprKind::ClauseLocal(_) | ExprKind::Index { .. } => {
                self.load_var_string(expr, offset);
            }
            ExprKind::Assign { target, value, .. } => self.assign_string(target, value, offset),
            ExprKind::Call { func, args, .. } if func == "stringof" => {
                self.string_value_into(&args[0], offset);
            }
            ExprKind::Call { func, args, .. } => self.subroutine_string(func, args, span, offset),
            ExprKind::Cast { operand, .. } => self.string_value_into(operand, offset),
            ExprKind::Member { .. } if self.is_var_place(expr) => {
                self.var_place_string_into(expr, offset);
            }
            _ => unreachable!("sema rejects {:?} as a string", expr.kind),
        }
    }

    /// Writes `expr` as a string: a string as it is, a `char` array place copied, and a scalar
    /// read as the address of a NUL-terminated kernel string (`stringof`, casts to `string`).
    pub(super) fn string_value_into(&mut self, expr: &Expr, offset: u32) {
        if self.expanded_string_into(expr, offset) {
            return;
        }
        let ty = self.type_of(expr);
        if ty == Type::String {
            self.string_into(expr, offset);
        } else if self.checked.type_info.table.is_char_array(ty) {
            self.char_array_into(expr, offset);
        } else {
            self.kernel_string_into(expr, offset);
        }
    }
}

/// The IR operation for an arithmetic, bitwise or shift operator on operands of type `ty`.
pub(super) fn arithmetic_op(op: BinaryOp, ty: Type) -> BinOp {
    let signed = matches!(ty, Type::Int { signed: true, .. });
    match op {
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div if signed => BinOp::SDiv,
        BinaryOp::Div => BinOp::UDiv,
        BinaryOp::Mod if signed => BinOp::SMod,
        BinaryOp::Mod => BinOp::UMod,
        BinaryOp::BitAnd => BinOp::And,
        BinaryOp::BitOr => BinOp::Or,
        BinaryOp::Shl => BinOp::Shl,
        BinaryOp::Shr if signed => BinOp::AShr,
        BinaryOp::Shr => BinOp::LShr,
        _ => BinOp::Xor,
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::insts_of;
    use crate::ir::Inst;

    /// The `(size, signed)` of each truncation `BEGIN { body }` performs.
    fn extends(body: &str) -> Vec<(u8, bool)> {
        insts_of(body)
            .into_iter()
            .filter_map(|inst| match inst {
                Inst::Extend { size, signed, .. } => Some((size, signed)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn arithmetic_is_cut_to_its_type_only_where_stored() {
        // An aggregating function's weight, a comparison and a cast to `long` take all 64 bits.
        assert!(extends("@q = quantize(1, (1 << 63) - 1);").is_empty());
        assert!(extends("trace((1 << 32) != 0);").is_empty());
        assert!(extends("trace((long)-(1 << 31));").is_empty());
        // A variable, a record field or an aggregation key of type `int` holds 32 bits.
        assert_eq!(extends("this->x = 1 << 32;"), [(4, true)]);
        assert_eq!(extends("trace(~0u + 1u);"), [(4, false)]);
        assert_eq!(extends("@[1 + 2] = count();"), [(4, true)]);
        // A value that has its type already is not cut again.
        assert!(extends("this->x = 5; this->y = this->x; trace(this->y);").is_empty());
    }
}
