//! The `proc` provider: process and thread life cycle and signals, as DTrace names them, built on
//! raw tracepoints (see [`super::dependent`]).
//!
//! | probe | fires | source |
//! |---|---|---|
//! | `create` | a process is created, in its parent | `task_newtask` without `CLONE_THREAD` |
//! | `exec` | an `execve`/`execveat` starts; `args[0]` is the path | `sys_enter` of either |
//! | `exec-failure` | it failed; `args[0]` is the errno | `sys_exit` of either, negative |
//! | `exec-success` | it succeeded, in the new image | `sched_process_exec` |
//! | `exit` | a process exits; `args[0]` is 1, 2 or 3 (exited, killed, dumped core) | `sched_process_exit` of the main thread |
//! | `lwp-create` | a thread is created, in its creator | `task_newtask` with `CLONE_THREAD` |
//! | `lwp-exit` | a thread exits | `sched_process_exit` |
//! | `lwp-start` | a new thread runs its first user instruction | `sys_exit` of a `clone`, `clone3`, `fork` or `vfork` returning 0 |
//! | `signal-clear` | `sigtimedwait` took a pending signal; `args[0]` is it | `sys_exit` of `rt_sigtimedwait`, positive |
//! | `signal-discard` | a signal is discarded (ignored) | `signal_generate` with `TRACE_SIGNAL_IGNORED` |
//! | `signal-handle` | a signal is about to be handled (a fatal one as itself, not as the `SIGKILL` it becomes) | `signal_deliver` |
//! | `signal-send` | a signal is sent, in the sender | `signal_generate`, other results |
//! | `start` | a new process runs its first user instruction | as `lwp-start`, in a main thread |
//!
//! Where DTrace passes a `psinfo_t *` or `lwpsinfo_t *`, the trampoline passes the kernel's
//! `struct task_struct *` (Oracle DTrace's native type) and `args[]` translates it with the D
//! library's translators (`args[0]->pr_pid`); `arg0` is the native pointer.

use super::dependent::{
    self, DependentProbe, LWPSINFO, PSINFO, RawCondition, RawSource, RawValue, StaticArgType,
};
use super::{ProbeCatalog, SyscallInfo};

/// `CLONE_THREAD`: the new task is a thread of its creator's process.
const CLONE_THREAD: i32 = 0x0001_0000;
/// `TRACE_SIGNAL_IGNORED`, `signal_generate`'s result for a signal nobody will see.
const TRACE_SIGNAL_IGNORED: i32 = 1;

/// The probes, in ID order.
pub(super) const PROBES: &[DependentProbe] = &[
    DependentProbe {
        name: "create",
        args: &[PSINFO],
    },
    DependentProbe {
        name: "exec",
        args: &[("string", StaticArgType::UserString)],
    },
    DependentProbe {
        name: "exec-failure",
        args: &[("int", StaticArgType::Int)],
    },
    DependentProbe {
        name: "exec-success",
        args: &[],
    },
    DependentProbe {
        name: "exit",
        args: &[("int", StaticArgType::Int)],
    },
    DependentProbe {
        name: "lwp-create",
        args: &[LWPSINFO, PSINFO],
    },
    DependentProbe {
        name: "lwp-exit",
        args: &[],
    },
    DependentProbe {
        name: "lwp-start",
        args: &[],
    },
    DependentProbe {
        name: "signal-clear",
        args: &[("int", StaticArgType::Int)],
    },
    DependentProbe {
        name: "signal-discard",
        args: &[LWPSINFO, PSINFO, ("int", StaticArgType::Int)],
    },
    DependentProbe {
        name: "signal-handle",
        args: &[
            ("int", StaticArgType::Int),
            (
                "struct kernel_siginfo *",
                StaticArgType::Pointer("struct kernel_siginfo"),
            ),
            ("void (*)(void)", StaticArgType::Pointer("void")),
        ],
    },
    DependentProbe {
        name: "signal-send",
        args: &[LWPSINFO, PSINFO, ("int", StaticArgType::Int)],
    },
    DependentProbe {
        name: "start",
        args: &[],
    },
];

/// The sources of the probe called `name`: none when the kernel lacks what it needs (a syscall,
/// or `task_struct`'s `exit_code` in BTF).
pub(super) fn sources(
    name: &str,
    syscalls: &[SyscallInfo],
    catalog: &dyn ProbeCatalog,
) -> Vec<RawSource> {
    use RawCondition::{AnySet, Equals, MainThread, Negative, NoneSet, NotEquals, Positive, Zero};
    use RawValue::{Arg, Deref, NegatedArg, SyscallArg};
    let numbers = |names: &[&str]| -> Vec<u32> {
        syscalls
            .iter()
            .filter(|syscall| names.contains(&syscall.name.as_str()))
            .map(|syscall| syscall.nr)
            .collect()
    };
    let on_syscalls =
        |tracepoint: &str, names: &[&str], mut conditions: Vec<RawCondition>, args| {
            let numbers = numbers(names);
            if numbers.is_empty() {
                return Vec::new();
            }
            conditions.insert(0, RawCondition::Syscall(numbers));
            vec![dependent::source(tracepoint, conditions, args)]
        };
    let new_task = ["clone", "clone3", "fork", "vfork"];
    match name {
        "create" => vec![dependent::source(
            "task_newtask",
            vec![NoneSet(1, CLONE_THREAD)],
            vec![Arg(0)],
        )],
        "exec" => [("execve", 0), ("execveat", 1)]
            .into_iter()
            .flat_map(|(syscall, path)| {
                on_syscalls("sys_enter", &[syscall], Vec::new(), vec![SyscallArg(path)])
            })
            .collect(),
        "exec-failure" => on_syscalls(
            "sys_exit",
            &["execve", "execveat"],
            vec![Negative(1)],
            vec![NegatedArg(1)],
        ),
        "exec-success" => vec![dependent::source(
            "sched_process_exec",
            Vec::new(),
            Vec::new(),
        )],
        "exit" => catalog
            .struct_member("task_struct", "exit_code")
            .map(|member| {
                let reason = RawValue::ExitReason {
                    arg: 0,
                    offset: member.offset,
                };
                dependent::source("sched_process_exit", vec![MainThread(true)], vec![reason])
            })
            .into_iter()
            .collect(),
        "lwp-create" => vec![dependent::source(
            "task_newtask",
            vec![AnySet(1, CLONE_THREAD)],
            vec![Arg(0), Arg(0)],
        )],
        "lwp-exit" => vec![dependent::source(
            "sched_process_exit",
            Vec::new(),
            Vec::new(),
        )],
        "lwp-start" => on_syscalls("sys_exit", &new_task, vec![Zero(1)], Vec::new()),
        "signal-clear" => on_syscalls(
            "sys_exit",
            &["rt_sigtimedwait"],
            vec![Positive(1)],
            vec![Arg(1)],
        ),
        "signal-discard" => vec![dependent::source(
            "signal_generate",
            vec![Equals(4, TRACE_SIGNAL_IGNORED)],
            vec![Arg(2), Arg(2), Arg(0)],
        )],
        "signal-handle" => {
            let signal = catalog.struct_member("task_struct", "signal");
            let group_exit_code = catalog.struct_member("signal_struct", "group_exit_code");
            let number = match (signal, group_exit_code) {
                (Some(signal), Some(group_exit_code)) => RawValue::DeliveredSignal {
                    arg: 0,
                    signal: signal.offset,
                    group_exit_code: group_exit_code.offset,
                },
                _ => Arg(0),
            };
            vec![dependent::source(
                "signal_deliver",
                Vec::new(),
                vec![number, Arg(1), Deref { arg: 2, offset: 0 }],
            )]
        }
        "signal-send" => vec![dependent::source(
            "signal_generate",
            vec![NotEquals(4, TRACE_SIGNAL_IGNORED)],
            vec![Arg(2), Arg(2), Arg(0)],
        )],
        "start" => on_syscalls(
            "sys_exit",
            &new_task,
            vec![Zero(1), MainThread(true)],
            Vec::new(),
        ),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::tests::FakeCatalog;

    #[test]
    fn every_probe_has_a_source_on_a_kernel_with_the_syscalls() {
        let syscalls = [
            ("execve", 59),
            ("execveat", 322),
            ("clone", 56),
            ("clone3", 435),
            ("rt_sigtimedwait", 128),
        ]
        .map(|(name, nr)| SyscallInfo {
            name: name.to_string(),
            nr,
        });
        for probe in PROBES {
            assert!(
                !sources(probe.name, &syscalls, &FakeCatalog).is_empty(),
                "{} has no source",
                probe.name
            );
        }
        let exec = sources("exec", &syscalls, &FakeCatalog);
        assert_eq!(
            exec,
            [
                dependent::source(
                    "sys_enter",
                    vec![RawCondition::Syscall(vec![59])],
                    vec![RawValue::SyscallArg(0)]
                ),
                dependent::source(
                    "sys_enter",
                    vec![RawCondition::Syscall(vec![322])],
                    vec![RawValue::SyscallArg(1)]
                ),
            ]
        );
        let start = sources("start", &syscalls, &FakeCatalog);
        assert_eq!(
            start[0].conditions,
            [
                RawCondition::Syscall(vec![56, 435]),
                RawCondition::Zero(1),
                RawCondition::MainThread(true)
            ]
        );
        assert_eq!(
            sources("exit", &syscalls, &FakeCatalog)[0].args,
            [RawValue::ExitReason {
                arg: 0,
                offset: 2460
            }]
        );
    }

    #[test]
    fn a_handled_fatal_signal_is_read_from_the_signal_struct() {
        let handle = sources("signal-handle", &[], &FakeCatalog);
        assert_eq!(
            handle[0].args[0],
            RawValue::DeliveredSignal {
                arg: 0,
                signal: 2600,
                group_exit_code: 40
            }
        );
    }

    #[test]
    fn task_arguments_are_translated_as_oracle_declares_them() {
        let outputs = |name| -> Vec<String> {
            dependent::args(PROBES, name)
                .into_iter()
                .map(|arg| match arg.ty {
                    crate::provider::ArgType::Translated { input, output } => {
                        format!("{output} from {input}")
                    }
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(outputs("create"), ["psinfo_t from struct task_struct"]);
        assert_eq!(
            outputs("signal-send"),
            [
                "lwpsinfo_t from struct task_struct",
                "psinfo_t from struct task_struct",
                "Int { size: 4, signed: true }"
            ]
        );
        assert_eq!(outputs("lwp-create"), outputs("signal-discard")[..2]);
    }

    #[test]
    fn a_probe_whose_syscalls_are_missing_has_no_source() {
        assert!(sources("exec-failure", &[], &FakeCatalog).is_empty());
        assert!(sources("nosuch", &[], &FakeCatalog).is_empty());
    }
}
