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
//! translated from the `struct task_struct *` the trampoline passes (`arg0`); `cpuinfo_t *`
//! arguments are left out.

use super::dependent::{self, DependentProbe, LWPSINFO, PSINFO, RawCondition, RawSource, RawValue};

/// The probes, in ID order.
pub(super) const PROBES: &[DependentProbe] = &[
    DependentProbe {
        name: "dequeue",
        args: &[LWPSINFO, PSINFO],
    },
    DependentProbe {
        name: "enqueue",
        args: &[LWPSINFO, PSINFO],
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

/// The sources of the probe called `name`.
pub(super) fn sources(name: &str) -> Vec<RawSource> {
    use RawCondition::{NonZero, Zero};
    use RawValue::Arg;
    let switch = |conditions, args| dependent::source("sched_switch", conditions, args);
    match name {
        "dequeue" => vec![switch(Vec::new(), vec![Arg(NEXT), Arg(NEXT)])],
        "enqueue" => vec![
            dependent::source("sched_wakeup", Vec::new(), vec![Arg(0), Arg(0)]),
            dependent::source("sched_wakeup_new", Vec::new(), vec![Arg(0), Arg(0)]),
            // A preempted thread stays on its run queue, whatever its state says.
            switch(vec![NonZero(PREEMPT)], vec![Arg(PREV), Arg(PREV)]),
            switch(
                vec![Zero(PREEMPT), Zero(PREV_STATE)],
                vec![Arg(PREV), Arg(PREV)],
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

    #[test]
    fn every_probe_has_a_source_and_fills_its_arguments() {
        for probe in PROBES {
            let sources = sources(probe.name);
            assert!(!sources.is_empty(), "{} has no source", probe.name);
            for source in &sources {
                assert_eq!(source.args.len(), probe.args.len(), "{}", probe.name);
            }
        }
    }

    #[test]
    fn sleeping_and_preemption_split_sched_switch() {
        let sleep = &sources("sleep")[0];
        assert_eq!(sleep.tracepoint, "sched_switch");
        assert_eq!(
            sleep.conditions,
            [
                RawCondition::Zero(PREEMPT),
                RawCondition::NonZero(PREV_STATE)
            ]
        );
        let enqueue = sources("enqueue");
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
        assert_eq!(sources("on-cpu")[0].tracepoint, "sched_exit_tp");
    }
}
