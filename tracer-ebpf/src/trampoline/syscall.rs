//! `syscall::NAME:entry` and `:return`: one raw tracepoint program on `sys_enter` (or `sys_exit`)
//! serves every syscall probe. The syscall number selects the probe through a map filled at load
//! time, so a wildcard attaches one program, and syscalls no clause wants return at once.
//!
//! Raw tracepoints rather than the `raw_syscalls` tracefs events: a raw tracepoint link detaches
//! at once, where closing a tracefs event waits for an RCU grace period (tens of milliseconds).
//! The raw arguments are `(struct pt_regs *regs, long id)` on entry and `(regs, long ret)` on
//! return, so the syscall's own arguments are read from `regs` with one probe read of the
//! registers that hold them (x86-64: `rdi rsi rdx r10 r8 r9`).
//!
//! ```text
//!   dctx->stack_skip = STACK_SKIP           *(u64 *)(r7+104) = 3
//!   entry:  nr = ctx[1]                     r1 = *(u64 *)(r6+8)
//!   return: nr = regs->orig_ax              probe_read_kernel(fp-8, 8, regs+120)
//!   if (nr >= SLOTS) return 0               if r1 >= SLOTS goto exit
//!   probe = lookup(syscall_map, nr)         call bpf_map_lookup_elem
//!   if (probe == NULL || !probe->id) return if r0 == 0 goto exit; ...
//!   dctx->probe_id = probe->id; dctx->clause_mask = probe->mask[0]
//!   (with more than 64 clauses, mask words 1.. go to the scratch area past the temporaries)
//!   entry:  probe_read_kernel(&dctx->arg2, 64, &regs->r10); then shuffle into arg0..arg5
//!           (only when a clause of the program reads an argument)
//!   return: arg0 = arg1 = ctx[1]; errno = -4095 <= ret < 0 ? -ret : 0
//! ```

use super::{arg_offset, zero_args_from};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{CTX, KEY_SLOT, SCRATCH};
use crate::codegen::maps::{MapIndex, SYSCALL_SLOTS};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{DCTX_CLAUSE_MASK, DCTX_ERRNO, DCTX_PROBE_ID, DCTX_STACK_SKIP};

/// Offset of `regs` in the raw tracepoint arguments.
const RAW_REGS: i16 = 0;
/// Offset of `id` (entry) or `ret` (return) in the raw tracepoint arguments.
const RAW_SECOND: i16 = 8;
/// The kernel frames of the raw tracepoint machinery under the program, which stacks leave out:
/// the program itself, `bpf_trace_run2` and `__bpf_trace_sys_enter` (or `_exit`), so that a stack
/// starts at the function that hit the tracepoint (`syscall_trace_enter`).
///
/// FIXME: while another program is attached to the same tracepoint (another tracer's), the kernel
/// calls the programs through `__traceiter_sys_enter`, one more frame, which stacks then start
/// with; telling the two apart needs that function's address, which code generation does not have.
const STACK_SKIP: i32 = 3;
/// The largest errno a failed syscall returns (`MAX_ERRNO`).
const MAX_ERRNO: i32 = 4095;

/// x86-64 `struct pt_regs` offsets.
mod pt_regs {
    /// `r10`, the first of the registers read on entry.
    pub const R10: i16 = 56;
    /// `orig_ax`: the syscall number.
    pub const ORIG_AX: i16 = 120;
    /// Bytes from `r10` through `di`: `r10 r9 r8 ax cx dx si di`.
    pub const ARGS_SPAN: i32 = 64;
}

/// Where each argument register lands in the `ARGS_SPAN` bytes read from `regs->r10`, by argument
/// index: `rdi rsi rdx r10 r8 r9`.
const ARG_REGISTER_OFFSETS: [i16; 6] = [56, 48, 40, 0, 16, 8];

/// The offset in x86-64 `struct pt_regs` of the register holding syscall argument `arg_idx`
/// (0 to 5).
pub(crate) fn arg_register_offset(arg_idx: usize) -> i16 {
    pt_regs::R10 + ARG_REGISTER_OFFSETS[arg_idx]
}

/// The offset of `orig_ax`, the syscall number, in x86-64 `struct pt_regs`.
pub(crate) const ORIG_AX_OFFSET: i16 = pt_regs::ORIG_AX;

/// Looks the probe up by syscall number and fills the D context; on entry, the arguments only
/// when a clause of the program reads them (`reads_args`), as their probe read is most of the
/// trampoline's cost.
pub fn trampoline(
    emitter: &mut Emitter,
    maps: &MapIndex,
    syscall_map: usize,
    is_return: bool,
    reads_args: bool,
    exit: Target,
) {
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_STACK_SKIP, STACK_SKIP));
    if is_return {
        read_regs(emitter, Reg::FP, KEY_SLOT, pt_regs::ORIG_AX, 8);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
    } else {
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, RAW_SECOND));
    }
    emitter.jump_imm(JmpOp::Jge, Reg::R1, SYSCALL_SLOTS as i32, exit);
    emitter.push(Insn::stx_mem(Size::W, Reg::FP, Reg::R1, KEY_SLOT));
    emitter.load_map(Reg::R1, syscall_map);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, exit);
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, Reg::R0, 0));
    emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, exit);
    emitter.push(Insn::stx_mem(Size::W, SCRATCH, Reg::R1, DCTX_PROBE_ID));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 8));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, DCTX_CLAUSE_MASK));
    for word in 1..maps.mask_words as i16 {
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 8 + 8 * word));
        let offset = maps.extra_mask_offset + 8 * (word - 1);
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, offset));
    }
    if is_return {
        let no_error = emitter.target();
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, RAW_SECOND));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(0)));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(1)));
        zero_args_from(emitter, 2);
        emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, no_error);
        emitter.jump_imm(JmpOp::Jslt, Reg::R1, -MAX_ERRNO, no_error);
        emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R1, 0));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, DCTX_ERRNO));
        emitter.place(no_error);
    } else if reads_args {
        entry_args(emitter);
    }
}

/// Reads the six argument registers into `arg0..arg5` and zeros the rest.
///
/// The 64 bytes from `regs->r10` land on `arg2..arg9` (the D context's argument slots are
/// contiguous), then move to their argument slots: `arg0` and `arg1` first, which the read did
/// not touch, then `arg2..arg5` through registers, since their sources overlap their slots.
fn entry_args(emitter: &mut Emitter) {
    let landing = arg_offset(2);
    read_regs(emitter, SCRATCH, landing, pt_regs::R10, pt_regs::ARGS_SPAN);
    for (arg_idx, register_offset) in ARG_REGISTER_OFFSETS.into_iter().enumerate().take(2) {
        let source = landing + register_offset;
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, source));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R1,
            arg_offset(arg_idx),
        ));
    }
    let temps = [Reg::R1, Reg::R2, Reg::R3, Reg::R4];
    for (temp, arg_idx) in temps.into_iter().zip(2..6) {
        let source = landing + ARG_REGISTER_OFFSETS[arg_idx];
        emitter.push(Insn::ldx_mem(Size::DW, temp, SCRATCH, source));
    }
    for (temp, arg_idx) in temps.into_iter().zip(2..6) {
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, temp, arg_offset(arg_idx)));
    }
    zero_args_from(emitter, 6);
}

/// `bpf_probe_read_kernel(base + offset, size, regs + regs_offset)`.
fn read_regs(emitter: &mut Emitter, base: Reg, offset: i16, regs_offset: i16, size: i32) {
    emitter.push(Insn::mov64_reg(Reg::R1, base));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(offset)));
    emitter.push(Insn::mov64_imm(Reg::R2, size));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, CTX, RAW_REGS));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(regs_offset)));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_registers_are_within_the_span_read() {
        for offset in ARG_REGISTER_OFFSETS {
            assert!(offset >= 0 && i32::from(offset) + 8 <= pt_regs::ARGS_SPAN);
        }
        // rdi, rsi, rdx, r10, r8, r9 at their pt_regs offsets, relative to r10.
        let absolute = [112, 104, 96, 56, 72, 64];
        for (relative, absolute) in ARG_REGISTER_OFFSETS.iter().zip(absolute) {
            assert_eq!(pt_regs::R10 + relative, absolute);
        }
    }

    #[test]
    fn the_landing_zone_stays_within_the_argument_slots() {
        let end = i32::from(arg_offset(2)) + pt_regs::ARGS_SPAN;
        assert!(end <= i32::from(crate::layout::DCTX_ERRNO));
    }
}
