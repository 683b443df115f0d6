//! `chill(ns)`: a busy-wait, bounded so that the verifier accepts it.
//!
//! The verifier walks every iteration of a loop to prove that it ends, and keeps one pending state
//! per iteration whose exit depends on the clock (at most 8192 on one path), so the wait is a loop
//! of at most [`CHILL_ITERATIONS`] iterations, each reading the clock
//! [`CLOCK_READS_PER_ITERATION`] times and comparing once. With `bpf_ktime_get_ns` taking some
//! tens of nanoseconds, a chill ends after its `ns` (give or take one iteration, about a
//! microsecond) or after a few hundred microseconds, whichever comes first, and costs the
//! verifier about 40 instructions per iteration. As in DTrace, asking for more than
//! [`CHILL_MAX_NS`] is an illegal operation.
//!
//! ```text
//!   if (ns > CHILL_MAX_NS) fault ILLOP      fault_unless(ns <= CHILL_MAX_NS)
//!   deadline = ktime_get_ns() + ns          *(u64 *)(fp-8) = deadline
//!   n = 0                                   *(u64 *)(fp-24) = n
//! again:
//!   now = ktime_get_ns(), 32 times          call bpf_ktime_get_ns; ...
//!   if (now >= deadline) done               if r0 >= *(fp-8) goto done
//!   if (++n < CHILL_ITERATIONS) again       backward jump
//! done:
//! ```

use d_frontend::ir::VReg;

use super::emit::Emitter;
use super::frame::{AGG_ZERO_SLOT, KEY_SLOT};
use super::inst::ClauseContext;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Fault;

/// Most iterations of one `chill()`.
pub const CHILL_ITERATIONS: i32 = 512;
/// Clock reads per iteration: the busy part, with no branch for the verifier to keep.
pub const CLOCK_READS_PER_ITERATION: usize = 32;
/// The longest `chill()` DTrace allows (its `dtrace_chill_max`), in nanoseconds.
pub const CHILL_MAX_NS: i32 = 500_000_000;

/// The stack word counting iterations (the aggregation scratch, unused here).
const COUNTER: i16 = AGG_ZERO_SLOT;

impl ClauseContext<'_> {
    /// Emits `chill(ns)`.
    pub fn chill(&self, emitter: &mut Emitter, ns: VReg) {
        let again = emitter.target();
        let done = emitter.target();
        self.load_vreg(emitter, Reg::R1, ns);
        self.fault_unless(
            emitter,
            JmpOp::Jle,
            Reg::R1,
            CHILL_MAX_NS,
            Fault::IllOp,
            Some(Reg::R1),
        );
        emitter.push(Insn::call(Helper::bpf_ktime_get_ns));
        self.load_vreg(emitter, Reg::R1, ns);
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
        emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R0, KEY_SLOT));
        emitter.push(Insn::st_mem(Size::DW, Reg::FP, COUNTER, 0));
        emitter.place(again);
        for _ in 0..CLOCK_READS_PER_ITERATION {
            emitter.push(Insn::call(Helper::bpf_ktime_get_ns));
        }
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, KEY_SLOT));
        emitter.jump_reg(JmpOp::Jge, Reg::R0, Reg::R1, done);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::FP, COUNTER));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, 1));
        emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, COUNTER));
        emitter.jump_imm(JmpOp::Jlt, Reg::R1, CHILL_ITERATIONS, again);
        emitter.place(done);
    }
}
