//! `fbt:vmlinux:FUNC:entry` and `:return` as kprobe and kretprobe programs
//! (`BPF_PROG_TYPE_KPROBE`), for kernels that refuse fentry or when `-x fbtmode=kprobe` asks.
//!
//! The context is the `struct pt_regs` of the probed function. `d_frontend::provider::fbt` places
//! each argument in a 64-bit word of the fentry context; the same word is found here where the
//! x86-64 calling convention puts it: the first six in `rdi rsi rdx rcx r8 r9`, the rest on the
//! stack above the return address `sp` points to at the function's first instruction. A
//! kretprobe sees the registers at the return, where only `rax`, the return value, is meaningful;
//! as with fexit, `arg0` (the return offset) is -1.
//!
//! ```text
//!   argN = register                         r1 = *(u64 *)(r6 + OFF); *(u64 *)(r7+ARGN) = r1
//!   argN = stack word                       r3 = *(u64 *)(r6 + 152); r3 += 8 * (word - 5)
//!                                           probe_read_kernel(r7+ARGN, 8, r3)
//!   return: arg0 = -1, arg1 = rax
//! ```
//!
//! Attaching is cheap and loading is not (the verifier runs once per program), so when several
//! functions' probes are enabled (`fbt::vfs_*:entry`), one shared program serves them all and
//! is attached to each function with a BPF cookie holding the probe ID and the mask of the
//! clauses the probe enables ([`shared_trampoline`]). The shared program copies the six argument
//! registers, so a function takes part only when its arguments are one word each, in order
//! ([`shareable`]); the mask has room for [`MAX_SHARED_CLAUSES`] clauses.
//!
//! ```text
//!   cookie = bpf_get_attach_cookie(ctx)     r1 = r6; call bpf_get_attach_cookie
//!   probe_id = cookie; mask = cookie >> 32  *(u32 *)(r7+ID) = r0; r0 >>= 32; *(u64 *)(r7+MASK) = r0
//! ```

use d_frontend::provider::{ArgFetch, ProbeArg};

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, Reg, Size};
use crate::layout::{DCTX_CLAUSE_MASK, DCTX_PROBE_ID};

/// The most clauses a shared program's probes may enable: the cookie's high 32 bits.
pub const MAX_SHARED_CLAUSES: usize = 32;

/// x86-64 `struct pt_regs` offsets of the argument registers, in argument order.
const ARG_REGISTERS: [i16; 6] = [112, 104, 96, 88, 72, 64];
/// The offset of `ax`, which holds the return value.
const RAX: i16 = 80;
/// The offset of `sp`.
const SP: i16 = 152;

/// Where a 64-bit argument word is at a function's first instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordAt {
    /// In the register at this `struct pt_regs` offset.
    Register(i16),
    /// On the stack, this many bytes above `sp` (past the return address).
    Stack(i32),
}

/// Where argument word `word` (the fentry context's) is found on entry.
pub fn word_at(word: u32) -> WordAt {
    match ARG_REGISTERS.get(word as usize) {
        Some(&offset) => WordAt::Register(offset),
        None => WordAt::Stack(8 * (word as i32 - 5)),
    }
}

/// Sets the probe ID and copies the arguments into `arg0..`, zeroing the rest.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32, is_return: bool, args: &[ProbeArg]) {
    fixed_probe(emitter, probe_id);
    for (arg_idx, arg) in args.iter().enumerate() {
        let slot = arg_offset(arg_idx);
        if is_return {
            if arg_idx == 0 {
                emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, -1));
            } else {
                copy_register(emitter, RAX, slot);
            }
            continue;
        }
        let ArgFetch::Field { offset, .. } = arg.fetch else {
            continue;
        };
        match word_at(offset / 8) {
            WordAt::Register(register) => copy_register(emitter, register, slot),
            WordAt::Stack(above_sp) => {
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, CTX, SP));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, above_sp));
                emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
                emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
                emitter.push(Insn::mov64_imm(Reg::R2, 8));
                emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
            }
        }
    }
    zero_args_from(emitter, args.len().max(usize::from(is_return)));
}

/// Whether a probe with `args` can be served by the shared program: a return probe always, an
/// entry probe when its arguments are the first words, in order, all in registers.
pub fn shareable(args: &[ProbeArg], is_return: bool) -> bool {
    is_return || args.iter().enumerate().all(|(arg_idx, arg)| {
        arg_idx < ARG_REGISTERS.len()
            && matches!(arg.fetch, ArgFetch::Field { offset, .. } if offset as usize == 8 * arg_idx)
    })
}

/// The shared program's start: the probe ID and clause mask from the attach cookie, then every
/// argument register (or the offset and the return value).
pub fn shared_trampoline(emitter: &mut Emitter, is_return: bool) {
    emitter.push(Insn::mov64_reg(Reg::R1, CTX));
    emitter.push(Insn::call(Helper::bpf_get_attach_cookie));
    emitter.push(Insn::stx_mem(Size::W, SCRATCH, Reg::R0, DCTX_PROBE_ID));
    emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R0, DCTX_CLAUSE_MASK));
    if is_return {
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(0), -1));
        copy_register(emitter, RAX, arg_offset(1));
        zero_args_from(emitter, 2);
    } else {
        for (arg_idx, register) in ARG_REGISTERS.into_iter().enumerate() {
            copy_register(emitter, register, arg_offset(arg_idx));
        }
        zero_args_from(emitter, ARG_REGISTERS.len());
    }
}

fn copy_register(emitter: &mut Emitter, register: i16, slot: i16) {
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, register));
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
}

#[cfg(test)]
mod tests {
    use d_frontend::provider::ArgType;

    use super::*;

    fn word(offset: u32) -> ProbeArg {
        ProbeArg {
            native: "long".to_string(),
            name: String::new(),
            ty: ArgType::Int {
                size: 8,
                signed: true,
            },
            fetch: ArgFetch::Field {
                offset,
                size: 8,
                signed: false,
            },
        }
    }

    /// The (`pt_regs` offset, argument slot) of every register copy the trampoline makes.
    fn copies(emitter: &Emitter) -> Vec<(i16, i16)> {
        emitter
            .insns
            .windows(2)
            .filter(|pair| pair[0].code == 0x79 && pair[1].code == 0x7b)
            .map(|pair| (pair[0].off, pair[1].off))
            .collect()
    }

    #[test]
    fn words_map_to_the_calling_convention() {
        let registers: Vec<WordAt> = (0..6).map(word_at).collect();
        assert_eq!(
            registers,
            [112, 104, 96, 88, 72, 64].map(WordAt::Register),
            "rdi rsi rdx rcx r8 r9"
        );
        assert_eq!(
            word_at(6),
            WordAt::Stack(8),
            "just above the return address"
        );
        assert_eq!(word_at(8), WordAt::Stack(24));
    }

    #[test]
    fn entry_arguments_come_from_registers_then_the_stack() {
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 9, false, &[word(0), word(8), word(48)]);
        assert_eq!(
            copies(&emitter),
            [(112, arg_offset(0)), (104, arg_offset(1))]
        );
        let sp_read = emitter
            .insns
            .iter()
            .position(|insn| insn.code == 0x79 && insn.off == SP)
            .expect("sp is read for the seventh word");
        assert_eq!(emitter.insns[sp_read + 1].imm, 8);
        assert_eq!(emitter.insns[sp_read + 3].imm, i32::from(arg_offset(2)));
        assert!(
            emitter.insns[sp_read..]
                .iter()
                .any(|insn| insn.code == 0x85 && insn.imm == Helper::bpf_probe_read_kernel as i32)
        );
    }

    #[test]
    fn only_functions_with_one_word_arguments_in_registers_share_a_program() {
        assert!(shareable(&[word(0), word(8), word(16)], false));
        assert!(
            !shareable(&[word(0), word(16)], false),
            "a two-word struct first"
        );
        let seven: Vec<ProbeArg> = (0..7).map(|word_idx| word(8 * word_idx)).collect();
        assert!(!shareable(&seven, false), "a seventh argument on the stack");
        assert!(shareable(&seven, true), "return probes read rax only");
    }

    #[test]
    fn the_shared_program_takes_probe_and_mask_from_the_cookie() {
        let mut emitter = Emitter::default();
        shared_trampoline(&mut emitter, false);
        assert_eq!(emitter.insns[1].imm, Helper::bpf_get_attach_cookie as i32);
        assert_eq!(
            (emitter.insns[2].code, emitter.insns[2].off),
            (0x63, DCTX_PROBE_ID),
            "the low word is the probe ID"
        );
        assert_eq!((emitter.insns[3].code, emitter.insns[3].imm), (0x77, 32));
        assert_eq!(emitter.insns[4].off, DCTX_CLAUSE_MASK);
        assert_eq!(
            copies(&emitter),
            ARG_REGISTERS
                .into_iter()
                .enumerate()
                .map(|(arg_idx, register)| (register, arg_offset(arg_idx)))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_return_value_is_rax_and_the_offset_is_minus_one() {
        let offset = ProbeArg {
            fetch: ArgFetch::Slot,
            ..word(0)
        };
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 9, true, &[offset, word(32)]);
        assert_eq!(copies(&emitter), [(RAX, arg_offset(1))]);
        let minus_one = emitter
            .insns
            .iter()
            .find(|insn| insn.code == 0x7a && insn.off == arg_offset(0))
            .expect("arg0 is stored");
        assert_eq!(minus_one.imm, -1);
    }
}
