//! `BEGIN` and `END`: raw tracepoint programs run once with `BPF_PROG_TEST_RUN`; no arguments.
//!
//! Their kernel stack is tracer's own `bpf()` system call, which no probe fired in, so stacks skip
//! every kernel frame and come out empty, as dtrace's do.

use super::{fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::insn::{Insn, Size};
use crate::layout::DCTX_STACK_SKIP;

/// More kernel frames than `bpf_get_stack` ever finds (the most its skip field holds).
const SKIP_ALL_FRAMES: i32 = 0xff;

/// Sets the probe ID, zeros every argument and has kernel stacks skip every frame.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32) {
    fixed_probe(emitter, probe_id);
    zero_args_from(emitter, 0);
    emitter.push(Insn::st_mem(
        Size::DW,
        SCRATCH,
        DCTX_STACK_SKIP,
        SKIP_ALL_FRAMES,
    ));
}
