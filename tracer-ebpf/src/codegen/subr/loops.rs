//! Loops the verifier accepts at any `strsize`, and the small sequences every subroutine shares.
//!
//! A loop starts with `may_goto`, which leaves it when the program's loop budget is spent; the
//! verifier then checks the loop by the states it reaches at the `may_goto` rather than one
//! iteration at a time. Loop bodies keep their state in the work area (`area::Var`), load it into
//! r0..r5 (and r8, r9) as they need it, and check every index against the string size before using
//! it, so the states stay the same from one iteration to the next.
//!
//! ```text
//! head:  may_goto exit            leave when the budget is spent
//!        ... body ...              loads its state, jumps to exit when done
//!        goto head
//! exit:
//! ```
//!
//! Kernels before 6.9 have no `may_goto`. There a loop counts its iterations in a stack slot
//! instead and leaves after [`Emitter::loop_bound`] of them (the string size and one); the
//! verifier tracks a spilled constant exactly, so it checks each iteration in turn, as it does
//! any bounded loop. The counters use the aggregation slots, which are free while a subroutine
//! runs, one per nesting level (loops nest two deep).
//!
//! ```text
//!        *(u64 *)(r10 + SLOT) = 0
//! head:  r1 = *(u64 *)(r10 + SLOT); if r1 >= BOUND goto exit
//!        r1 += 1; *(u64 *)(r10 + SLOT) = r1
//! ```

use super::area::{StringArea, Var};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{AGG_ENTRY_SLOT, AGG_GEN_SLOT, AGG_ZERO_SLOT, SCRATCH};
use crate::codegen::inst::{scratch_offset, scratch_pointer, store_bytes};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};

/// A loop under construction.
pub struct Loop {
    /// Where each iteration starts.
    pub head: Target,
}

impl Loop {
    /// Starts a loop that leaves for `exit` when the loop budget is spent.
    pub fn begin(emitter: &mut Emitter, exit: Target) -> Loop {
        let head = emitter.target();
        let Some(bound) = emitter.loop_bound else {
            emitter.place(head);
            emitter.may_goto(exit);
            return Loop { head };
        };
        let slots = [AGG_GEN_SLOT, AGG_ZERO_SLOT, AGG_ENTRY_SLOT];
        let slot = slots[emitter.loops_begun % slots.len()];
        emitter.loops_begun += 1;
        emitter.push(Insn::st_mem(Size::DW, Reg::FP, slot, 0));
        emitter.place(head);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, slot));
        emitter.jump_imm(JmpOp::Jge, Reg::R1, bound, exit);
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
        emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, slot));
        Loop { head }
    }

    /// `goto head`.
    pub fn again(&self, emitter: &mut Emitter) {
        emitter.jump(self.head);
    }
}

/// `reg = area[var]`.
pub fn load_var(emitter: &mut Emitter, area: StringArea, reg: Reg, var: Var) {
    emitter.push(Insn::ldx_mem(Size::DW, reg, SCRATCH, area.var(var)));
}

/// `area[var] = reg`.
pub fn store_var(emitter: &mut Emitter, area: StringArea, var: Var, reg: Reg) {
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, reg, area.var(var)));
}

/// `area[var] = value`.
pub fn set_var(emitter: &mut Emitter, area: StringArea, var: Var, value: i32) {
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, area.var(var), value));
}

/// `dst = slot[index]` for the byte at `index` (a register) of the string slot at `slot`; jumps to
/// `out_of_range` when `index` is past the string size. `dst` and `index` differ.
pub fn load_char(
    emitter: &mut Emitter,
    area: StringArea,
    dst: Reg,
    index: Reg,
    slot: u32,
    out_of_range: Target,
) {
    emitter.jump_imm(JmpOp::Jgt, index, area.strsize as i32, out_of_range);
    emitter.push(Insn::mov64_reg(dst, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, dst, index));
    emitter.push(Insn::ldx_mem(Size::B, dst, dst, scratch_offset(slot)));
}

/// `reg = &slot[index]`, for an `index` register the caller has bounded.
pub fn char_pointer(emitter: &mut Emitter, reg: Reg, slot: u32, index: Reg) {
    scratch_pointer(emitter, reg, slot);
    emitter.push(Insn::alu64_reg(AluOp::Add, reg, index));
}

/// Clears the string slot at `slot`.
pub fn clear_slot(emitter: &mut Emitter, area: StringArea, slot: u32) {
    store_bytes(emitter, slot, &[], area.slot_size());
}

/// Marks the (cleared) slot at `slot` as the NULL string.
pub fn set_null(emitter: &mut Emitter, area: StringArea, slot: u32) {
    emitter.push(Insn::st_mem(
        Size::B,
        SCRATCH,
        scratch_offset(slot + area.strsize),
        1,
    ));
}

/// `r0 = strlen(slot)`: the string copied onto itself by `bpf_probe_read_kernel_str`, which
/// returns its length and the NUL. Clobbers r1..r5.
///
/// ```text
///   r0 = probe_read_kernel_str(&slot, strsize + 1, &slot) - 1
/// ```
pub fn string_length(emitter: &mut Emitter, area: StringArea, slot: u32) {
    scratch_pointer(emitter, Reg::R1, slot);
    emitter.push(Insn::mov64_imm(Reg::R2, area.copy_size()));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel_str));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R0, 1));
}

/// Copies the string at `src` (a pointer register other than r1 and r2) into the slot at `dst`,
/// cut at `size` bytes (r2 when `size` is `None`, which the caller has bounded to the copy size).
/// Clobbers r0..r5.
pub fn copy_string(emitter: &mut Emitter, area: StringArea, dst: u32, src: Reg, size: Option<i32>) {
    if src != Reg::R3 {
        emitter.push(Insn::mov64_reg(Reg::R3, src));
    }
    scratch_pointer(emitter, Reg::R1, dst);
    if let Some(size) = size {
        emitter.push(Insn::mov64_imm(Reg::R2, size.min(area.copy_size())));
    }
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel_str));
}
