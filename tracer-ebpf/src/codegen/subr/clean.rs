//! `cleanpath`: a path with its empty, `.` and `..` components resolved lexically, as DTrace
//! does: repeated slashes become one, `.` components go, a `..` takes the component before it
//! away (or stays, at the start of a relative path; or goes, at the root), a trailing slash goes,
//! and what is left of a non-empty path is never empty (`.`). The empty string stays empty.
//!
//! The state lives in the work area: `Index` is the read position, `Result` the write position,
//! `Start` where the part `..` may take components from begins, `Negative` whether the path is
//! rooted, and `Limit` the path's length.

use super::area::{StringArea, Var};
use super::loops::{Loop, clear_slot, load_char, load_var, set_var, store_var, string_length};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::scratch_offset;
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// `dst = cleanpath(src)`.
///
/// ```text
///   n = strlen(src); if (n == 0) goto done
///   r = w = start = rooted = 0
///   if (src[0] == '/') { put('/'); start = rooted = 1 }
/// head: may_goto finish
///   if (r >= n) goto finish
///   if (src[r] == '/' || src[r..] starts "." then '/' or NUL) { r++; goto head }
///   if (src[r..] starts ".." then '/' or NUL) {
///     r += 2
///     if (w > start) { w--; while (w > start && dst[w] != '/') dst[w--] = 0; dst[w] = 0 }
///     else if (!rooted) { if (w > 0) put('/'); put('.'); put('.'); start = w }
///     goto head
///   }
///   if (w != rooted) put('/')
///   while (r < n && src[r] != '/') put(src[r++])
///   goto head
/// finish:
///   if (w == 0) dst[0] = '.'
/// done:
/// put(c): if (w >= strsize) goto finish; dst[w++] = c
/// ```
pub fn cleanpath(area: StringArea, emitter: &mut Emitter, dst: u32, src: u32) {
    let done = emitter.target();
    let finish = emitter.target();
    let relative = emitter.target();
    clear_slot(emitter, area, dst);
    string_length(emitter, area, src);
    emitter.jump_imm(JmpOp::Jsle, Reg::R0, 0, done);
    store_var(emitter, area, Var::Limit, Reg::R0);
    for var in [Var::Index, Var::Result, Var::Start, Var::Negative] {
        set_var(emitter, area, var, 0);
    }
    emitter.push(Insn::ldx_mem(
        Size::B,
        Reg::R1,
        SCRATCH,
        scratch_offset(src),
    ));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, i32::from(b'/'), relative);
    put_char(area, emitter, dst, b'/', finish);
    set_var(emitter, area, Var::Start, 1);
    set_var(emitter, area, Var::Negative, 1);
    emitter.place(relative);

    let component = emitter.target();
    let dotdot = emitter.target();
    let skip_one = emitter.target();
    let components = Loop::begin(emitter, finish);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Limit);
    emitter.jump_reg(JmpOp::Jge, Reg::R1, Reg::R2, finish);
    load_char(emitter, area, Reg::R3, Reg::R1, src, finish);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, i32::from(b'/'), skip_one);
    emitter.jump_imm(JmpOp::Jne, Reg::R3, i32::from(b'.'), component);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    load_char(emitter, area, Reg::R3, Reg::R1, src, finish);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, skip_one);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, i32::from(b'/'), skip_one);
    emitter.jump_imm(JmpOp::Jne, Reg::R3, i32::from(b'.'), component);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    load_char(emitter, area, Reg::R3, Reg::R1, src, finish);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, dotdot);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, i32::from(b'/'), dotdot);
    emitter.jump(component);

    emitter.place(skip_one);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    components.again(emitter);

    emitter.place(dotdot);
    store_var(emitter, area, Var::Index, Reg::R1);
    parent(area, emitter, dst, finish);
    components.again(emitter);

    emitter.place(component);
    let no_slash = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Result);
    load_var(emitter, area, Reg::R2, Var::Negative);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, no_slash);
    put_char(area, emitter, dst, b'/', finish);
    emitter.place(no_slash);
    let copied = emitter.target();
    let chars = Loop::begin(emitter, finish);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Limit);
    emitter.jump_reg(JmpOp::Jge, Reg::R1, Reg::R2, copied);
    load_char(emitter, area, Reg::R3, Reg::R1, src, finish);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, i32::from(b'/'), copied);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    put(area, emitter, dst, finish);
    chars.again(emitter);
    emitter.place(copied);
    components.again(emitter);

    emitter.place(finish);
    load_var(emitter, area, Reg::R1, Var::Result);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, done);
    emitter.push(Insn::st_mem(
        Size::B,
        SCRATCH,
        scratch_offset(dst),
        i32::from(b'.'),
    ));
    emitter.place(done);
}

/// A `..` component: the last component written goes (its bytes cleared), or, in a relative path
/// with nothing left to take away, `..` is written and becomes the new start.
fn parent(area: StringArea, emitter: &mut Emitter, dst: u32, finish: Target) {
    let relative = emitter.target();
    let cut = emitter.target();
    let next = emitter.target();
    load_var(emitter, area, Reg::R1, Var::Result);
    load_var(emitter, area, Reg::R2, Var::Start);
    emitter.jump_reg(JmpOp::Jle, Reg::R1, Reg::R2, relative);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R1, 1));
    store_var(emitter, area, Var::Result, Reg::R1);
    let back = Loop::begin(emitter, finish);
    load_var(emitter, area, Reg::R1, Var::Result);
    load_var(emitter, area, Reg::R2, Var::Start);
    emitter.jump_reg(JmpOp::Jle, Reg::R1, Reg::R2, cut);
    load_char(emitter, area, Reg::R3, Reg::R1, dst, finish);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, i32::from(b'/'), cut);
    clear_char(area, emitter, dst, finish);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R1, 1));
    store_var(emitter, area, Var::Result, Reg::R1);
    back.again(emitter);
    emitter.place(cut);
    clear_char(area, emitter, dst, finish);
    emitter.jump(next);

    emitter.place(relative);
    load_var(emitter, area, Reg::R2, Var::Negative);
    emitter.jump_imm(JmpOp::Jne, Reg::R2, 0, next);
    let first = emitter.target();
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, first);
    put_char(area, emitter, dst, b'/', finish);
    emitter.place(first);
    put_char(area, emitter, dst, b'.', finish);
    put_char(area, emitter, dst, b'.', finish);
    load_var(emitter, area, Reg::R1, Var::Result);
    store_var(emitter, area, Var::Start, Reg::R1);
    emitter.place(next);
}

/// `dst[r1] = 0`, for an `r1` below the string size. Clobbers r0.
fn clear_char(area: StringArea, emitter: &mut Emitter, dst: u32, finish: Target) {
    emitter.jump_imm(JmpOp::Jge, Reg::R1, area.strsize as i32, finish);
    emitter.push(Insn::mov64_reg(Reg::R0, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
    emitter.push(Insn::st_mem(Size::B, Reg::R0, scratch_offset(dst), 0));
}

/// `put(ch)`.
fn put_char(area: StringArea, emitter: &mut Emitter, dst: u32, ch: u8, finish: Target) {
    emitter.push(Insn::mov64_imm(Reg::R3, i32::from(ch)));
    put(area, emitter, dst, finish);
}

/// `dst[w++] = r3`, or `goto finish` when the string is full. Clobbers r0 and r5.
fn put(area: StringArea, emitter: &mut Emitter, dst: u32, finish: Target) {
    load_var(emitter, area, Reg::R5, Var::Result);
    emitter.jump_imm(JmpOp::Jge, Reg::R5, area.strsize as i32, finish);
    emitter.push(Insn::mov64_reg(Reg::R0, SCRATCH));
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R5));
    emitter.push(Insn::stx_mem(
        Size::B,
        Reg::R0,
        Reg::R3,
        scratch_offset(dst),
    ));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R5, 1));
    store_var(emitter, area, Var::Result, Reg::R5);
}
