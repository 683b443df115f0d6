//! `pid` and USDT probes: uprobe programs (`BPF_PROG_TYPE_KPROBE`), whose context is the x86-64
//! `struct pt_regs` of the user thread that hit the probe.
//!
//! One `pid` program serves every probe whose clauses are the same, so the probe ID comes from
//! the attach cookie the engine gave each attachment. On entry the arguments are the System V
//! argument registers, then the stack words above the return address; on return `arg0` is 0 and
//! `arg1` the return value, as in Oracle DTrace.
//!
//! ```text
//!   probe = bpf_get_attach_cookie(ctx)      r1 = r6; call 174; *(u32 *)(r7+PROBE) = r0
//!   entry: argN = regs->{di,si,dx,cx,r8,r9} r1 = *(u64 *)(r6+off); *(u64 *)(r7+ARGN) = r1
//!          argN = ((u64 *)regs->sp)[N - 5]   bpf_probe_read_user(&argN, 8, sp + 8 * (N - 5))
//!   return: arg0 = 0; arg1 = regs->ax       *(u64 *)(r7+ARG0) = 0; r1 = *(u64 *)(r6+80); ...
//! ```
//!
//! A USDT program serves one site of one probe: each argument is a constant, a register (a
//! 64-bit load at the register's 8-byte slot, shifted for `%ah` and the like) or user memory at
//! a register plus a displacement, then cut to its size and sign- or zero-extended.

use d_frontend::provider::{UsdtArg, UsdtLocation};

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};
use crate::layout::{DCTX_CLAUSE_MASK, DCTX_N_ARGS, DCTX_PROBE_ID};

/// The `pt_regs` offsets of the System V argument registers: `di`, `si`, `dx`, `cx`, `r8`, `r9`.
const ARG_REGS: [i16; 6] = [112, 104, 96, 88, 72, 64];
/// The `pt_regs` offset of `ax`, the return value.
const PT_REGS_AX: i16 = 80;
/// The `pt_regs` offset of `sp`.
const PT_REGS_SP: i16 = 152;

/// Sets the probe ID from the attach cookie and copies a function's arguments (or, on return,
/// its return value) into `arg0..`.
pub fn pid_trampoline(emitter: &mut Emitter, is_return: bool) {
    emitter.push(Insn::mov64_reg(Reg::R1, CTX));
    emitter.push(Insn::call(Helper::bpf_get_attach_cookie));
    emitter.push(Insn::stx_mem(Size::W, SCRATCH, Reg::R0, DCTX_PROBE_ID));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, DCTX_CLAUSE_MASK, -1));
    if is_return {
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(0), 0));
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, PT_REGS_AX));
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, arg_offset(1)));
        zero_args_from(emitter, 2);
        return;
    }
    for (arg_idx, offset) in ARG_REGS.into_iter().enumerate() {
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, offset));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R1,
            arg_offset(arg_idx),
        ));
    }
    for arg_idx in ARG_REGS.len()..DCTX_N_ARGS {
        // The word at sp is the return address; the seventh argument is the one above it.
        let stack_word = (arg_idx - ARG_REGS.len() + 1) as i32;
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, CTX, PT_REGS_SP));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, 8 * stack_word));
        read_user(emitter, arg_offset(arg_idx), 8);
    }
    zero_args_from(emitter, DCTX_N_ARGS);
}

/// Sets the fixed probe ID and reads a USDT site's arguments into `arg0..`.
pub fn usdt_trampoline(emitter: &mut Emitter, probe_id: u32, args: &[UsdtArg]) {
    fixed_probe(emitter, probe_id);
    for (arg_idx, arg) in args.iter().take(DCTX_N_ARGS).enumerate() {
        let slot = arg_offset(arg_idx);
        match arg.location {
            UsdtLocation::Constant(value) => {
                emitter.push_wide(Insn::ld_imm64(Reg::R1, value as u64));
            }
            UsdtLocation::Register { offset } => {
                let word = (offset & !7) as i16;
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, word));
                let byte = i32::from(offset & 7);
                if byte != 0 {
                    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, 8 * byte));
                }
            }
            UsdtLocation::Memory { base, displacement } => {
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, CTX, base as i16));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, displacement));
                read_user(emitter, slot, arg.size);
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, slot));
            }
        }
        extend(emitter, arg.size, arg.signed);
        emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
    }
    zero_args_from(emitter, args.len().min(DCTX_N_ARGS));
}

/// Reads `size` bytes of user memory at r3 into the zeroed argument slot `slot`, which stays zero
/// when the read fails.
fn read_user(emitter: &mut Emitter, slot: i16, size: u8) {
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
    emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
    emitter.push(Insn::mov64_imm(Reg::R2, i32::from(size)));
    emitter.push(Insn::call(Helper::bpf_probe_read_user));
    let done = emitter.target();
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, done);
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
    emitter.place(done);
}

/// Cuts r1 to `size` bytes, sign- or zero-extending it back to 64 bits.
fn extend(emitter: &mut Emitter, size: u8, signed: bool) {
    if size >= 8 {
        return;
    }
    let shift = 64 - 8 * i32::from(size);
    emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R1, shift));
    let op = if signed { AluOp::Arsh } else { AluOp::Rsh };
    emitter.push(Insn::alu64_imm(op, Reg::R1, shift));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (context offset, argument slot) of every register copy.
    fn copies(emitter: &Emitter) -> Vec<(i16, i16)> {
        emitter
            .insns
            .windows(2)
            .filter(|pair| pair[0].code == 0x79 && pair[0].src == CTX.0 && pair[1].code == 0x7b)
            .map(|pair| (pair[0].off, pair[1].off))
            .collect()
    }

    #[test]
    fn entry_arguments_are_the_argument_registers_then_the_stack() {
        let mut emitter = Emitter::default();
        pid_trampoline(&mut emitter, false);
        assert_eq!(
            copies(&emitter),
            ARG_REGS
                .iter()
                .enumerate()
                .map(|(arg_idx, offset)| (*offset, arg_offset(arg_idx)))
                .collect::<Vec<_>>()
        );
        let stack_reads = emitter
            .insns
            .iter()
            .filter(|insn| insn.imm == Helper::bpf_probe_read_user as i32 && insn.code == 0x85)
            .count();
        assert_eq!(stack_reads, DCTX_N_ARGS - ARG_REGS.len());
        assert_eq!(emitter.insns[1].imm, Helper::bpf_get_attach_cookie as i32);
    }

    #[test]
    fn the_return_value_is_arg1() {
        let mut emitter = Emitter::default();
        pid_trampoline(&mut emitter, true);
        assert_eq!(copies(&emitter), [(PT_REGS_AX, arg_offset(1))]);
    }

    #[test]
    fn usdt_arguments_are_cut_to_their_size() {
        let args = d_frontend::provider::parse_usdt_args("-4@%edi 1@%ah 8@-16(%rbp)");
        let mut emitter = Emitter::default();
        usdt_trampoline(&mut emitter, 5, &args);
        let (lsh, rsh, arsh) = (0x60, 0x70, 0xc0);
        let shifts: Vec<(u8, i32)> = emitter
            .insns
            .iter()
            .filter(|insn| {
                insn.code & 0x0f == 0x07 && [lsh, rsh, arsh].contains(&(insn.code & 0xf0))
            })
            .map(|insn| (insn.code & 0xf0, insn.imm))
            .collect();
        assert_eq!(
            shifts,
            [(lsh, 32), (arsh, 32), (rsh, 8), (lsh, 56), (rsh, 56)]
        );
        let context_loads: Vec<i16> = emitter
            .insns
            .iter()
            .filter(|insn| insn.code == 0x79 && insn.src == CTX.0)
            .map(|insn| insn.off)
            .collect();
        assert_eq!(context_loads, [112, 80, 32]);
    }
}
