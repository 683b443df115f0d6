//! IR instructions to eBPF instructions.
//!
//! Every virtual register lives in a stack slot (see `slots`): an instruction loads its operands
//! into r0..r3, computes, and stores its result back.

use d_frontend::ir::{BinOp, Builtin, COMM_SIZE, Cond, Inst, PROBE_NAME_SIZE, ProbeField, VReg};

use super::emit::{Emitter, Target};
use super::fault::FaultTarget;
use super::frame::{KEY_SLOT, SCRATCH, slot_offset};
use super::maps::MapIndex;
use super::slots::SlotMap;
use super::subr::StringArea;
use super::var_place::VarPlace;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    DCTX_ARGS, DCTX_ERRNO, DCTX_PROBE_ID, DCTX_TIMESTAMP, Fault, SCRATCH_TEMP_BASE,
};

/// What lowering one clause needs besides the instructions.
pub struct ClauseContext<'a> {
    /// Virtual register slots.
    pub slots: &'a SlotMap,
    /// One target per IR label.
    pub labels: &'a [Target],
    /// Map indexes.
    pub maps: &'a MapIndex,
    /// Added to `ktime_get_ns` for `walltimestamp`.
    pub wall_clock_offset_ns: u64,
    /// The current task's members are loaded directly ([`super::CodegenOptions::task_btf`]).
    pub task_btf: bool,
    /// The string work area.
    pub strings: StringArea,
    /// Where a runtime fault goes.
    pub fault: FaultTarget,
}

/// Whether members at `offsets` of a BTF-typed pointer can be loaded directly: an `ldx` offset
/// is 16 bits.
fn direct(offsets: &[u32]) -> bool {
    offsets.iter().all(|&offset| i16::try_from(offset).is_ok())
}

/// The `ldx`/`stx` offset of scratch temporary `offset`.
pub fn scratch_offset(offset: u32) -> i16 {
    (SCRATCH_TEMP_BASE + offset) as i16
}

impl ClauseContext<'_> {
    fn load(&self, emitter: &mut Emitter, reg: Reg, vreg: VReg) {
        emitter.push(Insn::ldx_mem(
            Size::DW,
            reg,
            Reg::FP,
            slot_offset(self.slots.slot(vreg)),
        ));
    }

    fn store(&self, emitter: &mut Emitter, vreg: VReg, reg: Reg) {
        emitter.push(Insn::stx_mem(
            Size::DW,
            Reg::FP,
            reg,
            slot_offset(self.slots.slot(vreg)),
        ));
    }

    /// Emits the code for one IR instruction.
    pub fn emit(&self, emitter: &mut Emitter, inst: &Inst) {
        match inst {
            Inst::Comment(text) => emitter.annotate(text.clone()),
            Inst::Const { dst, value } => {
                load_constant(emitter, Reg::R0, *value);
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Move { dst, src } => {
                self.load(emitter, Reg::R0, *src);
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Bin { op, dst, lhs, rhs } => {
                self.load(emitter, Reg::R0, *lhs);
                self.load(emitter, Reg::R1, *rhs);
                if matches!(op, BinOp::UDiv | BinOp::SDiv | BinOp::UMod | BinOp::SMod) {
                    self.fault_unless(emitter, JmpOp::Jne, Reg::R1, 0, Fault::DivZero, None);
                }
                emitter.push(bin_insn(*op));
                if *op == BinOp::SMod {
                    // As libdtrace computes it, a signed remainder is that of the magnitudes,
                    // negative when exactly one operand is: the eBPF one takes the dividend's
                    // sign, so a negative divisor flips it.
                    emitter.push(Insn::jmp_imm(JmpOp::Jsge, Reg::R1, 0, 1));
                    emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R0, 0));
                }
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Neg { dst, src } => {
                self.load(emitter, Reg::R0, *src);
                emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R0, 0));
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::BitNot { dst, src } => {
                self.load(emitter, Reg::R0, *src);
                emitter.push(Insn::alu64_imm(AluOp::Xor, Reg::R0, -1));
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Extend {
                dst,
                src,
                size,
                signed,
            } => {
                self.load(emitter, Reg::R0, *src);
                let shift = 64 - 8 * i32::from(*size);
                emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, shift));
                let op = if *signed { AluOp::Arsh } else { AluOp::Rsh };
                emitter.push(Insn::alu64_imm(op, Reg::R0, shift));
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Cmp {
                cond,
                dst,
                lhs,
                rhs,
            } => {
                self.load(emitter, Reg::R0, *lhs);
                self.load(emitter, Reg::R1, *rhs);
                emitter.push(Insn::mov64_imm(Reg::R2, 1));
                emitter.push(Insn::jmp_reg(jmp_op(*cond), Reg::R0, Reg::R1, 1));
                emitter.push(Insn::mov64_imm(Reg::R2, 0));
                self.store(emitter, *dst, Reg::R2);
            }
            Inst::Label(label) => emitter.place(self.labels[label.0 as usize]),
            Inst::Jump(label) => emitter.jump(self.labels[label.0 as usize]),
            Inst::JumpIf {
                cond,
                nonzero,
                target,
            } => {
                self.load(emitter, Reg::R0, *cond);
                let op = if *nonzero { JmpOp::Jne } else { JmpOp::Jeq };
                emitter.jump_imm(op, Reg::R0, 0, self.labels[target.0 as usize]);
            }
            Inst::Builtin { dst, builtin } => {
                self.builtin(emitter, *builtin);
                self.store(emitter, *dst, Reg::R0);
            }
            Inst::Store { offset, size, src } => {
                self.load(emitter, Reg::R0, *src);
                emitter.push(Insn::stx_mem(
                    Size::from_bytes(u32::from(*size)),
                    SCRATCH,
                    Reg::R0,
                    scratch_offset(*offset),
                ));
            }
            Inst::StoreBytes {
                offset,
                bytes,
                size,
            } => store_bytes(emitter, *offset, bytes, *size),
            Inst::Zero { offset, size } => store_bytes(emitter, *offset, &[], *size),
            Inst::Copy {
                dst_offset,
                src_offset,
                size,
            } => {
                for (chunk_offset, chunk_size) in chunks(*size) {
                    let width = Size::from_bytes(chunk_size);
                    emitter.push(Insn::ldx_mem(
                        width,
                        Reg::R0,
                        SCRATCH,
                        scratch_offset(src_offset + chunk_offset),
                    ));
                    emitter.push(Insn::stx_mem(
                        width,
                        SCRATCH,
                        Reg::R0,
                        scratch_offset(dst_offset + chunk_offset),
                    ));
                }
            }
            Inst::CurrentComm { offset } => {
                scratch_pointer(emitter, Reg::R1, *offset);
                let size = COMM_SIZE.min(self.strings.strsize + 1);
                emitter.push(Insn::mov64_imm(Reg::R2, size as i32));
                emitter.push(Insn::call(Helper::bpf_get_current_comm));
            }
            Inst::ProbeName { offset, field } => self.probe_name(emitter, *offset, *field),
            Inst::Load {
                dst,
                addr,
                size,
                signed,
            } => self.load_kernel(emitter, *dst, *addr, *size, *signed),
            Inst::ReadBytes { offset, addr, size } => {
                self.read_kernel(
                    emitter,
                    *offset,
                    *addr,
                    *size,
                    Helper::bpf_probe_read_kernel,
                );
            }
            Inst::ReadStr { offset, addr, size } => {
                let helper = Helper::bpf_probe_read_kernel_str;
                self.read_kernel(emitter, *offset, *addr, *size, helper);
            }
            Inst::AggUpdate {
                agg,
                key_offset,
                value,
                incr,
            } => {
                super::agg::aggregate(self, emitter, *agg, *key_offset, *value, *incr);
            }
            Inst::LoadVar {
                dst,
                var,
                key_offset,
            } => self.load_var(emitter, *dst, *var, *key_offset),
            Inst::LoadVarString {
                offset,
                var,
                key_offset,
            } => self.load_var_string(emitter, *offset, *var, *key_offset),
            Inst::StoreVar {
                var,
                key_offset,
                src,
            } => self.store_var(emitter, *var, *key_offset, *src),
            Inst::StoreVarString {
                var,
                key_offset,
                offset,
            } => self.store_var_string(emitter, *var, *key_offset, *offset),
            Inst::DeleteVar { var, key_offset } => self.delete_var(emitter, *var, *key_offset),
            Inst::VarAddr {
                dst,
                var,
                key_offset,
            } => self.var_addr(emitter, *dst, *var, *key_offset),
            Inst::CopyToVar {
                var,
                key_offset,
                offset,
                size,
                src,
            } => {
                let place = VarPlace {
                    var: *var,
                    key_offset: *key_offset,
                    offset: *offset,
                    size: *size,
                };
                self.copy_to_var(emitter, place, *src);
            }
            Inst::LoadVarMember {
                dst,
                var,
                key_offset,
                offset,
                size,
                signed,
            } => {
                let place = VarPlace {
                    var: *var,
                    key_offset: *key_offset,
                    offset: *offset,
                    size: u32::from(*size),
                };
                self.load_var_member(emitter, *dst, place, *signed);
            }
            Inst::StoreVarMember {
                var,
                key_offset,
                offset,
                size,
                src,
            } => {
                let place = VarPlace {
                    var: *var,
                    key_offset: *key_offset,
                    offset: *offset,
                    size: u32::from(*size),
                };
                self.store_var_member(emitter, place, *src);
            }
            Inst::Subr(subr) => self.subr(emitter, subr),
            Inst::SetBit { offset, bit } => {
                emitter.push(Insn::ldx_mem(
                    Size::W,
                    Reg::R0,
                    SCRATCH,
                    scratch_offset(*offset),
                ));
                emitter.push(Insn::alu32_imm(AluOp::Or, Reg::R0, (1u32 << bit) as i32));
                emitter.push(Insn::stx_mem(
                    Size::W,
                    SCRATCH,
                    Reg::R0,
                    scratch_offset(*offset),
                ));
            }
            Inst::ReadKernel {
                offset,
                size,
                address,
            } => {
                //   if (probe_read_kernel(&scratch[offset], size, address) < 0)
                //           fault BADADDR at address
                scratch_pointer(emitter, Reg::R1, *offset);
                emitter.push(Insn::mov64_imm(Reg::R2, *size as i32));
                self.load(emitter, Reg::R3, *address);
                emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
                self.load(emitter, Reg::R3, *address);
                self.fault_unless(
                    emitter,
                    JmpOp::Jsge,
                    Reg::R0,
                    0,
                    Fault::BadAddr,
                    Some(Reg::R3),
                );
            }
            Inst::Raise { signal } => {
                self.load(emitter, Reg::R1, *signal);
                emitter.push(Insn::call(Helper::bpf_send_signal));
            }
            Inst::Chill { ns } => self.chill(emitter, *ns),
            Inst::Speculate { id, abort } => {
                self.speculate(emitter, *id, self.labels[abort.0 as usize]);
            }
            Inst::SpecBound { size, abort } => {
                self.spec_bound(emitter, *size, self.labels[abort.0 as usize]);
            }
            Inst::FinishSpeculation { id, offset, commit } => {
                self.finish_speculation(emitter, *id, *offset, *commit);
            }
            Inst::GetStack { offset, stack } => Self::get_stack(emitter, *offset, *stack),
            Inst::StackDepth {
                dst,
                offset,
                frames,
                user,
            } => self.stack_depth(emitter, *dst, *offset, *frames, *user),
            Inst::Drain => super::activity::drain(emitter, self.maps),
            Inst::NotNull { ptr } => {
                //   if (ptr == NULL) fault BADADDR at 0
                self.load(emitter, Reg::R3, *ptr);
                self.fault_unless(
                    emitter,
                    JmpOp::Jne,
                    Reg::R3,
                    0,
                    Fault::BadAddr,
                    Some(Reg::R3),
                );
            }
            Inst::CheckIndex { index, len } => {
                //   if (index >= len) fault BADINDEX at index
                self.load(emitter, Reg::R1, *index);
                self.fault_unless(
                    emitter,
                    JmpOp::Jlt,
                    Reg::R1,
                    *len as i32,
                    Fault::BadIndex,
                    Some(Reg::R1),
                );
            }
            Inst::EmitRecord { .. } => unreachable!("records are emitted by the clause driver"),
        }
    }

    /// Loads `vreg` into `reg` (for the action helpers).
    pub fn load_vreg(&self, emitter: &mut Emitter, reg: Reg, vreg: VReg) {
        self.load(emitter, reg, vreg);
    }

    /// Stores `reg` into `vreg`'s slot.
    pub fn store_vreg(&self, emitter: &mut Emitter, vreg: VReg, reg: Reg) {
        self.store(emitter, vreg, reg);
    }

    fn builtin(&self, emitter: &mut Emitter, builtin: Builtin) {
        match builtin {
            Builtin::Pid => {
                emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
                emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32));
            }
            Builtin::Tid => {
                emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
                emitter.push(Insn::alu32_reg(AluOp::Mov, Reg::R0, Reg::R0));
            }
            Builtin::Uid => {
                emitter.push(Insn::call(Helper::bpf_get_current_uid_gid));
                emitter.push(Insn::alu32_reg(AluOp::Mov, Reg::R0, Reg::R0));
            }
            Builtin::Gid => {
                emitter.push(Insn::call(Helper::bpf_get_current_uid_gid));
                emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32));
            }
            Builtin::Timestamp => {
                //   r0 = dctx->timestamp                    r0 = *(u64 *)(r7 + DCTX_TIMESTAMP)
                //   if (r0 == 0)                            if r0 != 0 goto cached
                //           dctx->timestamp = r0 = now      call ktime_get_ns; store
                let cached = emitter.target();
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, SCRATCH, DCTX_TIMESTAMP));
                emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, cached);
                emitter.push(Insn::call(Helper::bpf_ktime_get_ns));
                emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R0, DCTX_TIMESTAMP));
                emitter.place(cached);
            }
            Builtin::VTimestamp { offset } if self.task_btf && direct(&[offset]) => {
                //   r0 = current->se.sum_exec_runtime        call bpf_get_current_task_btf
                //                                            r0 = *(u64 *)(r0 + offset)
                emitter.push(Insn::call(Helper::bpf_get_current_task_btf));
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, Reg::R0, offset as i16));
            }
            Builtin::VTimestamp { offset } => {
                //   probe_read_kernel(&word, 8, (void *)current + offset); r0 = word
                emitter.push(Insn::call(Helper::bpf_get_current_task));
                emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, offset as i32));
                emitter.push(Insn::st_mem(Size::DW, Reg::FP, KEY_SLOT, 0));
                emitter.push(Insn::mov64_reg(Reg::R1, Reg::FP));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(KEY_SLOT)));
                emitter.push(Insn::mov64_imm(Reg::R2, 8));
                emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, Reg::FP, KEY_SLOT));
            }
            Builtin::Epid { clause } => {
                emitter.push(Insn::ldx_mem(Size::W, Reg::R0, SCRATCH, DCTX_PROBE_ID));
                emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, 32));
                emitter.push(Insn::alu64_imm(AluOp::Or, Reg::R0, clause as i32 + 1));
            }
            Builtin::WallTimestamp => {
                emitter.push(Insn::call(Helper::bpf_ktime_get_ns));
                emitter.push_wide(Insn::ld_imm64(Reg::R1, self.wall_clock_offset_ns));
                emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1));
            }
            Builtin::Cpu => emitter.push(Insn::call(Helper::bpf_get_smp_processor_id)),
            Builtin::ProbeId => {
                emitter.push(Insn::ldx_mem(Size::W, Reg::R0, SCRATCH, DCTX_PROBE_ID));
            }
            Builtin::Arg(arg_idx) => {
                emitter.push(Insn::ldx_mem(
                    Size::DW,
                    Reg::R0,
                    SCRATCH,
                    DCTX_ARGS + 8 * i16::from(arg_idx),
                ));
            }
            Builtin::Errno => emitter.push(Insn::ldx_mem(Size::DW, Reg::R0, SCRATCH, DCTX_ERRNO)),
            Builtin::CurThread => emitter.push(Insn::call(Helper::bpf_get_current_task)),
            Builtin::CurCpu => self.curcpu(emitter),
            Builtin::Caller => Self::caller(emitter, false),
            Builtin::UCaller => Self::caller(emitter, true),
            Builtin::Ppid { real_parent, tgid }
                if self.task_btf && direct(&[real_parent, tgid]) =>
            {
                //   r0 = current->real_parent->tgid          call bpf_get_current_task_btf
                //                                            r0 = *(u64 *)(r0 + real_parent)
                //                                            r0 = *(u32 *)(r0 + tgid)
                emitter.push(Insn::call(Helper::bpf_get_current_task_btf));
                emitter.push(Insn::ldx_mem(
                    Size::DW,
                    Reg::R0,
                    Reg::R0,
                    real_parent as i16,
                ));
                emitter.push(Insn::ldx_mem(Size::W, Reg::R0, Reg::R0, tgid as i16));
            }
            Builtin::Ppid { real_parent, tgid } => {
                //   task = bpf_get_current_task()           call bpf_get_current_task
                //   probe_read(&word, 8, &task->real_parent) r1 = fp-8; r2 = 8; r3 = r0 + off; call
                //   probe_read(&word, 4, &parent->tgid)      r1 = fp-8; r2 = 4; r3 = word + off; call
                //   r0 = (u32)word                           r0 = *(u32 *)(fp-8)
                emitter.push(Insn::call(Helper::bpf_get_current_task));
                for (member_offset, size) in [(real_parent, 8), (tgid, 4)] {
                    if size == 8 {
                        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
                    } else {
                        emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, Reg::FP, KEY_SLOT));
                    }
                    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, member_offset as i32));
                    emitter.push(Insn::mov64_reg(Reg::R1, Reg::FP));
                    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(KEY_SLOT)));
                    emitter.push(Insn::mov64_imm(Reg::R2, size));
                    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
                }
                emitter.push(Insn::ldx_mem(Size::W, Reg::R0, Reg::FP, KEY_SLOT));
            }
        }
    }

    /// Reads `size` bytes at a kernel address into `dst`'s own stack slot, then extends them.
    fn load_kernel(&self, emitter: &mut Emitter, dst: VReg, addr: VReg, size: u8, signed: bool) {
        //   slot = 0                                 r3 = addr; r9 = r3; *(u64 *)(fp+slot) = 0
        //   if (probe_read_kernel(&slot, size, addr) < 0)
        //           fault BADADDR at addr            r1 = fp+slot; r2 = size; call
        //   dst = extend(*(uN *)&slot)               r0 = *(uN *)(fp+slot); r0 <<= s; r0 s>>= s
        // The address is loaded first: `dst` may share its slot with `addr`, so r9 keeps it for
        // the fault.
        let slot = slot_offset(self.slots.slot(dst));
        self.load(emitter, Reg::R3, addr);
        emitter.push(Insn::mov64_reg(Reg::R9, Reg::R3));
        emitter.push(Insn::st_mem(Size::DW, Reg::FP, slot, 0));
        emitter.push(Insn::mov64_reg(Reg::R1, Reg::FP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
        emitter.push(Insn::mov64_imm(Reg::R2, i32::from(size)));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
        self.fault_unless(
            emitter,
            JmpOp::Jsge,
            Reg::R0,
            0,
            Fault::BadAddr,
            Some(Reg::R9),
        );
        emitter.push(Insn::ldx_mem(
            Size::from_bytes(u32::from(size)),
            Reg::R0,
            Reg::FP,
            slot,
        ));
        if signed && size < 8 {
            let shift = 64 - 8 * i32::from(size);
            emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, shift));
            emitter.push(Insn::alu64_imm(AluOp::Arsh, Reg::R0, shift));
        }
        self.store(emitter, dst, Reg::R0);
    }

    /// `helper(&scratch[offset], size, addr)` for the kernel memory and string readers; a read
    /// that fails is DTrace's "invalid address" fault at `addr`.
    fn read_kernel(
        &self,
        emitter: &mut Emitter,
        offset: u32,
        addr: VReg,
        size: u32,
        helper: Helper,
    ) {
        self.load(emitter, Reg::R3, addr);
        scratch_pointer(emitter, Reg::R1, offset);
        emitter.push(Insn::mov64_imm(Reg::R2, size as i32));
        emitter.push(Insn::call(helper));
        self.load(emitter, Reg::R3, addr);
        self.fault_unless(
            emitter,
            JmpOp::Jsge,
            Reg::R0,
            0,
            Fault::BadAddr,
            Some(Reg::R3),
        );
    }

    fn probe_name(&self, emitter: &mut Emitter, offset: u32, field: ProbeField) {
        //   names = probe_names[dctx.probe_id]      *(u32 *)(fp-8) = probe_id; call lookup
        //   if (names == NULL) skip                 if r0 == 0 goto skip
        //   probe_read_str(&scratch[offset], min(64, strsize + 1), names + field * 64)
        let skip = emitter.target();
        emitter.push(Insn::ldx_mem(Size::W, Reg::R1, SCRATCH, DCTX_PROBE_ID));
        emitter.push(Insn::stx_mem(Size::W, Reg::FP, Reg::R1, KEY_SLOT));
        emitter.load_map(Reg::R1, self.maps.probe_names);
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
        emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
        emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, skip);
        let field_idx = match field {
            ProbeField::Provider => 0,
            ProbeField::Module => 1,
            ProbeField::Function => 2,
            ProbeField::Name => 3,
        };
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R3,
            (field_idx * PROBE_NAME_SIZE) as i32,
        ));
        scratch_pointer(emitter, Reg::R1, offset);
        let size = PROBE_NAME_SIZE.min(self.strings.strsize + 1);
        emitter.push(Insn::mov64_imm(Reg::R2, size as i32));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel_str));
        emitter.place(skip);
    }
}

/// `reg = &scratch[offset]`.
pub fn scratch_pointer(emitter: &mut Emitter, reg: Reg, offset: u32) {
    emitter.push(Insn::mov64_reg(reg, SCRATCH));
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        reg,
        i32::from(scratch_offset(offset)),
    ));
}

/// `reg = value`, in one instruction when it fits a sign-extended 32-bit immediate.
pub fn load_constant(emitter: &mut Emitter, reg: Reg, value: u64) {
    match i32::try_from(value as i64) {
        Ok(imm) => emitter.push(Insn::mov64_imm(reg, imm)),
        Err(_) => emitter.push_wide(Insn::ld_imm64(reg, value)),
    }
}

/// Writes `bytes`, zero-padded to `size`, at scratch `offset`.
pub(crate) fn store_bytes(emitter: &mut Emitter, offset: u32, bytes: &[u8], size: u32) {
    for (chunk_offset, chunk_size) in chunks(size) {
        let mut word = [0u8; 8];
        for (byte_idx, byte) in word.iter_mut().enumerate().take(chunk_size as usize) {
            *byte = bytes
                .get((chunk_offset as usize) + byte_idx)
                .copied()
                .unwrap_or(0);
        }
        let value = u64::from_le_bytes(word);
        let width = Size::from_bytes(chunk_size);
        let dst = scratch_offset(offset + chunk_offset);
        match i32::try_from(value as i64) {
            Ok(imm) if chunk_size == 8 || i64::from(imm) as u64 == value => {
                emitter.push(Insn::st_mem(width, SCRATCH, dst, imm));
            }
            _ => {
                emitter.push_wide(Insn::ld_imm64(Reg::R0, value));
                emitter.push(Insn::stx_mem(width, SCRATCH, Reg::R0, dst));
            }
        }
    }
}

/// Splits `size` bytes into aligned 8-, 4-, 2- and 1-byte pieces: `(offset, size)`.
fn chunks(size: u32) -> Vec<(u32, u32)> {
    let mut pieces = Vec::new();
    let mut offset = 0;
    for width in [8, 4, 2, 1] {
        while size - offset >= width {
            pieces.push((offset, width));
            offset += width;
        }
    }
    pieces
}

fn bin_insn(op: BinOp) -> Insn {
    match op {
        BinOp::Add => Insn::alu64_reg(AluOp::Add, Reg::R0, Reg::R1),
        BinOp::Sub => Insn::alu64_reg(AluOp::Sub, Reg::R0, Reg::R1),
        BinOp::Mul => Insn::alu64_reg(AluOp::Mul, Reg::R0, Reg::R1),
        BinOp::UDiv => Insn::alu64_reg(AluOp::Div, Reg::R0, Reg::R1),
        BinOp::SDiv => Insn::alu64_reg_signed(AluOp::Div, Reg::R0, Reg::R1),
        BinOp::UMod => Insn::alu64_reg(AluOp::Mod, Reg::R0, Reg::R1),
        BinOp::SMod => Insn::alu64_reg_signed(AluOp::Mod, Reg::R0, Reg::R1),
        BinOp::And => Insn::alu64_reg(AluOp::And, Reg::R0, Reg::R1),
        BinOp::Or => Insn::alu64_reg(AluOp::Or, Reg::R0, Reg::R1),
        BinOp::Xor => Insn::alu64_reg(AluOp::Xor, Reg::R0, Reg::R1),
        BinOp::Shl => Insn::alu64_reg(AluOp::Lsh, Reg::R0, Reg::R1),
        BinOp::LShr => Insn::alu64_reg(AluOp::Rsh, Reg::R0, Reg::R1),
        BinOp::AShr => Insn::alu64_reg(AluOp::Arsh, Reg::R0, Reg::R1),
    }
}

fn jmp_op(cond: Cond) -> JmpOp {
    match cond {
        Cond::Eq => JmpOp::Jeq,
        Cond::Ne => JmpOp::Jne,
        Cond::ULt => JmpOp::Jlt,
        Cond::ULe => JmpOp::Jle,
        Cond::UGt => JmpOp::Jgt,
        Cond::UGe => JmpOp::Jge,
        Cond::SLt => JmpOp::Jslt,
        Cond::SLe => JmpOp::Jsle,
        Cond::SGt => JmpOp::Jsgt,
        Cond::SGe => JmpOp::Jsge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_byte_once() {
        assert_eq!(chunks(16), [(0, 8), (8, 8)]);
        assert_eq!(chunks(15), [(0, 8), (8, 4), (12, 2), (14, 1)]);
        assert_eq!(chunks(0), []);
    }
}
