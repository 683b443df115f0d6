//! Trampolines: the prologue of each program, which copies the probe's context into the common D
//! context (probe ID, clause mask, `arg0..arg9`, `errno`) so that clause bodies are generated once,
//! whatever the provider.
//!
//! Every trampoline starts the same way:
//!
//! ```text
//!   r6 = ctx                                r6 = r1
//!   scratch = lookup(scratch, 0)            *(u32 *)(fp-8) = 0; call bpf_map_lookup_elem
//!   if (scratch == NULL) return 0           if r0 == 0 goto exit
//!   r7 = scratch                            r7 = r0
//!   dctx->stack_skip = 0                    *(u64 *)(r7+104) = 0
//! ```

pub mod dependent;
pub mod dtrace;
pub mod fbt;
pub mod kprobe;
pub mod profile;
pub mod syscall;
pub mod tracepoint;
pub mod uprobe;

use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{CTX, KEY_SLOT, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    DCTX_ARGS, DCTX_CLAUSE_MASK, DCTX_ERRNO, DCTX_N_ARGS, DCTX_PROBE_ID, DCTX_STACK_SKIP,
    DCTX_TIMESTAMP,
};

/// Emits the common start: keeps the context in r6 and the scratch pointer in r7, and forgets the
/// `timestamp` an earlier firing cached.
pub fn prologue(emitter: &mut Emitter, scratch_map: usize, exit: Target) {
    emitter.annotate("trampoline");
    emitter.push(Insn::mov64_reg(CTX, Reg::R1));
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
    emitter.load_map(Reg::R1, scratch_map);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, exit);
    emitter.push(Insn::mov64_reg(SCRATCH, Reg::R0));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_TIMESTAMP, 0));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_STACK_SKIP, 0));
}

/// Stores a fixed probe ID and a clause mask with every clause enabled.
pub fn fixed_probe(emitter: &mut Emitter, probe_id: u32) {
    emitter.push(Insn::st_mem(
        Size::W,
        SCRATCH,
        DCTX_PROBE_ID,
        probe_id as i32,
    ));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_CLAUSE_MASK, -1));
}

/// Zeros `arg{first}..arg9` and `errno`.
pub fn zero_args_from(emitter: &mut Emitter, first: usize) {
    for arg_idx in first..DCTX_N_ARGS {
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(arg_idx), 0));
    }
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_ERRNO, 0));
}

/// The D context offset of `arg{arg_idx}`.
pub fn arg_offset(arg_idx: usize) -> i16 {
    DCTX_ARGS + 8 * arg_idx as i16
}
