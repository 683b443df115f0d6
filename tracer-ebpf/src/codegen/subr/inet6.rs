//! IPv6 addresses written as text: `inet_ntoa6` and `inet_ntop`, as DTrace writes them.
//!
//! The 16 bytes are copied into the work area's digit buffer first, so a bad address faults
//! before anything is written. An address whose first five words are zero and whose sixth is
//! `ffff` (IPv4-mapped), or whose first six words are zero and which is neither `::` nor `::1`
//! (IPv4-compatible), is written as an IPv4 address, after `::ffff:` or `::` when the conversion
//! is strict (DTrace's reading of RFC 4291). Any other address is written as eight hex words
//! without leading zeros, the first longest run of two or more zero words collapsed to `::`.
//!
//! The run's bounds and the output position live in the work area between words, so the
//! verifier sees the same state at the start of every word whatever the address was.

use d_frontend::ir::VReg;

use super::area::{StringArea, Var};
use super::inet::{dotted_quad, hex_digit, put};
use super::loops::{clear_slot, load_var, store_var};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_offset, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// Bytes of an IPv6 address.
const IPV6_SIZE: i32 = 16;
/// Words of an IPv6 address.
const WORDS: i32 = 8;
/// Linux's `AF_INET6`.
const AF_INET6: i32 = 10;

/// `dst = inet_ntop(family, addr)`: `inet_ntoa6(addr, 1)` for `AF_INET6`, else `inet_ntoa(addr)`.
pub fn inet_ntop(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    family: VReg,
    addr: VReg,
) {
    let ipv4 = emitter.target();
    let end = emitter.target();
    context.load_vreg(emitter, Reg::R1, family);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, AF_INET6, ipv4);
    inet_ntoa6(context, emitter, dst, addr, true);
    emitter.jump(end);
    emitter.place(ipv4);
    super::inet::inet_ntoa(context, emitter, dst, addr);
    emitter.place(end);
}

/// `dst = inet_ntoa6(addr, strict)`.
///
/// ```text
///   if (probe_read_kernel(&digits, 16, addr) != 0) fault BADADDR at addr
///   p = 0
///   if (words 0..5 are 0) {
///     if (word 5 == ffff) { if (strict) put("::ffff:"); goto ipv4 }
///     if (word 5 == 0 && (word 6 != 0 || word 7 > 1)) { if (strict) put("::"); goto ipv4 }
///   }
///   start, end = the first longest run of 2 or more zero words (8, 8 if none)
///   for i in 0..8:
///     if (i == start) put("::")
///     if (start <= i < end) continue
///     if (i > 0 && i != end) put(':')
///     put(hex(word i))
///   goto done
/// ipv4: put(dotted quad of bytes 12..16)
/// done:
/// ```
pub fn inet_ntoa6(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    addr: VReg,
    strict: bool,
) {
    let area = context.strings;
    let done = emitter.target();
    let ipv4 = emitter.target();
    clear_slot(emitter, area, dst);
    scratch_pointer(emitter, Reg::R1, area.digits());
    emitter.push(Insn::mov64_imm(Reg::R2, IPV6_SIZE));
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
    embedded_ipv4(area, emitter, dst, ipv4, strict);
    longest_zero_run(area, emitter);
    for word in 0..WORDS {
        write_word(area, emitter, dst, word, done);
    }
    emitter.jump(done);
    emitter.place(ipv4);
    dotted_quad(area, emitter, dst, done, area.digits() + 12);
    emitter.place(done);
}

/// The scratch `ldx` offset of byte `byte` of the address.
fn byte_offset(area: StringArea, byte: i32) -> i16 {
    scratch_offset(area.digits()) + byte as i16
}

/// Goes to `ipv4` for an IPv4-mapped or IPv4-compatible address, after writing the prefix a
/// strict conversion writes. Clobbers r0, r1 and r3.
fn embedded_ipv4(area: StringArea, emitter: &mut Emitter, dst: u32, ipv4: Target, strict: bool) {
    let not_ipv4 = emitter.target();
    let mapped = emitter.target();
    let compatible = emitter.target();
    emitter.push(Insn::ldx_mem(
        Size::DW,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 0),
    ));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, not_ipv4);
    emitter.push(Insn::ldx_mem(
        Size::H,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 8),
    ));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, not_ipv4);
    emitter.push(Insn::ldx_mem(
        Size::H,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 10),
    ));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0xffff, mapped);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, not_ipv4);
    emitter.push(Insn::ldx_mem(
        Size::H,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 12),
    ));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, compatible);
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 14),
    ));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, compatible);
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R1,
        SCRATCH,
        byte_offset(area, 15),
    ));
    emitter.jump_imm(JmpOp::Jgt, Reg::R1, 1, compatible);
    emitter.jump(not_ipv4);
    emitter.place(mapped);
    if strict {
        put_text(area, emitter, dst, b"::ffff:", ipv4);
    }
    emitter.jump(ipv4);
    emitter.place(compatible);
    if strict {
        put_text(area, emitter, dst, b"::", ipv4);
    }
    emitter.jump(ipv4);
    emitter.place(not_ipv4);
}

/// Puts each byte of `text`; `full` is where to go when the string is full.
fn put_text(area: StringArea, emitter: &mut Emitter, dst: u32, text: &[u8], full: Target) {
    for &byte in text {
        emitter.push(Insn::mov64_imm(Reg::R3, i32::from(byte)));
        put(area, emitter, dst, full);
    }
}

/// Finds the first longest run of two or more zero words and stores its bounds as `Var::Start`
/// and `Var::End` (both 8 when there is none). The current run is r1 (start) and r2 (length),
/// the longest r3 (start) and r4 (length).
fn longest_zero_run(area: StringArea, emitter: &mut Emitter) {
    emitter.push(Insn::mov64_imm(Reg::R2, 0));
    emitter.push(Insn::mov64_imm(Reg::R3, WORDS));
    emitter.push(Insn::mov64_imm(Reg::R4, 0));
    for word in 0..WORDS {
        let next = emitter.target();
        let zero = emitter.target();
        emitter.push(Insn::ldx_mem(
            Size::H,
            Reg::R0,
            SCRATCH,
            byte_offset(area, 2 * word),
        ));
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, zero);
        emitter.push(Insn::mov64_imm(Reg::R2, 0));
        emitter.jump(next);
        emitter.place(zero);
        emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R2, 0, 1));
        emitter.push(Insn::mov64_imm(Reg::R1, word));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
        emitter.jump_reg(JmpOp::Jle, Reg::R2, Reg::R4, next);
        emitter.push(Insn::mov64_reg(Reg::R4, Reg::R2));
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
        emitter.place(next);
    }
    emitter.push(Insn::jmp_imm(JmpOp::Jge, Reg::R4, 2, 2));
    emitter.push(Insn::mov64_imm(Reg::R3, WORDS));
    emitter.push(Insn::mov64_imm(Reg::R4, 0));
    store_var(emitter, area, Var::Start, Reg::R3);
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R3, Reg::R4));
    store_var(emitter, area, Var::End, Reg::R3);
}

/// Writes word `word` (or the `::` of the collapsed run) at the position kept in `Var::Position`.
fn write_word(area: StringArea, emitter: &mut Emitter, dst: u32, word: i32, done: Target) {
    let skip = emitter.target();
    let output = emitter.target();
    let not_start = emitter.target();
    let no_colon = emitter.target();
    if word == 0 {
        store_var(emitter, area, Var::Position, Reg::R5);
    }
    load_var(emitter, area, Reg::R5, Var::Position);
    load_var(emitter, area, Reg::R1, Var::Start);
    load_var(emitter, area, Reg::R2, Var::End);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, word, not_start);
    put_text(area, emitter, dst, b"::", done);
    emitter.place(not_start);
    emitter.jump_imm(JmpOp::Jgt, Reg::R1, word, output);
    emitter.jump_imm(JmpOp::Jgt, Reg::R2, word, skip);
    emitter.place(output);
    if word > 0 {
        emitter.jump_imm(JmpOp::Jeq, Reg::R2, word, no_colon);
        emitter.push(Insn::mov64_imm(Reg::R3, i32::from(b':')));
        put(area, emitter, dst, done);
    }
    emitter.place(no_colon);
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R4,
        SCRATCH,
        byte_offset(area, 2 * word),
    ));
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R4, 8));
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R0,
        SCRATCH,
        byte_offset(area, 2 * word + 1),
    ));
    emitter.push(Insn::alu64_reg(AluOp::Or, Reg::R4, Reg::R0));
    hex_word(area, emitter, dst, done);
    emitter.place(skip);
    store_var(emitter, area, Var::Position, Reg::R5);
}

/// Writes r4 (0 to `ffff`) in hex without leading zeros. Clobbers r0 and r3.
fn hex_word(area: StringArea, emitter: &mut Emitter, dst: u32, done: Target) {
    for shift in [12, 8, 4] {
        let smaller = emitter.target();
        emitter.jump_imm(JmpOp::Jlt, Reg::R4, 1 << shift, smaller);
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
        emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R3, shift));
        emitter.push(Insn::alu64_imm(AluOp::And, Reg::R3, 15));
        hex_digit(area, emitter, dst, done);
        emitter.place(smaller);
    }
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R3, 15));
    hex_digit(area, emitter, dst, done);
}
