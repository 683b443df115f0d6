//! The shape of a histogram aggregation: the constant arguments of `lquantize(x, base, limit
//! [, step])` and `llquantize(x, factor, lmag, hmag, steps)`.
//!
//! They fix the aggregation's buckets, so they must be integer constants (folded as the D parser
//! folds constant expressions) within libdtrace's ranges, and every use of one aggregation must give
//! the same shape. libdtrace checks both when it generates code, each with its own tag and wording;
//! here sema checks them, so lowering and the back end read a valid shape from [`AggParams`].

use super::Checker;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::diagnostic::ErrTag;
use crate::ir::{AggFunc, AggParams};
use crate::source::Span;
use crate::types::Type;

/// An integer constant argument: its 64 bits and whether its type is signed.
#[derive(Clone, Copy)]
struct Constant {
    bits: u64,
    signed: bool,
}

impl Constant {
    /// `dt_node_is_posconst`: non-zero, and positive when signed.
    fn is_positive(self) -> bool {
        self.bits != 0 && (!self.signed || (self.bits as i64) > 0)
    }
}

impl Checker<'_> {
    /// The bucket shape `lquantize` or `llquantize` asks for, checked as libdtrace checks it.
    pub(super) fn agg_params(
        &mut self,
        func: AggFunc,
        args: &[Expr],
        call: Span,
    ) -> Option<AggParams> {
        match func {
            AggFunc::Lquantize => self.linear_params(args, call),
            AggFunc::Llquantize => self.log_linear_params(args),
            _ => Some(AggParams::None),
        }
    }

    fn linear_params(&mut self, args: &[Expr], call: Span) -> Option<AggParams> {
        let base = self.constant_arg(
            &args[1],
            ErrTag::D_LQUANT_BASETYPE,
            "lquantize( ) argument #1 must be an integer constant",
        )?;
        let base = i32::try_from(base.bits as i64).ok().or_else(|| {
            self.error(
                ErrTag::D_LQUANT_BASEVAL,
                args[1].span,
                "lquantize( ) argument #1 must be a 32-bit quantity",
            );
            None
        })?;
        let limit = self.constant_arg(
            &args[2],
            ErrTag::D_LQUANT_LIMTYPE,
            "lquantize( ) argument #2 must be an integer constant",
        )?;
        let limit = i32::try_from(limit.bits as i64).ok().or_else(|| {
            self.error(
                ErrTag::D_LQUANT_LIMVAL,
                args[2].span,
                "lquantize( ) argument #2 must be a 32-bit quantity",
            );
            None
        })?;
        if limit <= base {
            self.error(
                ErrTag::D_LQUANT_MISMATCH,
                call,
                "lquantize( ) base (argument #1) must be less than limit (argument #2)",
            );
            return None;
        }
        let mut step = 1u64;
        if let Some(step_arg) = args.get(3) {
            let message = "lquantize( ) argument #3 must be a non-zero positive integer constant";
            let constant = self.constant_arg(step_arg, ErrTag::D_LQUANT_STEPTYPE, message)?;
            if !constant.is_positive() {
                self.error(ErrTag::D_LQUANT_STEPTYPE, step_arg.span, message);
                return None;
            }
            step = constant.bits;
            if step > u64::from(u16::MAX) {
                self.error(
                    ErrTag::D_LQUANT_STEPVAL,
                    step_arg.span,
                    "lquantize( ) argument #3 must be a 16-bit quantity",
                );
                return None;
            }
        }
        let levels = (i64::from(limit) - i64::from(base)) as u64 / step;
        if levels == 0 {
            self.error(
                ErrTag::D_LQUANT_STEPLARGE,
                call,
                "lquantize( ) step (argument #3) too large: must have at least one quantization level",
            );
            return None;
        }
        let Ok(levels) = u16::try_from(levels) else {
            self.error(
                ErrTag::D_LQUANT_STEPSMALL,
                call,
                "lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity",
            );
            return None;
        };
        Some(AggParams::Linear {
            base,
            levels,
            step: step as u16,
        })
    }

    fn log_linear_params(&mut self, args: &[Expr]) -> Option<AggParams> {
        let factor = self.constant_arg(
            &args[1],
            ErrTag::D_LLQUANT_FACTORTYPE,
            "llquantize( ) argument #1 must be an integer constant",
        )?;
        let Some(factor) = u16::try_from(factor.bits)
            .ok()
            .filter(|&factor| factor >= 2)
        else {
            self.error(
                ErrTag::D_LLQUANT_FACTORVAL,
                args[1].span,
                "llquantize( ) argument #1 must be an unsigned 16-bit quantity greater than or equal to 2",
            );
            return None;
        };
        let lmag = self.constant_arg(
            &args[2],
            ErrTag::D_LLQUANT_LMAGTYPE,
            "llquantize( ) argument #2 must be an integer constant",
        )?;
        let Ok(lmag) = u16::try_from(lmag.bits) else {
            self.error(
                ErrTag::D_LLQUANT_LMAGVAL,
                args[2].span,
                "llquantize( ) argument #2 must be an unsigned 16-bit quantity",
            );
            return None;
        };
        let hmag = self.constant_arg(
            &args[3],
            ErrTag::D_LLQUANT_HMAGTYPE,
            "llquantize( ) argument #3 must be an integer constant",
        )?;
        let hmag_message = match u16::try_from(hmag.bits) {
            Err(_) => Some("llquantize( ) argument #3 must be an unsigned 16-bit quantity"),
            Ok(hmag) if hmag < lmag => Some(
                "llquantize( ) argument #3 (high magnitude) must be at least argument #2 (low magnitude)",
            ),
            Ok(hmag) if power(factor, u32::from(hmag) + 1).is_none() => {
                Some("llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits")
            }
            Ok(_) => None,
        };
        if let Some(message) = hmag_message {
            self.error(ErrTag::D_LLQUANT_HMAGVAL, args[3].span, message);
            return None;
        }
        let hmag = hmag.bits as u16;
        let steps_message =
            "llquantize( ) argument #4 must be a non-zero positive integer constant";
        let steps = self.constant_arg(&args[4], ErrTag::D_LLQUANT_STEPTYPE, steps_message)?;
        if !steps.is_positive() {
            self.error(ErrTag::D_LLQUANT_STEPTYPE, args[4].span, steps_message);
            return None;
        }
        let Ok(steps) = u16::try_from(steps.bits) else {
            self.error(
                ErrTag::D_LLQUANT_STEPVAL,
                args[4].span,
                "llquantize( ) argument #4 must be an unsigned 16-bit quantity",
            );
            return None;
        };
        if let Some(message) = steps_fit_factor(factor, lmag, steps) {
            self.error(ErrTag::D_LLQUANT_STEPVAL, args[1].span, message);
            return None;
        }
        Some(AggParams::LogLinear {
            factor,
            lmag,
            hmag,
            steps,
        })
    }

    /// Types `arg` and folds it to an integer constant, or reports `tag` with `message`.
    fn constant_arg(&mut self, arg: &Expr, tag: ErrTag, message: &str) -> Option<Constant> {
        let constant = self.fold_agg_constant(arg);
        if constant.is_none() {
            self.error(tag, arg.span, message);
        }
        constant
    }

    /// The value of an integer constant expression, folded as the D parser folds constants; none
    /// for an expression sema could not type, whose error is already reported.
    fn fold_agg_constant(&self, expr: &Expr) -> Option<Constant> {
        let Some(Type::Int { size, signed }) = self.types.lookup(expr.span) else {
            return None;
        };
        let bits = match &expr.kind {
            ExprKind::Int { value, .. } => *value,
            ExprKind::Char(ch) => i64::from(*ch as i8) as u64,
            ExprKind::Unary { op, operand } => {
                let operand = self.fold_agg_constant(operand)?.bits;
                match op {
                    UnaryOp::Neg => operand.wrapping_neg(),
                    UnaryOp::Plus => operand,
                    UnaryOp::BitNot => !operand,
                    UnaryOp::LogicalNot => u64::from(operand == 0),
                    _ => return None,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let lhs = self.fold_agg_constant(lhs)?;
                let rhs = self.fold_agg_constant(rhs)?;
                fold_binary(*op, lhs, rhs)?
            }
            _ => return None,
        };
        Some(Constant {
            bits: truncate(bits, size, signed),
            signed,
        })
    }
}

/// `factor` to the power `exponent`, if it fits in 64 bits.
fn power(factor: u16, exponent: u32) -> Option<u64> {
    u64::from(factor).checked_pow(exponent)
}

/// libdtrace's rules tying `llquantize`'s steps to its factor, or the message of the one broken.
fn steps_fit_factor(factor: u16, lmag: u16, steps: u16) -> Option<&'static str> {
    let (factor, steps) = (u64::from(factor), u64::from(steps));
    if steps < factor && !factor.is_multiple_of(steps) {
        return Some(
            "llquantize() argument #4 (steps) must evenly divide argument #1 (factor) when steps<factor",
        );
    }
    if steps > factor {
        if !steps.is_multiple_of(factor) {
            return Some(
                "llquantize() argument #4 (steps) must be a multiple of argument #1 (factor) when steps>factor",
            );
        }
        if lmag == 0 && !(factor * factor).is_multiple_of(steps) {
            return Some(
                "llquantize() argument #4 (steps) must evenly divide the square of argument #1 (factor) when steps>factor and lmag==0",
            );
        }
        let magnitude = power(factor as u16, u32::from(lmag) + 1).unwrap_or(u64::MAX);
        if lmag != 0 && !magnitude.is_multiple_of(steps) {
            return Some(
                "llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0",
            );
        }
    }
    None
}

/// Why a later use's bucket shape differs from the first use's, with libdtrace's tag.
pub(super) fn params_mismatch(previous: AggParams, current: AggParams) -> Option<(ErrTag, String)> {
    match (previous, current) {
        (
            AggParams::Linear {
                base: old_base,
                levels: old_levels,
                step: old_step,
            },
            AggParams::Linear { base, levels, step },
        ) => {
            let (old_span, span) = (
                i32::from(old_levels) * i32::from(old_step),
                i32::from(levels) * i32::from(step),
            );
            if old_base != base {
                Some((
                    ErrTag::D_LQUANT_MATCHBASE,
                    format!(
                        "lquantize( ) base (argument #1) doesn't match previous declaration: expected {old_base}, found {base}"
                    ),
                ))
            } else if old_span != span {
                Some((
                    ErrTag::D_LQUANT_MATCHLIM,
                    format!(
                        "lquantize( ) limit (argument #2) doesn't match previous declaration: expected {}, found {}",
                        old_base.wrapping_add(old_span),
                        base.wrapping_add(span)
                    ),
                ))
            } else if old_step != step {
                Some((
                    ErrTag::D_LQUANT_MATCHSTEP,
                    format!(
                        "lquantize( ) step (argument #3) doesn't match previous declaration: expected {old_step}, found {step}"
                    ),
                ))
            } else {
                None
            }
        }
        (
            AggParams::LogLinear {
                factor: old_factor,
                lmag: old_lmag,
                hmag: old_hmag,
                steps: old_steps,
            },
            AggParams::LogLinear {
                factor,
                lmag,
                hmag,
                steps,
            },
        ) => {
            let fields = [
                (
                    old_factor,
                    factor,
                    ErrTag::D_LLQUANT_MATCHFACTOR,
                    "factor (argument #1)",
                ),
                (
                    old_lmag,
                    lmag,
                    ErrTag::D_LLQUANT_MATCHLMAG,
                    "lmag (argument #2)",
                ),
                (
                    old_hmag,
                    hmag,
                    ErrTag::D_LLQUANT_MATCHHMAG,
                    "hmag (argument #3)",
                ),
                (
                    old_steps,
                    steps,
                    ErrTag::D_LLQUANT_MATCHSTEPS,
                    "steps (argument #4)",
                ),
            ];
            fields
                .into_iter()
                .find(|(old, new, _, _)| old != new)
                .map(|(old, new, tag, what)| {
                    (
                        tag,
                        format!("llquantize() {what} doesn't match previous declaration: expected {old}, found {new}"),
                    )
                })
        }
        _ => None,
    }
}

/// Folds a binary operation on two constants; `None` for a division by zero.
fn fold_binary(op: BinaryOp, lhs: Constant, rhs: Constant) -> Option<u64> {
    let signed = lhs.signed && rhs.signed;
    let (left, right) = (lhs.bits, rhs.bits);
    let compare = |ordering: std::cmp::Ordering| {
        if signed {
            (left as i64).cmp(&(right as i64)) == ordering
        } else {
            left.cmp(&right) == ordering
        }
    };
    let value = match op {
        BinaryOp::Add => left.wrapping_add(right),
        BinaryOp::Sub => left.wrapping_sub(right),
        BinaryOp::Mul => left.wrapping_mul(right),
        BinaryOp::Div if signed => (left as i64).checked_div(right as i64)? as u64,
        BinaryOp::Div => left.checked_div(right)?,
        BinaryOp::Mod if signed => (left as i64).checked_rem(right as i64)? as u64,
        BinaryOp::Mod => left.checked_rem(right)?,
        BinaryOp::Shl => left.wrapping_shl(right as u32),
        BinaryOp::Shr if lhs.signed => ((left as i64).wrapping_shr(right as u32)) as u64,
        BinaryOp::Shr => left.wrapping_shr(right as u32),
        BinaryOp::BitAnd => left & right,
        BinaryOp::BitOr => left | right,
        BinaryOp::BitXor => left ^ right,
        BinaryOp::Lt => u64::from(compare(std::cmp::Ordering::Less)),
        BinaryOp::Gt => u64::from(compare(std::cmp::Ordering::Greater)),
        BinaryOp::Le => u64::from(!compare(std::cmp::Ordering::Greater)),
        BinaryOp::Ge => u64::from(!compare(std::cmp::Ordering::Less)),
        BinaryOp::Eq => u64::from(left == right),
        BinaryOp::Ne => u64::from(left != right),
        BinaryOp::LogicalAnd => u64::from(left != 0 && right != 0),
        BinaryOp::LogicalOr => u64::from(left != 0 || right != 0),
        BinaryOp::LogicalXor => u64::from((left != 0) != (right != 0)),
    };
    Some(value)
}

/// `bits` cut to `size` bytes and extended back as the type says.
fn truncate(bits: u64, size: u8, signed: bool) -> u64 {
    if size >= 8 {
        return bits;
    }
    let shift = 64 - 8 * u32::from(size);
    if signed {
        (((bits << shift) as i64) >> shift) as u64
    } else {
        (bits << shift) >> shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sema::agg::tests::{compile_one, first_error};

    #[test]
    fn lquantize_arguments_are_checked_in_order() {
        let cases = [
            (
                "@ = lquantize(1, pid, 10);",
                ErrTag::D_LQUANT_BASETYPE,
                "lquantize( ) argument #1 must be an integer constant",
            ),
            (
                "@ = lquantize(1, 0x10000000000, 10);",
                ErrTag::D_LQUANT_BASEVAL,
                "lquantize( ) argument #1 must be a 32-bit quantity",
            ),
            (
                "@ = lquantize(1, 0, pid);",
                ErrTag::D_LQUANT_LIMTYPE,
                "lquantize( ) argument #2 must be an integer constant",
            ),
            (
                "@ = lquantize(1, 0, -0x10000000000);",
                ErrTag::D_LQUANT_LIMVAL,
                "lquantize( ) argument #2 must be a 32-bit quantity",
            ),
            (
                "@ = lquantize(1, 1100, 1100, -100);",
                ErrTag::D_LQUANT_MISMATCH,
                "lquantize( ) base (argument #1) must be less than limit (argument #2)",
            ),
            (
                "@ = lquantize(1, 0, 1100, 0);",
                ErrTag::D_LQUANT_STEPTYPE,
                "lquantize( ) argument #3 must be a non-zero positive integer constant",
            ),
            (
                "@ = lquantize(1, 0, 1100, -1);",
                ErrTag::D_LQUANT_STEPTYPE,
                "lquantize( ) argument #3 must be a non-zero positive integer constant",
            ),
            (
                "@ = lquantize(1, 0, 1100, 70000);",
                ErrTag::D_LQUANT_STEPVAL,
                "lquantize( ) argument #3 must be a 16-bit quantity",
            ),
            (
                "@ = lquantize(1, 0, 10, 20);",
                ErrTag::D_LQUANT_STEPLARGE,
                "lquantize( ) step (argument #3) too large: must have at least one quantization level",
            ),
            (
                "@ = lquantize(1, 0, 100000);",
                ErrTag::D_LQUANT_STEPSMALL,
                "lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity",
            ),
            (
                "@ = lquantize(1, 0);",
                ErrTag::D_PROTO_LEN,
                "lquantize( ) prototype mismatch: 2 args passed, at least 3 expected",
            ),
            (
                "@ = lquantize(1, 0, 10, 1, 1, 1);",
                ErrTag::D_PROTO_LEN,
                "lquantize( ) prototype mismatch: 6 args passed, at most 5 expected",
            ),
            (
                "@ = lquantize(1, 0, 10, 1, \"x\");",
                ErrTag::D_PROTO_ARG,
                "lquantize( ) increment value (argument #5) must be of scalar type",
            ),
            (
                "@ = lquantize(\"x\", 0, 10);",
                ErrTag::D_AGG_SCALAR,
                "lquantize( ) argument #1 must be of scalar type",
            ),
        ];
        for (body, tag, message) in cases {
            assert_eq!(first_error(body), (tag, message.to_string()), "{body}");
        }
    }

    #[test]
    fn later_uses_must_keep_the_first_shape() {
        let cases = [
            (
                "@ = lquantize(1, 0, 10); @ = lquantize(1, 1, 10);",
                ErrTag::D_LQUANT_MATCHBASE,
                "lquantize( ) base (argument #1) doesn't match previous declaration: expected 0, found 1",
            ),
            (
                "@ = lquantize(1, 0, 10); @ = lquantize(1, 0, 20);",
                ErrTag::D_LQUANT_MATCHLIM,
                "lquantize( ) limit (argument #2) doesn't match previous declaration: expected 10, found 20",
            ),
            (
                "@ = lquantize(1, 0, 10); @ = lquantize(1, 0, 10, 2);",
                ErrTag::D_LQUANT_MATCHSTEP,
                "lquantize( ) step (argument #3) doesn't match previous declaration: expected 1, found 2",
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 20); @ = llquantize(1, 20, 0, 6, 20);",
                ErrTag::D_LLQUANT_MATCHFACTOR,
                "llquantize() factor (argument #1) doesn't match previous declaration: expected 10, found 20",
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 20); @ = llquantize(1, 10, 1, 6, 20);",
                ErrTag::D_LLQUANT_MATCHLMAG,
                "llquantize() lmag (argument #2) doesn't match previous declaration: expected 0, found 1",
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 20); @ = llquantize(1, 10, 0, 5, 20);",
                ErrTag::D_LLQUANT_MATCHHMAG,
                "llquantize() hmag (argument #3) doesn't match previous declaration: expected 6, found 5",
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 20); @ = llquantize(1, 10, 0, 6, 10);",
                ErrTag::D_LLQUANT_MATCHSTEPS,
                "llquantize() steps (argument #4) doesn't match previous declaration: expected 20, found 10",
            ),
            (
                "@ = quantize(1); @ = lquantize(1, 0, 10);",
                ErrTag::D_AGG_REDEF,
                "aggregation redefined: @\n\t current: lquantize( )\n\tprevious: quantize( )",
            ),
        ];
        for (body, tag, message) in cases {
            assert_eq!(first_error(body), (tag, message.to_string()), "{body}");
        }
    }

    #[test]
    fn llquantize_arguments_are_checked_in_order() {
        let cases = [
            (
                "@ = llquantize(1, pid, 0, 6, 20);",
                ErrTag::D_LLQUANT_FACTORTYPE,
            ),
            (
                "@ = llquantize(1, 1, 0, 6, 20);",
                ErrTag::D_LLQUANT_FACTORVAL,
            ),
            (
                "@ = llquantize(1, 70000, 0, 6, 20);",
                ErrTag::D_LLQUANT_FACTORVAL,
            ),
            (
                "@ = llquantize(1, 10, pid, 6, 20);",
                ErrTag::D_LLQUANT_LMAGTYPE,
            ),
            (
                "@ = llquantize(1, 10, -1, 6, 20);",
                ErrTag::D_LLQUANT_LMAGVAL,
            ),
            (
                "@ = llquantize(1, 10, 0, pid, 20);",
                ErrTag::D_LLQUANT_HMAGTYPE,
            ),
            (
                "@ = llquantize(1, 10, 5, 4, 20);",
                ErrTag::D_LLQUANT_HMAGVAL,
            ),
            (
                "@ = llquantize(1, 10, 0, 19, 10);",
                ErrTag::D_LLQUANT_HMAGVAL,
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 0);",
                ErrTag::D_LLQUANT_STEPTYPE,
            ),
            (
                "@ = llquantize(1, 10, 0, 6, 70000);",
                ErrTag::D_LLQUANT_STEPVAL,
            ),
            ("@ = llquantize(1, 10, 0, 6, 3);", ErrTag::D_LLQUANT_STEPVAL),
            ("@ = llquantize(1, 10, 0, 6);", ErrTag::D_PROTO_LEN),
        ];
        for (body, tag) in cases {
            assert_eq!(first_error(body).0, tag, "{body}");
        }
        assert_eq!(
            first_error("@ = llquantize(1, 10, 0, 19, 10);").1,
            "llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits"
        );
        assert!(compile_one("BEGIN { @ = llquantize(1, 10, 0, 18, 10); }").is_ok());
    }

    #[test]
    fn llquantize_steps_must_fit_the_factor() {
        assert_eq!(steps_fit_factor(10, 0, 10), None);
        assert_eq!(steps_fit_factor(10, 0, 5), None);
        assert!(
            steps_fit_factor(10, 0, 3)
                .is_some_and(|text| text.contains("evenly divide argument #1"))
        );
        assert!(steps_fit_factor(10, 0, 15).is_some_and(|text| text.contains("multiple")));
        assert!(steps_fit_factor(10, 0, 40).is_some_and(|text| text.contains("square")));
        assert_eq!(steps_fit_factor(4, 4, 32), None);
        assert!(steps_fit_factor(4, 1, 32).is_some_and(|text| text.contains("pow(")));
    }

    /// Found by the `compile` fuzz target: the operand of an invalid `--` has no type.
    #[test]
    fn an_untyped_argument_is_an_error_not_a_panic() {
        let errors = compile_one("BEGIN { @ = lquantize(9, --0, 10); }").unwrap_err();
        assert_eq!(
            errors[0].message,
            "operator -- requires modifiable lvalue as an operand"
        );
    }

    #[test]
    fn constants_fold_at_their_type() {
        let int = |bits: i64| Constant {
            bits: bits as u64,
            signed: true,
        };
        assert_eq!(fold_binary(BinaryOp::Sub, int(100), int(20)), Some(80));
        assert_eq!(fold_binary(BinaryOp::Div, int(1), int(0)), None);
        assert_eq!(
            fold_binary(BinaryOp::Div, int(-7), int(2)),
            Some((-3i64) as u64)
        );
        assert_eq!(truncate((-1i64) as u64, 4, false), 0xffff_ffff);
        assert_eq!(truncate(0x1_8000_0000, 4, true), 0xffff_ffff_8000_0000);
    }
}
