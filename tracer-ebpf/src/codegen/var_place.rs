//! Code for struct, union and array variables: their address, copies into them, and reads and
//! writes of their members and elements.
//!
//! A member access goes straight to the variable's storage at an offset checked against the
//! value's size, so that the verifier sees a bounded offset into a map value even when an index is
//! computed at run time (lowering has checked such an index against its array's length already,
//! with `Inst::CheckIndex`; an offset still out of range is DTrace's "invalid address" fault). A store to a
//! dynamic variable's missing element first creates it from the all-zero `var_zero` value.
//!
//! ```text
//! address, dynamic:                          r0 = lookup(map, &scratch[key])
//!   dst = elem ? elem : 0                    r1 = 0; if r0 == 0 goto +1; r1 = r0
//! member load:                               r0 = &value (lookup; fault at off if missing)
//!   if (off > size - n) fault BADADDR at off r1 = off; if r1 <= size - n goto ok; fault
//!   dst = *(uN *)(value + off)               r0 += r1; r0 = *(uN *)(r0 + 0)
//! member store, dynamic:                     r0 = lookup(map, key)
//!   create the element if missing            if r0 != 0 goto found
//!                                            r3 = lookup(var_zero, 0); update(map, key, r3,
//!                                            BPF_NOEXIST); r0 = lookup(map, key)
//!                                            if r0 == 0 goto end (a dynamic variable drop)
//!   *(uN *)(value + off) = src               found: bounds check; r0 += r1; *(uN *)r0 = r2
//! copy:                                      r0 = &value (created as above); bounds check
//!   probe_read_kernel(value + off, size, src) r0 += r1; r1 = r0; r2 = size; r3 = src; call
//! ```

use d_frontend::ir::VReg;

use super::emit::{Emitter, Target};
use super::frame::KEY_SLOT;
use super::inst::ClauseContext;
use super::maps::VarStorage;
use super::var::lookup;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{Fault, STATS_DYNVAR_DROPS};

/// `BPF_NOEXIST`: create the element only if it does not exist.
const BPF_NOEXIST: i32 = 1;

/// A member or element of a struct, union or array variable.
#[derive(Clone, Copy, Debug)]
pub struct VarPlace {
    /// Index into the module's variables.
    pub var: usize,
    /// Scratch offset of a dynamic variable's key.
    pub key_offset: Option<u32>,
    /// The register holding the byte offset in the value.
    pub offset: VReg,
    /// Bytes accessed (1, 2, 4, 8 for an integer or a pointer).
    pub size: u32,
}

impl ClauseContext<'_> {
    /// `r0` = the address of a variable's value, creating a dynamic variable's element when it is
    /// missing; goes to `failed` when it cannot be created (counted as a dynamic variable drop).
    fn created_value(
        &self,
        emitter: &mut Emitter,
        var: usize,
        key_offset: Option<u32>,
        failed: Target,
    ) {
        let VarStorage::Dynamic { map } = self.maps.variables[var] else {
            self.address(emitter, Reg::R0, self.maps.variables[var]);
            return;
        };
        let Some(zero) = self.maps.var_zero else {
            unreachable!("a struct, union or array dynamic variable has a var_zero map");
        };
        let Some(key) = key_offset else {
            unreachable!("dynamic variable {var} accessed without a key");
        };
        let found = emitter.target();
        lookup(emitter, map, key_offset);
        emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, found);
        emitter.push(Insn::st_mem(Size::W, Reg::FP, KEY_SLOT, 0));
        emitter.load_map(Reg::R1, zero);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
        emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, failed);
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        emitter.load_map(Reg::R1, map);
        super::inst::scratch_pointer(emitter, Reg::R2, key);
        emitter.push(Insn::mov64_imm(Reg::R4, BPF_NOEXIST));
        emitter.push(Insn::call(Helper::bpf_map_update_elem));
        lookup(emitter, map, key_offset);
        let created = emitter.target();
        emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, created);
        super::action::bump_stat(self.maps, emitter, STATS_DYNVAR_DROPS);
        emitter.jump(failed);
        emitter.place(created);
        emitter.place(found);
    }

    /// `r0` = the address of `place` in its variable's value, for an access of `place.size`
    /// bytes: `r0` holds the value's address on entry; an offset out of range faults.
    fn member_address(&self, emitter: &mut Emitter, place: VarPlace) {
        let value_size = self.maps.variable_sizes[place.var];
        let last = value_size.saturating_sub(place.size);
        self.load_vreg(emitter, Reg::R1, place.offset);
        self.fault_unless(
            emitter,
            JmpOp::Jle,
            Reg::R1,
            last as i32,
            Fault::BadAddr,
            Some(Reg::R1),
        );
        emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
    }

    /// `dst` = the address of a variable's value, or 0 for a dynamic variable's missing element.
    pub fn var_addr(&self, emitter: &mut Emitter, dst: VReg, var: usize, key_offset: Option<u32>) {
        match self.maps.variables[var] {
            VarStorage::Dynamic { map } => {
                lookup(emitter, map, key_offset);
                emitter.push(Insn::mov64_imm(Reg::R1, 0));
                emitter.push(Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 1));
                emitter.push(Insn::mov64_reg(Reg::R1, Reg::R0));
            }
            storage => self.address(emitter, Reg::R1, storage),
        }
        self.store_vreg(emitter, dst, Reg::R1);
    }

    /// Copies `place.size` bytes from the kernel address in `src` to `place`.
    pub fn copy_to_var(&self, emitter: &mut Emitter, place: VarPlace, src: VReg) {
        let end = emitter.target();
        self.created_value(emitter, place.var, place.key_offset, end);
        self.member_address(emitter, place);
        emitter.push(Insn::mov64_reg(Reg::R1, Reg::R0));
        emitter.push(Insn::mov64_imm(Reg::R2, place.size as i32));
        self.load_vreg(emitter, Reg::R3, src);
        emitter.push(Insn::mov64_reg(Reg::R9, Reg::R3));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
        self.fault_unless(
            emitter,
            JmpOp::Jsge,
            Reg::R0,
            0,
            Fault::BadAddr,
            Some(Reg::R9),
        );
        emitter.place(end);
    }

    /// `dst` = the integer at `place`, zero- or sign-extended; a missing element faults at the
    /// offset, as DTrace reads through its NULL address.
    pub fn load_var_member(&self, emitter: &mut Emitter, dst: VReg, place: VarPlace, signed: bool) {
        match self.maps.variables[place.var] {
            VarStorage::Dynamic { map } => {
                lookup(emitter, map, place.key_offset);
                self.load_vreg(emitter, Reg::R1, place.offset);
                self.fault_unless(
                    emitter,
                    JmpOp::Jne,
                    Reg::R0,
                    0,
                    Fault::BadAddr,
                    Some(Reg::R1),
                );
            }
            storage => self.address(emitter, Reg::R0, storage),
        }
        self.member_address(emitter, place);
        let size = place.size;
        emitter.push(Insn::ldx_mem(Size::from_bytes(size), Reg::R1, Reg::R0, 0));
        if signed && size < 8 {
            let shift = 64 - 8 * size as i32;
            emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R1, shift));
            emitter.push(Insn::alu64_imm(AluOp::Arsh, Reg::R1, shift));
        }
        self.store_vreg(emitter, dst, Reg::R1);
    }

    /// Stores the low bytes of `src` at `place`, creating a dynamic variable's element first.
    pub fn store_var_member(&self, emitter: &mut Emitter, place: VarPlace, src: VReg) {
        let end = emitter.target();
        self.created_value(emitter, place.var, place.key_offset, end);
        self.member_address(emitter, place);
        self.load_vreg(emitter, Reg::R2, src);
        emitter.push(Insn::stx_mem(
            Size::from_bytes(place.size),
            Reg::R0,
            Reg::R2,
            0,
        ));
        emitter.place(end);
    }
}
