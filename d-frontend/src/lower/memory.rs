//! Lowering memory access: addresses of places, loads through safe probe reads, pointer arithmetic
//! and `char` arrays copied as strings.
//!
//! Nothing here loads from a kernel address directly: every read is an [`Inst::Load`],
//! [`Inst::ReadBytes`] or [`Inst::ReadStr`], which the back end turns into
//! `bpf_probe_read_kernel` or `bpf_probe_read_kernel_str` calls.

use super::Lowerer;
use crate::ast::{AssignOp, BinaryOp, Expr, ExprKind, UnaryOp};
use crate::ir::{BinOp, Inst, Subr, VReg};
use crate::sema::{is_alloca, place_is_alloca};
use crate::source::Span;
use crate::types::{Type, TypeTable};

impl Lowerer<'_> {
    fn table(&self) -> &TypeTable {
        &self.checked.type_info.table
    }

    /// The size of `ty` in bytes, which sema has checked exists.
    pub(super) fn size_of(&self, ty: Type) -> u32 {
        match self.table().size_of(ty, self.strsize()) {
            Some(size) => size,
            None => unreachable!("sema checked that {ty:?} has a size"),
        }
    }

    /// Whether `expr`'s value is an `alloca` pointer (see `sema::alloca`).
    pub(super) fn is_alloca(&self, expr: &Expr) -> bool {
        is_alloca(expr, &self.checked.types, &self.checked.type_info)
    }

    /// The address of `size` bytes at the `alloca` pointer `offset`, checked against the area.
    pub(super) fn alloca_address(&mut self, offset: VReg, size: VReg, span: Span) -> VReg {
        let dst = self.vreg();
        self.push(span, Inst::Subr(Subr::AllocaAddr { dst, offset, size }));
        dst
    }

    /// The address of a place (`*p`, `p->m`, `s.m`, `a[i]`) about to be read or written. A place
    /// in the `alloca` area is checked against it, for the place's whole size.
    pub(super) fn address_of(&mut self, expr: &Expr) -> VReg {
        let address = self.place_address(expr, true);
        if !place_is_alloca(expr, &self.checked.types, &self.checked.type_info) {
            return address;
        }
        let size = self.size_of(self.type_of(expr));
        let size = self.constant(expr.span, u64::from(size));
        self.alloca_address(address, size, expr.span)
    }

    /// `place = value` or `place op= value` for a place in the `alloca` area; returns the value
    /// stored.
    pub(super) fn alloca_store(&mut self, op: AssignOp, target: &Expr, value: &Expr) -> VReg {
        let ty = self.type_of(target);
        let src = match op {
            AssignOp::Assign => self.stored(value, ty),
            AssignOp::Compound(binary_op) => {
                let old = self.place_value(target);
                self.compound_value(binary_op, old, ty, value, target.span.to(value.span))
            }
        };
        let addr = self.address_of(target);
        let size = self.size_of(ty) as u8;
        self.push(
            target.span.to(value.span),
            Inst::Subr(Subr::StoreMem { addr, size, src }),
        );
        src
    }

    /// `place = string` for a `string` place in the `alloca` area: the `strsize` bytes of the
    /// string at scratch `slot` are copied there.
    pub(super) fn alloca_store_string(&mut self, target: &Expr, slot: u32, span: Span) {
        let dst = self.address_of(target);
        let src = self.vreg();
        self.push(span, Inst::Subr(Subr::SlotAddress { dst: src, slot }));
        let size = self.size_of(Type::String);
        let size = self.constant(span, u64::from(size));
        self.push(
            span,
            Inst::Subr(Subr::CopyMem {
                dst,
                src,
                size,
                user: false,
            }),
        );
    }

    /// Writes the `string` place `expr` in the `alloca` area as a string at scratch `offset`.
    pub(super) fn alloca_string_into(&mut self, expr: &Expr, offset: u32) {
        let addr = self.address_of(expr);
        self.clear_string_slot(expr, offset);
        let size = self.strsize();
        self.push(expr.span, Inst::ReadStr { offset, addr, size });
    }

    /// The address of a place as its value: for a place in the `alloca` area, an `alloca` offset
    /// (`&p[1]` is an `alloca` pointer too). When the place is `loaded`, a NULL pointer before `->`
    /// faults, as DTrace checks it before it adds the member's offset (so the fault is at address
    /// 0); `&p->m` only computes an address and does not check.
    pub(super) fn place_address(&mut self, expr: &Expr, loaded: bool) -> VReg {
        let span = expr.span;
        if self.is_aggregate_var(expr) {
            return self.load_var(expr);
        }
        match &expr.kind {
            ExprKind::Unary {
                op: UnaryOp::Deref,
                operand,
            } => self.int_expr(operand),
            ExprKind::Member { base, arrow, .. } => {
                let base_address = if *arrow {
                    let pointer = self.int_expr(base);
                    if loaded {
                        self.push(span, Inst::NotNull { ptr: pointer });
                    }
                    pointer
                } else {
                    self.place_address(base, loaded)
                };
                let member = self.member_ref(expr);
                self.offset_by(span, base_address, u64::from(member.bit_offset / 8))
            }
            ExprKind::Ident(_) if self.checked.type_info.kernel_symbols.contains_key(&span) => {
                self.constant(span, self.checked.type_info.kernel_symbols[&span])
            }
            ExprKind::Index { base, index } if self.type_of(base) == Type::String => {
                // A character of a string value: the string is written to a slot first.
                let slot = self.string_value_temp(base);
                let address = self.vreg();
                self.push(span, Inst::Subr(Subr::SlotAddress { dst: address, slot }));
                let subscript = self.int_expr(&index[0]);
                self.scaled_add(span, address, subscript, 1, BinOp::Add)
            }
            ExprKind::Index { base, index } => {
                let base_type = self.type_of(base);
                let Some(element) = self.table().element(base_type) else {
                    unreachable!("sema checked that {base_type:?} is indexable");
                };
                // An array's elements are places inside it: their address is computed from the
                // array's own place, so that an `alloca` array stays an offset until the element
                // is checked against the area as a whole.
                let base_address = if matches!(base_type, Type::Array(_)) {
                    self.place_address(base, loaded)
                } else {
                    self.int_expr(base)
                };
                let subscript = self.subscript(base_type, &index[0]);
                self.scaled_add(
                    span,
                    base_address,
                    subscript,
                    self.size_of(element),
                    BinOp::Add,
                )
            }
            // Any other struct, union or array value (an inline's, a translated one) is its
            // address.
            _ => self.int_expr(expr),
        }
    }

    pub(super) fn member_ref(&self, expr: &Expr) -> crate::types::MemberRef {
        match self.checked.type_info.members.get(&expr.span) {
            Some(member) => *member,
            None => unreachable!("sema resolved the member at {:?}", expr.span),
        }
    }

    /// `base + offset`.
    fn offset_by(&mut self, span: Span, base: VReg, offset: u64) -> VReg {
        if offset == 0 {
            return base;
        }
        let offset = self.constant(span, offset);
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Add,
                dst,
                lhs: base,
                rhs: offset,
            },
        );
        dst
    }

    /// `base op index * scale`.
    pub(super) fn scaled_add(
        &mut self,
        span: Span,
        base: VReg,
        index: VReg,
        scale: u32,
        op: BinOp,
    ) -> VReg {
        let scaled = if scale == 1 {
            index
        } else {
            let scale = self.constant(span, u64::from(scale));
            let scaled = self.vreg();
            self.push(
                span,
                Inst::Bin {
                    op: BinOp::Mul,
                    dst: scaled,
                    lhs: index,
                    rhs: scale,
                },
            );
            scaled
        };
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op,
                dst,
                lhs: base,
                rhs: scaled,
            },
        );
        dst
    }

    /// The value of a place: a scalar, `float` or `double` read from memory (a bitfield extracted
    /// from its bytes), or, for an array or a struct, its address.
    pub(super) fn place_value(&mut self, expr: &Expr) -> VReg {
        let ty = self.type_of(expr);
        if ty.is_scalar() && self.is_var_place(expr) && !self.is_bitfield(expr) {
            return self.var_place_load(expr, ty);
        }
        let address = self.address_of(expr);
        let Type::Int { size, signed } = ty else {
            if ty.is_pointer() {
                return self.load(expr.span, address, 8, false);
            }
            // A `float` or `double` is carried as its bits.
            if let Type::Float {
                size: size @ (4 | 8),
            } = ty
            {
                return self.load(expr.span, address, size, false);
            }
            return address;
        };
        let member = matches!(expr.kind, ExprKind::Member { .. })
            .then(|| self.member_ref(expr))
            .filter(|member| member.bit_size != 0);
        let Some(member) = member else {
            return self.load(expr.span, address, size, signed);
        };
        self.bitfield(
            expr.span,
            address,
            member.bit_offset % 8,
            member.bit_size,
            signed,
        )
    }

    fn load(&mut self, span: Span, addr: VReg, size: u8, signed: bool) -> VReg {
        let dst = self.vreg();
        self.push(
            span,
            Inst::Load {
                dst,
                addr,
                size,
                signed,
            },
        );
        dst
    }

    /// Reads the bytes holding a bitfield that starts `shift` bits into the byte at `address`,
    /// then moves its `width` bits to the top and back down to extend them.
    fn bitfield(
        &mut self,
        span: Span,
        address: VReg,
        shift: u32,
        width: u32,
        signed: bool,
    ) -> VReg {
        let n_bytes = (shift + width).div_ceil(8).next_power_of_two().min(8);
        let unit = self.load(span, address, n_bytes as u8, false);
        let up = self.constant(span, u64::from(64 - shift - width));
        let raised = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Shl,
                dst: raised,
                lhs: unit,
                rhs: up,
            },
        );
        let down = self.constant(span, u64::from(64 - width));
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: if signed { BinOp::AShr } else { BinOp::LShr },
                dst,
                lhs: raised,
                rhs: down,
            },
        );
        dst
    }

    /// `lhs + rhs` or `lhs - rhs` where a pointer (or an array, as its address) is involved.
    pub(super) fn pointer_arithmetic(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        expr: &Expr,
    ) -> VReg {
        let span = expr.span;
        let lhs_type = self.type_of(lhs);
        let rhs_type = self.type_of(rhs);
        let element_size = |lowerer: &Self, ty: Type| {
            let Some(element) = lowerer.table().element(ty) else {
                unreachable!("sema checked that {ty:?} is a pointer");
            };
            lowerer.size_of(element)
        };
        let bin_op = if op == BinaryOp::Add {
            BinOp::Add
        } else {
            BinOp::Sub
        };
        let lhs_value = self.int_expr(lhs);
        let rhs_value = self.int_expr(rhs);
        if lhs_type.is_int() {
            let scale = element_size(self, rhs_type);
            return self.scaled_add(span, rhs_value, lhs_value, scale, bin_op);
        }
        if rhs_type.is_int() {
            let scale = element_size(self, lhs_type);
            return self.scaled_add(span, lhs_value, rhs_value, scale, bin_op);
        }
        let scale = element_size(self, lhs_type);
        let bytes = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::Sub,
                dst: bytes,
                lhs: lhs_value,
                rhs: rhs_value,
            },
        );
        if scale == 1 {
            return bytes;
        }
        let scale = self.constant(span, u64::from(scale));
        let dst = self.vreg();
        self.push(
            span,
            Inst::Bin {
                op: BinOp::SDiv,
                dst,
                lhs: bytes,
                rhs: scale,
            },
        );
        dst
    }

    /// Clears the whole string slot at `offset`, its NULL mark included: the slot may hold what an
    /// earlier clause left in the scratch area.
    fn clear_string_slot(&mut self, expr: &Expr, offset: u32) {
        let size = crate::types::string_size(self.strsize());
        self.push(expr.span, Inst::Zero { offset, size });
    }

    /// Writes a `char` array place as a NUL-padded string of `strsize` bytes at `offset`.
    pub(super) fn char_array_into(&mut self, expr: &Expr, offset: u32) {
        let size = self.strsize();
        let Some((_, len)) = self.table().array(self.type_of(expr)) else {
            unreachable!("sema checked that {:?} is a char array", expr.kind);
        };
        let address = self.address_of(expr);
        self.clear_string_slot(expr, offset);
        self.push(
            expr.span,
            Inst::ReadBytes {
                offset,
                addr: address,
                size: len.min(size - 1),
            },
        );
    }

    /// Writes the NUL-terminated string at the address `expr` holds, as `strsize` bytes at
    /// `offset`.
    pub(super) fn kernel_string_into(&mut self, expr: &Expr, offset: u32) {
        let size = self.strsize();
        let mut address = self.int_expr(expr);
        if self.is_alloca(expr) {
            let one = self.constant(expr.span, 1);
            address = self.alloca_address(address, one, expr.span);
        }
        self.clear_string_slot(expr, offset);
        self.push(
            expr.span,
            Inst::ReadStr {
                offset,
                addr: address,
                size,
            },
        );
    }

    /// Copies the string in user memory whose address is `expr` to scratch `offset`, as
    /// `copyinstr` does.
    pub(super) fn user_string_into(&mut self, expr: &Expr, offset: u32) {
        let addr = self.int_expr(expr);
        let inst = Inst::Subr(Subr::CopyInStr {
            dst: offset,
            addr,
            max: None,
        });
        self.push(expr.span, inst);
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::tests::{compile_one, first_clause, insts_of};
    use crate::ir::{BinOp, Builtin, Inst, RecordAction};
    use crate::types::Type;

    fn loads(insts: &[Inst]) -> Vec<(u8, bool)> {
        insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Load { size, signed, .. } => Some((*size, *signed)),
                _ => None,
            })
            .collect()
    }

    fn constants(insts: &[Inst]) -> Vec<u64> {
        insts
            .iter()
            .filter_map(|inst| match inst {
                Inst::Const { value, .. } => Some(*value),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn floats_and_doubles_are_read_as_their_bits() {
        let clause = first_clause(
            "struct m { float f; double d; }; BEGIN { this->p = (struct m *)arg0; printf(\"%f %g\", this->p->f, this->p->d); }",
        );
        assert_eq!(loads(&clause.insts), [(4, false), (8, false)]);
        let Some([RecordAction::Printf { args, .. }]) = clause.record.as_deref() else {
            panic!("no printf in {:?}", clause.record);
        };
        let types: Vec<Type> = args.iter().map(|field| field.ty).collect();
        assert_eq!(types, [Type::Float { size: 4 }, Type::Float { size: 8 }]);
    }

    #[test]
    fn members_are_read_through_probe_reads_at_their_offsets() {
        let insts = insts_of("trace(curthread->real_parent->tgid);");
        assert!(insts.contains(&Inst::Builtin {
            dst: crate::ir::VReg(0),
            builtin: Builtin::CurThread
        }));
        assert_eq!(loads(&insts), [(8, false), (4, true)]);
        assert_eq!(constants(&insts), [2440, 2428]);
    }

    #[test]
    fn pointers_are_checked_before_members_are_read_through_them() {
        let n_checks = |body: &str| {
            insts_of(body)
                .iter()
                .filter(|inst| matches!(inst, Inst::NotNull { .. }))
                .count()
        };
        assert_eq!(n_checks("trace(curthread->real_parent->tgid);"), 2);
        assert_eq!(n_checks("trace(curthread->comm);"), 1);
        assert_eq!(
            n_checks("trace((uint64_t)&((struct task_struct *)0)->pid);"),
            0,
            "taking an address reads nothing"
        );
    }

    #[test]
    fn char_arrays_are_copied_as_strings() {
        let compiled = compile_one("BEGIN { printf(\"%s\", curthread->comm); }").expect("compiles");
        let clause = &compiled.module.clauses[0];
        assert!(
            clause
                .insts
                .iter()
                .any(|inst| matches!(inst, Inst::ReadBytes { size: 16, .. })),
            "{:?}",
            clause.insts
        );
        let Some([RecordAction::Printf { args, .. }]) = clause.record.as_deref() else {
            panic!("{:?}", clause.record);
        };
        assert_eq!(args[0].ty, Type::String);
    }

    #[test]
    fn stringof_a_pointer_reads_a_kernel_string() {
        let insts = insts_of("trace(stringof(curthread->stack));");
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::ReadStr { size: 256, .. })),
            "{insts:?}"
        );
    }

    #[test]
    fn bitfields_are_shifted_out_of_their_bytes() {
        let insts = insts_of("trace(curthread->in_execve);");
        assert_eq!(loads(&insts), [(1, false)]);
        assert_eq!(constants(&insts), [100, 62, 63]);
        assert!(insts.iter().any(|inst| matches!(
            inst,
            Inst::Bin {
                op: BinOp::LShr,
                ..
            }
        )));
    }

    #[test]
    fn pointer_arithmetic_scales_by_the_element_size() {
        let insts = insts_of("trace((int *)8 + 2);");
        assert_eq!(constants(&insts), [8, 2, 4]);
        assert!(
            insts
                .iter()
                .any(|inst| matches!(inst, Inst::Bin { op: BinOp::Mul, .. }))
        );
        let insts = insts_of("trace((long *)64 - (long *)8);");
        assert!(insts.iter().any(|inst| matches!(
            inst,
            Inst::Bin {
                op: BinOp::SDiv,
                ..
            }
        )));
    }
}
