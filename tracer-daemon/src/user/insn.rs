//! Where a user function's instructions start, for `pid` probes on every instruction
//! (`pid$target:a.out:main:*`), as libdtrace's `dt_pid.c` steps through a function with a
//! disassembler.
//!
//! x86-64 instructions are 1 to 15 bytes long, so only decoding from the function's first byte
//! finds the boundaries a uprobe may be placed on; `iced-x86`'s decoder does it. Decoding stops
//! at the first byte sequence that is no instruction (data in the text, or a function whose
//! symbol size overstates it). `hlt` is left out, as in libdtrace: Linux refuses uprobes on it.

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic};

/// The offsets from the start of `code`, a function's bytes, at which its instructions start.
pub(crate) fn instruction_offsets(code: &[u8]) -> Vec<u64> {
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut instruction = Instruction::default();
    let mut offsets = Vec::new();
    while decoder.can_decode() {
        let offset = decoder.position() as u64;
        decoder.decode_out(&mut instruction);
        if instruction.is_invalid() {
            break;
        }
        if instruction.mnemonic() != Mnemonic::Hlt {
            offsets.push(offset);
        }
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_instruction_lengths() {
        // push rbp; mov rbp, rsp; mov eax, 0x2a; nop dword [rax+rax]; pop rbp; ret
        let code = [
            0x55, 0x48, 0x89, 0xe5, 0xb8, 0x2a, 0x00, 0x00, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00,
            0x5d, 0xc3,
        ];
        assert_eq!(instruction_offsets(&code), [0, 1, 4, 9, 14, 15]);
    }

    #[test]
    fn hlt_is_skipped_and_a_truncated_instruction_ends_the_walk() {
        // nop; hlt; mov eax, (truncated)
        assert_eq!(instruction_offsets(&[0x90, 0xf4, 0xb8, 0x01]), [0]);
        assert_eq!(instruction_offsets(&[]), Vec::<u64>::new());
    }
}
