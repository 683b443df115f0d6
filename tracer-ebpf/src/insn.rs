//! eBPF instructions: the 8-byte encoding and constructors named after the operation.
//!
//! Constructors follow the kernel's `BPF_*` macros (`include/linux/filter.h`): `alu64_imm`, `ldx_mem`,
//! `jmp_imm`, ... The 16-byte `ld_imm64` is two [`Insn`]s.

/// A register, `r0`..`r10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reg(pub u8);

impl Reg {
    /// Return value, helper result.
    pub const R0: Reg = Reg(0);
    /// First argument (the context on entry).
    pub const R1: Reg = Reg(1);
    /// Second argument.
    pub const R2: Reg = Reg(2);
    /// Third argument.
    pub const R3: Reg = Reg(3);
    /// Fourth argument.
    pub const R4: Reg = Reg(4);
    /// Fifth argument.
    pub const R5: Reg = Reg(5);
    /// Callee-saved.
    pub const R6: Reg = Reg(6);
    /// Callee-saved.
    pub const R7: Reg = Reg(7);
    /// Callee-saved.
    pub const R8: Reg = Reg(8);
    /// Callee-saved.
    pub const R9: Reg = Reg(9);
    /// Read-only frame pointer.
    pub const FP: Reg = Reg(10);
}

/// Instruction classes (`BPF_CLASS`).
pub mod class {
    /// `BPF_LD`
    pub const LD: u8 = 0x00;
    /// `BPF_LDX`
    pub const LDX: u8 = 0x01;
    /// `BPF_ST`
    pub const ST: u8 = 0x02;
    /// `BPF_STX`
    pub const STX: u8 = 0x03;
    /// `BPF_ALU`
    pub const ALU: u8 = 0x04;
    /// `BPF_JMP`
    pub const JMP: u8 = 0x05;
    /// `BPF_JMP32`
    pub const JMP32: u8 = 0x06;
    /// `BPF_ALU64`
    pub const ALU64: u8 = 0x07;
}

/// ALU operations (`BPF_OP` for ALU classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AluOp {
    /// `+=`
    Add = 0x00,
    /// `-=`
    Sub = 0x10,
    /// `*=`
    Mul = 0x20,
    /// `/=` (unsigned; signed with `off = 1`)
    Div = 0x30,
    /// `|=`
    Or = 0x40,
    /// `&=`
    And = 0x50,
    /// `<<=`
    Lsh = 0x60,
    /// `>>=` (logical)
    Rsh = 0x70,
    /// `= -dst`
    Neg = 0x80,
    /// `%=` (unsigned; signed with `off = 1`)
    Mod = 0x90,
    /// `^=`
    Xor = 0xa0,
    /// `=`
    Mov = 0xb0,
    /// `>>=` (arithmetic)
    Arsh = 0xc0,
}

/// Jump conditions (`BPF_OP` for JMP classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum JmpOp {
    /// Unconditional.
    Ja = 0x00,
    /// `==`
    Jeq = 0x10,
    /// `>` unsigned
    Jgt = 0x20,
    /// `>=` unsigned
    Jge = 0x30,
    /// `&`
    Jset = 0x40,
    /// `!=`
    Jne = 0x50,
    /// `>` signed
    Jsgt = 0x60,
    /// `>=` signed
    Jsge = 0x70,
    /// Helper call.
    Call = 0x80,
    /// Return.
    Exit = 0x90,
    /// `<` unsigned
    Jlt = 0xa0,
    /// `<=` unsigned
    Jle = 0xb0,
    /// `<` signed
    Jslt = 0xc0,
    /// `<=` signed
    Jsle = 0xd0,
}

/// Memory access sizes (`BPF_SIZE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Size {
    /// 4 bytes.
    W = 0x00,
    /// 2 bytes.
    H = 0x08,
    /// 1 byte.
    B = 0x10,
    /// 8 bytes.
    DW = 0x18,
}

impl Size {
    /// The access width in bytes.
    pub fn bytes(self) -> u32 {
        match self {
            Size::W => 4,
            Size::H => 2,
            Size::B => 1,
            Size::DW => 8,
        }
    }

    /// The size for an access of `bytes` bytes (1, 2, 4 or 8).
    pub fn from_bytes(bytes: u32) -> Size {
        match bytes {
            1 => Size::B,
            2 => Size::H,
            4 => Size::W,
            8 => Size::DW,
            _ => panic!("no eBPF access size of {bytes} bytes"),
        }
    }
}

const BPF_K: u8 = 0x00;
const BPF_X: u8 = 0x08;
const BPF_IMM: u8 = 0x00;
const BPF_MEM: u8 = 0x60;
/// `BPF_JCOND`, the jump operation of `may_goto`.
const BPF_JCOND: u8 = 0xe0;
/// `src_reg` of `may_goto` (`BPF_MAY_GOTO`).
const BPF_MAY_GOTO: u8 = 0;
/// `BPF_END`, the byte-swap operation.
const BPF_END: u8 = 0xd0;
/// `BPF_TO_BE`: convert to big-endian.
const BPF_TO_BE: u8 = 0x08;
/// `src_reg` of an `ld_imm64` whose immediate is a map fd (`BPF_PSEUDO_MAP_FD`).
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// `BPF_ATOMIC`, the mode of atomic read-modify-write stores.
const BPF_ATOMIC: u8 = 0xc0;
/// `BPF_CMPXCHG`, the compare-and-exchange operation of `BPF_ATOMIC` (with `BPF_FETCH`).
const BPF_CMPXCHG: i32 = 0xf1;

/// One 8-byte eBPF instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Opcode: class, size/source, operation.
    pub code: u8,
    /// Destination register (low nibble of the second byte).
    pub dst: u8,
    /// Source register (high nibble of the second byte).
    pub src: u8,
    /// Signed offset.
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// The instruction's 8 bytes, little-endian.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut bytes = [0u8; 8];
        bytes[0] = self.code;
        bytes[1] = (self.src << 4) | (self.dst & 0x0f);
        bytes[2..4].copy_from_slice(&self.off.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.imm.to_le_bytes());
        bytes
    }

    /// Decodes 8 bytes.
    pub fn from_bytes(bytes: [u8; 8]) -> Insn {
        Insn {
            code: bytes[0],
            dst: bytes[1] & 0x0f,
            src: bytes[1] >> 4,
            off: i16::from_le_bytes([bytes[2], bytes[3]]),
            imm: i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }

    /// The instruction class.
    pub fn class(self) -> u8 {
        self.code & 0x07
    }

    /// `dst op= imm` on 64 bits.
    pub fn alu64_imm(op: AluOp, dst: Reg, imm: i32) -> Insn {
        Insn {
            code: class::ALU64 | op as u8 | BPF_K,
            dst: dst.0,
            src: 0,
            off: 0,
            imm,
        }
    }

    /// `dst op= src` on 64 bits.
    pub fn alu64_reg(op: AluOp, dst: Reg, src: Reg) -> Insn {
        Insn {
            code: class::ALU64 | op as u8 | BPF_X,
            dst: dst.0,
            src: src.0,
            off: 0,
            imm: 0,
        }
    }

    /// Signed `dst /= src` or `dst %= src` on 64 bits (`off = 1`, kernel 6.6+).
    pub fn alu64_reg_signed(op: AluOp, dst: Reg, src: Reg) -> Insn {
        Insn {
            off: 1,
            ..Insn::alu64_reg(op, dst, src)
        }
    }

    /// `dst op= imm` on 32 bits (the upper half is zeroed).
    pub fn alu32_imm(op: AluOp, dst: Reg, imm: i32) -> Insn {
        Insn {
            code: class::ALU | op as u8 | BPF_K,
            dst: dst.0,
            src: 0,
            off: 0,
            imm,
        }
    }

    /// `dst op= src` on 32 bits (the upper half is zeroed).
    pub fn alu32_reg(op: AluOp, dst: Reg, src: Reg) -> Insn {
        Insn {
            code: class::ALU | op as u8 | BPF_X,
            dst: dst.0,
            src: src.0,
            off: 0,
            imm: 0,
        }
    }

    /// `dst = src` (64 bits).
    pub fn mov64_reg(dst: Reg, src: Reg) -> Insn {
        Insn::alu64_reg(AluOp::Mov, dst, src)
    }

    /// `dst = imm` (sign-extended to 64 bits).
    pub fn mov64_imm(dst: Reg, imm: i32) -> Insn {
        Insn::alu64_imm(AluOp::Mov, dst, imm)
    }

    /// `dst = imm64`: two instructions.
    pub fn ld_imm64(dst: Reg, imm: u64) -> [Insn; 2] {
        [
            Insn {
                code: class::LD | Size::DW as u8 | BPF_IMM,
                dst: dst.0,
                src: 0,
                off: 0,
                imm: imm as u32 as i32,
            },
            Insn {
                code: 0,
                dst: 0,
                src: 0,
                off: 0,
                imm: (imm >> 32) as u32 as i32,
            },
        ]
    }

    /// `dst = &map` for the map whose fd is patched in by the loader (relocated `ld_imm64`).
    pub fn ld_map_fd(dst: Reg) -> [Insn; 2] {
        let [mut first, second] = Insn::ld_imm64(dst, 0);
        first.src = BPF_PSEUDO_MAP_FD;
        [first, second]
    }

    /// `dst = *(size *)(src + off)`.
    pub fn ldx_mem(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn {
            code: class::LDX | size as u8 | BPF_MEM,
            dst: dst.0,
            src: src.0,
            off,
            imm: 0,
        }
    }

    /// `*(size *)(dst + off) = src`.
    pub fn stx_mem(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn {
            code: class::STX | size as u8 | BPF_MEM,
            dst: dst.0,
            src: src.0,
            off,
            imm: 0,
        }
    }

    /// `*(size *)(dst + off) = imm`.
    pub fn st_mem(size: Size, dst: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code: class::ST | size as u8 | BPF_MEM,
            dst: dst.0,
            src: 0,
            off,
            imm,
        }
    }

    /// `if (dst op imm) goto pc + 1 + off`.
    pub fn jmp_imm(op: JmpOp, dst: Reg, imm: i32, off: i16) -> Insn {
        Insn {
            code: class::JMP | op as u8 | BPF_K,
            dst: dst.0,
            src: 0,
            off,
            imm,
        }
    }

    /// `if (dst op src) goto pc + 1 + off`.
    pub fn jmp_reg(op: JmpOp, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn {
            code: class::JMP | op as u8 | BPF_X,
            dst: dst.0,
            src: src.0,
            off,
            imm: 0,
        }
    }

    /// `goto pc + 1 + off`.
    pub fn ja(off: i16) -> Insn {
        Insn {
            code: class::JMP | JmpOp::Ja as u8,
            dst: 0,
            src: 0,
            off,
            imm: 0,
        }
    }

    /// `r0 = helper(r1, ..., r5)`.
    pub fn call(helper: Helper) -> Insn {
        Insn {
            code: class::JMP | JmpOp::Call as u8,
            dst: 0,
            src: 0,
            off: 0,
            imm: helper as i32,
        }
    }

    /// `return r0`.
    pub fn exit() -> Insn {
        Insn {
            code: class::JMP | JmpOp::Exit as u8,
            dst: 0,
            src: 0,
            off: 0,
            imm: 0,
        }
    }

    /// `may_goto off`: jumps when the program's loop budget is spent, else falls through. The
    /// verifier checks a loop holding one by the states it reaches, not iteration by iteration.
    pub fn may_goto(off: i16) -> Insn {
        Insn {
            code: class::JMP | BPF_JCOND,
            dst: 0,
            src: BPF_MAY_GOTO,
            off,
            imm: 0,
        }
    }

    /// `dst = htobe64(dst)`: swaps the bytes of `dst` on a little-endian machine.
    pub fn to_be64(dst: Reg) -> Insn {
        Insn::to_be(dst, 64)
    }

    /// `dst = htobe<bits>(dst)`: swaps the bytes of the low `bits` (16, 32 or 64) bits of `dst` on
    /// a little-endian machine and zero-extends them.
    pub fn to_be(dst: Reg, bits: i32) -> Insn {
        Insn {
            code: class::ALU | BPF_END | BPF_TO_BE,
            dst: dst.0,
            src: 0,
            off: 0,
            imm: bits,
        }
    }

    /// `r0 = atomic64_cmpxchg((u64 *)(dst + off), r0, src)`: stores `src` when the word equals
    /// r0; r0 receives the word's old value either way.
    pub fn atomic64_cmpxchg(dst: Reg, src: Reg, off: i16) -> Insn {
        Insn {
            code: class::STX | Size::DW as u8 | BPF_ATOMIC,
            dst: dst.0,
            src: src.0,
            off,
            imm: BPF_CMPXCHG,
        }
    }

    /// Whether this is the first half of an `ld_imm64`.
    pub fn is_ld_imm64(self) -> bool {
        self.code == class::LD | Size::DW as u8 | BPF_IMM
    }
}

/// The kernel helpers generated code calls (`enum bpf_func_id`).
#[expect(non_camel_case_types, reason = "names match the kernel's bpf_func_id")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Helper {
    /// `void *bpf_map_lookup_elem(map, key)`
    bpf_map_lookup_elem = 1,
    /// `long bpf_map_update_elem(map, key, value, flags)`
    bpf_map_update_elem = 2,
    /// `long bpf_map_delete_elem(map, key)`
    bpf_map_delete_elem = 3,
    /// `long bpf_probe_read(dst, size, unsafe_ptr)`
    bpf_probe_read = 4,
    /// `u64 bpf_ktime_get_ns(void)`
    bpf_ktime_get_ns = 5,
    /// `u32 bpf_get_prandom_u32(void)`
    bpf_get_prandom_u32 = 7,
    /// `u32 bpf_get_smp_processor_id(void)`
    bpf_get_smp_processor_id = 8,
    /// `u64 bpf_get_current_pid_tgid(void)`
    bpf_get_current_pid_tgid = 14,
    /// `u64 bpf_get_current_uid_gid(void)`
    bpf_get_current_uid_gid = 15,
    /// `long bpf_get_current_comm(buf, size)`
    bpf_get_current_comm = 16,
    /// `long bpf_perf_event_output(ctx, map, flags, data, size)`
    bpf_perf_event_output = 25,
    /// `u64 bpf_get_current_task(void)`
    bpf_get_current_task = 35,
    /// `long bpf_get_stack(ctx, buf, size, flags)`
    bpf_get_stack = 67,
    /// `long bpf_send_signal(sig)`
    bpf_send_signal = 109,
    /// `long bpf_probe_read_user(dst, size, unsafe_ptr)`
    bpf_probe_read_user = 112,
    /// `long bpf_probe_read_kernel(dst, size, unsafe_ptr)`
    bpf_probe_read_kernel = 113,
    /// `long bpf_probe_read_user_str(dst, size, unsafe_ptr)`
    bpf_probe_read_user_str = 114,
    /// `long bpf_probe_read_kernel_str(dst, size, unsafe_ptr)`
    bpf_probe_read_kernel_str = 115,
    /// `long bpf_ringbuf_output(ringbuf, data, size, flags)`
    bpf_ringbuf_output = 130,
    /// `struct task_struct *bpf_get_current_task_btf(void)`: the current task as a BTF-typed,
    /// trusted pointer whose members the program may load directly (Linux 5.11).
    bpf_get_current_task_btf = 158,
    /// `u64 bpf_get_attach_cookie(ctx)`
    bpf_get_attach_cookie = 174,
}

impl Helper {
    /// The helper with number `id`, if generated code uses it.
    pub fn from_id(id: i32) -> Option<Helper> {
        const ALL: [Helper; 21] = [
            Helper::bpf_map_lookup_elem,
            Helper::bpf_map_update_elem,
            Helper::bpf_map_delete_elem,
            Helper::bpf_probe_read,
            Helper::bpf_ktime_get_ns,
            Helper::bpf_get_prandom_u32,
            Helper::bpf_get_smp_processor_id,
            Helper::bpf_get_current_pid_tgid,
            Helper::bpf_get_current_uid_gid,
            Helper::bpf_get_current_comm,
            Helper::bpf_perf_event_output,
            Helper::bpf_get_current_task,
            Helper::bpf_get_stack,
            Helper::bpf_send_signal,
            Helper::bpf_probe_read_user,
            Helper::bpf_probe_read_kernel,
            Helper::bpf_probe_read_user_str,
            Helper::bpf_probe_read_kernel_str,
            Helper::bpf_ringbuf_output,
            Helper::bpf_get_current_task_btf,
            Helper::bpf_get_attach_cookie,
        ];
        ALL.into_iter().find(|helper| *helper as i32 == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_the_kernel() {
        // r1 = r10: 0xbf, dst 1, src 10.
        assert_eq!(
            Insn::mov64_reg(Reg::R1, Reg::FP).to_bytes(),
            [0xbf, 0xa1, 0, 0, 0, 0, 0, 0]
        );
        // r2 += -8: 0x07.
        assert_eq!(
            Insn::alu64_imm(AluOp::Add, Reg::R2, -8).to_bytes(),
            [0x07, 0x02, 0, 0, 0xf8, 0xff, 0xff, 0xff]
        );
        // *(u64 *)(r10 - 8) = r1: 0x7b.
        assert_eq!(
            Insn::stx_mem(Size::DW, Reg::FP, Reg::R1, -8).to_bytes(),
            [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]
        );
        // call 14: 0x85.
        assert_eq!(
            Insn::call(Helper::bpf_get_current_pid_tgid).to_bytes(),
            [0x85, 0, 0, 0, 14, 0, 0, 0]
        );
        // exit: 0x95.
        assert_eq!(Insn::exit().to_bytes(), [0x95, 0, 0, 0, 0, 0, 0, 0]);
        // may_goto +3: 0xe5.
        assert_eq!(Insn::may_goto(3).to_bytes(), [0xe5, 0, 3, 0, 0, 0, 0, 0]);
        // r3 = be64 r3: 0xdc.
        assert_eq!(
            Insn::to_be64(Reg::R3).to_bytes(),
            [0xdc, 0x03, 0, 0, 64, 0, 0, 0]
        );
        // r0 = atomic64_cmpxchg((u64 *)(r3 + 0), r0, r2): 0xdb, imm 0xf1.
        assert_eq!(
            Insn::atomic64_cmpxchg(Reg::R3, Reg::R2, 0).to_bytes(),
            [0xdb, 0x23, 0, 0, 0xf1, 0, 0, 0]
        );
        let [first, second] = Insn::ld_map_fd(Reg::R1);
        assert_eq!(first.to_bytes(), [0x18, 0x11, 0, 0, 0, 0, 0, 0]);
        assert_eq!(second.to_bytes(), [0; 8]);
    }

    #[test]
    fn round_trips_through_bytes() {
        let insn = Insn::jmp_imm(JmpOp::Jsgt, Reg::R3, -5, 17);
        assert_eq!(Insn::from_bytes(insn.to_bytes()), insn);
    }
}
