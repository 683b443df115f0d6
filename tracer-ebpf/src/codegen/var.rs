//! Code for D variables: loads, stores and deletes, wherever `maps::VarStorage` puts them.
//!
//! Globals are reached through r8, which the program's prologue points at the `globals` value
//! (see [`prologue`]); clause-locals sit in scratch after the clause temporaries; dynamic
//! variables are hash map elements under the key lowering built in scratch.
//!
//! ```text
//! integer load, dynamic:                      r1 = map; r2 = &scratch[key]; call lookup
//!   dst = elem ? *elem : 0                    r1 = 0; if r0 == 0 goto +1; r1 = *(u64 *)(r0 +0)
//! string load, dynamic:                       r1 = map; r2 = &scratch[key]; call lookup
//!   probe_read(&scratch[off], size, elem)     r1 = &scratch[off]; r2 = size; r3 = r0; call
//! integer store, dynamic:                     r1 = map; r2 = &scratch[key];
//!   update(map, key, &slot, BPF_ANY)          r3 = fp + slot(src); r4 = 0; call update
//!   if it failed, stats.dynvar_drops++        (see `action::count_failure`)
//! ```
//!
//! A string load from an unset element reads from address 0: `bpf_probe_read_kernel` fails and
//! zeros its destination, which is the empty string DTrace gives.

use d_frontend::ir::{Clause, Inst, VReg};

use super::action::count_failure;
use super::emit::{Emitter, Target};
use super::frame::{GLOBALS, KEY_SLOT, SCRATCH, slot_offset};
use super::inst::{ClauseContext, scratch_offset, scratch_pointer};
use super::maps::{MapIndex, VarStorage};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::STATS_DYNVAR_DROPS;

/// `BPF_ANY`: create the element or overwrite it.
const BPF_ANY: i32 = 0;

/// The variable an instruction accesses, if any.
fn accessed_var(inst: &Inst) -> Option<usize> {
    match inst {
        Inst::LoadVar { var, .. }
        | Inst::LoadVarString { var, .. }
        | Inst::StoreVar { var, .. }
        | Inst::StoreVarString { var, .. }
        | Inst::DeleteVar { var, .. }
        | Inst::VarAddr { var, .. }
        | Inst::CopyToVar { var, .. }
        | Inst::LoadVarMember { var, .. }
        | Inst::StoreVarMember { var, .. } => Some(*var),
        _ => None,
    }
}

/// What a program needs before its clauses run: r8 pointed at the `globals` value when a clause
/// uses a global, and the clause-locals zeroed when a clause uses one, so that each probe firing
/// starts with every `this->` variable unset.
///
/// ```text
///   globals = lookup(globals, 0)              *(u32 *)(fp-8) = 0; call bpf_map_lookup_elem
///   if (globals == NULL) return 0             if r0 == 0 goto exit
///   r8 = globals                              r8 = r0
///   memset(locals, 0, size)                   *(u64 *)(r7 + off) = 0 ...
/// ```
pub fn prologue(emitter: &mut Emitter, maps: &MapIndex, clauses: &[&Clause], exit: Target) {
    let uses = |wanted: fn(VarStorage) -> bool| {
        clauses
            .iter()
            .flat_map(|clause| &clause.insts)
            .filter_map(accessed_var)
            .any(|var| wanted(maps.variables[var]))
    };
    if let Some(globals) = maps.globals
        && uses(|storage| matches!(storage, VarStorage::Global { .. }))
    {
        emitter.annotate("globals");
        emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
        emitter.load_map(Reg::R1, globals);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
        emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, exit);
        emitter.push(Insn::mov64_reg(GLOBALS, Reg::R0));
    }
    if uses(|storage| matches!(storage, VarStorage::Local { .. })) {
        emitter.annotate("clause-locals");
        for word in 0..maps.locals_size / 8 {
            emitter.push(Insn::st_mem(
                Size::DW,
                SCRATCH,
                scratch_offset(maps.locals_offset + 8 * word),
                0,
            ));
        }
    }
}

/// Whether any of `clauses` reads or writes a clause-local variable.
pub fn uses_locals<'a>(maps: &MapIndex, mut clauses: impl Iterator<Item = &'a Clause>) -> bool {
    clauses.any(|clause| {
        clause
            .insts
            .iter()
            .filter_map(accessed_var)
            .any(|var| matches!(maps.variables[var], VarStorage::Local { .. }))
    })
}

/// Points r8 at the `globals` value again, after the way to a fault used it (see `fault`); a
/// program without globals leaves it alone.
///
/// ```text
///   r0 = lookup(globals, 0)                   *(u32 *)(fp-8) = 0; call bpf_map_lookup_elem
///   if (r0 == NULL) return 0                  if r0 != 0 goto +2; r0 = 0; exit
///   r8 = r0
/// ```
pub fn reload_globals(emitter: &mut Emitter, maps: &MapIndex) {
    let Some(globals) = maps.globals else {
        return;
    };
    let found = emitter.target();
    emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
    emitter.load_map(Reg::R1, globals);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, found);
    emitter.push(Insn::exit());
    emitter.place(found);
    emitter.push(Insn::mov64_reg(GLOBALS, Reg::R0));
}

/// `r0 = lookup(map, &scratch[key_offset])`.
pub(super) fn lookup(emitter: &mut Emitter, map: usize, key_offset: Option<u32>) {
    let Some(key_offset) = key_offset else {
        panic!("dynamic variable in map {map} accessed without a key");
    };
    emitter.load_map(Reg::R1, map);
    scratch_pointer(emitter, Reg::R2, key_offset);
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
}

impl ClauseContext<'_> {
    /// `reg = &storage` for a global or a clause-local.
    pub(super) fn address(&self, emitter: &mut Emitter, reg: Reg, storage: VarStorage) {
        match storage {
            VarStorage::Global { offset } => {
                emitter.push(Insn::mov64_reg(reg, GLOBALS));
                emitter.push(Insn::alu64_imm(AluOp::Add, reg, offset as i32));
            }
            VarStorage::Local { offset } => {
                scratch_pointer(emitter, reg, self.maps.locals_offset + offset);
            }
            VarStorage::Dynamic { .. } => unreachable!("dynamic variables have no fixed address"),
        }
    }

    /// `dst = var[key]`.
    pub fn load_var(&self, emitter: &mut Emitter, dst: VReg, var: usize, key_offset: Option<u32>) {
        match self.maps.variables[var] {
            VarStorage::Dynamic { map } => {
                lookup(emitter, map, key_offset);
                emitter.push(Insn::mov64_imm(Reg::R1, 0));
                emitter.push(Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 1));
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0));
            }
            storage => {
                self.address(emitter, Reg::R0, storage);
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0));
            }
        }
        self.store_vreg(emitter, dst, Reg::R1);
    }

    /// `scratch[offset..+string_size] = var[key]`.
    pub fn load_var_string(
        &self,
        emitter: &mut Emitter,
        offset: u32,
        var: usize,
        key_offset: Option<u32>,
    ) {
        let dynamic = match self.maps.variables[var] {
            VarStorage::Dynamic { map } => {
                lookup(emitter, map, key_offset);
                emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
                true
            }
            storage => {
                self.address(emitter, Reg::R3, storage);
                false
            }
        };
        scratch_pointer(emitter, Reg::R1, offset);
        emitter.push(Insn::mov64_imm(Reg::R2, self.maps.string_size as i32));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
        if dynamic {
            // An unset element is DTrace's NULL string: the read from address 0 fails and
            // zeroes the copy, and the NULL mark goes after its characters.
            //   if (r0 != 0) scratch[offset + strsize] = 1
            emitter.push(Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 1));
            emitter.push(Insn::st_mem(
                Size::B,
                SCRATCH,
                scratch_offset(offset + self.strings.strsize),
                1,
            ));
        }
    }

    /// `var[key] = src`.
    pub fn store_var(&self, emitter: &mut Emitter, var: usize, key_offset: Option<u32>, src: VReg) {
        match self.maps.variables[var] {
            VarStorage::Dynamic { map } => {
                let Some(key_offset) = key_offset else {
                    panic!("dynamic variable {var} stored without a key");
                };
                emitter.load_map(Reg::R1, map);
                scratch_pointer(emitter, Reg::R2, key_offset);
                emitter.push(Insn::mov64_reg(Reg::R3, Reg::FP));
                emitter.push(Insn::alu64_imm(
                    AluOp::Add,
                    Reg::R3,
                    i32::from(slot_offset(self.slots.slot(src))),
                ));
                emitter.push(Insn::mov64_imm(Reg::R4, BPF_ANY));
                emitter.push(Insn::call(Helper::bpf_map_update_elem));
                count_failure(self.maps, emitter, STATS_DYNVAR_DROPS);
            }
            storage => {
                self.address(emitter, Reg::R1, storage);
                self.load_vreg(emitter, Reg::R0, src);
                emitter.push(Insn::stx_mem(Size::DW, Reg::R1, Reg::R0, 0));
            }
        }
    }

    /// `var[key] = scratch[offset..+string_size]`.
    pub fn store_var_string(
        &self,
        emitter: &mut Emitter,
        var: usize,
        key_offset: Option<u32>,
        offset: u32,
    ) {
        match self.maps.variables[var] {
            VarStorage::Dynamic { map } => {
                let Some(key_offset) = key_offset else {
                    panic!("dynamic variable {var} stored without a key");
                };
                emitter.load_map(Reg::R1, map);
                scratch_pointer(emitter, Reg::R2, key_offset);
                scratch_pointer(emitter, Reg::R3, offset);
                emitter.push(Insn::mov64_imm(Reg::R4, BPF_ANY));
                emitter.push(Insn::call(Helper::bpf_map_update_elem));
                count_failure(self.maps, emitter, STATS_DYNVAR_DROPS);
            }
            storage => {
                self.address(emitter, Reg::R1, storage);
                emitter.push(Insn::mov64_imm(Reg::R2, self.maps.string_size as i32));
                scratch_pointer(emitter, Reg::R3, offset);
                emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
            }
        }
    }

    /// `delete(map, &scratch[key_offset])`.
    pub fn delete_var(&self, emitter: &mut Emitter, var: usize, key_offset: u32) {
        let VarStorage::Dynamic { map } = self.maps.variables[var] else {
            panic!("variable {var} is not dynamic and cannot be deleted");
        };
        emitter.load_map(Reg::R1, map);
        scratch_pointer(emitter, Reg::R2, key_offset);
        emitter.push(Insn::call(Helper::bpf_map_delete_elem));
    }
}
