//! Runtime faults: a clause that divides by zero or reads a bad address stops there, the fault is
//! reported, the `ERROR` probe's clauses run, and the probe's next clause runs as usual.
//!
//! ```text
//! fault site, in clause C, at instruction PC counted from the start of C's code:
//!   if (ok) goto ok                          the success condition, on r0..r5
//!   r9 = address; r8 = C << 40 | PC << 8 | fault
//!   goto fault_C
//! ok:
//!
//! fault_C, after C's code, only when C has a fault site:
//!   send C's record if a block with an action ran to its end     action::emit_record
//!   goto error
//!
//! error, once per program, after every clause:
//!   err = lookup(scratch, SCRATCH_ERROR_ENTRY)
//!   if (err == NULL) { r9 = r8 >> 40; r8 = globals; goto resume }
//!   err->dctx = { probe_id: ERROR, clause_mask: ~0, arg0: 0, arg1: dctx->probe_id,
//!                 arg2: C, arg3: PC, arg4: fault, arg5: address, arg6..arg9: 0, errno: 0 }
//!   r9 = r8 >> 40; saved = r7; r7 = err       the stack keeps the faulting probe's scratch
//!   r8 = globals                              (when the program has global variables)
//!   send the fault record (layout::FaultRecord), built in err's temporaries
//!   every ERROR clause; a fault in one only ends that clause
//!   r7 = saved
//! resume:
//!   if (r9 == C) goto after C, for each clause C with a fault site
//! ```
//!
//! r8 holds a constant at each fault site, so the verifier follows one `resume` branch per site;
//! it is the `globals` pointer again (see `frame`) before any clause runs after the fault.
//!
//! Bad addresses come from probe reads: code that calls a `bpf_probe_read_*` helper checks its
//! result with [`ClauseContext::fault_unless`] (`JmpOp::Jsge`, `Reg::R0`, 0, `Fault::BadAddr`, the
//! register holding the address), and the clause stops there with DTrace's "invalid address" error.

use d_frontend::ir::{Clause, Inst};

use super::action;
use super::emit::{Emitter, Target};
use super::frame::{KEY_SLOT, SAVED_SCRATCH, SCRATCH};
use super::inst::{ClauseContext, load_constant, scratch_offset};
use super::maps::MapIndex;
use super::var;
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{
    DCTX_ARGS, DCTX_CLAUSE_MASK, DCTX_ERRNO, DCTX_N_ARGS, DCTX_PROBE_ID, DCTX_TIMESTAMP,
    FAULT_RECORD_CLAUSE, FAULT_RECORD_ID, FAULT_RECORD_SIZE, Fault, RECORD_BLOCKS,
    RECORD_CLAUSE_ID, RECORD_CPU, RECORD_PROBE_ID, SCRATCH_ERROR_ENTRY,
};

/// The register holding `clause << 40 | pc << 8 | fault` on the way to the error block.
const FAULT_INFO: Reg = Reg::R8;
/// The register holding the faulting address, then the faulting clause's index.
const FAULT_ADDRESS: Reg = Reg::R9;

/// Where a fault in the code being generated goes.
#[derive(Clone, Copy, Debug)]
pub enum FaultTarget {
    /// To the clause's fault handler, reporting the fault.
    Report {
        /// The clause's fault handler.
        handler: Target,
        /// The clause's index.
        clause: u32,
        /// The index of the clause's first instruction, which `pc` counts from.
        start: usize,
    },
    /// Inside an `ERROR` clause: to the end of that clause, silently, as DTrace does not handle
    /// faults in `ERROR` either.
    Silent {
        /// The end of the `ERROR` clause.
        end: Target,
    },
}

impl ClauseContext<'_> {
    /// Faults with `fault` unless `reg op imm` holds; `address` holds the faulting address, if
    /// any. Only r8 and r9 change on the way to the fault.
    pub fn fault_unless(
        &self,
        emitter: &mut Emitter,
        op: JmpOp,
        reg: Reg,
        imm: i32,
        fault: Fault,
        address: Option<Reg>,
    ) {
        let ok = emitter.target();
        let pc = emitter.insns.len();
        emitter.jump_imm(op, reg, imm, ok);
        match self.fault {
            FaultTarget::Report {
                handler,
                clause,
                start,
            } => {
                match address {
                    Some(address) => emitter.push(Insn::mov64_reg(FAULT_ADDRESS, address)),
                    None => emitter.push(Insn::mov64_imm(FAULT_ADDRESS, 0)),
                }
                let info = (u64::from(clause) << 40) | (((pc - start) as u64) << 8) | fault as u64;
                load_constant(emitter, FAULT_INFO, info);
                emitter.jump(handler);
            }
            FaultTarget::Silent { end } => emitter.jump(end),
        }
        emitter.place(ok);
    }
}

/// Emits a clause's fault handler: sends the record of the blocks that ran to their end, then
/// goes to the program's error block.
pub fn clause_handler(
    context: &ClauseContext<'_>,
    emitter: &mut Emitter,
    clause: &Clause,
    clause_idx: usize,
    error_block: Target,
) {
    emitter.annotate(format!("clause {clause_idx} fault"));
    for inst in &clause.insts {
        if let Inst::EmitRecord {
            offset,
            size,
            wakeup,
        } = inst
        {
            action::emit_record(
                context,
                emitter,
                clause_idx as u32,
                *offset,
                *size,
                *wakeup,
                super::spec::speculates(clause),
            );
        }
    }
    emitter.jump(error_block);
}

/// Emits the start of the program's error block, up to the `ERROR` clauses: switches r7 to the
/// `ERROR` entry of the scratch map, fills its D context and sends the fault record. Returns the
/// `resume` target, which [`error_block_end`] places.
pub fn error_block_start(emitter: &mut Emitter, maps: &MapIndex, error_probe_id: u32) -> Target {
    let resume = emitter.target();
    let found = emitter.target();
    emitter.annotate("error");
    emitter.push(Insn::st_mem(
        Size::W,
        Reg::FP,
        KEY_SLOT,
        SCRATCH_ERROR_ENTRY as i32,
    ));
    emitter.load_map(Reg::R1, maps.scratch);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jne, Reg::R0, 0, found);
    emitter.push(Insn::mov64_reg(FAULT_ADDRESS, FAULT_INFO));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, FAULT_ADDRESS, 40));
    var::reload_globals(emitter, maps);
    emitter.jump(resume);
    emitter.place(found);
    let arg = |arg_idx: i16| DCTX_ARGS + 8 * arg_idx;
    emitter.push(Insn::st_mem(
        Size::W,
        Reg::R0,
        DCTX_PROBE_ID,
        error_probe_id as i32,
    ));
    emitter.push(Insn::st_mem(Size::DW, Reg::R0, DCTX_CLAUSE_MASK, -1));
    emitter.push(Insn::st_mem(Size::DW, Reg::R0, arg(0), 0));
    emitter.push(Insn::ldx_mem(Size::W, Reg::R1, SCRATCH, DCTX_PROBE_ID));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, arg(1)));
    emitter.push(Insn::mov64_reg(Reg::R1, FAULT_INFO));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, 40));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, arg(2)));
    emitter.push(Insn::mov64_reg(Reg::R1, FAULT_INFO));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, 8));
    emitter.push(Insn::alu32_reg(AluOp::Mov, Reg::R1, Reg::R1));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, arg(3)));
    emitter.push(Insn::mov64_reg(Reg::R1, FAULT_INFO));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R1, 0xff));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, arg(4)));
    emitter.push(Insn::stx_mem(Size::DW, Reg::R0, FAULT_ADDRESS, arg(5)));
    for arg_idx in 6..DCTX_N_ARGS as i16 {
        emitter.push(Insn::st_mem(Size::DW, Reg::R0, arg(arg_idx), 0));
    }
    emitter.push(Insn::st_mem(Size::DW, Reg::R0, DCTX_ERRNO, 0));
    emitter.push(Insn::st_mem(Size::DW, Reg::R0, DCTX_TIMESTAMP, 0));
    emitter.push(Insn::mov64_reg(FAULT_ADDRESS, FAULT_INFO));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, FAULT_ADDRESS, 40));
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, SCRATCH, SAVED_SCRATCH));
    emitter.push(Insn::mov64_reg(SCRATCH, Reg::R0));
    var::reload_globals(emitter, maps);
    fault_record(emitter, maps);
    resume
}

/// Builds the fault record at the start of the `ERROR` entry's temporaries and sends it.
fn fault_record(emitter: &mut Emitter, maps: &MapIndex) {
    let field = |offset: i16| scratch_offset(0) + offset;
    emitter.push(Insn::st_mem(
        Size::W,
        SCRATCH,
        field(RECORD_CLAUSE_ID),
        FAULT_RECORD_ID as i32,
    ));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, DCTX_ARGS + 8));
    emitter.push(Insn::stx_mem(
        Size::W,
        SCRATCH,
        Reg::R1,
        field(RECORD_PROBE_ID),
    ));
    emitter.push(Insn::call(Helper::bpf_get_smp_processor_id));
    emitter.push(Insn::stx_mem(Size::W, SCRATCH, Reg::R0, field(RECORD_CPU)));
    emitter.push(Insn::st_mem(Size::W, SCRATCH, field(RECORD_BLOCKS), 1));
    for word in 0..4 {
        emitter.push(Insn::ldx_mem(
            Size::DW,
            Reg::R1,
            SCRATCH,
            DCTX_ARGS + 8 * (2 + word),
        ));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R1,
            field(FAULT_RECORD_CLAUSE + 8 * word),
        ));
    }
    action::output(maps, emitter, 0, FAULT_RECORD_SIZE, false);
}

/// Emits the end of the error block, after the `ERROR` clauses: switches r7 back and resumes after
/// the faulting clause, one of `resumes` (clause index, where its code ends).
pub fn error_block_end(emitter: &mut Emitter, resume: Target, resumes: &[(usize, Target)]) {
    emitter.push(Insn::ldx_mem(Size::DW, SCRATCH, Reg::FP, SAVED_SCRATCH));
    emitter.place(resume);
    for &(clause_idx, after_clause) in resumes {
        emitter.jump_imm(JmpOp::Jeq, FAULT_ADDRESS, clause_idx as i32, after_clause);
    }
}
