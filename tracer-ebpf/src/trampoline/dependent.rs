//! Dependent probes (`proc`, `sched`, `io`): one raw tracepoint program per source of a probe,
//! which returns at once unless the source's conditions hold, then computes the probe's arguments
//! from the tracepoint's (see `d_frontend::provider::dependent`).
//!
//! The context is the tracepoint's arguments as 64-bit words. `sys_enter` and `sys_exit` pass
//! the system call's `struct pt_regs *` first, from which the syscall number (`orig_ax`, on
//! return) and the syscall's arguments are read with `bpf_probe_read_kernel`.
//!
//! A source on a kernel function's entry or return (`io:::wait-start`) is an fentry or fexit
//! program, whose context is the function's arguments as 64-bit words, copied with
//! `bpf_probe_read_kernel` as `fbt` copies them; or a kprobe, whose context is the `struct
//! pt_regs` the arguments are read from by the calling convention. A kretprobe cannot see the
//! arguments, so a return source that needs them gets a kprobe on the function's entry too,
//! which saves the argument registers by thread ([`save_entry_args`]), and the kretprobe takes
//! them back, as Oracle DTrace keeps `io:::wait-done`'s bio in a thread-local variable; a return
//! whose entry was not seen (tracing started in between) does not fire.
//!
//! ```text
//!   entry: saved[tid] = regs->di..r9        call bpf_get_current_pid_tgid; *(u64 *)(fp-8) = r0
//!                                           *(u64 *)(fp-56+8i) = *(u64 *)(r6+REG_i), i < 6
//!                                           bpf_map_update_elem(saved, fp-8, fp-56, BPF_ANY)
//!   return: words = saved[tid] or return    r0 = bpf_map_lookup_elem(saved, fp-8); if r0 == 0 goto exit
//!           argN = words[i]; delete         *(u64 *)(r7+ARGN) = *(u64 *)(r0+8i); bpf_map_delete_elem
//! ```
//!
//! ```text
//!   if (!(ctx[i] cond)) return 0            r1 = *(u64 *)(r6 + 8i); if r1 <op> imm goto exit
//!   syscall: nr = ctx[1] or regs->orig_ax   if r1 == nr goto ok ... goto exit; ok:
//!   main thread: tid == pid                 call bpf_get_current_pid_tgid; r1 = r0 >> 32; w0 = w0
//!   argN = ctx[i]                           r1 = *(u64 *)(r6 + 8i); *(u64 *)(r7+ARGN) = r1
//!   fentry, fexit: argN = ctx[i]            probe_read_kernel(&argN, 8, r6 + 8i)
//!   kprobe: argN = regs->(register i)       r1 = *(u64 *)(r6 + REG); *(u64 *)(r7+ARGN) = r1
//!   argN = *(u64 *)(ctx[i] + off)           probe_read_kernel(&argN, 8, ctx[i] + off)
//!   argN = *(u32 *)(ctx[i] + off)           argN = 0; probe_read_kernel(&argN, 4, ctx[i] + off)
//!   argN = cpu                              call bpf_get_smp_processor_id; r1 = r0
//!   argN = ctx[i] == SIGKILL && current->signal->group_exit_code ?: ctx[i]   (signal-handle)
//!   argN = exit reason of task ctx[i]       probe_read_kernel(&argN, 4, &task->exit_code); then
//!                                           1 if !(code & 0x7f), else 3 if code & 0x80, else 2
//! ```

use d_frontend::provider::{RawCondition, RawSource, RawValue, SourceKind};

use super::kprobe::{WordAt, word_at};
use super::syscall::{ORIG_AX_OFFSET, arg_register_offset};
use super::{arg_offset, fixed_probe, zero_args_from};
use crate::codegen::emit::{Emitter, Target};
use crate::codegen::frame::{CTX, KEY_SLOT, SCRATCH};
use crate::insn::{AluOp, Helper, Insn, JmpOp, Reg, Size};

/// `CLD_EXITED`, `CLD_KILLED` and `CLD_DUMPED`, how `proc:::exit` says a process ended.
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const CLD_DUMPED: i32 = 3;
/// The signal a fatal signal becomes for every thread of its process.
const SIGKILL: i32 = 9;

/// How a source's program reads its context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceContext {
    /// A raw tracepoint's arguments, loaded directly.
    RawTracepoint,
    /// An fentry or fexit program's arguments, copied with probe reads.
    Tracing,
    /// A kprobe's (or a kretprobe's that reads no argument) `struct pt_regs`.
    Kprobe,
    /// A kretprobe, whose arguments are the registers the kprobe on the function's entry saved
    /// in the map `saved_args`.
    Kretprobe {
        /// The map's index.
        saved_args: usize,
    },
}

/// The bytes of one thread's saved argument registers: the six the calling convention uses.
pub const SAVED_ARGS_SIZE: u32 = 8 * 6;
/// Where [`save_entry_args`] builds the value on the stack.
const SAVED_ARGS_SLOT: i16 = KEY_SLOT - SAVED_ARGS_SIZE as i16;

impl SourceContext {
    /// The context of `source`'s program: its function sources are kprobes when `kprobes`, and
    /// a return source reading arguments takes them from `saved_args`.
    pub fn of(source: &RawSource, kprobes: bool, saved_args: Option<usize>) -> SourceContext {
        match (source.kind, saved_args) {
            (SourceKind::RawTracepoint, _) => SourceContext::RawTracepoint,
            (SourceKind::FunctionReturn, Some(saved_args))
                if kprobes && reads_entry_args_at_return(source) =>
            {
                SourceContext::Kretprobe { saved_args }
            }
            (SourceKind::FunctionEntry | SourceKind::FunctionReturn, _) if kprobes => {
                SourceContext::Kprobe
            }
            (SourceKind::FunctionEntry | SourceKind::FunctionReturn, _) => SourceContext::Tracing,
        }
    }
}

/// Whether `source` is on a function's return and reads the function's arguments, which a
/// kretprobe needs saved at the entry.
pub fn reads_entry_args_at_return(source: &RawSource) -> bool {
    source.kind == SourceKind::FunctionReturn
        && source
            .args
            .iter()
            .any(|value| matches!(value, RawValue::Arg(_)))
}

/// The kprobe on a function's entry that saves its argument registers for the kretprobe of a
/// [`SourceContext::Kretprobe`] source, in the map `saved_args`, by thread.
pub fn save_entry_args(emitter: &mut Emitter, saved_args: usize) {
    emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R0, KEY_SLOT));
    for word in 0..SAVED_ARGS_SIZE / 8 {
        let WordAt::Register(register) = word_at(word) else {
            unreachable!("argument word {word} is not in a register")
        };
        emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, register));
        emitter.push(Insn::stx_mem(
            Size::DW,
            Reg::FP,
            Reg::R1,
            SAVED_ARGS_SLOT + 8 * word as i16,
        ));
    }
    emitter.load_map(Reg::R1, saved_args);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::FP));
    emitter.push(Insn::alu64_imm(
        AluOp::Add,
        Reg::R3,
        i32::from(SAVED_ARGS_SLOT),
    ));
    emitter.push(Insn::mov64_imm(Reg::R4, 0));
    emitter.push(Insn::call(Helper::bpf_map_update_elem));
}

/// Copies the `Arg` values of `args` from the registers the entry saved for this thread, then
/// forgets them; returns through `exit` when the entry was not seen.
fn restore_entry_args(emitter: &mut Emitter, args: &[RawValue], saved_args: usize, exit: Target) {
    emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
    emitter.push(Insn::stx_mem(Size::DW, Reg::FP, Reg::R0, KEY_SLOT));
    emitter.load_map(Reg::R1, saved_args);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_lookup_elem));
    emitter.jump_imm(JmpOp::Jeq, Reg::R0, 0, exit);
    for (arg_idx, value) in args.iter().enumerate() {
        let RawValue::Arg(word) = *value else {
            continue;
        };
        assert!(
            u32::from(word) < SAVED_ARGS_SIZE / 8,
            "argument word {word} is not among the saved registers"
        );
        emitter.push(Insn::ldx_mem(
            Size::DW,
            Reg::R1,
            Reg::R0,
            8 * i16::from(word),
        ));
        emitter.push(Insn::stx_mem(
            Size::DW,
            SCRATCH,
            Reg::R1,
            arg_offset(arg_idx),
        ));
    }
    emitter.load_map(Reg::R1, saved_args);
    emitter.push(Insn::mov64_reg(Reg::R2, Reg::FP));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R2, i32::from(KEY_SLOT)));
    emitter.push(Insn::call(Helper::bpf_map_delete_elem));
}

/// Tests `source`'s conditions (returning through `exit` when one fails), sets the probe ID and
/// computes the arguments from the context.
pub fn trampoline(
    emitter: &mut Emitter,
    probe_id: u32,
    source: &RawSource,
    context: SourceContext,
    exit: Target,
) {
    let is_sys_enter = source.tracepoint == "sys_enter";
    for condition in &source.conditions {
        self::condition(emitter, condition, is_sys_enter, exit);
    }
    fixed_probe(emitter, probe_id);
    if let SourceContext::Kretprobe { saved_args } = context {
        restore_entry_args(emitter, &source.args, saved_args, exit);
    }
    for (arg_idx, value) in source.args.iter().enumerate() {
        let slot = arg_offset(arg_idx);
        match (context, *value) {
            (SourceContext::Kretprobe { .. }, RawValue::Arg(_)) => {}
            (SourceContext::Tracing, RawValue::Arg(arg)) => {
                read_context_word(emitter, slot, arg);
            }
            (SourceContext::Kprobe, RawValue::Arg(arg)) => match word_at(u32::from(arg)) {
                WordAt::Register(register) => {
                    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, register));
                    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
                }
                WordAt::Stack(_) => unreachable!("function sources take register arguments"),
            },
            (_, value) => self::value(emitter, value, slot),
        }
    }
    zero_args_from(emitter, source.args.len());
}

/// `bpf_probe_read_kernel(scratch + slot, 8, ctx + 8 * word)`.
fn read_context_word(emitter: &mut Emitter, slot: i16, word: u8) {
    emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
    emitter.push(Insn::mov64_imm(Reg::R2, 8));
    emitter.push(Insn::mov64_reg(Reg::R3, CTX));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, 8 * i32::from(word)));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
}

/// `r1 = ctx[arg]`.
fn load_arg(emitter: &mut Emitter, arg: u8) {
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, CTX, 8 * i16::from(arg)));
}

fn condition(emitter: &mut Emitter, condition: &RawCondition, is_sys_enter: bool, exit: Target) {
    match *condition {
        RawCondition::Zero(arg) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, exit);
        }
        RawCondition::NonZero(arg) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, exit);
        }
        RawCondition::Equals(arg, value) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jne, Reg::R1, value, exit);
        }
        RawCondition::NotEquals(arg, value) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jeq, Reg::R1, value, exit);
        }
        RawCondition::AnySet(arg, mask) => {
            load_arg(emitter, arg);
            emitter.push(Insn::alu64_imm(AluOp::And, Reg::R1, mask));
            emitter.jump_imm(JmpOp::Jeq, Reg::R1, 0, exit);
        }
        RawCondition::NoneSet(arg, mask) => {
            load_arg(emitter, arg);
            emitter.push(Insn::alu64_imm(AluOp::And, Reg::R1, mask));
            emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, exit);
        }
        RawCondition::Positive(arg) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jsle, Reg::R1, 0, exit);
        }
        RawCondition::Negative(arg) => {
            load_arg(emitter, arg);
            emitter.jump_imm(JmpOp::Jsge, Reg::R1, 0, exit);
        }
        RawCondition::Syscall(ref numbers) => {
            if is_sys_enter {
                load_arg(emitter, 1);
            } else {
                read_kernel(emitter, arg_offset(0), 8, 0, ORIG_AX_OFFSET);
                emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, arg_offset(0)));
            }
            let matched = emitter.target();
            for &nr in numbers {
                emitter.jump_imm(JmpOp::Jeq, Reg::R1, nr as i32, matched);
            }
            emitter.jump(exit);
            emitter.place(matched);
        }
        RawCondition::MainThread(main) => {
            emitter.push(Insn::call(Helper::bpf_get_current_pid_tgid));
            emitter.push(Insn::mov64_reg(Reg::R1, Reg::R0));
            emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R1, 32));
            emitter.push(Insn::alu64_imm(AluOp::Lsh, Reg::R0, 32));
            emitter.push(Insn::alu64_imm(AluOp::Rsh, Reg::R0, 32));
            let op = if main { JmpOp::Jne } else { JmpOp::Jeq };
            emitter.jump_reg(op, Reg::R0, Reg::R1, exit);
        }
    }
}

fn value(emitter: &mut Emitter, value: RawValue, slot: i16) {
    match value {
        RawValue::Arg(arg) => load_arg(emitter, arg),
        RawValue::NegatedArg(arg) => {
            load_arg(emitter, arg);
            emitter.push(Insn::alu64_imm(AluOp::Neg, Reg::R1, 0));
        }
        RawValue::SyscallArg(index) => {
            read_kernel(emitter, slot, 8, 0, arg_register_offset(usize::from(index)));
            return;
        }
        RawValue::Deref { arg, offset } => {
            read_kernel(emitter, slot, 8, arg, offset as i16);
            return;
        }
        RawValue::DerefU32 { arg, offset } => {
            emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
            read_kernel(emitter, slot, 4, arg, offset as i16);
            return;
        }
        RawValue::CurrentCpu => {
            emitter.push(Insn::call(Helper::bpf_get_smp_processor_id));
            emitter.push(Insn::mov64_reg(Reg::R1, Reg::R0));
        }
        RawValue::DeliveredSignal {
            arg,
            signal,
            group_exit_code,
        } => delivered_signal(emitter, slot, arg, signal as i32, group_exit_code as i32),
        RawValue::ExitReason { arg, offset } => {
            emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
            read_kernel(emitter, slot, 4, arg, offset as i16);
            exit_reason(emitter, slot);
        }
    }
    emitter.push(Insn::stx_mem(Size::DW, SCRATCH, Reg::R1, slot));
}

/// `r1 = ctx[arg]`, or for `SIGKILL` the current task's `signal->group_exit_code` if not 0.
fn delivered_signal(emitter: &mut Emitter, slot: i16, arg: u8, signal: i32, group_exit_code: i32) {
    let done = emitter.target();
    load_arg(emitter, arg);
    emitter.jump_imm(JmpOp::Jne, Reg::R1, SIGKILL, done);
    emitter.push(Insn::call(Helper::bpf_get_current_task));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R0));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, signal));
    read_into_slot(emitter, slot, 8);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, SCRATCH, slot));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, group_exit_code));
    emitter.push(Insn::st_mem(Size::DW, SCRATCH, slot, 0));
    read_into_slot(emitter, slot, 4);
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R1, SCRATCH, slot));
    emitter.jump_imm(JmpOp::Jne, Reg::R1, 0, done);
    emitter.push(Insn::mov64_imm(Reg::R1, SIGKILL));
    emitter.place(done);
}

/// `bpf_probe_read_kernel(scratch + slot, size, r3)`.
fn read_into_slot(emitter: &mut Emitter, slot: i16, size: i32) {
    emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
    emitter.push(Insn::mov64_imm(Reg::R2, size));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
}

/// `r1 = CLD_*` for the exit code in `slot`.
fn exit_reason(emitter: &mut Emitter, slot: i16) {
    let done = emitter.target();
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R2, SCRATCH, slot));
    emitter.push(Insn::mov64_imm(Reg::R1, CLD_EXITED));
    emitter.push(Insn::mov64_reg(Reg::R3, Reg::R2));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R3, 0x7f));
    emitter.jump_imm(JmpOp::Jeq, Reg::R3, 0, done);
    emitter.push(Insn::mov64_imm(Reg::R1, CLD_DUMPED));
    emitter.push(Insn::alu64_imm(AluOp::And, Reg::R2, 0x80));
    emitter.jump_imm(JmpOp::Jne, Reg::R2, 0, done);
    emitter.push(Insn::mov64_imm(Reg::R1, CLD_KILLED));
    emitter.place(done);
}

/// `bpf_probe_read_kernel(scratch + slot, size, ctx[arg] + offset)`.
fn read_kernel(emitter: &mut Emitter, slot: i16, size: i32, arg: u8, offset: i16) {
    emitter.push(Insn::mov64_reg(Reg::R1, SCRATCH));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R1, i32::from(slot)));
    emitter.push(Insn::mov64_imm(Reg::R2, size));
    emitter.push(Insn::ldx_mem(Size::DW, Reg::R3, CTX, 8 * i16::from(arg)));
    emitter.push(Insn::alu64_imm(AluOp::Add, Reg::R3, i32::from(offset)));
    emitter.push(Insn::call(Helper::bpf_probe_read_kernel));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(tracepoint: &str, conditions: Vec<RawCondition>, args: Vec<RawValue>) -> RawSource {
        RawSource {
            tracepoint: tracepoint.to_string(),
            kind: SourceKind::RawTracepoint,
            conditions,
            args,
        }
    }

    fn jumps_to_exit(emitter: &mut Emitter, source: &RawSource) -> usize {
        let exit = emitter.target();
        trampoline(emitter, 5, source, SourceContext::RawTracepoint, exit);
        emitter.place(exit);
        emitter.push(Insn::exit());
        emitter.finish().expect("jumps resolve");
        let exit_idx = emitter.insns.len() - 1;
        emitter
            .insns
            .iter()
            .enumerate()
            .filter(|(insn_idx, insn)| {
                insn.code & 0x07 == 0x05
                    && insn.code != 0x85
                    && (*insn_idx as i64 + 1 + i64::from(insn.off)) as usize == exit_idx
            })
            .count()
    }

    #[test]
    fn each_condition_can_return_early() {
        let mut emitter = Emitter::default();
        let sleep = source(
            "sched_switch",
            vec![RawCondition::Zero(0), RawCondition::NonZero(3)],
            Vec::new(),
        );
        assert_eq!(jumps_to_exit(&mut emitter, &sleep), 2);
        let mut emitter = Emitter::default();
        let start = source(
            "sys_exit",
            vec![
                RawCondition::Syscall(vec![56, 435]),
                RawCondition::MainThread(true),
            ],
            Vec::new(),
        );
        assert_eq!(jumps_to_exit(&mut emitter, &start), 2);
        assert!(
            emitter
                .insns
                .iter()
                .any(|insn| insn.code == 0x85 && insn.imm == Helper::bpf_probe_read_kernel as i32),
            "sys_exit reads the syscall number from the registers"
        );
    }

    #[test]
    fn arguments_fill_their_slots_in_order() {
        let mut emitter = Emitter::default();
        let send = source(
            "signal_generate",
            Vec::new(),
            vec![RawValue::Arg(2), RawValue::Arg(2), RawValue::Arg(0)],
        );
        let exit = emitter.target();
        trampoline(&mut emitter, 5, &send, SourceContext::RawTracepoint, exit);
        let copied: Vec<(i16, i16)> = emitter
            .insns
            .windows(2)
            .filter(|pair| pair[0].code == 0x79 && pair[1].code == 0x7b)
            .map(|pair| (pair[0].off, pair[1].off))
            .collect();
        assert_eq!(
            copied,
            [(16, arg_offset(0)), (16, arg_offset(1)), (0, arg_offset(2))]
        );
    }

    #[test]
    fn function_arguments_are_read_from_the_tracing_context_or_the_registers() {
        let wait = RawSource {
            tracepoint: "submit_bio_wait".to_string(),
            kind: SourceKind::FunctionEntry,
            conditions: Vec::new(),
            args: vec![RawValue::Arg(0)],
        };
        let mut tracing = Emitter::default();
        let exit = tracing.target();
        trampoline(&mut tracing, 5, &wait, SourceContext::Tracing, exit);
        let reads = |emitter: &Emitter| {
            emitter
                .insns
                .iter()
                .filter(|insn| {
                    insn.code == 0x85 && insn.imm == Helper::bpf_probe_read_kernel as i32
                })
                .count()
        };
        let context_loads = |emitter: &Emitter| -> Vec<i16> {
            emitter
                .insns
                .iter()
                .filter(|insn| insn.code == 0x79 && insn.src == CTX.0)
                .map(|insn| insn.off)
                .collect()
        };
        assert_eq!(
            reads(&tracing),
            1,
            "fentry copies the word with a probe read"
        );
        assert!(context_loads(&tracing).is_empty());
        let mut kprobe = Emitter::default();
        let exit = kprobe.target();
        trampoline(&mut kprobe, 5, &wait, SourceContext::Kprobe, exit);
        assert_eq!(reads(&kprobe), 0);
        assert_eq!(
            context_loads(&kprobe),
            [112],
            "a kprobe reads rdi from pt_regs"
        );
        assert_eq!(
            SourceContext::of(&wait, false, None),
            SourceContext::Tracing,
            "function sources are fentry programs unless kprobes are asked for"
        );
        assert_eq!(SourceContext::of(&wait, true, None), SourceContext::Kprobe);
    }
}
