//! Checking clauses, statements and actions.

use super::Checker;
use crate::ast::{AssignOp, Clause, Expr, ExprKind, Stmt};
use crate::builtin::function::{self, Function, FunctionKind};
use crate::diagnostic::ErrTag;
use crate::ir::{AggDecl, AggFunc};
use crate::printf::{self, ArgClass, SlotKind};
use crate::types::Type;

/// Whether a statement is inside an `if`, where data-recording actions are not supported yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nesting {
    TopLevel,
    Conditional,
}

impl Checker<'_> {
    pub(super) fn clause(&mut self, clause: &Clause) {
        if let Some(predicate) = &clause.predicate {
            let ty = self.expr(predicate);
            if !ty.is_scalar() {
                self.error(
                    ErrTag::D_OP_INT,
                    predicate.span,
                    "predicate result must be of integral type",
                );
            }
        }
        self.statements(&clause.body, Nesting::TopLevel);
    }

    fn statements(&mut self, body: &[Stmt], nesting: Nesting) {
        for stmt in body {
            match stmt {
                Stmt::Expr(expr) => self.statement(expr, nesting),
                Stmt::If {
                    cond,
                    then_body,
                    else_body,
                    ..
                } => {
                    let ty = self.expr(cond);
                    if !ty.is_scalar() {
                        self.error(
                            ErrTag::D_OP_INT,
                            cond.span,
                            "if condition must be of integral type",
                        );
                    }
                    self.statements(then_body, Nesting::Conditional);
                    self.statements(else_body, Nesting::Conditional);
                }
                Stmt::Empty(_) => {}
            }
        }
    }

    fn statement(&mut self, expr: &Expr, nesting: Nesting) {
        match &expr.kind {
            ExprKind::Assign { op, target, value } => {
                if let ExprKind::Agg { name, keys } = &target.kind {
                    self.aggregation_assignment(*op, name, keys, value, expr);
                } else {
                    self.expr(expr);
                }
            }
            ExprKind::Call {
                func,
                func_span,
                args,
            } => match function::lookup(func) {
                Some(function) if !matches!(function.kind, FunctionKind::Aggregating(_)) => {
                    if !self.arity(function, *func_span, args.len()) {
                        return;
                    }
                    if nesting == Nesting::Conditional {
                        self.error(
                            ErrTag::D_UNKNOWN,
                            *func_span,
                            format!("{func}( ) inside if is not supported yet"),
                        );
                        return;
                    }
                    self.action(function.kind, func, args);
                }
                _ => {
                    self.expr(expr);
                }
            },
            _ => {
                self.expr(expr);
            }
        }
    }

    /// The type a value is recorded as (a `char` array as a string); reports values that have no
    /// recorded form (structs, other arrays, `void`).
    fn recordable(&mut self, ty: Type, expr: &Expr) -> Type {
        if self.type_info.table.is_char_array(ty) {
            return Type::String;
        }
        if matches!(ty, Type::Struct(_) | Type::Array(_) | Type::Void) {
            let name = self.type_info.table.name(ty);
            self.error(
                ErrTag::D_UNKNOWN,
                expr.span,
                format!("values of type {name} cannot be recorded yet"),
            );
        }
        ty
    }

    /// Checks the argument count against `function`'s prototype; reports `D_PROTO_LEN` if it is off.
    fn arity(&mut self, function: &Function, span: crate::source::Span, n_args: usize) -> bool {
        let (func, min, max) = (function.name, function.min_args, function.max_args);
        if n_args >= min && n_args <= max {
            return true;
        }
        let expected = if max == usize::MAX {
            format!("at least {min}")
        } else {
            min.to_string()
        };
        self.error(
            ErrTag::D_PROTO_LEN,
            span,
            format!(
                "{func}( ) prototype mismatch: {n_args} arg{} passed, {expected} expected",
                if n_args == 1 { "" } else { "s" }
            ),
        );
        false
    }

    fn action(&mut self, kind: FunctionKind, func: &str, args: &[Expr]) {
        match kind {
            FunctionKind::Trace => {
                let ty = self.expr(&args[0]);
                self.recordable(ty, &args[0]);
            }
            FunctionKind::Exit => {
                let ty = self.expr(&args[0]);
                if !ty.is_int() {
                    self.error(ErrTag::D_PROTO_ARG, args[0].span, "exit( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: string");
                }
            }
            FunctionKind::Printf => self.printf(args),
            FunctionKind::Printa => self.printa(args),
            FunctionKind::Aggregating(_) => unreachable!("{func} is handled as an aggregation"),
        }
    }

    fn format_string<'e>(&mut self, func: &str, format: &'e Expr) -> Option<&'e [u8]> {
        self.expr(format);
        if let ExprKind::Str(bytes) = &format.kind {
            return Some(bytes);
        }
        self.error(ErrTag::D_PRINTF_FMT_EMPTY, format.span, format!("{func}( ) argument #1 is incompatible with prototype:\n\tprototype: string constant"));
        None
    }

    fn printf(&mut self, args: &[Expr]) {
        let arg_types: Vec<Type> = args[1..].iter().map(|arg| self.expr(arg)).collect();
        let Some(format) = self.format_string("printf", &args[0]) else {
            return;
        };
        let pieces = match printf::parse_format(format) {
            Ok(pieces) => pieces,
            Err(error) => {
                self.error(
                    ErrTag::D_PRINTF_DYN_PROTO,
                    args[0].span,
                    format!("printf( ) {error}"),
                );
                return;
            }
        };
        let slots = printf::arg_slots(&pieces);
        for (slot_idx, slot) in slots.iter().enumerate() {
            let Some((arg, ty)) = args[1..].get(slot_idx).zip(arg_types.get(slot_idx)) else {
                self.error(
                    ErrTag::D_PRINTF_ARG_PROTO,
                    args[0].span,
                    format!("printf( ) prototype mismatch: conversion #{} is missing a corresponding value argument", slot.conv_number),
                );
                return;
            };
            let class = match slot.kind {
                SlotKind::Width | SlotKind::Precision => ArgClass::Integer,
                SlotKind::Value => printf::arg_class(slot.conv),
            };
            let accepted = match (class, *ty) {
                (ArgClass::String, Type::String) => true,
                (ArgClass::String, ty) => self.type_info.table.is_char_array(ty),
                (ArgClass::Pointer, Type::Pointer(_)) => true,
                (class, Type::Int { size, signed }) => class.accepts_integer(size, signed),
                _ => false,
            };
            if !accepted {
                self.error(
                    ErrTag::D_PRINTF_ARG_TYPE,
                    arg.span,
                    format!(
                        "printf( ) argument #{} is incompatible with conversion #{} prototype:\n\tconversion: %{}\n\t prototype: {}\n\t  argument: {}",
                        slot_idx + 2,
                        slot.conv_number,
                        slot.conv.name(),
                        slot.conv.prototype(),
                        self.type_info.table.name(*ty)
                    ),
                );
            }
        }
        if slots.len() < arg_types.len() {
            self.error(
                ErrTag::D_PRINTF_ARG_EXTRA,
                args[1 + slots.len()].span,
                format!("printf( ) prototype mismatch: only {} arguments required by this format string", slots.len() + 1),
            );
        }
    }

    fn printa(&mut self, args: &[Expr]) {
        let aggregations = match &args[0].kind {
            ExprKind::Str(_) => {
                let format = self.format_string("printa", &args[0]);
                if let Some(Err(error)) = format.map(printf::parse_format) {
                    self.error(
                        ErrTag::D_PRINTF_DYN_PROTO,
                        args[0].span,
                        format!("printa( ) {error}"),
                    );
                }
                &args[1..]
            }
            _ => args,
        };
        if aggregations.is_empty() {
            self.error(
                ErrTag::D_PRINTA_PROTO,
                args[0].span,
                "printa( ) prototype mismatch: aggregation argument expected",
            );
        }
        for aggregation in aggregations {
            match &aggregation.kind {
                ExprKind::Agg { name, keys } if keys.is_empty() => {
                    if !self.aggregations.iter().any(|decl| &decl.name == name) {
                        self.error(
                            ErrTag::D_PRINTA_AGGARG,
                            aggregation.span,
                            format!(
                                "printa( ) argument #1 refers to undefined aggregation @{name}"
                            ),
                        );
                    }
                }
                _ => self.error(
                    ErrTag::D_PRINTA_PROTO,
                    aggregation.span,
                    "printa( ) argument is incompatible with prototype:\n\tprototype: aggregation",
                ),
            }
        }
    }

    fn aggregation_assignment(
        &mut self,
        op: AssignOp,
        name: &str,
        keys: &[Expr],
        value: &Expr,
        expr: &Expr,
    ) {
        let key_types: Vec<Type> = keys
            .iter()
            .map(|key| {
                let ty = self.expr(key);
                self.recordable(ty, key)
            })
            .collect();
        let ExprKind::Call {
            func,
            func_span,
            args,
        } = &value.kind
        else {
            self.error(
                ErrTag::D_AGG_FUNC,
                value.span,
                format!("@{name} must be assigned the result of an aggregating function"),
            );
            return;
        };
        let Some((function, FunctionKind::Aggregating(agg_func))) =
            function::lookup(func).map(|function| (function, function.kind))
        else {
            self.error(
                ErrTag::D_AGG_FUNC,
                *func_span,
                format!("{func}( ) is not an aggregating function"),
            );
            return;
        };
        if let AssignOp::Compound(binary_op) = op {
            self.error(
                ErrTag::D_AGG_FUNC,
                expr.span,
                format!(
                    "operator {}= may not be applied to aggregation @{name}",
                    binary_op.symbol()
                ),
            );
            return;
        }
        if !self.arity(function, *func_span, args.len()) {
            return;
        }
        for arg in args {
            let ty = self.expr(arg);
            if !ty.is_int() {
                self.error(ErrTag::D_PROTO_ARG, arg.span, format!("{func}( ) argument #1 is incompatible with prototype:\n\tprototype: int64_t\n\t argument: {}", ty.name()));
            }
        }
        self.types.insert(value.span, Type::Void);
        self.types.insert(expr.span, Type::Void);
        self.declare_aggregation(name, agg_func, key_types, expr);
    }

    fn declare_aggregation(&mut self, name: &str, func: AggFunc, keys: Vec<Type>, expr: &Expr) {
        let Some(existing) = self.aggregations.iter().find(|decl| decl.name == name) else {
            self.aggregations.push(AggDecl {
                name: name.to_string(),
                func,
                keys,
            });
            return;
        };
        if existing.func != func {
            let previous = format!("{:?}", existing.func).to_lowercase();
            let current = format!("{func:?}").to_lowercase();
            self.error(ErrTag::D_AGG_REDEF, expr.span, format!("aggregation redefined: @{name}\n\t current: {current}( )\n\tprevious: {previous}( )"));
        } else if existing.keys.len() != keys.len() {
            self.error(
                ErrTag::D_AGG_MDIM,
                expr.span,
                format!(
                    "aggregation @{name} used with {} keys and {} keys",
                    existing.keys.len(),
                    keys.len()
                ),
            );
        } else if existing
            .keys
            .iter()
            .zip(&keys)
            .any(|(old, new)| (*old == Type::String) != (*new == Type::String))
        {
            self.error(
                ErrTag::D_AGG_MDIM,
                expr.span,
                format!("aggregation @{name} key types differ from its first use"),
            );
        }
    }
}
