//! Subroutines that build a new string from one string or number: `strjoin`, `substr`,
//! `toupper`, `tolower` and `lltostr`.

use d_frontend::ir::VReg;

use super::area::{DIGITS_SIZE, StringArea, Var};
use super::loops::{
    Loop, char_pointer, clear_slot, copy_string, load_char, load_var, set_var, store_var,
    string_length,
};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::{ClauseContext, scratch_offset, scratch_pointer};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// `dst = strjoin(lhs, rhs)`: `lhs` copied whole, then as much of `rhs` as fits after it.
///
/// ```text
///   n = probe_read_kernel_str(&dst, strsize + 1, &lhs) - 1
///   if (n > strsize) goto done
///   probe_read_kernel_str(&dst[n], strsize + 1 - n, &rhs)
/// done:
/// ```
pub fn strjoin(area: StringArea, emitter: &mut Emitter, dst: u32, lhs: u32, rhs: u32) {
    let done = emitter.target();
    clear_slot(emitter, area, dst);
    scratch_pointer(emitter, Reg::R4, lhs);
    copy_string(emitter, area, dst, Reg::R4, Some(area.copy_size()));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R0, 1));
    emitter.jump_imm(JmpOp::Jgt, Reg::R0, area.strsize as i32, done);
    char_pointer(emitter, Reg::R1, dst, Reg::R0);
    emitter.push(Insn::mov64_imm(Reg::R2, area.copy_size()));
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R0));
    scratch_pointer(emitter, Reg::R3, rhs);
    emitter.push(Insn::call(crate::insn::Helper::bpf_probe_read_kernel_str));
    emitter.place(done);
}

/// `dst = substr(src, index[, count])`, by DTrace's rules: a negative `index` counts from the end
/// (characters before the start are taken off `count`), a negative `count` leaves that many
/// characters off the end, and anything out of range gives the empty string.
///
/// ```text
///   len = strlen(src)                   r8
///   if (len <= 0) goto done
///   idx = index; cnt = count or strsize r4, r5
///   if (idx < 0) { idx += len; if (idx < 0) { if (cnt <= -idx) goto done; cnt += idx; idx = 0 } }
///   if (idx >= len) goto done
///   if (cnt < 0) { cnt += len - idx; if (cnt <= 0) goto done }
///   cnt = min(cnt, strsize)
///   probe_read_kernel_str(&dst, cnt + 1, &src[idx])
/// done:
/// ```
pub fn substr(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    src: u32,
    index: VReg,
    count: Option<VReg>,
) {
    let area = context.strings;
    let strsize = area.strsize as i32;
    let done = emitter.target();
    let check_index = emitter.target();
    let copy = emitter.target();
    clear_slot(emitter, area, dst);
    string_length(emitter, area, src);
    emitter.push(Insn::mov64_reg(Reg::R8, Reg::R0));
    emitter.jump_imm(JmpOp::Jsle, Reg::R8, 0, done);
    context.load_vreg(emitter, Reg::R4, index);
    match count {
        Some(count) => context.load_vreg(emitter, Reg::R5, count),
        None => emitter.push(Insn::mov64_imm(Reg::R5, strsize)),
    }
    emitter.jump_imm(JmpOp::Jsge, Reg::R4, 0, check_index);
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R4, Reg::R8));
    emitter.jump_imm(JmpOp::Jsge, Reg::R4, 0, check_index);
    emitter.push(Insn::mov64_imm(Reg::R0, 0));
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R0, Reg::R4));
    emitter.jump_reg(JmpOp::Jsle, Reg::R5, Reg::R0, done);
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R5, Reg::R4));
    emitter.push(Insn::mov64_imm(Reg::R4, 0));
    emitter.place(check_index);
    emitter.jump_reg(JmpOp::Jsge, Reg::R4, Reg::R8, done);
    emitter.jump_imm(JmpOp::Jsge, Reg::R5, 0, copy);
    emitter.push(Insn::mov64_reg(Reg::R0, Reg::R8));
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R0, Reg::R4));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R5, Reg::R0));
    emitter.jump_imm(JmpOp::Jsle, Reg::R5, 0, done);
    emitter.place(copy);
    emitter.push(Insn::jmp_imm(JmpOp::Jsle, Reg::R5, strsize, 1));
    emitter.push(Insn::mov64_imm(Reg::R5, strsize));
    emitter.jump_imm(JmpOp::Jgt, Reg::R4, strsize, done);
    emitter.jump_imm(JmpOp::Jgt, Reg::R5, strsize, done);
    char_pointer(emitter, Reg::R3, src, Reg::R4);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R5));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    copy_string(emitter, area, dst, Reg::R3, None);
    emitter.place(done);
}

/// `dst = toupper(src)` or `tolower(src)`: the string copied, then each letter changed in place.
///
/// ```text
///   probe_read_kernel_str(&dst, strsize + 1, &src); i = 0
/// head: may_goto done
///   c = dst[i]; if (c == 0) goto done
///   if (c - 'a' <= 'z' - 'a') dst[i] = c - 32     (or 'A'..'Z', + 32)
///   i++; goto head
/// done:
/// ```
pub fn change_case(area: StringArea, emitter: &mut Emitter, dst: u32, src: u32, upper: bool) {
    let done = emitter.target();
    let next = emitter.target();
    clear_slot(emitter, area, dst);
    scratch_pointer(emitter, Reg::R4, src);
    copy_string(emitter, area, dst, Reg::R4, Some(area.copy_size()));
    set_var(emitter, area, Var::Index, 0);
    let chars = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_char(emitter, area, Reg::R3, Reg::R1, dst, done);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, done);
    let (first, shift) = if upper {
        (i32::from(b'a'), -32)
    } else {
        (i32::from(b'A'), 32)
    };
    emitter.push(Insn::mov64_reg(Reg::R4, Reg::R3));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R4, first));
    emitter.jump_imm(JmpOp::Jgt, Reg::R4, 25, next);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, shift));
    char_pointer(emitter, Reg::R2, dst, Reg::R1);
    emitter.push(Insn::stx_mem(Size::B, Reg::R2, Reg::R3, 0));
    emitter.place(next);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    chars.again(emitter);
    emitter.place(done);
}

/// `dst = lltostr(value[, base])`, written backwards into the digit buffer, then copied. Bases
/// other than 10 print the value unsigned, base 16 with `0x` and base 8 with a leading `0`; a base
/// outside 2..36 gives the empty string.
///
/// ```text
///   v = (base == 10 && value < 0) ? -value : value
///   digits[71] = 0; p = 70
/// head: may_goto prefix
///   if (v == 0) goto prefix
///   d = v % base; v /= base; digits[p--] = d < 10 ? '0' + d : 'a' + d - 10; goto head
/// prefix:
///   value == 0 && base == 16: '0';  base == 16: 'x';  value == 0 || base == 8 || base == 16: '0'
///   value < 0 && base == 10: '-'
///   probe_read_kernel_str(&dst, strsize + 1, &digits[p + 1])
/// ```
pub fn lltostr(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    value: VReg,
    base: Option<VReg>,
) {
    let area = context.strings;
    let done = emitter.target();
    let prefix = emitter.target();
    let last = DIGITS_SIZE as i32 - 1;
    clear_slot(emitter, area, dst);
    context.load_vreg(emitter, Reg::R1, value);
    match base {
        Some(base) => {
            context.load_vreg(emitter, Reg::R2, base);
            emitter.jump_imm(JmpOp::Jslt, Reg::R2, 2, done);
            emitter.jump_imm(JmpOp::Jsgt, Reg::R2, 36, done);
        }
        None => emitter.push(Insn::mov64_imm(Reg::R2, 10)),
    }
    store_var(emitter, area, Var::Base, Reg::R2);
    store_var(emitter, area, Var::Original, Reg::R1);
    emitter.push(Insn::mov64_imm(Reg::R3, 0));
    emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R2, 10, 3));
    emitter.push(Insn::jmp_imm(JmpOp::Jsge, Reg::R1, 0, 2));
    emitter.push(Insn::mov64_imm(Reg::R3, 1));
    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R1, 0));
    store_var(emitter, area, Var::Value, Reg::R1);
    store_var(emitter, area, Var::Negative, Reg::R3);
    emitter.push(Insn::st_mem(
        Size::B,
        SCRATCH,
        scratch_offset(area.digits()) + last as i16,
        0,
    ));
    set_var(emitter, area, Var::Index, last - 1);
    let digits = Loop::begin(emitter, prefix);
    load_var(emitter, area, Reg::R1, Var::Value);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, prefix);
    load_var(emitter, area, Reg::R2, Var::Base);
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R1));
    emitter.push(Insn::alu64_reg(AluOp::Mod, Reg::R3, Reg::R2));
    emitter.push(Insn::alu64_reg(AluOp::Div, Reg::R1, Reg::R2));
    store_var(emitter, area, Var::Value, Reg::R1);
    emitter.push(Insn::mov64_reg(Reg::R4, Reg::R3));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R4, i32::from(b'0')));
    emitter.push(Insn::jmp_imm(JmpOp::Jlt, Reg::R3, 10, 1));
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R4,
        i32::from(b'a') - 10 - i32::from(b'0'),
    ));
    push_digit(area, emitter, Reg::R4, prefix);
    digits.again(emitter);
    emitter.place(prefix);
    // Each prefix character is pushed when its condition holds: `(test, char)` pairs, where the
    // test jumps over the push.
    let zero_value = |emitter: &mut Emitter, skip| {
        load_var(emitter, area, Reg::R1, Var::Original);
        emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, skip);
    };
    let base_is = |emitter: &mut Emitter, base: i32, skip| {
        load_var(emitter, area, Reg::R2, Var::Base);
        emitter.jump_imm(JmpOp::Jne, Reg::R2, base, skip);
    };
    // value == 0 && base == 16: '0'.
    let skip = emitter.target();
    zero_value(emitter, skip);
    base_is(emitter, 16, skip);
    push_char(area, emitter, b'0', done);
    emitter.place(skip);
    // base == 16: 'x'.
    let skip = emitter.target();
    base_is(emitter, 16, skip);
    push_char(area, emitter, b'x', done);
    emitter.place(skip);
    // value == 0 || base == 8 || base == 16: '0'.
    let push = emitter.target();
    let skip = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Original);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, push);
    load_var(emitter, area, Reg::R2, Var::Base);
    emitter.jump_imm(JmpOp::Jeq, Reg::R2, 8, push);
    emitter.jump_imm(JmpOp::Jne, Reg::R2, 16, skip);
    emitter.place(push);
    push_char(area, emitter, b'0', done);
    emitter.place(skip);
    // A negative value in base 10: '-'.
    let skip = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Negative);
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, skip);
    push_char(area, emitter, b'-', done);
    emitter.place(skip);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    emitter.jump_imm(JmpOp::Jgt, Reg::R1, last, done);
    char_pointer(emitter, Reg::R3, area.digits(), Reg::R1);
    copy_string(emitter, area, dst, Reg::R3, Some(area.copy_size()));
    emitter.place(done);
}

/// `digits[p--] = reg`; jumps to `full` when the buffer is full.
fn push_digit(
    area: StringArea,
    emitter: &mut Emitter,
    reg: Reg,
    full: crate::codegen::emit::Target,
) {
    load_var(emitter, area, Reg::R5, Var::Index);
    emitter.jump_imm(JmpOp::Jgt, Reg::R5, DIGITS_SIZE as i32 - 1, full);
    char_pointer(emitter, Reg::R0, area.digits(), Reg::R5);
    emitter.push(Insn::stx_mem(Size::B, Reg::R0, reg, 0));
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R5, 1));
    store_var(emitter, area, Var::Index, Reg::R5);
}

/// `digits[p--] = ch`.
fn push_char(area: StringArea, emitter: &mut Emitter, ch: u8, full: crate::codegen::emit::Target) {
    emitter.push(Insn::mov64_imm(Reg::R4, i32::from(ch)));
    push_digit(area, emitter, Reg::R4, full);
}
