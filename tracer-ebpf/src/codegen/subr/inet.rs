//! `inet_ntoa`: an IPv4 address read from memory and written in dotted-decimal form.
//!
//! The four bytes are copied into the work area's digit buffer, then each is written out in
//! straight-line code: at most three digits and a dot per byte, so no loop is needed. Every
//! character is checked against the string size, so a small `strsize` cuts the address short.

use d_frontend::ir::VReg;

use super::area::StringArea;
use super::loops::clear_slot;
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_offset, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// Bytes of an IPv4 address.
const IPV4_SIZE: i32 = 4;

/// `dst = inet_ntoa(addr)`.
///
/// ```text
///   if (probe_read_kernel(&digits, 4, addr) != 0) fault BADADDR at addr
///   p = 0
///   for each byte b of digits[0..4]:
///     if (b is not the first) put('.')
///     if (b >= 100) put('0' + b / 100)
///     if (b >= 10) put('0' + b / 10 % 10)
///     put('0' + b % 10)
/// done:
/// put(c): if (p >= strsize) goto done; dst[p++] = c
/// ```
pub fn inet_ntoa(context: &ClauseContext<'_>, emitter: &mut Emitter, dst: u32, addr: VReg) {
    let area = context.strings;
    let done = emitter.target();
    clear_slot(emitter, area, dst);
    scratch_pointer(emitter, Reg::R1, area.digits());
    emitter.push(Insn::mov64_imm(Reg::R2, IPV4_SIZE));
    context.load_vreg(emitter, Reg::R3, addr);
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
    context.load_vreg(emitter, Reg::R3, addr);
    context.fault_unless(
        emitter,
        JmpOp::Jeq,
        Reg::R0,
        0,
        Fault::BadAddr,
        Some(Reg::R3),
    );
    emitter.push(Insn::mov64_imm(Reg::R5, 0));
    for byte in 0..IPV4_SIZE {
        if byte > 0 {
            emitter.push(Insn::mov64_imm(Reg::R3, i32::from(b'.')));
            put(area, emitter, dst, done);
        }
        emitter.push(Insn::ldx_mem(
            Size::B,
            Reg::R4,
            SCRATCH,
            scratch_offset(area.digits()) + byte as i16,
        ));
        decimal_byte(area, emitter, dst, done);
    }
    emitter.place(done);
}

/// Writes the byte in r4 (0 to 255) in decimal, without leading zeros. Clobbers r0 and r3.
fn decimal_byte(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
    let tens = emitter.target();
    let ones = emitter.target();
    emitter.jump_imm(JmpOp::Jlt, Reg::R4, 100, tens);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Div, Reg::R3, 100));
    digit(area, emitter, dst, done);
    emitter.place(tens);
    emitter.jump_imm(JmpOp::Jlt, Reg::R4, 10, ones);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Div, Reg::R3, 10));
    emitter.push(Insn::alu64_imm(AluOp::Mod, Reg::R3, 10));
    digit(area, emitter, dst, done);
    emitter.place(ones);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Mod, Reg::R3, 10));
    digit(area, emitter, dst, done);
}

/// `put('0' + r3)`.
fn digit(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(b'0')));
    put(area, emitter, dst, done);
}

/// `dst[r5++] = r3`, or `goto done` when the string is full. Clobbers r0.
fn put(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
    emitter.jump_imm(JmpOp::Jge, Reg::R5, area.strsize as i32, done);
    emitter.push(Insn::mov64_reg(Reg::R0, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R5));
    emitter.push(Insn::stx_mem(
        Size::B,
        Reg::R0,
        Reg::R3,
        scratch_offset(dst),
    ));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R5, 1));
}
