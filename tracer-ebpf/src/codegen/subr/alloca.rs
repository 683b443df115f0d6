//! The `alloca` area: `alloca`, the checks that turn an `alloca` pointer into an address, and the
//! copies and stores into the area (`bcopy`, `copyin`, `copyinto`, `p[i] = v`).
//!
//! An `alloca` pointer is an offset into the clause's area (see `sema::alloca`); the area's top is
//! the D context's `alloca_top` word, 8 when a clause starts. The area is twice the offsets' range
//! (`maps::alloca_area_size`), so once an offset is known to lie below the range's end and a size
//! to be at most `scratchsize`, the verifier sees every access stay inside the scratch value.

use d_frontend::ir::VReg;

use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{DCTX_ALLOCA_TOP, Fault};

/// Empties the area: `alloca_top = 8`.
pub(super) fn alloca_reset(emitter: &mut Emitter) {
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_ALLOCA_TOP, 8));
}

impl ClauseContext<'_> {
    /// `dst = alloca(size)`.
    ///
    /// ```text
    ///   if (size > scratchsize + 8) fault NOSCRATCH      (unsigned: a negative size too)
    ///   next = (top + size + 7) & ~7                     r2
    ///   if (next > scratchsize + 8) fault NOSCRATCH
    ///   dst = top; top = next
    /// ```
    pub(super) fn alloca(&self, emitter: &mut Emitter, dst: VReg, size: VReg) {
        let limit = self.maps.alloca_limit as i32;
        self.load_vreg(emitter, Reg::R1, size);
        self.fault_unless(emitter, JmpOp::Jle, Reg::R1, limit, Fault::NoScratch, None);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, SCRATCH, DCTX_ALLOCA_TOP));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R0));
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 7));
        emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, -8));
        self.fault_unless(emitter, JmpOp::Jle, Reg::R2, limit, Fault::NoScratch, None);
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R2, DCTX_ALLOCA_TOP));
        self.store_vreg(emitter, dst, Reg::R0);
    }

    /// `dst` = the address of `size` bytes at `alloca` offset `offset`, as DTrace checks it.
    ///
    /// ```text
    ///   if (offset < 8 || offset >= scratchsize + 8) fault BADADDR at offset   (signed)
    ///   if (top - offset <= 0) fault BADADDR at offset
    ///   if (top - offset - size < 0) fault BADSIZE at size
    ///   dst = &scratch[alloca area] + offset
    /// ```
    pub(super) fn alloca_address(
        &self,
        emitter: &mut Emitter,
        dst: VReg,
        offset: VReg,
        size: VReg,
    ) {
        let limit = self.maps.alloca_limit as i32;
        let bad_addr = Some(Reg::R1);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, SCRATCH, DCTX_ALLOCA_TOP));
        self.load_vreg(emitter, Reg::R1, offset);
        self.load_vreg(emitter, Reg::R2, size);
        self.fault_unless(emitter, JmpOp::Jsge, Reg::R1, 8, Fault::BadAddr, bad_addr);
        self.fault_unless(
            emitter,
            JmpOp::Jslt,
            Reg::R1,
            limit,
            Fault::BadAddr,
            bad_addr,
        );
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R3, Reg::R1));
        self.fault_unless(emitter, JmpOp::Jsgt, Reg::R3, 0, Fault::BadAddr, bad_addr);
        emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R3, Reg::R2));
        self.fault_unless(
            emitter,
            JmpOp::Jsge,
            Reg::R3,
            0,
            Fault::BadSize,
            Some(Reg::R2),
        );
        scratch_pointer(emitter, Reg::R0, self.maps.alloca_offset);
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
        self.store_vreg(emitter, dst, Reg::R0);
    }

    /// `dst` = the address of the string slot at `slot`.
    pub(super) fn slot_address(&self, emitter: &mut Emitter, dst: VReg, slot: u32) {
        scratch_pointer(emitter, Reg::R0, slot);
        self.store_vreg(emitter, dst, Reg::R0);
    }

    /// Copies `size` bytes from `src` to the `alloca` address `dst`.
    ///
    /// ```text
    ///   if (size < 0 || size > scratchsize) fault BADSIZE at size
    ///   if (probe_read_{user,kernel}(dst, size, src) != 0) fault BADADDR at src
    /// ```
    pub(super) fn copy_mem(
        &self,
        emitter: &mut Emitter,
        dst: VReg,
        src: VReg,
        size: VReg,
        user: bool,
    ) {
        let max = self.maps.alloca_limit as i32 - 8;
        self.load_vreg(emitter, Reg::R2, size);
        self.fault_unless(
            emitter,
            JmpOp::Jsge,
            Reg::R2,
            0,
            Fault::BadSize,
            Some(Reg::R2),
        );
        self.fault_unless(
            emitter,
            JmpOp::Jle,
            Reg::R2,
            max,
            Fault::BadSize,
            Some(Reg::R2),
        );
        self.load_vreg(emitter, Reg::R1, dst);
        self.load_vreg(emitter, Reg::R3, src);
        emitter.push(Insn::call(if user {
            Helper::bpf_probe_read_user
        } else {
            Helper::bpf_probe_read_kernel
        }));
        self.load_vreg(emitter, Reg::R3, src);
        self.fault_unless(
            emitter,
            JmpOp::Jeq,
            Reg::R0,
            0,
            Fault::BadAddr,
            Some(Reg::R3),
        );
    }

    /// `*(uN *)addr = src` at an `alloca` address.
    pub(super) fn store_mem(&self, emitter: &mut Emitter, addr: VReg, size: u8, src: VReg) {
        self.load_vreg(emitter, Reg::R1, addr);
        self.load_vreg(emitter, Reg::R0, src);
        emitter.push(Insn::stx_mem(
            Size::from_bytes(u32::from(size)),
            Reg::R1,
            Reg::R0,
            0,
        ));
    }
}
