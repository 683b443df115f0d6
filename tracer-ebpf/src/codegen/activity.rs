//! The activity state: which probes may run clauses now (see [`Activity`]).
//!
//! ```text
//! program start, after the trampoline's scratch lookup:
//!   state = lookup(state, 0)                 *(u32 *)(fp-8) = 0; call bpf_map_lookup_elem
//!   if (state == NULL || *state != ACT)      ACT: BEGIN inactive, END draining, others active
//!           return 0
//!
//! each clause after the first, in a program whose clauses may call exit():
//!   if (state == NULL || *state != ACT)
//!           skip the clause
//!
//! exit():
//!   if (state != NULL) *state = DRAINING
//! ```
//!
//! The engine moves the state from inactive to active once `BEGIN` has run (unless `BEGIN` called
//! `exit()`), and to draining before it runs `END`.

use d_frontend::ir::{Clause, Inst};
use d_frontend::provider::ProbeKind;

use super::emit::{Emitter, Target};
use super::frame::KEY_SLOT;
use super::maps::MapIndex;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::Activity;

/// The state a probe of `kind` runs its clauses in.
pub fn expected(kind: Option<ProbeKind>) -> Activity {
    match kind {
        Some(ProbeKind::Begin) => Activity::Inactive,
        Some(ProbeKind::End) => Activity::Draining,
        _ => Activity::Active,
    }
}

/// Whether some clause calls `exit()`, so that clauses after the first must check the state again.
pub fn may_drain(clauses: &[Clause]) -> bool {
    clauses
        .iter()
        .any(|clause| clause.insts.iter().any(|inst| matches!(inst, Inst::Drain)))
}

/// Jumps to `otherwise` unless the state is `expected`; clobbers r0..r5 and the key slot.
pub fn check(emitter: &mut Emitter, maps: &MapIndex, expected: Activity, otherwise: Target) {
    lookup(emitter, maps);
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, otherwise);
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, Reg::R0, 0));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, expected as i32, otherwise);
}

/// `exit()`'s store of the draining state; clobbers r0..r5 and the key slot.
pub fn drain(emitter: &mut Emitter, maps: &MapIndex) {
    let done = emitter.target();
    lookup(emitter, maps);
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, done);
    emitter.push(Insn::st_mem(Size::W, Reg::R0, 0, Activity::Draining as i32));
    emitter.place(done);
}

/// r0 = the state map's value (or NULL).
fn lookup(emitter: &mut Emitter, maps: &MapIndex) {
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
    emitter.load_map(Reg::R1, maps.state);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
}
