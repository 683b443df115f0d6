//! The instruction buffer of one program: labels, jump fixups, map relocations and annotations.

use crate::elf::MapReloc;
use crate::insn::{Insn, JmpOp, Reg};

/// A jump target inside one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target(usize);

/// Builds one program's instructions.
#[derive(Default)]
pub struct Emitter {
    /// The instructions so far.
    pub insns: Vec<Insn>,
    /// `ld_imm64`s that must hold a map fd.
    pub map_relocs: Vec<MapReloc>,
    /// For each instruction, the clause it belongs to (`None` for the trampoline).
    pub clause_of_insn: Vec<Option<usize>>,
    /// Comments shown by `-S` before an instruction.
    pub annotations: Vec<(usize, String)>,
    /// The iterations each loop may run, counted on the stack, for kernels without `may_goto`;
    /// `None` starts loops with `may_goto` (see `subr::loops`).
    pub loop_bound: Option<i32>,
    /// How many loops were started, which picks each one's counter slot.
    pub loops_begun: usize,
    targets: Vec<Option<usize>>,
    fixups: Vec<(usize, Target)>,
    current_clause: Option<usize>,
}

impl Emitter {
    /// Appends one instruction.
    pub fn push(&mut self, insn: Insn) {
        self.insns.push(insn);
        self.clause_of_insn.push(self.current_clause);
    }

    /// Appends an `ld_imm64` (two instructions).
    pub fn push_wide(&mut self, pair: [Insn; 2]) {
        self.push(pair[0]);
        self.push(pair[1]);
    }

    /// `dst = &maps[map_idx]`.
    pub fn load_map(&mut self, dst: Reg, map_idx: usize) {
        self.map_relocs.push(MapReloc {
            insn_idx: self.insns.len(),
            map_idx,
        });
        self.push_wide(Insn::ld_map_fd(dst));
    }

    /// Sets which clause the following instructions belong to.
    pub fn set_clause(&mut self, clause: Option<usize>) {
        self.current_clause = clause;
    }

    /// Adds a `-S` comment before the next instruction.
    pub fn annotate(&mut self, text: impl Into<String>) {
        self.annotations.push((self.insns.len(), text.into()));
    }

    /// A new, unplaced jump target.
    pub fn target(&mut self) -> Target {
        self.targets.push(None);
        Target(self.targets.len() - 1)
    }

    /// Places `target` at the next instruction.
    pub fn place(&mut self, target: Target) {
        self.targets[target.0] = Some(self.insns.len());
    }

    /// Whether some jump goes to `target`.
    pub fn is_used(&self, target: Target) -> bool {
        self.fixups
            .iter()
            .any(|&(_, fixup_target)| fixup_target == target)
    }

    /// `goto target`.
    pub fn jump(&mut self, target: Target) {
        self.fixups.push((self.insns.len(), target));
        self.push(Insn::ja(0));
    }

    /// `if (reg op imm) goto target`.
    pub fn jump_imm(&mut self, op: JmpOp, reg: Reg, imm: i32, target: Target) {
        self.fixups.push((self.insns.len(), target));
        self.push(Insn::jmp_imm(op, reg, imm, 0));
    }

    /// `if (dst op src) goto target`.
    pub fn jump_reg(&mut self, op: JmpOp, dst: Reg, src: Reg, target: Target) {
        self.fixups.push((self.insns.len(), target));
        self.push(Insn::jmp_reg(op, dst, src, 0));
    }

    /// `may_goto target`: leaves a loop when the program's loop budget is spent.
    pub fn may_goto(&mut self, target: Target) {
        self.fixups.push((self.insns.len(), target));
        self.push(Insn::may_goto(0));
    }

    /// Resolves every jump; returns an error message for a jump too far for 16 bits.
    pub fn finish(&mut self) -> Result<(), String> {
        for &(insn_idx, target) in &self.fixups {
            let Some(destination) = self.targets[target.0] else {
                panic!("jump at instruction {insn_idx} to a target that was never placed");
            };
            let offset = destination as i64 - insn_idx as i64 - 1;
            self.insns[insn_idx].off = i16::try_from(offset)
                .map_err(|_| format!("jump of {offset} instructions is out of range"))?;
        }
        Ok(())
    }
}
