//! Speculations: claiming an ID, marking a clause's record as speculative, the `specsize` check,
//! and `commit()`/`discard()`.
//!
//! Each ID has a state word in the `specs` map (`layout::SPECS_MAP`): generation and state. Generated
//! code only ever moves a word from free to active and from active to committing or discarding,
//! each with one atomic compare-and-exchange, so when two CPUs race for a word one wins and the other
//! moves on; the consumer frees a word once it has handled the speculation's end, so an ID stays busy
//! until its records are printed or dropped, as in DTrace. A speculative record is the clause's usual
//! record with the speculation's ID and generation in its header; the consumer keeps such records
//! aside until the matching `commit()` or `discard()` record arrives.
//!
//! ```text
//! speculation():                              r8 = id, r9 = some ID is busy (both restored by
//!   busy = 0                                      the subroutine driver: see `frame`)
//!   for (id = 1; id <= nspec; id++) {
//!     word = specs[id]                        call bpf_map_lookup_elem
//!     if (state(word) == FREE &&
//!         cmpxchg(&specs[id], word, word + 1 << 8 | ACTIVE) == word)
//!       return id
//!     busy |= state(word) != ACTIVE           committing or discarding: not free yet
//!   }
//!   stats[busy ? spec_busy : spec_unavail]++
//!   return 0
//!
//! speculate(id):
//!   if (id == 0 || id > nspec) goto end
//!   word = specs[id]; if (state(word) != ACTIVE) goto end
//!   rec->spec_id = id; rec->spec_gen = generation(word)
//!
//! after each action that stored values, when the record so far is larger than specsize:
//!   if (rec->spec_id != 0) { stats.spec_drops++; goto end }
//!
//! commit(id) / discard(id):
//!   if (id > nspec) fault ILLOP
//!   field = 0
//!   word = specs[id]
//!   if (id != 0 && state(word) == ACTIVE &&
//!       cmpxchg(&specs[id], word, word with COMMITTING or DISCARDING) == word)
//!     field = id | generation(word) << 32
//! ```

use d_frontend::ir::{Clause, Inst, Module, Subr, VReg};

use super::action::bump_stat;
use super::emit::{Emitter, Target};
use super::frame::{GLOBALS, KEY_SLOT, SCRATCH};
use super::inst::{ClauseContext, scratch_offset};
use super::maps::SpecMap;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    Fault, RECORD_SPEC_GEN, RECORD_SPEC_ID, SPEC_ACTIVE, SPEC_COMMITTING, SPEC_DISCARDING,
    SPEC_GEN_SHIFT, SPEC_STATE_MASK, STATS_SPEC_BUSY, STATS_SPEC_DROPS, STATS_SPEC_UNAVAIL,
};

/// The loop counter of `speculation()`: the ID being tried.
const ID: Reg = GLOBALS;
/// Whether `speculation()` passed an ID that is being committed or discarded.
const BUSY: Reg = Reg::R9;

impl ClauseContext<'_> {
    fn spec_map(&self) -> SpecMap {
        match self.maps.speculations {
            Some(spec_map) => spec_map,
            None => panic!("code uses speculations but the program has no specs map"),
        }
    }

    /// `r0 = &specs[reg]`, or goes to `missing` when the lookup fails. Clobbers r1..r5.
    fn spec_word(&self, emitter: &mut Emitter, reg: Reg, missing: Target) {
        emitter.push(Insn::stx_mem(Size::W, Reg::FP, reg, KEY_SLOT));
        emitter.load_map(Reg::R1, self.spec_map().map);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
        emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, missing);
    }

    /// Replaces the word at r3 with r2 when it still holds r1; goes to `lost` when it did not.
    fn swap_word(emitter: &mut Emitter, lost: Target) {
        emitter.push(Insn::mov64_reg(Reg::R0, Reg::R1));
        emitter.push(Insn::atomic64_cmpxchg(Reg::R3, Reg::R2, 0));
        emitter.jump_reg(JmpOp::Jne, Reg::R0, Reg::R1, lost);
    }

    /// `dst = speculation()`.
    pub fn speculation(&self, emitter: &mut Emitter, dst: VReg) {
        let spec_map = self.spec_map();
        let (head, next, claimed, none, busy, done) = (
            emitter.target(),
            emitter.target(),
            emitter.target(),
            emitter.target(),
            emitter.target(),
            emitter.target(),
        );
        emitter.push(Insn::mov64_imm(BUSY, 0));
        emitter.push(Insn::mov64_imm(ID, 1));
        emitter.place(head);
        emitter.jump_imm(JmpOp::Jgt, ID, spec_map.nspec as i32, none);
        self.spec_word(emitter, ID, next);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, SPEC_STATE_MASK as i32));
        let claim = emitter.target();
        emitter.jump_imm(JmpOp::Jeq, Reg::R2, 0, claim);
        emitter.jump_imm(JmpOp::Jeq, Reg::R2, SPEC_ACTIVE as i32, next);
        emitter.push(Insn::mov64_imm(BUSY, 1));
        emitter.jump(next);
        emitter.place(claim);
        // A free word's state bits are 0: the next generation, active.
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R2,
            (1 << SPEC_GEN_SHIFT) | SPEC_ACTIVE as i32,
        ));
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        Self::swap_word(emitter, next);
        emitter.jump(claimed);
        emitter.place(next);
        emitter.push(Insn::alu64_imm(AluOp::Add, ID, 1));
        emitter.jump(head);
        emitter.place(claimed);
        emitter.push(Insn::mov64_reg(Reg::R0, ID));
        emitter.jump(done);
        emitter.place(none);
        emitter.jump_imm(JmpOp::Jne, BUSY, 0, busy);
        bump_stat(self.maps, emitter, STATS_SPEC_UNAVAIL);
        emitter.push(Insn::mov64_imm(Reg::R0, 0));
        emitter.jump(done);
        emitter.place(busy);
        bump_stat(self.maps, emitter, STATS_SPEC_BUSY);
        emitter.push(Insn::mov64_imm(Reg::R0, 0));
        emitter.place(done);
        self.store_vreg(emitter, dst, Reg::R0);
    }

    /// `speculate(id)`: marks the record (at scratch 0) as speculative, or goes to `abort`.
    pub fn speculate(&self, emitter: &mut Emitter, id: VReg, abort: Target) {
        let spec_map = self.spec_map();
        self.load_vreg(emitter, Reg::R1, id);
        emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, abort);
        emitter.jump_imm(JmpOp::Jgt, Reg::R1, spec_map.nspec as i32, abort);
        self.spec_word(emitter, Reg::R1, abort);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, SPEC_STATE_MASK as i32));
        emitter.jump_imm(JmpOp::Jne, Reg::R2, SPEC_ACTIVE as i32, abort);
        emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, SPEC_GEN_SHIFT as i32));
        emitter.push(Insn::stx_mem(
            Size::B,
            SCRATCH,
            Reg::R1,
            scratch_offset(0) + RECORD_SPEC_GEN,
        ));
        self.load_vreg(emitter, Reg::R1, id);
        emitter.push(Insn::stx_mem(
            Size::B,
            SCRATCH,
            Reg::R1,
            scratch_offset(0) + RECORD_SPEC_ID,
        ));
    }

    /// The `specsize` check once `size` bytes of the record are written: nothing when they fit.
    pub fn spec_bound(&self, emitter: &mut Emitter, size: u32, abort: Target) {
        if u64::from(size) <= self.spec_map().specsize {
            return;
        }
        let fits = emitter.target();
        emitter.push(Insn::ldx_mem(
            Size::B,
            Reg::R1,
            SCRATCH,
            scratch_offset(0) + RECORD_SPEC_ID,
        ));
        emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, fits);
        bump_stat(self.maps, emitter, STATS_SPEC_DROPS);
        emitter.jump(abort);
        emitter.place(fits);
    }

    /// `commit(id)` or `discard(id)`, writing what it finished at scratch `offset`.
    pub fn finish_speculation(&self, emitter: &mut Emitter, id: VReg, offset: u32, commit: bool) {
        let spec_map = self.spec_map();
        let done = emitter.target();
        self.load_vreg(emitter, Reg::R1, id);
        self.fault_unless(
            emitter,
            JmpOp::Jle,
            Reg::R1,
            spec_map.nspec as i32,
            Fault::IllOp,
            None,
        );
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, scratch_offset(offset), 0));
        emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, done);
        self.spec_word(emitter, Reg::R1, done);
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0));
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, SPEC_STATE_MASK as i32));
        emitter.jump_imm(JmpOp::Jne, Reg::R2, SPEC_ACTIVE as i32, done);
        let state = if commit {
            SPEC_COMMITTING
        } else {
            SPEC_DISCARDING
        };
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R1));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R2,
            (state - SPEC_ACTIVE) as i32,
        ));
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        Self::swap_word(emitter, done);
        emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, SPEC_GEN_SHIFT as i32));
        emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R1, 32));
        self.load_vreg(emitter, Reg::R2, id);
        emitter.push(Insn::alu64_reg(AluOp::Or, Reg::R1, Reg::R2));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R1,
            scratch_offset(offset),
        ));
        emitter.place(done);
    }
}

/// Whether a clause may speculate: its record's speculation fields are `speculate()`'s to set.
pub fn speculates(clause: &Clause) -> bool {
    clause
        .insts
        .iter()
        .any(|inst| matches!(inst, Inst::Speculate { .. }))
}

/// Whether the program uses speculations, and so needs the `specs` map.
pub fn uses_speculations(module: &Module) -> bool {
    module
        .clauses
        .iter()
        .flat_map(|clause| &clause.insts)
        .any(|inst| {
            matches!(
                inst,
                Inst::Speculate { .. }
                    | Inst::FinishSpeculation { .. }
                    | Inst::Subr(Subr::Speculation { .. })
            )
        })
}
