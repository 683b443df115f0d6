//! Stacks: `stack()`, `ustack()`, `caller`, `ucaller`, `stackdepth` and `ustackdepth`, all from
//! `bpf_get_stack`, which works in every program type tracer generates (raw tracepoints, perf
//! events, and the `BEGIN`/`END` programs run by `BPF_PROG_TEST_RUN`).
//!
//! `bpf_get_stack` zeros the buffer past the frames it writes, and all of it when it fails, so a
//! recorded stack always ends at its first zero frame, as the consumer reads it. Kernel stacks
//! skip the frames of the probe machinery itself, as many as the trampoline put in the D context.

use d_frontend::ir::VReg;
use d_frontend::types::StackType;

use super::emit::Emitter;
use super::frame::{AGG_GEN_SLOT, CTX, KEY_SLOT, SCRATCH};
use super::inst::{ClauseContext, scratch_offset, scratch_pointer};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::DCTX_STACK_SKIP;

/// `bpf_get_stack`'s flag for the user stack.
const BPF_F_USER_STACK: i32 = 1 << 8;
/// The bits of `bpf_get_stack`'s flags that hold the frames to skip.
const BPF_F_SKIP_FIELD_MASK: i32 = 0xff;

impl ClauseContext<'_> {
    /// `r4` = the flags of a `bpf_get_stack` call for the kernel or the user stack.
    fn stack_flags(emitter: &mut Emitter, user: bool) {
        //   user:   r4 = BPF_F_USER_STACK            r4 = 0x100
        //   kernel: r4 = dctx->stack_skip & 0xff     r4 = *(u64 *)(r7+104); r4 &= 0xff
        if user {
            emitter.push(Insn::mov64_imm(Reg::R4, BPF_F_USER_STACK));
        } else {
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R4, SCRATCH, DCTX_STACK_SKIP));
            emitter.push(Insn::alu64_imm(AluOp::And, Reg::R4, BPF_F_SKIP_FIELD_MASK));
        }
    }

    /// Writes the stack at scratch `offset`: a user stack's process ID first, then the frames.
    pub(super) fn get_stack(emitter: &mut Emitter, offset: u32, stack: StackType) {
        //   [user] scratch[offset] = pid              call get_current_pid_tgid; r0 >>= 32; stx
        //   bpf_get_stack(ctx, frames, size, flags)   r1 = ctx; r2 = &frames; r3 = size; r4 = flags
        let mut frames_offset = offset;
        if stack.user {
            emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
            emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32));
            emitter.push(Insn::stx_mem(
                Size::DW,
                SCRATCH,
                Reg::R0,
                scratch_offset(offset),
            ));
            frames_offset += 8;
        }
        emitter.push(Insn::mov64_reg(Reg::R1, CTX));
        scratch_pointer(emitter, Reg::R2, frames_offset);
        emitter.push(Insn::mov64_imm(Reg::R3, (8 * stack.frames) as i32));
        Self::stack_flags(emitter, stack.user);
        emitter.push(Insn::call(Helper::bpf_get_stack));
    }

    /// `dst` = the frames of the current stack, at most `frames`, counted in scratch at `offset`.
    pub(super) fn stack_depth(
        &self,
        emitter: &mut Emitter,
        dst: VReg,
        offset: u32,
        frames: u32,
        user: bool,
    ) {
        //   r0 = bpf_get_stack(ctx, buf, size, flags)  r1 = ctx; r2 = &buf; r3 = size; r4 = flags
        //   if (r0 s< 0) r0 = 0                        jsge r0, 0, +1; r0 = 0
        //   dst = r0 / 8                               r0 >>= 3
        emitter.push(Insn::mov64_reg(Reg::R1, CTX));
        scratch_pointer(emitter, Reg::R2, offset);
        emitter.push(Insn::mov64_imm(Reg::R3, (8 * frames) as i32));
        Self::stack_flags(emitter, user);
        emitter.push(Insn::call(Helper::bpf_get_stack));
        emitter.push(Insn::jmp_imm(JmpOp::Jsge, Reg::R0, 0, 1));
        emitter.push(Insn::mov64_imm(Reg::R0, 0));
        emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 3));
        self.store_vreg(emitter, dst, Reg::R0);
    }

    /// `r0` = `caller` or `ucaller`: the second frame of the stack, 0 when there is none.
    pub(super) fn caller(emitter: &mut Emitter, user: bool) {
        //   u64 buf[2] = {0, 0}  (fp-16, fp-8)         st [fp-16] = 0; st [fp-8] = 0
        //   bpf_get_stack(ctx, buf, 16, flags)         r1 = ctx; r2 = fp-16; r3 = 16; r4 = flags
        //   r0 = buf[1]                                r0 = [fp-8]
        emitter.push(Insn::st_mem(Size::DW, Reg::FP, AGG_GEN_SLOT, 0));
        emitter.push(Insn::st_mem(Size::DW, Reg::FP, KEY_SLOT, 0));
        emitter.push(Insn::mov64_reg(Reg::R1, CTX));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R2,
            i32::from(AGG_GEN_SLOT),
        ));
        emitter.push(Insn::mov64_imm(Reg::R3, 16));
        Self::stack_flags(emitter, user);
        emitter.push(Insn::call(Helper::bpf_get_stack));
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, Reg::FP, KEY_SLOT));
    }
}
