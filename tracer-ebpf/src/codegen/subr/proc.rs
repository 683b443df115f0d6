//! Subroutines about the process and user memory: `copyinstr`, `rand`, `progenyof` and
//! `execargs`.

use d_frontend::ir::{ExecArgsOffsets, VReg};

use super::area::{StringArea, Var};
use super::loops::{Loop, char_pointer, clear_slot, load_char, load_var, set_var, store_var};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::KEY_SLOT;
use crate::codegen::inst::{ClauseContext, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// `dst = copyinstr(addr[, max])`: at most `min(max, strsize) - 1` characters read from user
/// memory with `bpf_probe_read_user_str`, as DTrace reads them; a bad address faults.
///
/// ```text
///   size = min(max or strsize, strsize)  (unsigned)
///   if (probe_read_user_str(&dst, size, addr) <= 0) fault BADADDR at addr
/// ```
pub fn copyinstr(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: u32,
    addr: VReg,
    max: Option<VReg>,
) {
    let area = context.strings;
    let strsize = area.strsize as i32;
    clear_slot(emitter, area, dst);
    match max {
        Some(max) => {
            context.load_vreg(emitter, Reg::R2, max);
            emitter.push(Insn::jmp_imm(JmpOp::Jle, Reg::R2, strsize, 1));
            emitter.push(Insn::mov64_imm(Reg::R2, strsize));
        }
        None => emitter.push(Insn::mov64_imm(Reg::R2, strsize)),
    }
    context.load_vreg(emitter, Reg::R3, addr);
    scratch_pointer(emitter, Reg::R1, dst);
    emitter.push(Insn::call(Helper::bpf_probe_read_user_str));
    context.load_vreg(emitter, Reg::R3, addr);
    context.fault_unless(
        emitter,
        JmpOp::Jsgt,
        Reg::R0,
        0,
        Fault::BadAddr,
        Some(Reg::R3),
    );
}

/// `dst = rand()`: a pseudo-random `int`.
pub fn rand(context: &ClauseContext<'_>, emitter: &mut Emitter, dst: VReg) {
    emitter.push(Insn::call(Helper::bpf_get_prandom_u32));
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, 32));
    emitter.push(Insn::alu64_imm(AluOp::Arsh, Reg::R0, 32));
    context.store_vreg(emitter, dst, Reg::R0);
}

/// `dst = progenyof(pid)`: walks `real_parent` from the current task until a task of process
/// `pid`, a failed read, or `init`, whose parent is itself.
///
/// ```text
///   task = bpf_get_current_task(); result = 0
/// head: may_goto done
///   if (task == 0 || read(&word, 4, &task->tgid) != 0) goto done
///   if ((u32)word == (u32)pid) { result = 1; goto done }
///   if (read(&word, 8, &task->real_parent) != 0 || word == task) goto done
///   task = word; goto head
/// done:
///   dst = result
/// ```
pub fn progenyof(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    dst: VReg,
    pid: VReg,
    real_parent: u32,
    tgid: u32,
) {
    let area = context.strings;
    let done = emitter.target();
    let found = emitter.target();
    emitter.push(Insn::call(Helper::bpf_get_current_task));
    store_var(emitter, area, Var::Task, Reg::R0);
    set_var(emitter, area, Var::Result, 0);
    let ancestors = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R3, Var::Task);
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, done);
    read_member(emitter, tgid, 4);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, Reg::FP, KEY_SLOT));
    context.load_vreg(emitter, Reg::R2, pid);
    emitter.push(Insn::alu32_reg(AluOp::Mov, Reg::R2, Reg::R2));
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, found);
    load_var(emitter, area, Reg::R3, Var::Task);
    read_member(emitter, real_parent, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    load_var(emitter, area, Reg::R2, Var::Task);
    emitter.jump_reg(JmpOp::Jeq, Reg::R1, Reg::R2, done);
    store_var(emitter, area, Var::Task, Reg::R1);
    ancestors.again(emitter);
    emitter.place(found);
    set_var(emitter, area, Var::Result, 1);
    emitter.place(done);
    load_var(emitter, area, Reg::R0, Var::Result);
    context.store_vreg(emitter, dst, Reg::R0);
}

/// `dst = execargs`: the current process's argument strings, read from user memory between
/// `mm->arg_start` and `mm->arg_end`, cut at the string size, with the NULs between them made
/// spaces. A task without an `mm` or with arguments that cannot be read gives the empty string.
///
/// ```text
///   mm = current->mm; if (mm == NULL) done
///   len = mm->arg_end - mm->arg_start; if (len <= 0) done; len = min(len, strsize)
///   if (probe_read_user(&dst, len, mm->arg_start) != 0) { clear dst; done }
///   i = 0
/// head: may_goto done
///   if (i >= len - 1) done
///   if (dst[i] == 0) dst[i] = ' '
///   i++; goto head
/// ```
pub fn execargs(area: StringArea, emitter: &mut Emitter, dst: u32, offsets: &ExecArgsOffsets) {
    let strsize = area.strsize as i32;
    let done = emitter.target();
    let unread = emitter.target();
    clear_slot(emitter, area, dst);
    emitter.push(Insn::call(Helper::bpf_get_current_task));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
    read_member(emitter, offsets.task_mm, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, done);
    store_var(emitter, area, Var::Task, Reg::R3);
    read_member(emitter, offsets.arg_end, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    store_var(emitter, area, Var::End, Reg::R1);
    load_var(emitter, area, Reg::R3, Var::Task);
    read_member(emitter, offsets.arg_start, 8);
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, done);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
    load_var(emitter, area, Reg::R2, Var::End);
    emitter.push(Insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R3));
    emitter.jump_imm(JmpOp::Jsle, Reg::R2, 0, done);
    emitter.push(Insn::jmp_imm(JmpOp::Jle, Reg::R2, strsize, 1));
    emitter.push(Insn::mov64_imm(Reg::R2, strsize));
    store_var(emitter, area, Var::Length, Reg::R2);
    scratch_pointer(emitter, Reg::R1, dst);
    emitter.push(Insn::call(Helper::bpf_probe_read_user));
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, unread);
    set_var(emitter, area, Var::Index, 0);
    let spaces = Loop::begin(emitter, done);
    load_var(emitter, area, Reg::R1, Var::Index);
    load_var(emitter, area, Reg::R2, Var::Length);
    emitter.push(Insn::alu64_imm(AluOp::Sub, Reg::R2, 1));
    emitter.jump_reg(JmpOp::Jge, Reg::R1, Reg::R2, done);
    load_char(emitter, area, Reg::R0, Reg::R1, dst, done);
    let next = emitter.target();
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, next);
    emitter.jump_imm(JmpOp::Jge, Reg::R1, strsize, done);
    char_pointer(emitter, Reg::R0, dst, Reg::R1);
    emitter.push(Insn::st_mem(Size::B, Reg::R0, 0, i32::from(b' ')));
    emitter.place(next);
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
    store_var(emitter, area, Var::Index, Reg::R1);
    spaces.again(emitter);
    emitter.place(unread);
    clear_slot(emitter, area, dst);
    emitter.place(done);
}

/// `r0 = probe_read_kernel(fp - 8, size, r3 + offset)`.
pub(super) fn read_member(emitter: &mut Emitter, offset: u32, size: i32) {
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, offset as i32));
    emitter.push(Insn::mov64_reg(Reg::R1, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(KEY_SLOT)));
    emitter.push(Insn::mov64_imm(Reg::R2, size));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
}
