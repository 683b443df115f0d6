//! Virtual registers live in 8-byte stack slots, shared by registers whose lives do not overlap.
//!
//! D has no loops, so every jump goes forward and a register is live from its first definition to
//! its last use in instruction order. Slots are handed out by a linear scan over those ranges; an
//! instruction reads all its operands before it writes its result, so a result may take the slot of
//! an operand that dies there.

use d_frontend::ir::{Inst, VReg};

/// Where each virtual register of a clause lives.
pub struct SlotMap {
    slots: Vec<u32>,
    /// How many slots the clause needs.
    pub n_slots: u32,
}

impl SlotMap {
    /// Assigns slots for the registers used in `insts`.
    pub fn assign(insts: &[Inst], n_vregs: u32) -> SlotMap {
        let mut first = vec![usize::MAX; n_vregs as usize];
        let mut last = vec![0usize; n_vregs as usize];
        for (inst_idx, inst) in insts.iter().enumerate() {
            for vreg in registers(inst) {
                let vreg_idx = vreg.0 as usize;
                first[vreg_idx] = first[vreg_idx].min(inst_idx);
                last[vreg_idx] = last[vreg_idx].max(inst_idx);
            }
        }
        let mut order: Vec<usize> = (0..n_vregs as usize)
            .filter(|&vreg_idx| first[vreg_idx] != usize::MAX)
            .collect();
        order.sort_by_key(|&vreg_idx| first[vreg_idx]);
        let mut slots = vec![0u32; n_vregs as usize];
        let mut slot_free_after: Vec<usize> = Vec::new();
        for vreg_idx in order {
            let start = first[vreg_idx];
            let slot = match slot_free_after
                .iter()
                .position(|&free_after| free_after <= start)
            {
                Some(slot) => slot,
                None => {
                    slot_free_after.push(0);
                    slot_free_after.len() - 1
                }
            };
            slot_free_after[slot] = last[vreg_idx];
            slots[vreg_idx] = slot as u32;
        }
        SlotMap {
            slots,
            n_slots: slot_free_after.len() as u32,
        }
    }

    /// The slot of `vreg`.
    pub fn slot(&self, vreg: VReg) -> u32 {
        self.slots[vreg.0 as usize]
    }
}

/// Every register an instruction reads or writes.
fn registers(inst: &Inst) -> Vec<VReg> {
    match inst {
        Inst::Const { dst, .. }
        | Inst::Builtin { dst, .. }
        | Inst::LoadVar { dst, .. }
        | Inst::StackDepth { dst, .. } => {
            vec![*dst]
        }
        Inst::Move { dst, src }
        | Inst::Neg { dst, src }
        | Inst::BitNot { dst, src }
        | Inst::Extend { dst, src, .. } => {
            vec![*dst, *src]
        }
        Inst::Bin { dst, lhs, rhs, .. } | Inst::Cmp { dst, lhs, rhs, .. } => vec![*dst, *lhs, *rhs],
        Inst::JumpIf { cond, .. } => vec![*cond],
        Inst::Store { src, .. } | Inst::StoreVar { src, .. } => vec![*src],
        Inst::VarAddr { dst, .. } => vec![*dst],
        Inst::CopyToVar { offset, src, .. } => vec![*offset, *src],
        Inst::LoadVarMember { dst, offset, .. } => vec![*dst, *offset],
        Inst::StoreVarMember { offset, src, .. } => vec![*offset, *src],
        Inst::Raise { signal: value }
        | Inst::Chill { ns: value }
        | Inst::ReadKernel { address: value, .. }
        | Inst::NotNull { ptr: value }
        | Inst::CheckIndex { index: value, .. }
        | Inst::Speculate { id: value, .. }
        | Inst::FinishSpeculation { id: value, .. } => vec![*value],
        Inst::Load { dst, addr, .. } => vec![*dst, *addr],
        Inst::ReadBytes { addr, .. } | Inst::ReadStr { addr, .. } => vec![*addr],
        Inst::AggUpdate { value, incr, .. } => value.iter().chain(incr).copied().collect(),
        Inst::Subr(subr) => subr.registers(),
        Inst::Comment(_)
        | Inst::Label(_)
        | Inst::Jump(_)
        | Inst::StoreBytes { .. }
        | Inst::Zero { .. }
        | Inst::Copy { .. }
        | Inst::CurrentComm { .. }
        | Inst::ProbeName { .. }
        | Inst::LoadVarString { .. }
        | Inst::StoreVarString { .. }
        | Inst::DeleteVar { .. }
        | Inst::SetBit { .. }
        | Inst::SpecBound { .. }
        | Inst::GetStack { .. }
        | Inst::Drain
        | Inst::EmitRecord { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_with_disjoint_lives_share_a_slot() {
        let insts = [
            Inst::Const {
                dst: VReg(0),
                value: 1,
            },
            Inst::Store {
                offset: 0,
                size: 8,
                src: VReg(0),
            },
            Inst::Const {
                dst: VReg(1),
                value: 2,
            },
            Inst::Const {
                dst: VReg(2),
                value: 3,
            },
            Inst::Bin {
                op: d_frontend::ir::BinOp::Add,
                dst: VReg(3),
                lhs: VReg(1),
                rhs: VReg(2),
            },
        ];
        let slots = SlotMap::assign(&insts, 4);
        assert_eq!(slots.slot(VReg(0)), slots.slot(VReg(1)));
        assert_ne!(slots.slot(VReg(1)), slots.slot(VReg(2)));
        assert_eq!(slots.n_slots, 2);
    }
}
