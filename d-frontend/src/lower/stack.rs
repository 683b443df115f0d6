//! Lowering stacks and symbolic addresses: the `stack()`, `ustack()`, `jstack()` and symbol
//! actions, the values they put in records and aggregation keys, `printf`'s `%a` and `%A`
//! arguments, and `stackdepth`.
//!
//! A stack is written by `bpf_get_stack` straight into its place in scratch; a user stack and a
//! user address are preceded by the process ID, which the consumer needs to find the process's
//! mappings. Symbolizing is the consumer's work: records carry only addresses.

use super::Lowerer;
use crate::ast::{Expr, ExprKind};
use crate::builtin::function::{self, FunctionKind};
use crate::ir::{Builtin, Field, Inst, VReg};
use crate::printf::{self, SlotKind};
use crate::sema::TypeMap;
use crate::source::Span;
use crate::types::{SymKind, Type};

/// Whether `func` is a stack or symbol action (`stack()`, `sym()`, ...), whose statement records
/// its value as `trace()` would.
pub(super) fn is_stack_action(func: &str) -> bool {
    function::lookup(func).is_some_and(|function| {
        matches!(
            function.kind,
            FunctionKind::Stack { .. } | FunctionKind::SymAddr(_)
        )
    })
}

/// The types `printf(format, args...)` records its arguments as: an integer or a pointer that a
/// `%a` or `%A` conversion prints is recorded as a symbolic address (a user one after the
/// process ID, as libdtrace records what `%A` prints), anything else as its own type.
pub(super) fn printf_types(types: &TypeMap, format: &[u8], args: &[Expr]) -> Vec<Type> {
    let pieces = printf::parse_format(format).unwrap_or_default();
    let slots = printf::arg_slots(&pieces);
    args.iter()
        .enumerate()
        .map(|(arg_idx, arg)| {
            let ty = types.get(arg.span);
            let conv = slots
                .get(arg_idx)
                .filter(|slot| slot.kind == SlotKind::Value)
                .map(|slot| slot.conv.conv);
            match conv {
                Some(b'a') if ty.is_scalar() => Type::SymAddr(SymKind::Sym),
                Some(b'A') if ty.is_scalar() => Type::SymAddr(SymKind::UAddr),
                _ => ty,
            }
        })
        .collect()
}

impl Lowerer<'_> {
    /// Records `printf`'s arguments, with the types [`printf_types`] gives them.
    pub(super) fn printf_values(&mut self, format: &[u8], args: &[Expr]) -> Vec<Field> {
        let types = printf_types(&self.checked.types, format, args);
        args.iter()
            .zip(types)
            .map(|(arg, ty)| match ty {
                Type::SymAddr(_) => self.record_value_as(arg, ty),
                _ => self.record_value(arg),
            })
            .collect()
    }

    /// Writes a stack or a symbolic address at scratch `offset`. `expr` is the call of the stack
    /// or symbol function, or, for a `printf` argument, the address itself.
    pub(super) fn stack_value_into(&mut self, expr: &Expr, ty: Type, offset: u32) {
        match ty {
            Type::Stack(stack) => self.push(expr.span, Inst::GetStack { offset, stack }),
            Type::SymAddr(kind) => {
                let address = match &expr.kind {
                    ExprKind::Call { func, args, .. } if is_stack_action(func) => &args[0],
                    _ => expr,
                };
                let value = self.int_expr(address);
                let mut value_offset = offset;
                if kind.is_user() {
                    let pid = self.vreg();
                    self.push(
                        expr.span,
                        Inst::Builtin {
                            dst: pid,
                            builtin: Builtin::Pid,
                        },
                    );
                    self.push(
                        expr.span,
                        Inst::Store {
                            offset,
                            size: 8,
                            src: pid,
                        },
                    );
                    value_offset += 8;
                }
                self.push(
                    expr.span,
                    Inst::Store {
                        offset: value_offset,
                        size: 8,
                        src: value,
                    },
                );
            }
            _ => unreachable!("{ty:?} is not a stack or a symbolic address"),
        }
    }

    /// `stackdepth` or `ustackdepth`: counts the frames `bpf_get_stack` finds, at most
    /// `maxframes`, in a scratch temporary.
    pub(super) fn stack_depth(&mut self, user: bool, span: Span) -> VReg {
        let frames = self.checked.options.stack_frames.max.max(1);
        let offset = self.temp(8 * frames);
        let dst = self.vreg();
        self.push(
            span,
            Inst::StackDepth {
                dst,
                offset,
                frames,
                user,
            },
        );
        dst
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::first_clause;
    use crate::ir::{Clause, Inst, RecordAction};
    use crate::types::{StackType, SymKind, Type};

    fn recorded_types(clause: &Clause) -> Vec<(u32, Type)> {
        let mut fields = Vec::new();
        for action in clause.record.iter().flatten() {
            match action {
                RecordAction::Trace(field) => fields.push((field.offset, field.ty)),
                RecordAction::Printf { args, .. } => {
                    fields.extend(args.iter().map(|field| (field.offset, field.ty)));
                }
                _ => {}
            }
        }
        fields
    }

    #[test]
    fn stack_actions_record_frames_after_the_header() {
        let clause = first_clause("BEGIN { stack(3); ustack(2); uaddr(ucaller); }");
        let kernel = StackType {
            user: false,
            frames: 3,
        };
        let user = StackType {
            user: true,
            frames: 2,
        };
        assert_eq!(
            recorded_types(&clause),
            [
                (16, Type::Stack(kernel)),
                (40, Type::Stack(user)),
                (64, Type::SymAddr(SymKind::UAddr)),
            ]
        );
        let stacks: Vec<&Inst> = clause
            .insts
            .iter()
            .filter(|inst| matches!(inst, Inst::GetStack { .. }))
            .collect();
        assert_eq!(
            stacks,
            [
                &Inst::GetStack {
                    offset: 16,
                    stack: kernel
                },
                &Inst::GetStack {
                    offset: 40,
                    stack: user
                },
            ]
        );
        let scratch_end = clause
            .insts
            .iter()
            .find_map(|inst| match inst {
                Inst::EmitRecord { size, .. } => Some(*size),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            scratch_end, 80,
            "header, 3 + 1 + 2 words of stacks, pid and address"
        );
    }

    #[test]
    fn printf_addresses_are_recorded_symbolically() {
        let clause = first_clause("BEGIN { printf(\"%a %A %x\", caller, ucaller, caller); }");
        assert_eq!(
            recorded_types(&clause),
            [
                (16, Type::SymAddr(SymKind::Sym)),
                (24, Type::SymAddr(SymKind::UAddr)),
                (40, Type::ULONG),
            ]
        );
    }

    #[test]
    fn stackdepth_counts_frames_in_scratch() {
        let clause = first_clause("BEGIN { trace(stackdepth); }");
        assert!(clause.insts.iter().any(|inst| matches!(
            inst,
            Inst::StackDepth {
                frames: 127,
                user: false,
                ..
            }
        )));
    }
}
