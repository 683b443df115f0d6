//! Folding integer constant expressions: enumerator values, array sizes, bitfield widths and
//! `inline` constants.
//!
//! Folding runs on expressions sema has already typed, so each value is computed in its
//! expression's type exactly as the generated code would compute it: 64-bit values truncated and
//! sign- or zero-extended to the type's size after every operation.

use super::Checker;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::types::Type;

/// `value` truncated to `size` bytes and sign- or zero-extended back to 64 bits.
pub(super) fn normalize(value: u64, size: u8, signed: bool) -> u64 {
    if size >= 8 {
        return value;
    }
    let bits = u32::from(size) * 8;
    let mask = (1u64 << bits) - 1;
    let low = value & mask;
    if signed && (low >> (bits - 1)) & 1 == 1 {
        low | !mask
    } else {
        low
    }
}

impl Checker<'_> {
    /// The value of a typed integer expression, when it is a constant.
    pub(super) fn fold(&self, expr: &Expr) -> Option<u64> {
        if let Some(&value) = self.type_info.constants.get(&expr.span) {
            return Some(value);
        }
        let Some(&Type::Int { size, signed }) = self.types.0.get(&expr.span) else {
            return None;
        };
        let value = match &expr.kind {
            ExprKind::Int { value, .. } => *value,
            ExprKind::Char(byte) => i64::from(*byte as i8) as u64,
            ExprKind::Cast { operand, .. } => self.fold(operand)?,
            ExprKind::Unary { op, operand } => {
                let value = self.fold(operand)?;
                match op {
                    UnaryOp::Neg => value.wrapping_neg(),
                    UnaryOp::Plus => value,
                    UnaryOp::BitNot => !value,
                    UnaryOp::LogicalNot => u64::from(value == 0),
                    _ => return None,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.fold_binary(*op, lhs, rhs)?,
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                if self.fold(cond)? != 0 {
                    self.fold(then_expr)?
                } else {
                    self.fold(else_expr)?
                }
            }
            _ => return None,
        };
        Some(normalize(value, size, signed))
    }

    fn fold_binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Option<u64> {
        let lhs_value = self.fold(lhs)?;
        let rhs_value = self.fold(rhs)?;
        let lhs_type = *self.types.0.get(&lhs.span)?;
        let rhs_type = *self.types.0.get(&rhs.span)?;
        let Type::Int { size, signed } = Type::common(lhs_type, rhs_type) else {
            return None;
        };
        let (lhs_common, rhs_common) = (
            normalize(lhs_value, size, signed),
            normalize(rhs_value, size, signed),
        );
        let (lhs_signed, rhs_signed) = (lhs_common as i64, rhs_common as i64);
        let compare = |ordering: std::cmp::Ordering| {
            if signed {
                lhs_signed.cmp(&rhs_signed) == ordering
            } else {
                lhs_common.cmp(&rhs_common) == ordering
            }
        };
        let value = match op {
            BinaryOp::Add => lhs_common.wrapping_add(rhs_common),
            BinaryOp::Sub => lhs_common.wrapping_sub(rhs_common),
            BinaryOp::Mul => lhs_common.wrapping_mul(rhs_common),
            BinaryOp::Div if signed => lhs_signed.checked_div(rhs_signed)? as u64,
            BinaryOp::Div => lhs_common.checked_div(rhs_common)?,
            BinaryOp::Mod if signed => lhs_signed.checked_rem(rhs_signed)? as u64,
            BinaryOp::Mod => lhs_common.checked_rem(rhs_common)?,
            BinaryOp::BitAnd => lhs_common & rhs_common,
            BinaryOp::BitOr => lhs_common | rhs_common,
            BinaryOp::BitXor => lhs_common ^ rhs_common,
            BinaryOp::Shl => lhs_value.checked_shl(u32::try_from(rhs_value).ok()?)?,
            BinaryOp::Shr => {
                let shift = u32::try_from(rhs_value).ok().filter(|shift| *shift < 64)?;
                match lhs_type {
                    Type::Int { signed: true, .. } => ((lhs_value as i64) >> shift) as u64,
                    _ => lhs_value >> shift,
                }
            }
            BinaryOp::Eq => u64::from(lhs_common == rhs_common),
            BinaryOp::Ne => u64::from(lhs_common != rhs_common),
            BinaryOp::Lt => u64::from(compare(std::cmp::Ordering::Less)),
            BinaryOp::Gt => u64::from(compare(std::cmp::Ordering::Greater)),
            BinaryOp::Le => u64::from(!compare(std::cmp::Ordering::Greater)),
            BinaryOp::Ge => u64::from(!compare(std::cmp::Ordering::Less)),
            BinaryOp::LogicalAnd => u64::from(lhs_value != 0 && rhs_value != 0),
            BinaryOp::LogicalOr => u64::from(lhs_value != 0 || rhs_value != 0),
            BinaryOp::LogicalXor => u64::from((lhs_value != 0) != (rhs_value != 0)),
        };
        Some(value)
    }

    /// Whether sema typed `expr` as an integer.
    pub(super) fn is_integer_expr(&self, expr: &Expr) -> bool {
        self.types.0.get(&expr.span).is_some_and(|ty| ty.is_int())
    }

    /// A folded value read as a signed number, with unsigned 64-bit values past `i64::MAX`
    /// saturating (they overflow whatever they are checked against).
    pub(super) fn signed_value(&self, expr: &Expr, folded: u64) -> i64 {
        match self.types.0.get(&expr.span) {
            Some(Type::Int {
                size: 8,
                signed: false,
            }) => i64::try_from(folded).unwrap_or(i64::MAX),
            _ => folded as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_truncates_and_extends() {
        assert_eq!(normalize(0x1_0000_0041, 1, true), 0x41);
        assert_eq!(normalize(0xff, 1, true), u64::MAX);
        assert_eq!(normalize(0xff, 1, false), 0xff);
        assert_eq!(normalize(u64::MAX, 4, false), 0xffff_ffff);
        assert_eq!(normalize(u64::MAX, 8, false), u64::MAX);
    }
}
