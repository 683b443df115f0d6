//! `strcmp` for the relational operators, and tests for the NULL string.

use d_frontend::ir::VReg;

use super::area::Var;
use super::loops::{Loop, load_var, set_var, store_var};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_offset};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// `dst = strcmp(lhs, rhs)` as -1, 0 or 1, a NULL string equal to "". Slots are NUL-padded, so comparing them whole, eight
/// bytes at a time, orders strings as `strcmp` does; the first words that differ, byte-swapped to
/// big-endian, compare as their first differing bytes do.
///
/// ```text
///   i = 0; result = 0
/// head: may_goto done
///   if (i > slot_size - 8) goto done
///   a = *(u64 *)&lhs[i]; b = *(u64 *)&rhs[i]; i += 8
///   if (a == b) goto head
///   result = be64(a) > be64(b) ? 1 : -1
/// done:
///   dst = result
/// ```
pub fn strcmp(context: &ClauseContext<'_>, emitter: &mut Emitter, dst: VReg, lhs: u32, rhs: u32) {
    let area = context.strings;
    let done = emitter.target();
    // The slots are the comparison's own copies: dropping their NULL marks makes a NULL string
    // compare as "", as DTrace's string comparisons have it.
    for slot in [lhs, rhs] {
        emitter.push(Insn::st_mem(
            Size::B,
            SCRATCH,
            scratch_offset(slot + area.strsize),
            0,
        ));
    }
    set_var(emitter, area, Var::Index, 0);
    set_var(emitter, area, Var::Result, 0);
    let words = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.jump_imm(JmpOp::Jgt, Reg::R1, area.slot_size() as i32 - 8, done);
    emitter.push(Insn::mov64_reg(Reg::R2, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R2, Reg::R1));
    emitter.push(Insn::ldx_mem(
        Size::DW,
        Reg::R3,
        Reg::R2,
        scratch_offset(lhs),
    ));
    emitter.push(Insn::ldx_mem(
        Size::DW,
        Reg::R4,
        Reg::R2,
        scratch_offset(rhs),
    ));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 8));
    store_var(emitter, area, Var::Index, Reg::R1);
    emitter.jump_reg(JmpOp::Jeq, Reg::R3, Reg::R4, words.head);
    emitter.push(Insn::to_be64(Reg::R3));
    emitter.push(Insn::to_be64(Reg::R4));
    emitter.push(Insn::mov64_imm(Reg::R0, 1));
    emitter.push(Insn::jmp_reg(JmpOp::Jgt, Reg::R3, Reg::R4, 1));
    emitter.push(Insn::mov64_imm(Reg::R0, -1));
    store_var(emitter, area, Var::Result, Reg::R0);
    emitter.place(done);
    load_var(emitter, area, Reg::R0, Var::Result);
    context.store_vreg(emitter, dst, Reg::R0);
}

/// `dst = (src == NULL)`: the byte after the longest string is 1 only in the NULL string.
pub fn is_null(context: &ClauseContext<'_>, emitter: &mut Emitter, dst: VReg, src: u32) {
    let strsize = context.strings.strsize;
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R0,
        SCRATCH,
        scratch_offset(src + strsize),
    ));
    context.store_vreg(emitter, dst, Reg::R0);
}
