//! Dependent probes: probes that fire when one of their underlying raw tracepoints does, under a
//! condition, with their arguments taken from the tracepoint's (`proc`, `sched`).
//!
//! libdtrace builds its `proc` and `sched` providers this way (`dt_probe_add_dependent`): each
//! probe names the probes it rides on, and its trampoline rearranges their arguments into
//! DTrace's. Here each probe has one or more [`RawSource`]s: a raw tracepoint, the conditions on
//! its arguments under which the probe fires, and where each of the probe's arguments comes from.
//! The back end makes one raw tracepoint program per source (`tracer_ebpf::trampoline::dependent`),
//! so the sources of one probe, or several probes on one tracepoint, attach side by side.
//!
//! A raw tracepoint's context is its `TP_PROTO` arguments as 64-bit words (`bool` and `int` as the
//! kernel widened them), so [`RawValue::Arg`] and [`RawCondition`]s name arguments by index. The
//! syscall tracepoints `sys_enter` and `sys_exit` carry the `pt_regs` of the system call first,
//! from which the trampoline reads the syscall number and arguments.

use super::{ArgFetch, ArgType, Probe, ProbeArg, ProbeDesc, ProbeKind};

/// One underlying raw tracepoint (or kernel function) of a dependent probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSource {
    /// The raw tracepoint's name (`sched_switch`, `sys_exit`), or the kernel function's
    /// (`submit_bio_wait`) for a source on a function's entry or return.
    pub tracepoint: String,
    /// What `tracepoint` names.
    pub kind: SourceKind,
    /// The probe fires when all of these hold.
    pub conditions: Vec<RawCondition>,
    /// Where `arg0`, `arg1`, ... come from; the other arguments are zero.
    pub args: Vec<RawValue>,
}

/// What fires a [`RawSource`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A raw tracepoint, whose arguments are its `TP_PROTO` arguments.
    RawTracepoint,
    /// A kernel function's entry, as `fbt` probes it (fentry, or a kprobe), whose arguments are
    /// the function's.
    FunctionEntry,
    /// A kernel function's return, as `fbt` probes it (fexit, which still sees the function's
    /// arguments, or a kretprobe).
    FunctionReturn,
}

/// A condition on a raw tracepoint's arguments or on the thread it fires in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawCondition {
    /// Argument `arg` is zero.
    Zero(u8),
    /// Argument `arg` is not zero.
    NonZero(u8),
    /// Argument `arg` equals `value`.
    Equals(u8, i32),
    /// Argument `arg` differs from `value`.
    NotEquals(u8, i32),
    /// Argument `arg` has some bit of `mask` set.
    AnySet(u8, i32),
    /// Argument `arg` has no bit of `mask` set.
    NoneSet(u8, i32),
    /// Argument `arg` is greater than zero, as a signed number.
    Positive(u8),
    /// Argument `arg` is less than zero, as a signed number.
    Negative(u8),
    /// The system call of `sys_enter` or `sys_exit` is one of these numbers.
    Syscall(Vec<u32>),
    /// The thread is (`true`) or is not (`false`) its process's main thread (`tid == pid`).
    MainThread(bool),
}

/// Where a dependent probe's argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawValue {
    /// The raw tracepoint's argument `arg`.
    Arg(u8),
    /// Minus argument `arg`: the errno of a failed system call's return value.
    NegatedArg(u8),
    /// Argument `index` of the system call `sys_enter` fires for, from its registers.
    SyscallArg(u8),
    /// The 64-bit word at `offset` from the address argument `arg` holds.
    Deref {
        /// The argument holding the address.
        arg: u8,
        /// The byte offset from it.
        offset: u32,
    },
    /// The unsigned 32-bit word at `offset` from the address argument `arg` holds (a task's CPU).
    DerefU32 {
        /// The argument holding the address.
        arg: u8,
        /// The byte offset from it.
        offset: u32,
    },
    /// The CPU the probe fires on (`bpf_get_smp_processor_id`).
    CurrentCpu,
    /// The signal argument `arg` delivers, except that a `SIGKILL` standing for a fatal signal
    /// (the kernel turns one into `SIGKILL` for every thread) is that signal, from the current
    /// task's `signal->group_exit_code` when it is set.
    DeliveredSignal {
        /// The argument holding the signal number.
        arg: u8,
        /// The offset of `signal` in `struct task_struct`.
        signal: u32,
        /// The offset of `group_exit_code` in `struct signal_struct`.
        group_exit_code: u32,
    },
    /// How a process exited, as DTrace's `proc:::exit` reports it (1 `CLD_EXITED`, 2
    /// `CLD_KILLED`, 3 `CLD_DUMPED`), from the `exit_code` at `offset` in the task argument `arg`
    /// points to.
    ExitReason {
        /// The argument holding the `struct task_struct *`.
        arg: u8,
        /// The offset of `exit_code` in `struct task_struct`.
        offset: u32,
    },
}

/// One probe of a dependent provider, as its provider's table describes it.
pub(super) struct DependentProbe {
    /// The probe's name (`exec-success`).
    pub name: &'static str,
    /// Its arguments: the C type `-lv` shows and the D type.
    pub args: &'static [(&'static str, StaticArgType)],
}

/// A task argument as the process it belongs to (`psinfo_t *`).
pub(super) const PSINFO: (&str, StaticArgType) = (
    "struct task_struct *",
    StaticArgType::Translated {
        input: "struct task_struct",
        output: "psinfo_t",
    },
);

/// A task argument as a thread (`lwpsinfo_t *`).
pub(super) const LWPSINFO: (&str, StaticArgType) = (
    "struct task_struct *",
    StaticArgType::Translated {
        input: "struct task_struct",
        output: "lwpsinfo_t",
    },
);

/// A CPU number as the CPU (`cpuinfo_t *`), as DTrace types the run queue's CPU of
/// `sched:::enqueue` and `dequeue`.
pub(super) const CPUINFO: (&str, StaticArgType) = (
    "cpuinfo_t *",
    StaticArgType::Translated {
        input: "processorid_t",
        output: "cpuinfo_t",
    },
);

/// An argument type a provider's table can spell as a constant.
#[derive(Clone, Copy, Debug)]
pub(super) enum StaticArgType {
    /// `int`.
    Int,
    /// A pointer to the named type (`struct task_struct`).
    Pointer(&'static str),
    /// A string in user memory.
    UserString,
    /// A pointer to the type named `output` translated from a pointer to the type named
    /// `input` (`psinfo_t` from `struct task_struct`), or from an integer when `input` names an
    /// integer type (`cpuinfo_t` from `processorid_t`).
    Translated {
        /// The native pointee.
        input: &'static str,
        /// The translator's output type.
        output: &'static str,
    },
}

/// The probes of a dependent provider called `provider` (module `vmlinux`, no function, as in
/// Oracle DTrace) that match `desc`; the table's first probe has ID `first_id`.
pub(super) fn matching(
    desc: &ProbeDesc,
    provider: &str,
    table: &[DependentProbe],
    first_id: u32,
) -> Vec<Probe> {
    table
        .iter()
        .zip(first_id..)
        .filter(|(probe, _)| desc.matches(provider, "vmlinux", "", probe.name))
        .map(|(probe, id)| self::probe(id, provider, probe.name))
        .collect()
}

/// The probe called `name` of `provider`, with its sources still to be read.
pub(super) fn probe(id: u32, provider: &str, name: &str) -> Probe {
    Probe {
        id,
        desc: ProbeDesc {
            provider: provider.to_string(),
            module: "vmlinux".to_string(),
            function: String::new(),
            name: name.to_string(),
        },
        kind: ProbeKind::Dependent,
        args: Vec::new(),
        sources: Vec::new(),
        uprobes: Vec::new(),
    }
}

/// The arguments of the table's probe called `name`: the trampoline fills their slots.
pub(super) fn args(table: &[DependentProbe], name: &str) -> Vec<ProbeArg> {
    let Some(probe) = table.iter().find(|probe| probe.name == name) else {
        return Vec::new();
    };
    probe
        .args
        .iter()
        .map(|&(native, ty)| ProbeArg {
            native: native.to_string(),
            name: String::new(),
            ty: match ty {
                StaticArgType::Int => ArgType::Int {
                    size: 4,
                    signed: true,
                },
                StaticArgType::Pointer(pointee) => ArgType::Pointer {
                    pointee: pointee.to_string(),
                },
                StaticArgType::UserString => ArgType::UserString,
                StaticArgType::Translated { input, output } => ArgType::Translated {
                    input: input.to_string(),
                    output: output.to_string(),
                },
            },
            fetch: ArgFetch::Slot,
        })
        .collect()
}

/// A source on `tracepoint`.
pub(super) fn source(
    tracepoint: &str,
    conditions: Vec<RawCondition>,
    args: Vec<RawValue>,
) -> RawSource {
    RawSource {
        tracepoint: tracepoint.to_string(),
        kind: SourceKind::RawTracepoint,
        conditions,
        args,
    }
}

/// A source on the entry (or, `is_return`, the return) of the kernel function `function`,
/// whose [`RawValue::Arg`]s are the function's arguments.
pub(super) fn function_source(function: &str, is_return: bool, args: Vec<RawValue>) -> RawSource {
    RawSource {
        tracepoint: function.to_string(),
        kind: if is_return {
            SourceKind::FunctionReturn
        } else {
            SourceKind::FunctionEntry
        },
        conditions: Vec::new(),
        args,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[DependentProbe] = &[
        DependentProbe {
            name: "exec",
            args: &[("string", StaticArgType::UserString)],
        },
        DependentProbe {
            name: "exit",
            args: &[("int", StaticArgType::Int)],
        },
    ];

    #[test]
    fn probes_are_listed_in_table_order_under_vmlinux() {
        let desc = ProbeDesc::parse("proc:::ex*").unwrap();
        let probes = matching(&desc, "proc", TABLE, 40);
        let names: Vec<String> = probes
            .iter()
            .map(|probe| format!("{} {}", probe.id, probe.desc))
            .collect();
        assert_eq!(names, ["40 proc:vmlinux::exec", "41 proc:vmlinux::exit"]);
        assert!(
            matching(
                &ProbeDesc::parse("sched:::exit").unwrap(),
                "proc",
                TABLE,
                40
            )
            .is_empty()
        );
        assert!(
            matching(
                &ProbeDesc::parse("proc::f:exit").unwrap(),
                "proc",
                TABLE,
                40
            )
            .is_empty()
        );
    }

    #[test]
    fn arguments_come_from_the_table() {
        let args = args(TABLE, "exit");
        assert_eq!(args.len(), 1);
        assert_eq!(
            (args[0].native.as_str(), &args[0].ty, args[0].fetch),
            (
                "int",
                &ArgType::Int {
                    size: 4,
                    signed: true
                },
                ArgFetch::Slot
            )
        );
        assert_eq!(super::args(TABLE, "exec")[0].ty, ArgType::UserString);
        assert!(super::args(TABLE, "nosuch").is_empty());
    }
}
