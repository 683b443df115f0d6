//! `basename` and `dirname`, by DTrace's rules: `""` gives `"."`, a path of slashes gives `"/"`,
//! trailing slashes are ignored, and a name with no slash has the directory `"."`.

use super::area::{StringArea, Var};
use super::loops::{
    Loop, char_pointer, clear_slot, copy_string, load_char, load_var, store_var, string_length,
};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::scratch_offset;
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// `dst = basename(src)` or `dirname(src)` (`dir`).
///
/// Three backward scans from the last character find the last character of the last component
/// (`LastBase`), its first (`FirstBase`) and the last character of the directory (left in
/// `Index`); each is -1 when its scan runs off the front.
///
/// ```text
///   i = strlen(src) - 1                 ("" gives ".")
///   while (i >= 0 && src[i] == '/') i--;  LastBase = i
///   while (i >= 0 && src[i] != '/') i--;  FirstBase = i < 0 ? -1 : i + 1
///   while (i >= 0 && src[i] == '/') i--;  LastDir = i
///   all slashes: everything 0 ("/"); no slash: dirname ".", basename from 0
///   dirname: src[0 ..= max(LastDir, 0)]; basename: src[FirstBase ..= LastBase]
/// ```
pub fn path_part(area: StringArea, emitter: &mut Emitter, dst: u32, src: u32, dir: bool) {
    let done = emitter.target();
    let dot = emitter.target();
    clear_slot(emitter, area, dst);
    string_length(emitter, area, src);
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, dot);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R0, 1));
    store_var(emitter, area, Var::Index, Reg::R0);
    scan(area, emitter, src, true);
    load_var(emitter, area, Reg::R1, Var::Index);
    store_var(emitter, area, Var::LastBase, Reg::R1);
    scan(area, emitter, src, false);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.push(Insn::mov64_imm(Reg::R2, -1));
    emitter.push(Insn::jmp_imm(JmpOp::Jslt, Reg::R1, 0, 2));
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 1));
    store_var(emitter, area, Var::FirstBase, Reg::R2);
    scan(area, emitter, src, true);
    load_var(emitter, area, Reg::R5, Var::Index);
    load_var(emitter, area, Reg::R3, Var::LastBase);
    load_var(emitter, area, Reg::R4, Var::FirstBase);
    // Only slashes: the answer is "/" either way.
    emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R3, -1, 3));
    emitter.push(Insn::mov64_imm(Reg::R3, 0));
    emitter.push(Insn::mov64_imm(Reg::R4, 0));
    emitter.push(Insn::mov64_imm(Reg::R5, 0));
    if dir {
        emitter.jump_imm(JmpOp::Jeq, Reg::R4, -1, dot);
        emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R5, -1, 1));
        emitter.push(Insn::mov64_imm(Reg::R5, 0));
        emitter.push(Insn::mov64_imm(Reg::R4, 0));
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R5));
    } else {
        emitter.push(Insn::jmp_imm(JmpOp::Jne, Reg::R4, -1, 1));
        emitter.push(Insn::mov64_imm(Reg::R4, 0));
    }
    // Copy src[r4 ..= r3]: end - start + 1 characters and the NUL.
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::R3));
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R4));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, 2));
    emitter.jump_imm(JmpOp::Jgt, Reg::R4, area.strsize as i32, done);
    emitter.jump_imm(JmpOp::Jgt, Reg::R2, area.copy_size(), done);
    char_pointer(emitter, Reg::R3, src, Reg::R4);
    copy_string(emitter, area, dst, Reg::R3, None);
    emitter.jump(done);
    emitter.place(dot);
    emitter.push(Insn::st_mem(
        Size::B,
        SCRATCH,
        scratch_offset(dst),
        i32::from(b'.'),
    ));
    emitter.place(done);
}

/// Moves `Var::Index` back while it is a valid index of a character that is a slash (`slashes`)
/// or is not one.
fn scan(area: StringArea, emitter: &mut Emitter, src: u32, slashes: bool) {
    let done = emitter.target();
    let chars = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    emitter.jump_imm(JmpOp::Jslt, Reg::R1, 0, done);
    load_char(emitter, area, Reg::R2, Reg::R1, src, done);
    let stop = if slashes { JmpOp::Jne } else { JmpOp::Jeq };
    emitter.jump_imm(stop, Reg::R2, i32::from(b'/'), done);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    chars.again(emitter);
    emitter.place(done);
}
