//! `profile-N` and `tick-N`: `perf_event` programs on a `cpu-clock` timer.
//!
//! As in DTrace, `arg0` is the kernel PC when the timer interrupted the kernel (else 0) and `arg1`
//! the user PC when it interrupted user code (else 0). The context is `struct bpf_perf_event_data`,
//! whose first member is the x86-64 `struct pt_regs`.
//!
//! ```text
//!   pc = regs->ip; user = regs->cs & 3      r1 = *(u64 *)(r6+128); r2 = *(u64 *)(r6+136); r2 &= 3
//!   arg0 = user ? 0 : pc                    if r2 == 0 goto kernel
//!   arg1 = user ? pc : 0                    ...
//! ```

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{AluOp, Insn, JmpOp, Reg, Size};

/// Offset of `ip` in x86-64 `struct pt_regs`.
const PT_REGS_IP: i16 = 16 * 8;
/// Offset of `cs` in x86-64 `struct pt_regs`.
const PT_REGS_CS: i16 = 17 * 8;

/// Sets the probe ID and `arg0`/`arg1` from the interrupted registers.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32) {
    fixed_probe(emitter, probe_id);
    zero_args_from(emitter, 2);
    let kernel = emitter.target();
    let done = emitter.target();
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, PT_REGS_IP));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R2, CTX, PT_REGS_CS));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, 3));
    emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, kernel);
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(0), 0));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(1)));
    emitter.jump(done);
    emitter.place(kernel);
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(0)));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(1), 0));
    emitter.place(done);
}
