//! `curcpu`: the current CPU's `cpuinfo_t`, written into the work area where the clause asks for
//! it.
//!
//! The structure is two words of the area: `cpu_id` (`bpf_get_smp_processor_id`) and `cpu_pset`,
//! then `cpu_chip` and `cpu_lgrp`. Linux has no processor sets or locality groups and tracer does
//! not read the CPU topology, so the last three are 0, as libdtrace leaves them when it cannot
//! read them. The area is per-CPU memory that lives as long as the program, so the address stays
//! valid when a program keeps it in a variable.

use super::area::Var;
use crate::codegen::emit::Emitter;
use crate::codegen::frame::SCRATCH;
use crate::codegen::inst::ClauseContext;
use crate::insn::{AluOp, Helper, Insn, Reg, Size};

impl ClauseContext<'_> {
    /// `r0 = curcpu`.
    ///
    /// ```text
    ///   area[CpuIdPset] = (u64)bpf_get_smp_processor_id()   pset 0 in the upper half
    ///   area[CpuChipLgrp] = 0
    ///   area[CpuPointer] = &area[CpuIdPset]; r0 = area[CpuPointer]
    /// ```
    ///
    /// The address goes through memory because the verifier does not track what a map value
    /// holds: loaded back, it is a number the program may compare, store and print.
    pub(in crate::codegen) fn curcpu(&self, emitter: &mut Emitter) {
        let area = self.strings;
        emitter.push(Insn::call(Helper::bpf_get_smp_processor_id));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R0,
            area.var(Var::CpuIdPset),
        ));
        emitter.push(Insn::st_mem(
            Size::DW,
            SCRATCH,
            area.var(Var::CpuChipLgrp),
            0,
        ));
        emitter.push(Insn::mov64_reg(Reg::R0, SCRATCH));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R0,
            i32::from(area.var(Var::CpuIdPset)),
        ));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R0,
            area.var(Var::CpuPointer),
        ));
        emitter.push(Insn::ldx_mem(
            Size::DW,
            Reg::R0,
            SCRATCH,
            area.var(Var::CpuPointer),
        ));
    }
}
