//! The `sched` provider: CPU scheduling as DTrace names it, built on the scheduler's raw
//! tracepoints (see [`super::dependent`]).
//!
//! `sched_switch(preempt, prev, next, prev_state)` fires in the thread leaving the CPU;
//! `sched_exit_tp(is_switch)` fires at the end of `__schedule` (and in `schedule_tail` for a new
//! task), in the thread that now runs, so it gives `on-cpu` DTrace's context (`curthread`,
//! `self->` are the incoming thread's).
//!
//! | probe | fires | source |
//! |---|---|---|
//! | `on-cpu` | a thread starts running, in it | `sched_exit_tp` after a switch |
//! | `remain-cpu` | the scheduler kept the running thread | `sched_exit_tp` without a switch |
//! | `off-cpu` | the thread is about to stop running; `args[0]` is the next | `sched_switch` |
//! | `sleep` | the thread is about to sleep | `sched_switch`, not preempted, not runnable |
//! | `preempt` | the thread is being preempted | `sched_switch`, preempted |
//! | `wakeup` | the thread wakes `args[0]` | `sched_waking` |
//! | `enqueue` | `args[0]` is put on a run queue to wait for a CPU | `sched_wakeup`, `sched_wakeup_new`, or `sched_switch` leaving `prev` runnable |
//! | `dequeue` | `args[0]` leaves its run queue to run | `sched_switch` (the next thread) |
//!
//! `change-pri` has no source: Linux has no tracepoint for priority changes other than
//! priority inheritance. `args[]` that DTrace types `lwpsinfo_t *` and `psinfo_t *` are
//! translated from the `struct task_struct *` the trampoline passes (`arg0`). `args[2]` of
//! `enqueue` and `dequeue`, the CPU whose run queue the thread joins or leaves, is a `cpuinfo_t
//! *` translated by `sched.d` from the CPU number the trampoline passes (`arg2`): the CPU the
//! probe fires on for a switch, the woken thread's CPU (`task_struct`'s `cpu`, from BTF) for a
//! wakeup, which may be another CPU's run queue.

use super::ProbeCatalog;
use super::dependent::{
    self, CPUINFO, DependentProbe, LWPSINFO, PSINFO, RawCondition, RawSource, RawValue,
};

/// The probes, in ID order.
pub(super) const PROBES: &[DependentProbe] = &[
    DependentProbe {
        name: "dequeue",
        args: &[LWPSINFO, PSINFO, CPUINFO],
    },
    DependentProbe {
        name: "enqueue",
        args: &[LWPSINFO, PSINFO, CPUINFO],
    },
    DependentProbe {
        name: "off-cpu",
        args: &[LWPSINFO, PSINFO],
    },
    DependentProbe {
        name: "on-cpu",
        args: &[],
    },
    DependentProbe {
        name: "preempt",
        args: &[],
    },
    DependentProbe {
        name: "remain-cpu",
        args: &[],
    },
    DependentProbe {
        name: "sleep",
        args: &[],
    },
    DependentProbe {
        name: "wakeup",
        args: &[LWPSINFO, PSINFO],
    },
];

/// `sched_switch`'s arguments: `preempt`, `prev`, `next`, `prev_state`.
const PREEMPT: u8 = 0;
const PREV: u8 = 1;
const NEXT: u8 = 2;
const PREV_STATE: u8 = 3;

/// The CPU the task argument `arg` is on: the 32-bit `cpu` of its `thread_info` (or of the
/// task itself, where the kernel keeps it there), else the CPU the probe fires on.
fn task_cpu(arg: u8, catalog: &dyn ProbeCatalog) -> RawValue {
    let in_thread_info = || {
        let thread_info = catalog.struct_member("task_struct", "thread_info")?;
        let cpu = catalog.struct_member("thread_info", "cpu")?;
        Some(thread_info.offset + cpu.offset)
    };
    let offset = in_thread_info().or_else(|| {
        catalog
            .struct_member("task_struct", "cpu")
            .map(|cpu| cpu.offset)
    });
    match offset {
        Some(offset) => RawValue::DerefU32 { arg, offset },
        None => RawValue::CurrentCpu,
    }
}

/// The sources of the probe called `name`; a woken thread's CPU is read at its offset in
/// `struct task_struct` from BTF.
pub(super) fn sources(name: &str, catalog: &dyn ProbeCatalog) -> Vec<RawSource> {
    use RawCondition::{NonZero, Zero};
    use RawValue::{Arg, CurrentCpu};
    let switch = |conditions, args| dependent::source("sched_switch", conditions, args);
    match name {
        "dequeue" => vec![switch(Vec::new(), vec![Arg(NEXT), Arg(NEXT), CurrentCpu])],
        "enqueue" => vec![
            dependent::source(
                "sched_wakeup",
                Vec::new(),
                vec![Arg(0), Arg(0), task_cpu(0, catalog)],
            ),
            dependent::source(
                "sched_wakeup_new",
                Vec::new(),
                vec![Arg(0), Arg(0), task_cpu(0, catalog)],
            ),
            // A preempted thread stays on its run queue, whatever its state says.
            switch(
                vec![NonZero(PREEMPT)],
                vec![Arg(PREV), Arg(PREV), CurrentCpu],
            ),
            switch(
                vec![Zero(PREEMPT), Zero(PREV_STATE)],
                vec![Arg(PREV), Arg(PREV), CurrentCpu],
            ),
        ],
        "off-cpu" => vec![switch(Vec::new(), vec![Arg(NEXT), Arg(NEXT)])],
        "on-cpu" => vec![dependent::source(
            "sched_exit_tp",
            vec![NonZero(0)],
            Vec::new(),
        )],
        "preempt" => vec![switch(vec![NonZero(PREEMPT)], Vec::new())],
        "remain-cpu" => vec![dependent::source(
            "sched_exit_tp",
            vec![Zero(0)],
            Vec::new(),
        )],
        "sleep" => vec![switch(vec![Zero(PREEMPT), NonZero(PREV_STATE)], Vec::new())],
        "wakeup" => vec![dependent::source(
            "sched_waking",
            Vec::new(),
            vec![Arg(0), Arg(0)],
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::tests::FakeCatalog;

    #[test]
    fn every_probe_has_a_source_and_fills_its_arguments() {
        for probe in PROBES {
            let sources = sources(probe.name, &FakeCatalog);
            assert!(!sources.is_empty(), "{} has no source", probe.name);
            for source in &sources {
                assert_eq!(source.args.len(), probe.args.len(), "{}", probe.name);
            }
        }
    }

    #[test]
    fn sleeping_and_preemption_split_sched_switch() {
        let sleep = &sources("sleep", &FakeCatalog)[0];
        assert_eq!(sleep.tracepoint, "sched_switch");
        assert_eq!(
            sleep.conditions,
            [
                RawCondition::Zero(PREEMPT),
                RawCondition::NonZero(PREV_STATE)
            ]
        );
        let enqueue = sources("enqueue", &FakeCatalog);
        let tracepoints: Vec<&str> = enqueue
            .iter()
            .map(|source| source.tracepoint.as_str())
            .collect();
        assert_eq!(
            tracepoints,
            [
                "sched_wakeup",
                "sched_wakeup_new",
                "sched_switch",
                "sched_switch"
            ]
        );
        assert_eq!(
            sources("on-cpu", &FakeCatalog)[0].tracepoint,
            "sched_exit_tp"
        );
    }

    #[test]
    fn the_run_queue_s_cpu_is_the_woken_thread_s_or_this_one() {
        let enqueue = sources("enqueue", &FakeCatalog);
        let cpus: Vec<RawValue> = enqueue.iter().map(|source| source.args[2]).collect();
        let woken = RawValue::DerefU32 { arg: 0, offset: 20 };
        assert_eq!(
            cpus,
            [woken, woken, RawValue::CurrentCpu, RawValue::CurrentCpu]
        );
        assert_eq!(
            sources("dequeue", &FakeCatalog)[0].args[2],
            RawValue::CurrentCpu
        );
        let outputs: Vec<&str> = PROBES[..2]
            .iter()
            .map(|probe| match probe.args[2].1 {
                dependent::StaticArgType::Translated { input, output } => {
                    assert_eq!(input, "processorid_t");
                    output
                }
                _ => "native",
            })
            .collect();
        assert_eq!(outputs, ["cpuinfo_t", "cpuinfo_t"]);
    }
}
