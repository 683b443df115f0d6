//! Lowering statements that are actions: `trace`, `printf`, `printa`, `exit`, the destructive
//! actions, the aggregation actions, `setopt` and aggregations.

use super::Lowerer;
use crate::ast::{Expr, ExprKind};
use crate::ir::{AGG_ID_SIZE, AggFunc, Field, Inst, RecordAction};
use crate::types::{Type, string_size};

/// Linux's `SIGSTOP`, which `stop()` sends.
const SIGSTOP: u64 = 19;

impl Lowerer<'_> {
    pub(super) fn statement(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Assign { target, value, .. } => {
                let ExprKind::Agg { name, keys } = &target.kind else {
                    self.comment(expr.span, "assignment");
                    if self.type_of(expr) == Type::String {
                        let offset = self.temp(string_size(self.strsize()));
                        self.string_into(expr, offset);
                    } else {
                        self.int_expr(expr);
                    }
                    return;
                };
                let ExprKind::Call { args, .. } = &value.kind else {
                    unreachable!("sema checked the aggregating function");
                };
                self.aggregate(name, keys, args, expr);
            }
            ExprKind::Call { func, .. } if crate::builtin::subr::lookup(func).is_some() => {
                self.comment(expr.span, func);
                if self.type_of(expr) == Type::String {
                    self.string_temp(expr);
                } else {
                    self.int_expr(expr);
                }
            }
            ExprKind::Call { func, args, .. } => self.action(func, args, expr),
            _ => {
                self.comment(expr.span, "expression statement");
                self.int_expr(expr);
            }
        }
    }

    fn action(&mut self, func: &str, args: &[Expr], expr: &Expr) {
        self.comment(expr.span, func);
        let record_start = self.record_cursor;
        match func {
            "trace" => {
                let action = match super::var_place::traced_bytes(self.checked, &args[0]) {
                    Some(size) => self.trace_bytes(&args[0], size),
                    None => RecordAction::Trace(self.record_value(&args[0])),
                };
                self.actions.push(action);
            }
            "printf" => {
                let ExprKind::Str(format) = &args[0].kind else {
                    unreachable!("sema checked the format is a string literal");
                };
                let fields = self.printf_values(format, &args[1..]);
                self.actions.push(RecordAction::Printf {
                    format: format.clone(),
                    args: fields,
                });
            }
            "printa" => {
                let (format, aggregations) = match &args[0].kind {
                    ExprKind::Str(format) => (Some(format.clone()), &args[1..]),
                    _ => (None, args),
                };
                let aggregations = aggregations
                    .iter()
                    .map(|aggregation| {
                        let ExprKind::Agg { name, .. } = &aggregation.kind else {
                            unreachable!("sema checked printa's arguments");
                        };
                        self.aggregation_index(name)
                    })
                    .collect();
                self.actions.push(RecordAction::Printa {
                    format,
                    aggregations,
                });
            }
            "exit" => {
                let field = self.record_value(&args[0]);
                self.has_exit = true;
                self.actions.push(RecordAction::Exit(field));
                self.push(expr.span, Inst::Drain);
            }
            "system" => {
                let ExprKind::Str(format) = &args[0].kind else {
                    unreachable!("sema checked the format is a string literal");
                };
                let fields = args[1..].iter().map(|arg| self.record_value(arg)).collect();
                self.actions.push(RecordAction::System {
                    format: format.clone(),
                    args: fields,
                });
            }
            "freopen" => {
                let ExprKind::Str(format) = &args[0].kind else {
                    unreachable!("sema checked the format is a string literal");
                };
                let fields = args[1..].iter().map(|arg| self.record_value(arg)).collect();
                self.actions.push(RecordAction::Freopen {
                    format: format.clone(),
                    args: fields,
                });
            }
            "tracemem" => {
                let address = self.int_expr(&args[0]);
                let size = super::tracemem_size(&args[1]);
                let offset = self.record_field(super::tracemem_field_size(&args[1]));
                self.push(
                    expr.span,
                    Inst::ReadKernel {
                        offset,
                        size,
                        address,
                    },
                );
                let shown = args.get(2).map(|shown| self.record_value(shown));
                self.actions.push(RecordAction::Tracemem {
                    offset,
                    size,
                    shown,
                });
            }
            "print" => {
                let action = self.print(&args[0]);
                self.actions.push(action);
            }
            "raise" => {
                let signal = self.int_expr(&args[0]);
                self.push(expr.span, Inst::Raise { signal });
                self.actions.push(RecordAction::Effect("raise"));
            }
            "stop" => {
                let signal = self.vreg();
                self.push(
                    expr.span,
                    Inst::Const {
                        dst: signal,
                        value: SIGSTOP,
                    },
                );
                self.push(expr.span, Inst::Raise { signal });
                self.actions.push(RecordAction::Effect("stop"));
            }
            "chill" => {
                let ns = self.int_expr(&args[0]);
                self.push(expr.span, Inst::Chill { ns });
                self.actions.push(RecordAction::Effect("chill"));
            }
            "clear" | "normalize" | "denormalize" | "trunc" => {
                let ExprKind::Agg { name, .. } = &args[0].kind else {
                    unreachable!("sema checked that {func}( ) takes an aggregation");
                };
                let agg = self.aggregation_index(name);
                let second = args.get(1).map(|arg| self.record_value(arg));
                self.actions.push(match (func, second) {
                    ("clear", _) => RecordAction::Clear { agg },
                    ("normalize", Some(factor)) => RecordAction::Normalize { agg, factor },
                    ("trunc", count) => RecordAction::Trunc { agg, count },
                    _ => RecordAction::Denormalize { agg },
                });
            }
            "setopt" => {
                let name = self.record_value(&args[0]);
                let value = args.get(1).map(|arg| self.record_value(arg));
                self.actions.push(RecordAction::Setopt { name, value });
            }
            "speculate" | "commit" | "discard" => self.speculation_action(func, &args[0], expr),
            _ if super::stack::is_stack_action(func) => {
                let field = self.record_value(expr);
                self.actions.push(RecordAction::Trace(field));
            }
            _ => unreachable!("sema accepts no action {func}"),
        }
        if self.record_cursor > record_start {
            self.spec_bound(expr.span);
        }
    }

    /// Evaluates `expr` into the next field of the record.
    pub(super) fn record_value(&mut self, expr: &Expr) -> Field {
        let ty = self.recorded_type(expr);
        self.record_value_as(expr, ty)
    }

    /// Evaluates `expr` into the next field of the record, recorded as `ty`.
    pub(super) fn record_value_as(&mut self, expr: &Expr, ty: Type) -> Field {
        let offset = self.record_field(ty.stored_size(self.strsize()));
        self.value_into(expr, ty, offset);
        Field { offset, ty }
    }

    /// The type `expr` is recorded as: a `char` array as a string, anything else as itself.
    fn recorded_type(&self, expr: &Expr) -> Type {
        let ty = self.type_of(expr);
        if self.checked.type_info.table.is_char_array(ty) {
            return Type::String;
        }
        ty
    }

    /// Writes `expr`'s value at scratch `offset`: 8 bytes for an integer or a pointer, `strsize`
    /// for a string or a `char` array.
    fn value_into(&mut self, expr: &Expr, ty: Type, offset: u32) {
        if let Type::Stack(_) | Type::SymAddr(_) = ty {
            self.stack_value_into(expr, ty, offset);
        } else if ty == Type::String {
            self.string_value_into(expr, offset);
            // DTrace faults when it records a NULL string, as when it reads one.
            self.check_not_null(expr, offset);
        } else {
            let value = self.stored(expr, ty);
            self.push(
                expr.span,
                Inst::Store {
                    offset,
                    size: 8,
                    src: value,
                },
            );
        }
    }

    fn aggregation_index(&self, name: &str) -> usize {
        match self
            .checked
            .aggregations
            .iter()
            .position(|decl| decl.name == name)
        {
            Some(agg_idx) => agg_idx,
            None => unreachable!("sema declared @{name}"),
        }
    }

    fn aggregate(&mut self, name: &str, keys: &[Expr], args: &[Expr], expr: &Expr) {
        self.comment(expr.span, &format!("@{name}"));
        let agg = self.aggregation_index(name);
        let key_types = self.checked.aggregations[agg].keys.clone();
        let value_sizes = self.checked.aggregations[agg].key_value_sizes.clone();
        let key_sizes = self.checked.aggregations[agg].key_sizes(self.strsize());
        let key_size: u32 = key_sizes.iter().sum::<u32>().max(8);
        // Code generation stores the aggregation's ID in the 8 bytes before the key: aggregations
        // of one layout share a map, told apart by that word.
        let key_offset = self.temp(AGG_ID_SIZE + key_size) + AGG_ID_SIZE;
        if keys.is_empty() {
            self.push(
                expr.span,
                Inst::Zero {
                    offset: key_offset,
                    size: key_size,
                },
            );
        }
        let mut cursor = key_offset;
        for (key_idx, (key, ty)) in keys.iter().zip(&key_types).enumerate() {
            if let (Some(_), Type::String) = (value_sizes[key_idx], ty) {
                self.bounded_string_into(key, cursor, key_sizes[key_idx]);
            } else if let Some(size) = value_sizes[key_idx] {
                self.value_key_into(key, size, cursor);
            } else {
                let value_type = if *ty == Type::String {
                    Type::String
                } else {
                    self.type_of(key)
                };
                self.value_into(key, value_type, cursor);
            }
            cursor += key_sizes[key_idx];
        }
        let value = args.first().map(|value| self.converted(value, Type::LONG));
        let incr_position = match self.checked.aggregations[agg].func {
            AggFunc::Quantize => 1,
            AggFunc::Lquantize => 4,
            AggFunc::Llquantize => 5,
            _ => usize::MAX,
        };
        let incr = args
            .get(incr_position)
            .map(|incr| self.converted(incr, Type::LONG));
        self.push(
            expr.span,
            Inst::AggUpdate {
                agg,
                key_offset,
                value,
                incr,
            },
        );
    }
}
