//! `tracepoint:GROUP::EVENT`: a tracefs tracepoint program, whose context is the event's record.
//!
//! Each argument is read from the record at the offset its format file gives (see
//! `d_frontend::provider::tracepoint`): an integer or pointer field is loaded and extended to 64
//! bits as its type says, an array field becomes its address, and a `__data_loc` field the
//! address its low 16 bits point at. The record's address is first copied into a scratch slot and
//! read back, so the verifier sees a plain number to compute addresses from rather than a context
//! pointer, on which it allows no variable offset.
//!
//! ```text
//!   rec = (u64)ctx                          *(u64 *)(r7+ARG9) = r6; r2 = *(u64 *)(r7+ARG9)
//!   argN = *(sN *)(ctx + off)               r1 = *(sN *)(r6+off); r1 <<= 64-8N; r1 s>>= 64-8N
//!   argN = rec + off        (array)         r1 = r2; r1 += off
//!   argN = rec + (*(u32 *)(ctx + off) & 0xffff)   (__data_loc)
//!   a misaligned field is read with bpf_probe_read_kernel(&argN, size, rec + off)
//! ```

use d_frontend::provider::{ArgFetch, ProbeArg};

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, Reg, Size};

/// Where the record's address lives while the arguments are read: the last argument slot, which
/// is written (or zeroed) after every other, since arguments are read in order.
const RECORD_SLOT: usize = 9;

/// Sets the probe ID and reads `args` from the record into `arg0..`, zeroing the rest.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32, args: &[ProbeArg]) {
    fixed_probe(emitter, probe_id);
    emitter.push(Insn::stx_mem(
        Size::DW,
        SCRATCH,
        CTX,
        arg_offset(RECORD_SLOT),
    ));
    for (arg_idx, arg) in args.iter().enumerate() {
        emitter.push(Insn::ldx_mem(
            Size::DW,
            Reg::R2,
            SCRATCH,
            arg_offset(RECORD_SLOT),
        ));
        let slot = arg_offset(arg_idx);
        match arg.fetch {
            ArgFetch::Field {
                offset,
                size,
                signed,
            } => field(emitter, slot, offset, size, signed),
            ArgFetch::FieldAddress { offset } => {
                emitter.push(Insn::mov64_reg(Reg::R1, Reg::R2));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, offset as i32));
                emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
            }
            ArgFetch::DataLoc { offset } => {
                emitter.push(Insn::ldx_mem(Size::W, Reg::R1, CTX, offset as i16));
                emitter.push(Insn::alu64_imm(AluOp::And, Reg::R1, 0xffff));
                emitter.push(Insn::alu64_reg(AluOp::Add, Reg::R1, Reg::R2));
                emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
            }
            ArgFetch::Slot => {}
        }
    }
    zero_args_from(emitter, args.len());
}

/// Reads an integer field into `slot`, extended to 64 bits; the record base is in r2.
fn field(emitter: &mut Emitter, slot: i16, offset: u32, size: u32, signed: bool) {
    let load_size = match size {
        1 => Size::B,
        2 => Size::H,
        4 => Size::W,
        _ => Size::DW,
    };
    if offset.is_multiple_of(size) {
        emitter.push(Insn::ldx_mem(load_size, Reg::R1, CTX, offset as i16));
    } else {
        // The verifier allows only aligned loads from the context.
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
        emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
        emitter.push(Insn::mov64_imm(Reg::R3, size as i32));
        emitter.push(Insn::mov64_reg(Reg::R4, Reg::R2));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R4, offset as i32));
        // bpf_probe_read_kernel(dst, size, src) takes its operands in r1, r2, r3.
        emitter.push(Insn::mov64_reg(Reg::R2, Reg::R3));
        emitter.push(Insn::mov64_reg(Reg::R3, Reg::R4));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, slot));
    }
    if signed && size < 8 {
        let shift = (64 - 8 * size) as i32;
        emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R1, shift));
        emitter.push(Insn::alu64_imm(AluOp::Arsh, Reg::R1, shift));
    }
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::DCTX_ERRNO;

    fn stores(emitter: &Emitter) -> Vec<i16> {
        emitter
            .insns
            .iter()
            .filter(|insn| insn.code == 0x7b || insn.code == 0x7a)
            .map(|insn| insn.off)
            .collect()
    }

    #[test]
    fn every_argument_slot_is_written_and_the_record_slot_last() {
        let arg = |fetch| ProbeArg {
            native: String::new(),
            name: String::new(),
            ty: d_frontend::provider::ArgType::String,
            fetch,
        };
        let args = [
            arg(ArgFetch::DataLoc { offset: 8 }),
            arg(ArgFetch::Field {
                offset: 12,
                size: 4,
                signed: true,
            }),
            arg(ArgFetch::FieldAddress { offset: 16 }),
        ];
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 7, &args);
        let written = stores(&emitter);
        for arg_idx in 0..crate::layout::DCTX_N_ARGS {
            let slot = arg_offset(arg_idx);
            let last = written.iter().rposition(|offset| *offset == slot);
            assert!(last.is_some(), "arg{arg_idx} is never written");
        }
        let record_writes: Vec<usize> = written
            .iter()
            .enumerate()
            .filter(|(_, offset)| **offset == arg_offset(RECORD_SLOT))
            .map(|(idx, _)| idx)
            .collect();
        assert_eq!(record_writes.len(), 2, "the record's address, then zero");
        assert!(written.contains(&DCTX_ERRNO));
    }
}
