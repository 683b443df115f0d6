//! `strtok`: tokens of a string kept in the work area, so `strtok(NULL, ...)` goes on where the
//! last call on this CPU stopped, in this clause or a later one.

use super::area::{BITMAP_SIZE, StringArea, Var};
use super::loops::{
    Loop, char_pointer, clear_slot, copy_string, load_char, load_var, set_null, set_var, store_var,
};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{scratch_offset, scratch_pointer, store_bytes};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// `dst = strtok(src, delimiters)`, or `strtok(NULL, delimiters)` when `src` is `None`.
///
/// ```text
///   if (src) { saved = src; pos = 0 }
///   bitmap = {}; for each c in delimiters: bitmap[c / 8] |= 1 << c % 8
///   while (saved[pos] is a delimiter) pos++
///   if (saved[pos] == 0) { dst = NULL; return }
///   start = pos; while (saved[pos] != 0 && saved[pos] is not a delimiter) pos++
///   end = pos          the delimiter stays, as in DTrace: the next call skips it with its own set
///   dst = saved[start .. end]
/// ```
pub fn strtok(
    area: StringArea,
    emitter: &mut Emitter,
    dst: u32,
    src: Option<u32>,
    delimiters: u32,
) {
    let saved = area.strtok_string();
    let position = area.strtok_position();
    let done = emitter.target();
    let null = emitter.target();
    clear_slot(emitter, area, dst);
    if let Some(src) = src {
        scratch_pointer(emitter, Reg::R4, src);
        copy_string(emitter, area, saved, Reg::R4, Some(area.copy_size()));
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, position, 0));
    }
    delimiter_bitmap(area, emitter, delimiters);

    let skipped = emitter.target();
    let skip = Loop::begin(emitter, null);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, position));
    load_char(emitter, area, Reg::R2, Reg::R1, saved, null);
    emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, null);
    is_delimiter(area, emitter);
    emitter.jump_imm(JmpOp::Jeq, Reg::R4, 0, skipped);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, position));
    skip.again(emitter);
    emitter.place(skipped);
    store_var(emitter, area, Var::Start, Reg::R1);

    let at_end = emitter.target();
    let at_delimiter = emitter.target();
    let token = Loop::begin(emitter, at_end);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, position));
    load_char(emitter, area, Reg::R2, Reg::R1, saved, at_end);
    emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, at_end);
    is_delimiter(area, emitter);
    emitter.jump_imm(JmpOp::Jne, Reg::R4, 0, at_delimiter);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, position));
    token.again(emitter);
    emitter.place(at_delimiter);
    emitter.place(at_end);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, position));
    store_var(emitter, area, Var::End, Reg::R1);
    load_var(emitter, area, Reg::R4, Var::Start);
    load_var(emitter, area, Reg::R2, Var::End);
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    emitter.jump_imm(JmpOp::Jgt, Reg::R4, area.strsize as i32, done);
    emitter.jump_imm(JmpOp::Jgt, Reg::R2, area.copy_size(), done);
    char_pointer(emitter, Reg::R3, saved, Reg::R4);
    copy_string(emitter, area, dst, Reg::R3, None);
    emitter.jump(done);
    emitter.place(null);
    set_null(emitter, area, dst);
    emitter.place(done);
}

/// Sets a bit in the work area's bitmap for each character of `delimiters`.
fn delimiter_bitmap(area: StringArea, emitter: &mut Emitter, delimiters: u32) {
    let bitmap = area.bitmap();
    store_bytes(emitter, bitmap, &[], BITMAP_SIZE);
    let done = emitter.target();
    set_var(emitter, area, Var::Index, 0);
    let chars = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_char(emitter, area, Reg::R2, Reg::R1, delimiters, done);
    emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, done);
    bitmap_byte(emitter, bitmap);
    emitter.push(Insn::mov64_imm(Reg::R0, 1));
    emitter.push(Insn::alu64_reg(AluOp::Lsh, Reg::R0, Reg::R2));
    emitter.push(Insn::alu64_reg(AluOp::Or, Reg::R5, Reg::R0));
    emitter.push(Insn::stx_mem(Size::B, Reg::R3, Reg::R5, 0));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    chars.again(emitter);
    emitter.place(done);
}

/// For the character in r2: r3 = its bitmap byte's address, r5 = that byte, r2 = its bit number.
fn bitmap_byte(emitter: &mut Emitter, bitmap: u32) {
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R2));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R3, 3));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R3, SCRATCH));
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R3,
        i32::from(scratch_offset(bitmap)),
    ));
    emitter.push(Insn::ldx_mem(Size::B, Reg::R5, Reg::R3, 0));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, 7));
}

/// r4 = 1 when the character in r2 is a delimiter, else 0; keeps r1.
fn is_delimiter(area: StringArea, emitter: &mut Emitter) {
    bitmap_byte(emitter, area.bitmap());
    emitter.push(Insn::mov64_reg(Reg::R4, Reg::R5));
    emitter.push(Insn::alu64_reg(AluOp::Rsh, Reg::R4, Reg::R2));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R4, 1));
}
