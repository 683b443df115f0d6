//! eBPF disassembly for `-S` and for codegen snapshot tests.
//!
//! The text is the C-like syntax of the kernel verifier log and `bpftool prog dump xlated`
//! (`kernel/bpf/disasm.c`), so it reads the way Linux users already know (this is the
//! `map_lookup` snapshot below):
//!
//! ```text
//!    0: bf 16 00 00 00 00 00 00    r6 = r1
//!    1: 7a 0a f8 ff 00 00 00 00    *(u64 *)(r10 -8) = 0
//!    2: 18 11 00 00 00 00 00 00    r1 = map[fd]                  ! @counts
//!    3: 00 00 00 00 00 00 00 00
//!    4: bf a2 00 00 00 00 00 00    r2 = r10
//!    5: 07 02 00 00 f8 ff ff ff    r2 += -8
//!    6: 85 00 00 00 01 00 00 00    call bpf_map_lookup_elem
//!    7: 15 00 03 00 00 00 00 00    if r0 == 0x0 goto +3 <L1>
//!    8: 79 01 00 00 00 00 00 00    r1 = *(u64 *)(r0 +0)
//!    9: 07 01 00 00 01 00 00 00    r1 += 1
//!   10: 7b 10 00 00 00 00 00 00    *(u64 *)(r0 +0) = r1
//! L1:
//!   11: b7 00 00 00 00 00 00 00    r0 = 0
//!   12: 95 00 00 00 00 00 00 00    exit
//! ```
//!
//! It departs from the kernel's in four ways, each to make listings of generated code easier to
//! follow: the raw little-endian bytes replace the `(code)` column; jump targets get labels
//! (`L1`, `L2`, ... in address order), shown on a line of their own before the target and after
//! each jump's offset; helper calls show only the helper's name; and a map `ld_imm64` shows
//! `map[fd]`, or `map[fd:N]` once the loader has patched in fd `N`. The second half of an
//! `ld_imm64` gets a line with its bytes only.
//!
//! Annotations come from the caller, which knows what each instruction means in D: the text is
//! printed after `! ` at column 30 of the instruction text, as dtrace's `-S` does.

use std::collections::BTreeMap;

use crate::insn::{BPF_PSEUDO_MAP_FD, Helper, Insn, class};

/// Where annotations start, counted from the start of the instruction text.
const ANNOTATION_COLUMN: usize = 30;

/// `src_reg` of an `ld_imm64` whose immediate is a map fd plus a value offset.
const BPF_PSEUDO_MAP_VALUE: u8 = 2;

/// Disassembles `insns`, one line per instruction slot, each ending in a newline.
///
/// `annotate(insn_idx)` returns the annotation for the instruction at `insn_idx`, without the
/// leading `! ` (for example `@counts`), or `None`. It is not called for the second half of an
/// `ld_imm64`. Any input disassembles: unknown opcodes print as `unknown opcode 0xNN`.
pub fn disassemble(insns: &[Insn], annotate: &dyn Fn(usize) -> Option<String>) -> String {
    let labels = jump_labels(insns);
    let mut lines = Vec::with_capacity(insns.len() + labels.len());
    let mut insn_idx = 0;
    while insn_idx < insns.len() {
        let insn = insns[insn_idx];
        if let Some(label) = labels.get(&insn_idx) {
            lines.push(format!("L{label}:"));
        }
        let second = insn.is_ld_imm64().then(|| insns.get(insn_idx + 1));
        let text = match second {
            Some(second) => ld_imm64(insn, second),
            None => insn_text(insn, insn_idx, &labels),
        };
        let text = match annotate(insn_idx) {
            Some(annotation) => format!("{:ANNOTATION_COLUMN$}! {annotation}", format!("{text} ")),
            None => text,
        };
        lines.push(format!("{insn_idx:>4}: {}    {text}", hex(insn)));
        if let Some(Some(second)) = second {
            if let Some(label) = labels.get(&(insn_idx + 1)) {
                lines.push(format!("L{label}:"));
            }
            lines.push(format!("{:>4}: {}", insn_idx + 1, hex(*second)));
        }
        insn_idx += if second.is_some() { 2 } else { 1 };
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Label numbers of jump targets, numbered from 1 in address order.
fn jump_labels(insns: &[Insn]) -> BTreeMap<usize, usize> {
    let mut targets = BTreeMap::new();
    let mut insn_idx = 0;
    while insn_idx < insns.len() {
        let insn = insns[insn_idx];
        if let Some(target) = jump_target(insn, insn_idx, insns.len()) {
            targets.insert(target, 0);
        }
        insn_idx += if insn.is_ld_imm64() { 2 } else { 1 };
    }
    for (label, number) in targets.values_mut().enumerate() {
        *number = label + 1;
    }
    targets
}

/// The index `insn` jumps to, if it is a jump that lands inside the program.
fn jump_target(insn: Insn, insn_idx: usize, n_insns: usize) -> Option<usize> {
    let is_jump = matches!(insn.class(), class::JMP | class::JMP32)
        && !matches!(insn.code & 0xf0, 0x80 | 0x90 | 0xf0);
    if !is_jump {
        return None;
    }
    let offset = if insn.class() == class::JMP32 && insn.code & 0xf0 == 0x00 {
        i64::from(insn.imm)
    } else {
        i64::from(insn.off)
    };
    let target = insn_idx as i64 + 1 + offset;
    (0..n_insns as i64)
        .contains(&target)
        .then_some(target as usize)
}

/// The instruction's 8 bytes as lowercase hex pairs.
fn hex(insn: Insn) -> String {
    let bytes = insn.to_bytes().map(|byte| format!("{byte:02x}"));
    bytes.join(" ")
}

/// `u8`, `u16`, `u32` or `u64` for the size bits of a load or store.
fn size_name(code: u8, signed: bool) -> &'static str {
    match (code & 0x18, signed) {
        (0x00, false) => "u32",
        (0x08, false) => "u16",
        (0x10, false) => "u8",
        (0x18, false) => "u64",
        (0x00, true) => "s32",
        (0x08, true) => "s16",
        (0x10, true) => "s8",
        _ => "s64",
    }
}

/// The text of every instruction but `ld_imm64`.
fn insn_text(insn: Insn, insn_idx: usize, labels: &BTreeMap<usize, usize>) -> String {
    let text = match insn.class() {
        class::ALU | class::ALU64 => alu(insn),
        class::LDX => ldx(insn),
        class::ST if insn.code & 0xe0 == 0x60 => Some(format!(
            "*({} *)(r{} {:+}) = {}",
            size_name(insn.code, false),
            insn.dst,
            insn.off,
            insn.imm
        )),
        class::STX => stx(insn),
        class::LD => ld_packet(insn),
        class::JMP | class::JMP32 => jmp(insn, insn_idx, labels),
        _ => None,
    };
    text.unwrap_or_else(|| format!("unknown opcode 0x{:02x}", insn.code))
}

fn alu(insn: Insn) -> Option<String> {
    let reg = if insn.class() == class::ALU64 {
        'r'
    } else {
        'w'
    };
    let (dst, src) = (insn.dst, insn.src);
    let from_reg = insn.code & 0x08 != 0;
    let op = match insn.code & 0xf0 {
        0x80 => return Some(format!("{reg}{dst} = -{reg}{dst}")),
        0xd0 => {
            let kind = match (insn.class() == class::ALU64, from_reg) {
                (true, _) => "bswap",
                (false, true) => "be",
                (false, false) => "le",
            };
            return Some(format!("r{dst} = {kind}{} r{dst}", insn.imm));
        }
        0xb0 if from_reg && insn.off != 0 => {
            return Some(format!("{reg}{dst} = (s{}){reg}{src}", insn.off));
        }
        0x00 => "+=",
        0x10 => "-=",
        0x20 => "*=",
        0x30 if insn.off == 1 => "s/=",
        0x30 => "/=",
        0x40 => "|=",
        0x50 => "&=",
        0x60 => "<<=",
        0x70 => ">>=",
        0x90 if insn.off == 1 => "s%=",
        0x90 => "%=",
        0xa0 => "^=",
        0xb0 => "=",
        0xc0 => "s>>=",
        _ => return None,
    };
    Some(if from_reg {
        format!("{reg}{dst} {op} {reg}{src}")
    } else {
        format!("{reg}{dst} {op} {}", insn.imm)
    })
}

fn ldx(insn: Insn) -> Option<String> {
    let signed = match insn.code & 0xe0 {
        0x60 => false,
        0x80 => true,
        _ => return None,
    };
    Some(format!(
        "r{} = *({} *)(r{} {:+})",
        insn.dst,
        size_name(insn.code, signed),
        insn.src,
        insn.off
    ))
}

fn stx(insn: Insn) -> Option<String> {
    let size = size_name(insn.code, false);
    match insn.code & 0xe0 {
        0x60 => Some(format!(
            "*({size} *)(r{} {:+}) = r{}",
            insn.dst, insn.off, insn.src
        )),
        0xc0 if matches!(size, "u32" | "u64") => atomic(insn, size),
        _ => None,
    }
}

/// `BPF_STX | BPF_ATOMIC`, whose operation is in `imm`.
fn atomic(insn: Insn, size: &str) -> Option<String> {
    let width = if size == "u64" { "64" } else { "" };
    let (src, place) = (
        insn.src,
        format!("({size} *)(r{} {:+})", insn.dst, insn.off),
    );
    let (op, name) = match insn.imm & !0x01 {
        0xe0 if insn.imm == 0xe1 => {
            return Some(format!("r{src} = atomic{width}_xchg({place}, r{src})"));
        }
        0xf0 if insn.imm == 0xf1 => {
            return Some(format!("r0 = atomic{width}_cmpxchg({place}, r0, r{src})"));
        }
        0x00 => ("+=", "add"),
        0x40 => ("|=", "or"),
        0x50 => ("&=", "and"),
        0xa0 => ("^=", "xor"),
        _ => return None,
    };
    Some(if insn.imm & 0x01 == 0 {
        format!("lock *{place} {op} r{src}")
    } else {
        format!("r{src} = atomic{width}_fetch_{name}({place}, r{src})")
    })
}

/// The legacy packet loads, `BPF_LD | BPF_ABS` and `BPF_LD | BPF_IND`.
fn ld_packet(insn: Insn) -> Option<String> {
    let size = size_name(insn.code, false);
    match insn.code & 0xe0 {
        0x20 => Some(format!("r0 = *({size} *)skb[{}]", insn.imm)),
        0x40 => Some(format!("r0 = *({size} *)skb[r{} + {}]", insn.src, insn.imm)),
        _ => None,
    }
}

/// The text of an `ld_imm64` whose second half is `second`.
fn ld_imm64(first: Insn, second: Option<&Insn>) -> String {
    let Some(second) = second else {
        return format!("r{} = <ld_imm64 without its second half>", first.dst);
    };
    let fd = first.imm;
    let map = if fd == 0 {
        "map[fd]".to_owned()
    } else {
        format!("map[fd:{fd}]")
    };
    match first.src {
        BPF_PSEUDO_MAP_FD => format!("r{} = {map}", first.dst),
        BPF_PSEUDO_MAP_VALUE => format!("r{} = {map}[0]+{}", first.dst, second.imm),
        _ => {
            let imm = u64::from(first.imm as u32) | (u64::from(second.imm as u32) << 32);
            format!("r{} = 0x{imm:x}", first.dst)
        }
    }
}

fn jmp(insn: Insn, insn_idx: usize, labels: &BTreeMap<usize, usize>) -> Option<String> {
    let is_jmp32 = insn.class() == class::JMP32;
    let reg = if is_jmp32 { 'w' } else { 'r' };
    let label = |offset: i64| {
        let target = insn_idx as i64 + 1 + offset;
        match usize::try_from(target)
            .ok()
            .and_then(|target| labels.get(&target))
        {
            Some(label) => format!("{offset:+} <L{label}>"),
            None => format!("{offset:+}"),
        }
    };
    let op = match (insn.code & 0xf0, is_jmp32) {
        (0x00, false) => return Some(format!("goto {}", label(insn.off.into()))),
        (0x00, true) => return Some(format!("gotol {}", label(insn.imm.into()))),
        (0x80, false) => return Some(call(insn)),
        (0x90, false) => return Some("exit".to_owned()),
        (0xe0, false) => return Some(format!("may_goto {}", label(insn.off.into()))),
        (0x10, _) => "==",
        (0x20, _) => ">",
        (0x30, _) => ">=",
        (0x40, _) => "&",
        (0x50, _) => "!=",
        (0x60, _) => "s>",
        (0x70, _) => "s>=",
        (0xa0, _) => "<",
        (0xb0, _) => "<=",
        (0xc0, _) => "s<",
        (0xd0, _) => "s<=",
        _ => return None,
    };
    let rhs = if insn.code & 0x08 == 0 {
        format!("0x{:x}", insn.imm as u32)
    } else {
        format!("{reg}{}", insn.src)
    };
    Some(format!(
        "if {reg}{} {op} {rhs} goto {}",
        insn.dst,
        label(insn.off.into())
    ))
}

fn call(insn: Insn) -> String {
    match insn.src {
        0 => match Helper::from_id(insn.imm) {
            Some(helper) => format!("call {helper:?}"),
            None => format!("call #{}", insn.imm),
        },
        1 => format!("call pc{:+}", insn.imm),
        _ => format!("call kfunc#{}", insn.imm),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insn::{AluOp, JmpOp, Reg, Size};

    fn plain(insns: &[Insn]) -> String {
        disassemble(insns, &|_| None)
    }

    fn raw(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    #[test]
    fn alu() {
        let insns = [
            Insn::mov64_reg(Reg::R1, Reg::FP),
            Insn::alu64_imm(AluOp::Add, Reg::R2, -8),
            Insn::mov64_imm(Reg::R3, 0x7fff_ffff),
            Insn::alu64_reg(AluOp::Sub, Reg::R4, Reg::R5),
            Insn::alu64_reg(AluOp::Mul, Reg::R6, Reg::R7),
            Insn::alu64_reg(AluOp::Div, Reg::R8, Reg::R9),
            Insn::alu64_reg_signed(AluOp::Div, Reg::R8, Reg::R9),
            Insn::alu64_reg_signed(AluOp::Mod, Reg::R0, Reg::R1),
            Insn::alu64_imm(AluOp::Or, Reg::R1, 1),
            Insn::alu64_imm(AluOp::And, Reg::R1, 0xff),
            Insn::alu64_imm(AluOp::Lsh, Reg::R1, 32),
            Insn::alu64_imm(AluOp::Rsh, Reg::R1, 32),
            Insn::alu64_imm(AluOp::Arsh, Reg::R1, 3),
            Insn::alu64_reg(AluOp::Xor, Reg::R1, Reg::R2),
            Insn::alu64_imm(AluOp::Neg, Reg::R1, 0),
            Insn::alu32_imm(AluOp::Mov, Reg::R1, -1),
            Insn::alu32_imm(AluOp::Add, Reg::R1, 2),
            raw(class::ALU | 0xd0 | 0x08, 1, 0, 0, 16),
            raw(class::ALU | 0xd0, 1, 0, 0, 32),
            raw(class::ALU64 | 0xd0, 1, 0, 0, 64),
            raw(class::ALU64 | 0xb8, 1, 2, 8, 0),
            raw(class::ALU64 | 0xe0, 1, 0, 0, 0),
        ];
        insta::assert_snapshot!(plain(&insns));
    }

    #[test]
    fn jumps() {
        let insns = [
            Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 5),
            Insn::jmp_reg(JmpOp::Jgt, Reg::R1, Reg::R2, 3),
            Insn::jmp_imm(JmpOp::Jsgt, Reg::R1, -1, 2),
            Insn::jmp_imm(JmpOp::Jset, Reg::R1, 0x10, 1),
            Insn::ja(-5),
            raw(class::JMP32 | JmpOp::Jne as u8, 3, 0, 1, 7),
            Insn::jmp_reg(JmpOp::Jsle, Reg::R6, Reg::R7, -7),
            Insn::ja(100),
            Insn::exit(),
        ];
        insta::assert_snapshot!(plain(&insns));
    }

    #[test]
    fn memory() {
        let insns = [
            Insn::ldx_mem(Size::B, Reg::R1, Reg::R6, 0),
            Insn::ldx_mem(Size::H, Reg::R1, Reg::R6, 2),
            Insn::ldx_mem(Size::W, Reg::R1, Reg::R6, 4),
            Insn::ldx_mem(Size::DW, Reg::R1, Reg::R6, 8),
            Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, -8),
            Insn::stx_mem(Size::W, Reg::R0, Reg::R2, 16),
            Insn::st_mem(Size::DW, Reg::FP, -16, 0),
            Insn::st_mem(Size::B, Reg::FP, -17, -1),
            raw(class::LDX | 0x80 | Size::B as u8, 1, 2, 0, 0),
            raw(class::STX | 0xc0 | Size::DW as u8, 0, 1, 0, 0x00),
            raw(class::STX | 0xc0 | Size::W as u8, 0, 1, 4, 0x01),
            raw(class::STX | 0xc0 | Size::DW as u8, 0, 1, 0, 0xe1),
            raw(class::STX | 0xc0 | Size::DW as u8, 0, 1, 0, 0xf1),
        ];
        insta::assert_snapshot!(plain(&insns));
    }

    #[test]
    fn calls() {
        let insns = [
            Insn::call(Helper::bpf_get_current_pid_tgid),
            Insn::call(Helper::bpf_ringbuf_output),
            raw(class::JMP | 0x80, 0, 0, 0, 999),
            raw(class::JMP | 0x80, 0, 1, 0, 2),
            Insn::exit(),
        ];
        insta::assert_snapshot!(plain(&insns));
    }

    #[test]
    fn may_goto_and_byte_swap() {
        let insns = [
            Insn::may_goto(2),
            Insn::to_be64(Reg::R3),
            Insn::ja(-3),
            Insn::exit(),
        ];
        insta::assert_snapshot!(plain(&insns));
    }

    #[test]
    fn ld_imm64() {
        let mut insns = Vec::new();
        insns.extend(Insn::ld_imm64(Reg::R1, 0x1234_5678_9abc_def0));
        insns.extend(Insn::ld_map_fd(Reg::R1));
        let mut relocated = Insn::ld_map_fd(Reg::R2);
        relocated[0].imm = 7;
        insns.extend(relocated);
        let [mut value, mut offset] = Insn::ld_map_fd(Reg::R3);
        value.src = BPF_PSEUDO_MAP_VALUE;
        value.imm = 7;
        offset.imm = 24;
        insns.extend([value, offset]);
        insns.push(Insn::ld_map_fd(Reg::R4)[0]);
        let annotate = |insn_idx: usize| match insn_idx {
            2 => Some("@counts".to_owned()),
            4 => Some("events".to_owned()),
            _ => None,
        };
        insta::assert_snapshot!(disassemble(&insns, &annotate));
    }

    #[test]
    fn map_lookup() {
        let mut insns = vec![
            Insn::mov64_reg(Reg::R6, Reg::R1),
            Insn::st_mem(Size::DW, Reg::FP, -8, 0),
        ];
        insns.extend(Insn::ld_map_fd(Reg::R1));
        insns.extend([
            Insn::mov64_reg(Reg::R2, Reg::FP),
            Insn::alu64_imm(AluOp::Add, Reg::R2, -8),
            Insn::call(Helper::bpf_map_lookup_elem),
            Insn::jmp_imm(JmpOp::Jeq, Reg::R0, 0, 3),
            Insn::ldx_mem(Size::DW, Reg::R1, Reg::R0, 0),
            Insn::alu64_imm(AluOp::Add, Reg::R1, 1),
            Insn::stx_mem(Size::DW, Reg::R0, Reg::R1, 0),
            Insn::mov64_imm(Reg::R0, 0),
            Insn::exit(),
        ]);
        let annotate = |insn_idx: usize| (insn_idx == 2).then(|| "@counts".to_owned());
        insta::assert_snapshot!(disassemble(&insns, &annotate));
    }

    #[test]
    fn every_opcode_disassembles_to_one_line_per_slot() {
        for code in 0..=u8::MAX {
            let insns = [
                raw(code, 15, 15, i16::MIN, i32::MIN),
                raw(code, 0, 0, -1, -1),
            ];
            let text = plain(&insns);
            let n_lines = text.lines().filter(|line| !line.starts_with('L')).count();
            assert_eq!(n_lines, 2, "opcode 0x{code:02x}:\n{text}");
        }
    }
}
