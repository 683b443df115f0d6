//! `syscall::NAME:entry` and `:return`: one program on `raw_syscalls:sys_enter` (or `sys_exit`)
//! serves every syscall probe. The syscall number selects the probe through a map filled at load
//! time, so a wildcard attaches one program, and syscalls no clause wants return at once.
//!
//! ```text
//!   nr = ctx->id                              r1 = *(u64 *)(r6+8)
//!   if (nr >= SLOTS) return 0                 if r1 >= SLOTS goto exit
//!   probe = lookup(syscall_map, nr)           *(u32 *)(fp-8) = r1; call bpf_map_lookup_elem
//!   if (probe == NULL || !probe->id) return   if r0 == 0 goto exit; ...
//!   dctx->probe_id = probe->id; dctx->clause_mask = probe->mask
//!   entry:  arg0..arg5 = ctx->args[0..5]      *(u64 *)(r7+16+8i) = *(u64 *)(r6+16+8i)
//!   return: arg0 = arg1 = ctx->ret; errno = -4095 <= ret < 0 ? -ret : 0
//! ```

use super::{arg_offset, zero_args_from};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{CTX, KEY_SLOT, SCRATCH};
use crate::codegen::maps::SYSCALL_SLOTS;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{DCTX_CLAUSE_MASK, DCTX_ERRNO, DCTX_PROBE_ID};

/// Offset of `id` in the `raw_syscalls` tracepoint records.
const RAW_SYSCALLS_ID: i16 = 8;
/// Offset of `args[6]` in `sys_enter` and of `ret` in `sys_exit`.
const RAW_SYSCALLS_DATA: i16 = 16;
/// The largest errno a failed syscall returns (`MAX_ERRNO`).
const MAX_ERRNO: i32 = 4095;

/// Looks the probe up by syscall number and fills the D context.
pub fn trampoline(emitter: &mut Emitter, syscall_map: usize, is_return: bool, exit: Target) {
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, RAW_SYSCALLS_ID));
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
    if is_return {
        let no_error = emitter.target();
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, RAW_SYSCALLS_DATA));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(0)));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(1)));
        zero_args_from(emitter, 2);
        emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, no_error);
        emitter.jump_imm(JmpOp::Jslt, Reg::R1, -MAX_ERRNO, no_error);
        emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R1, 0));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, DCTX_ERRNO));
        emitter.place(no_error);
    } else {
        for arg_idx in 0..6 {
            emitter.push(Insn::ldx_mem(
                Size::DW,
                Reg::R1,
                CTX,
                RAW_SYSCALLS_DATA + 8 * arg_idx as i16,
            ));
            emitter.push(Insn::stx_mem(
                Size::DW,
                SCRATCH,
                Reg::R1,
                arg_offset(arg_idx),
            ));
        }
        zero_args_from(emitter, 6);
    }
}
