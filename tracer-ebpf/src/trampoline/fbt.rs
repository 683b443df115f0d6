//! `fbt:vmlinux:FUNC:entry` and `:return`: fentry and fexit programs (`BPF_PROG_TYPE_TRACING`).
//!
//! The context is the function's arguments as 64-bit words, followed on return by the return
//! value; `d_frontend::provider::fbt` gives each argument its word as a [`ArgFetch::Field`] of
//! eight bytes. The words are copied with `bpf_probe_read_kernel` rather than loaded: the verifier
//! types a loaded word from the function's BTF prototype and, before Linux 6.2 or so, refuses to
//! load one it cannot type (a pointer to a function or to a pointer: `invalid bpf_context
//! access`), which would make `fbt::vfs_*:entry` fail on `vfs_get_super`. Arguments in
//! consecutive words go to consecutive slots, so a run of them is one read: every argument of
//! most functions, and the return value. A return probe's `arg0` is the return offset, which
//! fexit cannot know: -1, as in Oracle DTrace.
//!
//! ```text
//!   arg0..argK = ctx[word..word+K]          r1 = r7 + ARG0; r2 = 8 * (K + 1); r3 = r6 + 8 * word
//!                                           call bpf_probe_read_kernel
//!   return: arg0 = -1                       *(u64 *)(r7+ARG0) = -1
//! ```

use d_frontend::provider::{ArgFetch, ProbeArg};

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, Reg, Size};

/// A run of arguments in consecutive context words: the first argument's index, its word
/// offset in the context, and how many arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// The first argument's index.
    pub first_arg: usize,
    /// Its byte offset in the context.
    pub ctx_offset: u32,
    /// How many arguments the run copies.
    pub len: usize,
}

/// The runs of consecutive words among `args`.
pub fn runs(args: &[ProbeArg]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for (arg_idx, arg) in args.iter().enumerate() {
        let ArgFetch::Field { offset, .. } = arg.fetch else {
            continue;
        };
        match runs.last_mut() {
            Some(run)
                if run.first_arg + run.len == arg_idx
                    && run.ctx_offset + 8 * run.len as u32 == offset =>
            {
                run.len += 1;
            }
            _ => runs.push(Run {
                first_arg: arg_idx,
                ctx_offset: offset,
                len: 1,
            }),
        }
    }
    runs
}

/// Sets the probe ID and copies the arguments' words into `arg0..`, zeroing the rest.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32, is_return: bool, args: &[ProbeArg]) {
    fixed_probe(emitter, probe_id);
    if is_return {
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(0), -1));
    }
    for run in runs(args) {
        emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
        emitter.push(Insn::alu64_imm(
            AluOp::Add,
            Reg::R1,
            i32::from(arg_offset(run.first_arg)),
        ));
        emitter.push(Insn::mov64_imm(Reg::R2, 8 * run.len as i32));
        emitter.push(Insn::mov64_reg(Reg::R3, CTX));
        emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, run.ctx_offset as i32));
        emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
    }
    zero_args_from(emitter, args.len().max(usize::from(is_return)));
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

    #[test]
    fn consecutive_words_are_one_run() {
        assert_eq!(
            runs(&[word(0), word(8), word(24), word(32)]),
            [
                Run {
                    first_arg: 0,
                    ctx_offset: 0,
                    len: 2
                },
                Run {
                    first_arg: 2,
                    ctx_offset: 24,
                    len: 2
                }
            ]
        );
        assert_eq!(runs(&[]), []);
    }

    /// The (destination slot, bytes, context offset) of every read the trampoline makes.
    fn reads(emitter: &Emitter) -> Vec<(i32, i32, i32)> {
        emitter
            .insns
            .windows(6)
            .filter(|six| six[5].code == 0x85 && six[5].imm == Helper::bpf_probe_read_kernel as i32)
            .map(|six| (six[1].imm, six[2].imm, six[4].imm))
            .collect()
    }

    #[test]
    fn entry_arguments_are_read_from_context_words() {
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 9, false, &[word(0), word(8), word(24)]);
        assert_eq!(
            reads(&emitter),
            [
                (i32::from(arg_offset(0)), 16, 0),
                (i32::from(arg_offset(2)), 8, 24)
            ]
        );
    }

    #[test]
    fn the_return_value_follows_the_arguments_and_the_offset_is_minus_one() {
        let offset = ProbeArg {
            fetch: ArgFetch::Slot,
            ..word(0)
        };
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 9, true, &[offset, word(32)]);
        assert_eq!(reads(&emitter), [(i32::from(arg_offset(1)), 8, 32)]);
        let minus_one = emitter
            .insns
            .iter()
            .find(|insn| insn.code == 0x7a && insn.off == arg_offset(0))
            .expect("arg0 is stored");
        assert_eq!(minus_one.imm, -1);
    }
}
