//! Network addresses read from memory and written as text: `inet_ntoa` (an IPv4 address in
//! dotted-decimal form) and `link_ntop` (a link-layer address as colon-separated hex bytes).
//!
//! The address is copied into the work area's digit buffer first, so a bad address faults before
//! anything is written. `inet_ntoa` writes its four bytes in straight-line code (at most three
//! digits and a dot each); `link_ntop` loops over its 6 or 20 bytes. Every character is checked
//! against the string size, so a small `strsize` cuts the address short.

use d_frontend::ir::VReg;

use super::area::{StringArea, Var};
use super::loops::{Loop, clear_slot, load_var, set_var, store_var};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_offset, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// Bytes of an IPv4 address.
const IPV4_SIZE: i32 = 4;
/// `ARPHRD_ETHER`, and the bytes of an Ethernet address.
const ARPHRD_ETHER: (i32, i32) = (1, 6);
/// `ARPHRD_INFINIBAND`, and the bytes of an IP-over-InfiniBand address.
const ARPHRD_INFINIBAND: (i32, i32) = (32, 20);

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
    dotted_quad(area, emitter, dst, done, area.digits());
    emitter.place(done);
}

/// Writes the 4 bytes at scratch offset `from` in dotted-decimal form at position r5 of `dst`.
pub(super) fn dotted_quad(
    area: StringArea,
    emitter: &mut Emitter,
    dst: u32,
    done: Target,
    from: u32,
) {
    for byte in 0..IPV4_SIZE {
        if byte > 0 {
            emitter.push(Insn::mov64_imm(Reg::R3, i32::from(b'.')));
            put(area, emitter, dst, done);
        }
        emitter.push(Insn::ldx_mem(
            Size::B,
            Reg::R4,
            SCRATCH,
            scratch_offset(from) + byte as i16,
        ));
        decimal_byte(area, emitter, dst, done);
    }
}

/// `dst = link_ntop(kind, addr)`: an Ethernet or InfiniBand address as lower-case hex bytes
/// separated by colons. Any other `kind` is an illegal operation, as in DTrace.
///
/// ```text
///   if (kind != ARPHRD_ETHER && kind != ARPHRD_INFINIBAND) fault ILLOP at kind
///   len = kind == ARPHRD_INFINIBAND ? 20 : 6
///   if (probe_read_kernel(&digits, len, addr) != 0) fault BADADDR at addr
///   i = 0
/// head: may_goto done
///   if (i >= len) goto done
///   b = digits[i]; p = 3 * i
///   if (i > 0) { p--; put(':') }
///   put(hex(b >> 4)); put(hex(b & 15)); i++; goto head
/// done:
/// ```
pub fn link_ntop(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    kind: VReg,
    addr: VReg,
) {
    let area = context.strings;
    let done = emitter.target();
    let known = emitter.target();
    clear_slot(emitter, area, dst);
    context.load_vreg(emitter, Reg::R1, kind);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, ARPHRD_ETHER.0, known);
    context.fault_unless(
        emitter,
        JmpOp::Jeq,
        Reg::R1,
        ARPHRD_INFINIBAND.0,
        Fault::IllOp,
        Some(Reg::R1),
    );
    emitter.place(known);
    emitter.push(Insn::mov64_imm(Reg::R2, ARPHRD_ETHER.1));
    emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R1, ARPHRD_INFINIBAND.0, 1));
    emitter.push(Insn::mov64_imm(Reg::R2, ARPHRD_INFINIBAND.1));
    store_var(emitter, area, Var::Limit, Reg::R2);
    scratch_pointer(emitter, Reg::R1, area.digits());
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
    set_var(emitter, area, Var::Index, 0);
    let bytes = Loop::begin(emitter, done);
    let first = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Limit);
    emitter.jump_reg(JmpOp::Jge, Reg::R1, Reg::R2, done);
    emitter.jump_imm(JmpOp::Jge, Reg::R1, ARPHRD_INFINIBAND.1, done);
    emitter.push(Insn::mov64_reg(Reg::R0, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R4,
        Reg::R0,
        scratch_offset(area.digits()),
    ));
    emitter.push(Insn::mov64_reg(Reg::R5, Reg::R1));
    emitter.push(Insn::alu64_imm(AluOp::Mul, Reg::R5, 3));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, first);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R5, 1));
    emitter.push(Insn::mov64_imm(Reg::R3, i32::from(b':')));
    put(area, emitter, dst, done);
    emitter.place(first);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R3, 4));
    hex_digit(area, emitter, dst, done);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R3, 15));
    hex_digit(area, emitter, dst, done);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    bytes.again(emitter);
    emitter.place(done);
}

/// `put(hex(r3))` for r3 in 0..16, in lower case.
pub(super) fn hex_digit(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(b'0')));
    emitter.push(Insn::jmp_imm(JmpOp::Jlt, Reg::R3, i32::from(b'0') + 10, 1));
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R3,
        i32::from(b'a') - i32::from(b'0') - 10,
    ));
    put(area, emitter, dst, done);
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
pub(super) fn put(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
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
