//! `fbt:vmlinux:FUNC:entry` and `:return`: fentry and fexit programs (`BPF_PROG_TYPE_TRACING`).
//!
//! The context is the function's arguments as 64-bit words, followed on return by the return
//! value; `d_frontend::provider::fbt` gives each argument its word as a [`ArgFetch::Field`] of
//! eight bytes. The verifier types each word from the function's BTF prototype (a pointer
//! argument becomes a BTF pointer), and a privileged program may store it in the D context,
//! where it is a plain number again. A return probe's `arg0` is the return offset, which fexit
//! cannot know: -1, as in Oracle DTrace.
//!
//! ```text
//!   argN = ctx[word]                        r1 = *(u64 *)(r6 + 8 * word); *(u64 *)(r7+ARGN) = r1
//!   return: arg0 = -1                       *(u64 *)(r7+ARG0) = -1
//! ```

use d_frontend::provider::{ArgFetch, ProbeArg};

use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::Emitter;
use crate::codegen::frame::{CTX, SCRATCH};
use crate::insn::{Insn, Reg, Size};

/// Sets the probe ID and copies the arguments' words into `arg0..`, zeroing the rest.
pub fn trampoline(emitter: &mut Emitter, probe_id: u32, is_return: bool, args: &[ProbeArg]) {
    fixed_probe(emitter, probe_id);
    if is_return {
        emitter.push(Insn::st_mem(Size::DW, SCRATCH, arg_offset(0), -1));
    }
    for (arg_idx, arg) in args.iter().enumerate() {
        if let ArgFetch::Field { offset, .. } = arg.fetch {
            emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, offset as i16));
            emitter.push(Insn::stx_mem(
                Size::DW,
                SCRATCH,
                Reg::R1,
                arg_offset(arg_idx),
            ));
        }
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

    /// The (context offset, argument slot) of every copy the trampoline makes.
    fn copies(emitter: &Emitter) -> Vec<(i16, i16)> {
        emitter
            .insns
            .windows(2)
            .filter(|pair| pair[0].code == 0x79 && pair[1].code == 0x7b)
            .map(|pair| (pair[0].off, pair[1].off))
            .collect()
    }

    #[test]
    fn entry_arguments_are_context_words() {
        let mut emitter = Emitter::default();
        trampoline(&mut emitter, 9, false, &[word(0), word(8), word(24)]);
        assert_eq!(
            copies(&emitter),
            [(0, arg_offset(0)), (8, arg_offset(1)), (24, arg_offset(2))]
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
        assert_eq!(copies(&emitter), [(32, arg_offset(1))]);
        let minus_one = emitter
            .insns
            .iter()
            .find(|insn| insn.code == 0x7a && insn.off == arg_offset(0))
            .expect("arg0 is stored");
        assert_eq!(minus_one.imm, -1);
    }
}
