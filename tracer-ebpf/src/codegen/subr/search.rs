//! Searching strings: `index`, `rindex`, `strstr`, `strchr` and `strrchr`.

use d_frontend::ir::VReg;

use super::area::{StringArea, Var};
use super::loops::{
    Loop, char_pointer, clear_slot, copy_string, load_char, load_var, set_null, set_var, store_var,
    string_length,
};
use crate::codegen::emit::Emitter;
use crate::codegen::inst::ClauseContext;
use crate::insn::{AluOp, Insn, JmpOp, Reg};

/// Leaves in `Var::Result` where `needle` is in `haystack` (-1 when it is not), as `index`
/// (`reverse` false) or `rindex` do, from `start` when given.
///
/// `index` looks from `max(start, 0)` forward; `rindex` from `min(start, len(haystack) -
/// len(needle))` backward, and finds nothing from a negative start. An empty needle is found at
/// the start, kept between 0 and the haystack's length.
///
/// ```text
///   ls = strlen(haystack); lt = strlen(needle)       r8, r9
///   (the candidates p, from Index to Limit, as above; an empty needle sets Result at once)
/// outer: may_goto done
///   if (p is past Limit) goto done; j = 0
/// inner: may_goto done
///   if (j >= lt) { Result = p; goto done }
///   if (haystack[p + j] == needle[j]) { j++; goto inner }
///   p += 1 (or -1); goto outer
/// done:
/// ```
pub fn find(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    haystack: u32,
    needle: u32,
    start: Option<VReg>,
    reverse: bool,
) {
    let area = context.strings;
    let done = emitter.target();
    let search = emitter.target();
    set_var(emitter, area, Var::Result, -1);
    string_length(emitter, area, haystack);
    emitter.push(Insn::mov64_reg(Reg::R8, Reg::R0));
    string_length(emitter, area, needle);
    emitter.push(Insn::mov64_reg(Reg::R9, Reg::R0));
    match start {
        Some(start) => context.load_vreg(emitter, Reg::R1, start),
        None if reverse => emitter.push(Insn::mov64_reg(Reg::R1, Reg::R8)),
        None => emitter.push(Insn::mov64_imm(Reg::R1, 0)),
    }
    if reverse {
        emitter.jump_imm(JmpOp::Jne, Reg::R9, 0, search);
        emitter.push(Insn::jmp_imm(JmpOp::Jsge, Reg::R1, 0, 1));
        emitter.push(Insn::mov64_imm(Reg::R1, 0));
        emitter.push(Insn::jmp_reg(JmpOp::Jsle, Reg::R1, Reg::R8, 1));
        emitter.push(Insn::mov64_reg(Reg::R1, Reg::R8));
        store_var(emitter, area, Var::Result, Reg::R1);
        emitter.jump(done);
        emitter.place(search);
        emitter.jump_imm(JmpOp::Jslt, Reg::R1, 0, done);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R8));
        emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R9));
        emitter.jump_imm(JmpOp::Jslt, Reg::R2, 0, done);
        emitter.push(Insn::jmp_reg(JmpOp::Jsge, Reg::R1, Reg::R2, 1));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        store_var(emitter, area, Var::Index, Reg::R2);
        set_var(emitter, area, Var::Limit, 0);
    } else {
        emitter.push(Insn::jmp_imm(JmpOp::Jsge, Reg::R1, 0, 1));
        emitter.push(Insn::mov64_imm(Reg::R1, 0));
        emitter.jump_imm(JmpOp::Jne, Reg::R9, 0, search);
        emitter.push(Insn::jmp_reg(JmpOp::Jsle, Reg::R1, Reg::R8, 1));
        emitter.push(Insn::mov64_reg(Reg::R1, Reg::R8));
        store_var(emitter, area, Var::Result, Reg::R1);
        emitter.jump(done);
        emitter.place(search);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R8));
        emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R9));
        emitter.jump_reg(JmpOp::Jsgt, Reg::R1, Reg::R2, done);
        store_var(emitter, area, Var::Index, Reg::R1);
        store_var(emitter, area, Var::Limit, Reg::R2);
    }
    store_var(emitter, area, Var::Length, Reg::R9);
    let matched = emitter.target();
    let candidates = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Limit);
    let past_limit = if reverse { JmpOp::Jslt } else { JmpOp::Jsgt };
    emitter.jump_reg(past_limit, Reg::R1, Reg::R2, done);
    set_var(emitter, area, Var::Inner, 0);
    let chars = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Inner);
    load_var(emitter, area, Reg::R2, Var::Length);
    emitter.jump_reg(JmpOp::Jge, Reg::R1, Reg::R2, matched);
    load_var(emitter, area, Reg::R3, Var::Index);
    emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R3, Reg::R1));
    load_char(emitter, area, Reg::R4, Reg::R3, haystack, done);
    load_char(emitter, area, Reg::R5, Reg::R1, needle, done);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Inner, Reg::R1);
    emitter.jump_reg(JmpOp::Jeq, Reg::R4, Reg::R5, chars.head);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R1,
        if reverse { -1 } else { 1 },
    ));
    store_var(emitter, area, Var::Index, Reg::R1);
    candidates.again(emitter);
    emitter.place(matched);
    load_var(emitter, area, Reg::R1, Var::Index);
    store_var(emitter, area, Var::Result, Reg::R1);
    emitter.place(done);
}

/// `dst = strstr(haystack, needle)`: the rest of `haystack` from where `needle` is, or NULL.
pub fn strstr(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    haystack: u32,
    needle: u32,
) {
    clear_slot(emitter, context.strings, dst);
    find(context, emitter, haystack, needle, None, false);
    rest_or_null(context.strings, emitter, dst, haystack);
}

/// `dst = strchr(src, ch)` or `strrchr`: the rest of `src` from the first (last) `ch`, or NULL.
/// The terminating NUL counts as part of the string, so `strchr(s, 0)` is `""`.
///
/// ```text
///   p = 0 (or strlen(src)); Result = -1
/// head: may_goto done
///   if (p is past the string) goto done
///   if (src[p] == ch) { Result = p; goto done }
///   p += 1 (or -1); goto head
/// done:
///   dst = Result < 0 ? NULL : &src[Result]
/// ```
pub fn strchr(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    src: u32,
    ch: VReg,
    reverse: bool,
) {
    let area = context.strings;
    let done = emitter.target();
    let hit = emitter.target();
    clear_slot(emitter, area, dst);
    string_length(emitter, area, src);
    context.load_vreg(emitter, Reg::R1, ch);
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R1, 0xff));
    store_var(emitter, area, Var::Char, Reg::R1);
    set_var(emitter, area, Var::Result, -1);
    if reverse {
        store_var(emitter, area, Var::Index, Reg::R0);
        set_var(emitter, area, Var::Limit, 0);
    } else {
        set_var(emitter, area, Var::Index, 0);
        store_var(emitter, area, Var::Limit, Reg::R0);
    }
    let chars = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Limit);
    let past_limit = if reverse { JmpOp::Jslt } else { JmpOp::Jsgt };
    emitter.jump_reg(past_limit, Reg::R1, Reg::R2, done);
    load_char(emitter, area, Reg::R3, Reg::R1, src, done);
    load_var(emitter, area, Reg::R4, Var::Char);
    emitter.jump_reg(JmpOp::Jeq, Reg::R3, Reg::R4, hit);
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R1,
        if reverse { -1 } else { 1 },
    ));
    store_var(emitter, area, Var::Index, Reg::R1);
    chars.again(emitter);
    emitter.place(hit);
    store_var(emitter, area, Var::Result, Reg::R1);
    emitter.place(done);
    rest_or_null(area, emitter, dst, src);
}

/// `dst = &src[Result]`, or NULL when `Result` is -1. `dst` is clear.
fn rest_or_null(area: StringArea, emitter: &mut Emitter, dst: u32, src: u32) {
    let null = emitter.target();
    let done = emitter.target();
    load_var(emitter, area, Reg::R4, Var::Result);
    emitter.jump_imm(JmpOp::Jgt, Reg::R4, area.strsize as i32, null);
    char_pointer(emitter, Reg::R3, src, Reg::R4);
    copy_string(emitter, area, dst, Reg::R3, Some(area.copy_size()));
    emitter.jump(done);
    emitter.place(null);
    set_null(emitter, area, dst);
    emitter.place(done);
}
