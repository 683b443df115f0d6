//! Lowering struct, union and array values held in variables, and `trace()` of such values.
//!
//! A struct, union or array value is handled by reference, as in DTrace: its value in a register
//! is its address. Reading a variable that holds one gives the address of its storage
//! ([`Inst::VarAddr`], 0 for a dynamic variable's missing element), which is what copies and
//! `trace()` read. Integer and pointer members and elements are read and written in the storage
//! itself, at an offset the back end checks against the value's size (so that an index computed
//! at run time is safe):
//!
//! ```text
//! self->s = *p;        copy var N key scratch[K] = [%p]          (CopyToVar)
//! self->s = 0;         delete var N key scratch[K]
//! self->s.m = v;       store var N key scratch[K] at %off..+4 = %v   (StoreVarMember)
//! x = self->s.m;       %x = load s32 var N key scratch[K] at %off    (LoadVarMember)
//! trace(self->s);      scratch[R..+size] = kernel[%addr]         (recorded as raw bytes)
//! ```

use super::Lowerer;
use crate::ast::{AssignOp, Expr, ExprKind};
use crate::ir::{BinOp, Inst, RecordAction, Subr, VReg};
use crate::sema::{Checked, is_aggregate_var, var_place_root};
use crate::source::Span;
use crate::types::{Type, string_size};

/// The bytes `trace()` records for `expr` when its value is a struct, union or array, which DTrace
/// records and prints as raw bytes; `None` for every other value. A translated member has no
/// storage of its own (`curpsinfo->pr_psargs` is computed, often as a string), so it is recorded
/// as its translated value.
pub(super) fn traced_bytes(checked: &Checked, expr: &Expr) -> Option<u32> {
    let ty = checked.types.get(expr.span);
    if !matches!(ty, Type::Struct(_) | Type::Array(_))
        || checked.type_info.xlate_members.contains_key(&expr.span)
    {
        return None;
    }
    checked.type_info.table.size_of(ty, 1)
}

impl Lowerer<'_> {
    /// Whether `expr` reads a struct, union or array variable.
    pub(super) fn is_aggregate_var(&self, expr: &Expr) -> bool {
        is_aggregate_var(expr, &self.checked.types, &self.checked.type_info)
    }

    /// Whether the place `expr` is a member or element of a struct, union or array variable.
    pub(super) fn is_var_place(&self, expr: &Expr) -> bool {
        crate::sema::var_place_root(expr, &self.checked.types, &self.checked.type_info).is_some()
    }

    /// `trace(value)` of a struct, union or array: its `size` bytes copied into the record, which
    /// the consumer prints as a hex dump.
    pub(super) fn trace_bytes(&mut self, expr: &Expr, size: u32) -> RecordAction {
        let address = self.int_expr(expr);
        let offset = self.record_field(size.next_multiple_of(8));
        self.push(
            expr.span,
            Inst::ReadKernel {
                offset,
                size,
                address,
            },
        );
        RecordAction::Tracemem {
            offset,
            size,
            shown: None,
        }
    }

    /// A struct, union or array key: its `size` bytes copied to scratch `offset`, then zeroes up to
    /// the next 8-byte boundary, so that equal values make equal keys.
    pub(super) fn value_key_into(&mut self, key: &Expr, size: u32, offset: u32) {
        let address = self.int_expr(key);
        let padded = size.next_multiple_of(8);
        if padded > size {
            self.push(
                key.span,
                Inst::Zero {
                    offset: offset + size,
                    size: padded - size,
                },
            );
        }
        self.push(
            key.span,
            Inst::ReadKernel {
                offset,
                size,
                address,
            },
        );
    }

    /// `target = value` where `target` is a struct, union or array variable: the value's bytes are
    /// copied into it, or storing the literal 0 deletes a dynamic variable's element. Returns the
    /// value (the address of the bytes copied).
    pub(super) fn assign_aggregate(&mut self, target: &Expr, value: &Expr) -> VReg {
        let span = target.span.to(value.span);
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
            return self.constant(span, 0);
        }
        let src = self.int_expr(value);
        let offset = self.constant(span, 0);
        let size = self.size_of(self.type_of(target));
        self.push(
            span,
            Inst::CopyToVar {
                var: access.var,
                key_offset: access.key_offset,
                offset,
                size,
                src,
            },
        );
        src
    }

    /// `place op= value` where the place is a member or element of a struct, union or array
    /// variable; returns the value stored.
    pub(super) fn var_place_store(
        &mut self,
        op: AssignOp,
        target: &Expr,
        value: &Expr,
        expr: &Expr,
    ) -> VReg {
        let span = expr.span;
        let ty = self.type_of(target);
        if self.type_of(value) == Type::String {
            let slot = self.string_value_temp(value);
            return self.store_var_place_string(target, slot, span);
        }
        if matches!(ty, Type::Struct(_) | Type::Array(_)) {
            // A struct, union or array member takes a copy of the value's bytes.
            let src = self.int_expr(value);
            let (access, offset) = self.var_place_offset(target);
            let size = self.size_of(ty);
            self.push(
                span,
                Inst::CopyToVar {
                    var: access.var,
                    key_offset: access.key_offset,
                    offset,
                    size,
                    src,
                },
            );
            return src;
        }
        let src = match op {
            AssignOp::Assign => self.stored(value, ty),
            AssignOp::Compound(binary_op) => {
                let old = self.place_value(target);
                self.compound_value(binary_op, old, ty, value, span)
            }
        };
        self.store_var_place(target, src, span);
        src
    }

    /// `place = string` where the place is a `string` or `char` array member or element of a
    /// variable: the bytes of the string at `slot`, as many as the place holds (and the slot has),
    /// are copied into it. Returns the address of the string copied.
    pub(super) fn store_var_place_string(&mut self, target: &Expr, slot: u32, span: Span) -> VReg {
        let src = self.vreg();
        self.push(span, Inst::Subr(Subr::SlotAddress { dst: src, slot }));
        let (access, offset) = self.var_place_offset(target);
        let size = self
            .size_of(self.type_of(target))
            .min(string_size(self.strsize()));
        self.push(
            span,
            Inst::CopyToVar {
                var: access.var,
                key_offset: access.key_offset,
                offset,
                size,
                src,
            },
        );
        src
    }

    /// Writes the `string` member or element `expr` of a variable as a string at `offset`: the
    /// empty string when a dynamic variable has no such element (its address is then 0).
    pub(super) fn var_place_string_into(&mut self, expr: &Expr, offset: u32) {
        let size = self.strsize();
        let missing = self.label();
        let slot_size = crate::types::string_size(size);
        self.push(
            expr.span,
            Inst::Zero {
                offset,
                size: slot_size,
            },
        );
        if let Some(root) = var_place_root(expr, &self.checked.types, &self.checked.type_info) {
            let base = self.load_var(root);
            self.push(
                expr.span,
                Inst::JumpIf {
                    cond: base,
                    nonzero: false,
                    target: missing,
                },
            );
        }
        let address = self.address_of(expr);
        self.push(
            expr.span,
            Inst::ReadBytes {
                offset,
                addr: address,
                size: size - 1,
            },
        );
        self.push(expr.span, Inst::Label(missing));
    }

    /// Stores `src`, of the place's type, at a member or element of a variable.
    pub(super) fn store_var_place(&mut self, target: &Expr, src: VReg, span: Span) {
        let size = match self.type_of(target) {
            Type::Int { size, .. } => size,
            _ => 8,
        };
        let (access, offset) = self.var_place_offset(target);
        self.push(
            span,
            Inst::StoreVarMember {
                var: access.var,
                key_offset: access.key_offset,
                offset,
                size,
                src,
            },
        );
    }

    /// The value of `index`, a subscript of a value of type `base_type`. An index into an array of
    /// more than one element that is not a literal is checked against its length, as DTrace
    /// checks it (arrays of one element or none are the anchors of variable-length data).
    pub(super) fn subscript(&mut self, base_type: Type, index: &Expr) -> VReg {
        let value = self.int_expr(index);
        if let Some((_, len)) = self.checked.type_info.table.array(base_type)
            && len > 1
            && !matches!(index.kind, ExprKind::Int { .. })
        {
            self.push(index.span, Inst::CheckIndex { index: value, len });
        }
        value
    }

    /// Whether `expr` is a bit-field member.
    pub(super) fn is_bitfield(&self, expr: &Expr) -> bool {
        matches!(expr.kind, ExprKind::Member { .. }) && self.member_ref(expr).bit_size != 0
    }

    /// Reads the integer or pointer of type `ty` at a member or element of a variable, from the
    /// variable's storage.
    pub(super) fn var_place_load(&mut self, expr: &Expr, ty: Type) -> VReg {
        let (access, offset) = self.var_place_offset(expr);
        let (size, signed) = match ty {
            Type::Int { size, signed } => (size, signed),
            _ => (8, false),
        };
        let dst = self.vreg();
        self.push(
            expr.span,
            Inst::LoadVarMember {
                dst,
                var: access.var,
                key_offset: access.key_offset,
                offset,
                size,
                signed,
            },
        );
        dst
    }

    /// The variable a place lies in, and the place's byte offset in the variable's value.
    fn var_place_offset(&mut self, expr: &Expr) -> (super::var::Access, VReg) {
        let span = expr.span;
        let (base, step) = match &expr.kind {
            ExprKind::Member { base, .. } => {
                let member = self.member_ref(expr);
                let offset = self.constant(span, u64::from(member.bit_offset / 8));
                (base, offset)
            }
            ExprKind::Index { base, index } => {
                let base_type = self.type_of(base);
                let Some(element) = self.checked.type_info.table.element(base_type) else {
                    unreachable!("sema checked that {base_type:?} is an array");
                };
                let subscript = self.subscript(base_type, &index[0]);
                let element_size = self.constant(span, u64::from(self.size_of(element)));
                let offset = self.vreg();
                self.push(
                    span,
                    Inst::Bin {
                        op: BinOp::Mul,
                        dst: offset,
                        lhs: subscript,
                        rhs: element_size,
                    },
                );
                (base, offset)
            }
            other => unreachable!("sema checked that {other:?} is a member or an element"),
        };
        if self.is_aggregate_var(base) {
            return (self.access(base), step);
        }
        let (access, base_offset) = self.var_place_offset(base);
        let offset = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Add,
                dst: offset,
                lhs: base_offset,
                rhs: step,
            },
        );
        (access, offset)
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::first_clause;
    use crate::ir::{BinOp, Inst, RecordAction};

    const PAIR: &str = "struct pair { int a; char b; long c; };\nstruct pair g;\n";

    fn insts(body: &str) -> Vec<Inst> {
        first_clause(&format!("{PAIR}BEGIN {{ {body} }}")).insts
    }

    #[test]
    fn members_are_stored_and_loaded_in_the_variable_at_their_offset() {
        let insts = insts("self->s = g; self->s.c = 5; trace(self->s.b);");
        let stores: Vec<(u8, bool)> = insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::StoreVarMember {
                    size, key_offset, ..
                } => Some((*size, key_offset.is_some())),
                _ => None,
            })
            .collect();
        assert_eq!(stores, [(8, true)]);
        assert!(insts.iter().any(|inst| matches!(
            inst,
            Inst::LoadVarMember {
                size: 1,
                signed: true,
                ..
            }
        )));
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::CopyToVar { .. }))
        );
        let constants: Vec<u64> = insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Const { value, .. } => Some(*value),
                _ => None,
            })
            .collect();
        assert!(
            constants.contains(&8) && constants.contains(&4),
            "{constants:?}"
        );
    }

    #[test]
    fn strings_are_copied_into_string_and_char_array_members_as_far_as_they_fit() {
        let insts = first_clause(
            "struct rec { string s; char c[4]; }; struct rec r; BEGIN { r.s = \"hello\"; r.c = \"abcdef\"; }",
        )
        .insts;
        let sizes: Vec<u32> = insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::CopyToVar { size, .. } => Some(*size),
                _ => None,
            })
            .collect();
        assert_eq!(
            sizes,
            [256, 4],
            "strsize bytes for the string, 4 for the array"
        );
    }

    #[test]
    fn storing_zero_deletes_and_reading_gives_the_address() {
        let insts = insts("self->s = g; self->s = 0; this->x = (uint64_t)&self->s.b;");
        assert_eq!(
            insts
                .iter()
                .filter(|inst| matches!(inst, Inst::DeleteVar { .. }))
                .count(),
            1
        );
        assert!(
            insts
                .iter()
                .filter(|inst| matches!(inst, Inst::VarAddr { .. }))
                .count()
                >= 2,
            "g's and self->s's addresses: {insts:?}"
        );
    }

    #[test]
    fn element_offsets_are_computed_at_run_time() {
        let insts =
            first_clause("this int a[4];\nBEGIN { this->i = 2; this->a[this->i] = 1; }").insts;
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::Bin { op: BinOp::Mul, .. }))
        );
        assert!(insts.iter().any(|inst| matches!(
            inst,
            Inst::StoreVarMember {
                size: 4,
                key_offset: None,
                ..
            }
        )));
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::CheckIndex { len: 4, .. })),
            "a computed index is checked against the length"
        );
        let literal = first_clause("this int a[4];\nBEGIN { this->a[3] = 1; }").insts;
        assert!(
            !literal
                .iter()
                .any(|inst| matches!(inst, Inst::CheckIndex { .. })),
            "sema checked a literal index"
        );
    }

    #[test]
    fn traced_structs_and_arrays_are_recorded_as_bytes() {
        let clause = first_clause(&format!(
            "{PAIR}BEGIN {{ trace(g); trace(curthread->comm); }}"
        ));
        let Some([first, second]) = clause.record.as_deref() else {
            panic!("{:?}", clause.record);
        };
        assert!(matches!(
            first,
            RecordAction::Tracemem {
                size: 16,
                shown: None,
                ..
            }
        ));
        assert!(matches!(
            second,
            RecordAction::Tracemem {
                size: 16,
                shown: None,
                ..
            }
        ));
    }

    #[test]
    fn pointer_compound_assignments_scale_by_the_target_size() {
        let insts = insts("p = (long *)alloca(32); p += 3;");
        let scales: Vec<u64> = insts
            .windows(2)
            .filter_map(|pair| match pair {
                [Inst::Const { value, .. }, Inst::Bin { op: BinOp::Mul, .. }] => Some(*value),
                _ => None,
            })
            .collect();
        assert_eq!(scales, [8]);
    }
}
