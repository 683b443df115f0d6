//! Typing expressions.

use super::Checker;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp, VarScope};
use crate::builtin::constant;
use crate::builtin::function::{self, FunctionKind};
use crate::builtin::subr;
use crate::builtin::variable::{self, VariableSource};
use crate::diagnostic::ErrTag;
use crate::types::Type;

/// The type of an integer constant, by C's rules: the first of `int`, `long` (and their unsigned
/// forms for hex, octal or `u`-suffixed constants) that holds the value.
pub(crate) fn int_constant_type(value: u64, unsigned: bool, long: bool) -> Type {
    if !long && !unsigned && i32::try_from(value).is_ok() {
        return Type::INT;
    }
    if !long && unsigned && u32::try_from(value).is_ok() {
        return Type::UINT;
    }
    if !unsigned && i64::try_from(value).is_ok() {
        return Type::LONG;
    }
    Type::ULONG
}

impl Checker<'_> {
    /// Types `expr` and everything in it, records the types, and returns `expr`'s type. On an error
    /// the expression is reported and typed `int` so checking can go on.
    pub(super) fn expr(&mut self, expr: &Expr) -> Type {
        let ty = self.expr_kind(expr);
        self.types.insert(expr.span, ty);
        ty
    }

    fn expr_kind(&mut self, expr: &Expr) -> Type {
        match &expr.kind {
            ExprKind::Int {
                value,
                unsigned,
                long,
            } => int_constant_type(*value, *unsigned, *long),
            ExprKind::Char(_) => Type::INT,
            ExprKind::Str(_) => Type::String,
            ExprKind::Ident(name) => self.identifier(name, expr),
            ExprKind::Macro { name, quoted } => self.macro_variable(name, *quoted, expr),
            ExprKind::Agg { name, .. } => {
                self.error(
                    ErrTag::D_AGG_SCALAR,
                    expr.span,
                    format!("aggregation @{name} may not be used in an expression"),
                );
                Type::INT
            }
            ExprKind::Unary { op, operand } => self.unary(*op, operand),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, expr),
            ExprKind::Ternary {
                cond,
                then_expr,
                else_expr,
            } => {
                let cond_type = self.expr(cond);
                if !cond_type.is_scalar() {
                    self.error(
                        ErrTag::D_OP_SCALAR,
                        cond.span,
                        "operator ?: expression must be of scalar type",
                    );
                }
                if let Some(ty) = self.action_branches(then_expr, else_expr, expr) {
                    return ty;
                }
                let then_type = self.expr(then_expr);
                let else_type = self.expr(else_expr);
                let null_branch =
                    |branch: &Expr, ty: Type| ty.is_int() && super::subr::is_null_constant(branch);
                match (then_type, else_type) {
                    (Type::String, Type::String) => Type::String,
                    (Type::String, _) if null_branch(else_expr, else_type) => Type::String,
                    (_, Type::String) if null_branch(then_expr, then_type) => Type::String,
                    (lhs, rhs) if lhs.is_int() && rhs.is_int() => Type::common(lhs, rhs),
                    (lhs, rhs) if lhs.is_pointer() && lhs == rhs => lhs,
                    _ => {
                        self.error(
                            ErrTag::D_OP_INCOMPAT,
                            expr.span,
                            "operator ?: operands must have compatible types",
                        );
                        Type::INT
                    }
                }
            }
            ExprKind::Call { func, args, .. } if func == "stringof" => self.stringof(args, expr),
            ExprKind::Call {
                func,
                func_span,
                args,
            } => {
                if let Some(subroutine) = subr::lookup(func) {
                    return self.subroutine(subroutine, *func_span, args);
                }
                for arg in args {
                    self.expr(arg);
                }
                match function::lookup(func) {
                    Some(function) if matches!(function.kind, FunctionKind::Aggregating(_)) => {
                        self.error(
                            ErrTag::D_CG_EXPR,
                            *func_span,
                            format!("aggregating function {func}( ) may not be called from a D expression (D program context required)"),
                        );
                    }
                    Some(_) => {
                        self.error(
                            ErrTag::D_OP_INCOMPAT,
                            *func_span,
                            format!("{func}( ) is an action and may not be used in an expression"),
                        );
                    }
                    None => self.error(
                        ErrTag::D_FUNC_UNDEF,
                        *func_span,
                        format!("failed to resolve {func}: Unknown function name"),
                    ),
                }
                Type::INT
            }
            ExprKind::Assign { target, .. } if self.multi_dim_aggregation(target) => Type::INT,
            ExprKind::Index { .. } if self.multi_dim_aggregation(expr) => Type::INT,
            ExprKind::Assign { op, target, value } => {
                if let ExprKind::Agg { name, .. } = &target.kind {
                    self.error(
                        ErrTag::D_AGG_SCALAR,
                        target.span,
                        format!("aggregation @{name} may not be used in an expression"),
                    );
                    return Type::INT;
                }
                self.assign(*op, target, value)
            }
            ExprKind::ThreadLocal(name) => self.scoped_read(VarScope::ThreadLocal, name, expr.span),
            ExprKind::ClauseLocal(name) => self.scoped_read(VarScope::ClauseLocal, name, expr.span),
            ExprKind::Index { base, index } if super::args::is_args(base) => {
                self.args_ref(index, expr)
            }
            ExprKind::Index { base, index } if self.inline_array(base).is_some() => {
                let Some(inline_idx) = self.inline_array(base) else {
                    unreachable!("the guard found an inline array");
                };
                self.inline_call(inline_idx, index, expr)
            }
            ExprKind::Index { base, index } if self.subscripts_variable(base) => {
                self.index_read(base, index, expr)
            }
            ExprKind::Index { base, index } => self.index(base, index, expr),
            ExprKind::Member {
                base,
                member,
                arrow,
            } => self.member(base, member, *arrow, expr),
            ExprKind::Cast { ty, operand } => self.cast(ty, operand, expr),
            ExprKind::Xlate { .. } => self.translated_misuse(expr),
            ExprKind::SizeOf(arg) => self.sizeof(arg, expr),
            ExprKind::OffsetOf {
                ty,
                member,
                member_span,
            } => self.offsetof(ty, member, *member_span, expr),
        }
    }

    pub(super) fn unsupported(&mut self, expr: &Expr, what: &str) -> Type {
        self.error(
            ErrTag::D_UNKNOWN,
            expr.span,
            format!("{what} are not supported yet"),
        );
        Type::INT
    }

    fn identifier(&mut self, name: &str, expr: &Expr) -> Type {
        if name.contains('`') {
            return self.kernel_symbol(name, expr);
        }
        if let Some(ty) = self.param_use(name, expr.span) {
            return ty;
        }
        if let Some(&inline_idx) = self.scope.inlines.get(name) {
            let inline = &self.type_info.inlines[inline_idx];
            if self.type_info.xlates.contains_key(&inline.value.span) {
                return self.translated_misuse(expr);
            }
            if !inline.params.is_empty() {
                self.error(
                    ErrTag::D_IDENT_BADREF,
                    expr.span,
                    format!("associative array '{name}' may not be referenced as scalar"),
                );
                return Type::INT;
            }
            let ty = inline.ty;
            if let Some(value) = inline.constant {
                self.type_info.constants.insert(expr.span, value);
            }
            self.type_info.inline_uses.insert(expr.span, inline_idx);
            return ty;
        }
        // libdtrace's built-in `inline long NULL = 0`; like its value, it has the size of an int.
        if name == "NULL" {
            self.type_info.constants.insert(expr.span, 0);
            return Type::INT;
        }
        if let Some(&(value, ty)) = self.scope.enumerators.get(name) {
            self.type_info.constants.insert(expr.span, value as u64);
            return ty;
        }
        // `args` is libdtrace's built-in associative array: only `args[N]` reads it.
        if name == "args" {
            self.error(
                ErrTag::D_IDENT_BADREF,
                expr.span,
                "associative array 'args' may not be referenced as scalar",
            );
            return Type::INT;
        }
        match variable::lookup(name) {
            Some(variable) if variable.source == VariableSource::CurThread => self.curthread_type(),
            Some(variable) if variable.source == VariableSource::CurCpu => {
                let cpuinfo = self.named_type_quiet(&["cpuinfo_t"]).unwrap_or(Type::Void);
                self.type_info.table.pointer_to(cpuinfo)
            }
            Some(variable)
                if variable.source == VariableSource::Ppid && self.ppid_offsets().is_none() =>
            {
                self.error(
                    ErrTag::D_IDENT_UNDEF,
                    expr.span,
                    "failed to resolve ppid: kernel BTF has no task_struct.real_parent",
                );
                Type::INT
            }
            Some(variable)
                if variable.source == VariableSource::ExecArgs
                    && self.execargs_offsets().is_none() =>
            {
                self.error(
                    ErrTag::D_IDENT_UNDEF,
                    expr.span,
                    "failed to resolve execargs: kernel BTF has no mm_struct.arg_start",
                );
                Type::String
            }
            Some(variable)
                if variable.source == VariableSource::VTimestamp
                    && self.vtimestamp_offset().is_none() =>
            {
                self.error(
                    ErrTag::D_IDENT_UNDEF,
                    expr.span,
                    "failed to resolve vtimestamp: kernel BTF has no task_struct.se.sum_exec_runtime",
                );
                Type::ULONG
            }
            Some(variable) if variable.source == VariableSource::Unsupported => {
                self.error(
                    ErrTag::D_UNKNOWN,
                    expr.span,
                    format!("{name} is not supported yet: tracer does not read user registers"),
                );
                Type::ULONG
            }
            Some(variable) => variable.ty,
            None if constant::lookup(name).is_some() => Type::INT,
            None => self.global_read(name, expr.span),
        }
    }

    /// A macro that reached sema was not substituted (the program was parsed without
    /// [`parse_source_with_known_types`](crate::parse::parse_source_with_known_types)), so it has no value.
    fn macro_variable(&mut self, name: &str, quoted: bool, expr: &Expr) -> Type {
        let what = if name.starts_with(|ch: char| ch.is_ascii_digit()) {
            "macro argument"
        } else {
            "macro variable"
        };
        let dollars = if quoted { "$$" } else { "$" };
        self.error(
            ErrTag::D_MACRO_UNDEF,
            expr.span,
            format!("{what} {dollars}{name} is not defined"),
        );
        Type::INT
    }

    /// Types an operand that must be an integer or a pointer (`!`, `&&`, conditions).
    pub(super) fn scalar_operand(&mut self, operand: &Expr, op: &str) -> Type {
        let ty = self.expr(operand);
        if !ty.is_scalar() {
            self.error(
                ErrTag::D_OP_SCALAR,
                operand.span,
                format!("operator {op} requires operands of scalar type"),
            );
            return Type::INT;
        }
        ty
    }

    pub(super) fn integer_operand(&mut self, operand: &Expr, op: &str) -> Type {
        let ty = self.expr(operand);
        if !ty.is_int() {
            self.error(
                ErrTag::D_OP_INT,
                operand.span,
                format!("operator {op} requires an operand of integral type"),
            );
            return Type::INT;
        }
        ty
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr) -> Type {
        match op {
            UnaryOp::Neg | UnaryOp::Plus => {
                let symbol = if op == UnaryOp::Neg { "-" } else { "+" };
                let ty = if self.action_operand(operand) {
                    Type::Void
                } else {
                    self.expr(operand)
                };
                if ty.is_int() {
                    return ty.promoted();
                }
                self.error(
                    ErrTag::D_OP_ARITH,
                    operand.span,
                    format!("operator {symbol} requires an operand of arithmetic type"),
                );
                Type::INT
            }
            UnaryOp::BitNot => self.integer_operand(operand, "~").promoted(),
            UnaryOp::LogicalNot => {
                self.scalar_operand(operand, "!");
                Type::INT
            }
            UnaryOp::Deref => self.deref(operand),
            UnaryOp::AddrOf => self.addr_of(operand),
            UnaryOp::PreInc | UnaryOp::PreDec | UnaryOp::PostInc | UnaryOp::PostDec => {
                self.increment(op, operand)
            }
        }
    }

    /// `@a[k][j]`: an aggregation has one tuple of keys (`D_AGG_MDIM`); reports it.
    fn multi_dim_aggregation(&mut self, expr: &Expr) -> bool {
        let ExprKind::Index { base, .. } = &expr.kind else {
            return false;
        };
        let ExprKind::Agg { name, .. } = &base.kind else {
            return false;
        };
        self.error(
            ErrTag::D_AGG_MDIM,
            expr.span,
            format!("improper attempt to reference @{name} as a multi-dimensional array"),
        );
        true
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, expr: &Expr) -> Type {
        let symbol = op.symbol();
        let is_agg = |operand: &Expr| matches!(operand.kind, ExprKind::Agg { .. });
        let logical = matches!(
            op,
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
        );
        if !logical && (is_agg(lhs) || is_agg(rhs)) {
            // libdtrace types an aggregation by its kind of identifier, which no operator takes.
            let mut operand_name = |operand: &Expr| {
                if is_agg(operand) {
                    "aggregation".to_owned()
                } else {
                    let ty = self.expr(operand);
                    self.type_info.table.name(ty)
                }
            };
            let (lhs_name, rhs_name) = (operand_name(lhs), operand_name(rhs));
            self.error(
                ErrTag::D_OP_INCOMPAT,
                expr.span,
                format!("operands have incompatible types: \"{lhs_name}\" {symbol} \"{rhs_name}\""),
            );
            return Type::INT;
        }
        match op {
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                let lhs_type = self.expr(lhs);
                let rhs_type = self.expr(rhs);
                // A `char` array compares as the string it holds, as in DTrace.
                let as_string = |ty: Type| {
                    if self.type_info.table.is_char_array(ty) {
                        Type::String
                    } else {
                        ty
                    }
                };
                let (lhs_type, rhs_type) = (as_string(lhs_type), as_string(rhs_type));
                // Values of one floating-point type compare as their bits, as in DTrace.
                let same_float = matches!(lhs_type, Type::Float { .. }) && lhs_type == rhs_type;
                if lhs_type == Type::String || rhs_type == Type::String {
                    self.string_comparison(op, (lhs, lhs_type), (rhs, rhs_type), expr.span);
                } else if !same_float && (!lhs_type.is_scalar() || !rhs_type.is_scalar()) {
                    self.error(
                        ErrTag::D_OP_INCOMPAT,
                        expr.span,
                        format!(
                            "operands have incompatible types: \"{}\" {symbol} \"{}\"",
                            self.type_info.table.name(lhs_type),
                            self.type_info.table.name(rhs_type)
                        ),
                    );
                }
                Type::INT
            }
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor => {
                self.scalar_operand(lhs, symbol);
                self.scalar_operand(rhs, symbol);
                Type::INT
            }
            BinaryOp::Add | BinaryOp::Sub => self.additive(op, lhs, rhs),
            BinaryOp::Shl | BinaryOp::Shr => {
                let (lhs_type, _) = self.integer_operands(op, lhs, rhs);
                lhs_type.promoted()
            }
            _ => {
                let (lhs_type, rhs_type) = self.integer_operands(op, lhs, rhs);
                // A divisor that folds to zero is refused as libdtrace refuses it, whether it is
                // written `0` or `(7 - 7)`.
                if matches!(op, BinaryOp::Div | BinaryOp::Mod) && self.fold(rhs) == Some(0) {
                    self.error(
                        ErrTag::D_DIV_ZERO,
                        rhs.span,
                        "expression contains division by zero",
                    );
                }
                Type::common(lhs_type, rhs_type)
            }
        }
    }

    /// Types both operands of a binary operator that needs integers, reporting once as libdtrace
    /// does (`*` and `/` ask for arithmetic types, the others for integral ones).
    fn integer_operands(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> (Type, Type) {
        let lhs_type = self.expr(lhs);
        let rhs_type = self.expr(rhs);
        if lhs_type.is_int() && rhs_type.is_int() {
            return (lhs_type, rhs_type);
        }
        let (tag, kind) = match op {
            BinaryOp::Mul | BinaryOp::Div => (ErrTag::D_OP_ARITH, "arithmetic"),
            _ => (ErrTag::D_OP_INT, "integral"),
        };
        self.error(
            tag,
            lhs.span.to(rhs.span),
            format!("operator {} requires operands of {kind} type", op.symbol()),
        );
        (Type::INT, Type::INT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::tests::{compile_one, errors_of};

    #[test]
    fn floating_point_values_take_no_arithmetic() {
        let declared = |body: &str| format!("double d; float f; BEGIN {{ {body} }}");
        for (body, expected) in [
            (
                "x = d + 1;",
                "[D_OP_INCOMPAT] operands have incompatible types: \"double\" + \"int\"",
            ),
            (
                "x = d * 2;",
                "[D_OP_ARITH] operator * requires operands of arithmetic type",
            ),
            (
                "x = d % 2;",
                "[D_OP_INT] operator % requires operands of integral type",
            ),
            (
                "x = -f;",
                "[D_OP_ARITH] operator - requires an operand of arithmetic type",
            ),
            (
                "x = !d;",
                "[D_OP_SCALAR] operator ! requires operands of scalar type",
            ),
            (
                "x = (int)d;",
                "[D_CAST_INVAL] invalid cast expression: \"double\" to \"int\"",
            ),
            (
                "x = d == f;",
                "[D_OP_INCOMPAT] operands have incompatible types: \"double\" == \"float\"",
            ),
            (
                "d = 1;",
                "[D_OP_INCOMPAT] operands have incompatible types: \"double\" = \"int\"",
            ),
            (
                "x = d;",
                "[D_OP_INCOMPAT] operands have incompatible types: \"double\" = \"double\"",
            ),
            (
                "printf(\"%d\", d);",
                "[D_PRINTF_ARG_TYPE] printf( ) argument #2 is incompatible with conversion #1 prototype:",
            ),
            (
                "printf(\"%f\", 1);",
                "\t prototype: float, double, or long double",
            ),
        ] {
            let program = declared(body);
            let errors = errors_of(&program);
            assert!(
                errors.iter().any(|error| error.contains(expected)),
                "{program}: {errors:?}"
            );
        }
    }

    #[test]
    fn floating_point_values_compare_and_print() {
        for body in [
            "x = d == d; y = f != f;",
            "printf(\"%e %E %f %g %G %Lf\", d, d, f, f, d, d);",
            "trace(d); @[f] = count();",
        ] {
            let program = format!("double d; float f; BEGIN {{ {body} }}");
            assert!(compile_one(&program).is_ok(), "{program}");
        }
    }

    #[test]
    fn constants_take_the_first_type_that_fits() {
        assert_eq!(int_constant_type(1, false, false), Type::INT);
        assert_eq!(int_constant_type(1 << 31, false, false), Type::LONG);
        assert_eq!(int_constant_type(1 << 31, true, false), Type::UINT);
        assert_eq!(int_constant_type(1, false, true), Type::LONG);
        assert_eq!(int_constant_type(u64::MAX, false, false), Type::ULONG);
    }
}
