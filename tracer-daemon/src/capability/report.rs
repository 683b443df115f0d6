//! What `tracer --self-test` prints: the kernel's facts, where they came from, and the way each
//! provider attaches on this kernel.

use std::fmt::Write as _;
use std::io;

use super::kernel::{KernelFacts, Outcome, Privileges};
use super::uprobe::{self, UprobeMode};
use super::{
    BufMode, FbtFacts, FbtMode, LoopMode, bounded_loops, cache, choose_for, choose_with,
    perf_buffer, task_btf, why_not_fentry, why_not_kprobe_multi,
};

/// The choices options force (`-x fbtmode`, `-x uprobemode`, `-x loopmode`, `-x bufmode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    /// How `fbt` probes attach.
    pub fbt: FbtMode,
    /// How `pid` and USDT probes attach.
    pub uprobe: UprobeMode,
    /// How loops stay finite.
    pub loops: LoopMode,
    /// How records reach the consumer.
    pub buf: BufMode,
}

/// `available`, or `unavailable: ` and why not.
fn availability(why_not: Option<String>) -> String {
    why_not.map_or_else(
        || "available".to_string(),
        |why| format!("unavailable: {why}"),
    )
}

/// `what` and the error an [`Outcome::Fails`] carries, or nothing when it worked.
fn failure(outcome: Outcome, what: &str) -> Option<String> {
    match outcome {
        Outcome::Works => None,
        Outcome::Fails(errno) => Some(format!(
            "{what} fails ({})",
            io::Error::from_raw_os_error(errno)
        )),
    }
}

/// One line a capability: whether it is there, and why not.
fn capabilities(facts: &FbtFacts, privileges: Privileges) -> Vec<(&'static str, String)> {
    let kernel: &KernelFacts = &facts.kernel;
    let missing = |present: bool, why: &str| (!present).then(|| why.to_string());
    let missing_caps = privileges.missing();
    let privileges = if missing_caps.is_empty() {
        format!(
            "uid {} with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN",
            privileges.euid
        )
    } else {
        format!(
            "uid {} without {}",
            privileges.euid,
            missing_caps.join(", ")
        )
    };
    vec![
        (
            "bpf syscall",
            availability(failure(kernel.bpf_syscall, "creating an array map")),
        ),
        (
            "btf",
            availability(missing(
                kernel.btf,
                "/sys/kernel/btf/vmlinux is missing or does not parse",
            )),
        ),
        (
            "tracefs",
            availability(missing(
                kernel.tracefs,
                "tracefs is not mounted at /sys/kernel/tracing",
            )),
        ),
        (
            "tracepoints",
            availability(failure(
                kernel.tracepoints,
                "opening the sched:sched_switch perf event",
            )),
        ),
        (
            "kprobes",
            availability(missing(facts.kprobes, "this kernel has no kprobes")),
        ),
        ("kprobe-multi", availability(why_not_kprobe_multi(facts))),
        ("fentry", availability(why_not_fentry(facts))),
        (
            "uprobes",
            availability(missing(kernel.uprobes, "this kernel has no uprobes")),
        ),
        ("uprobe-multi", availability(uprobe::why_not_multi(kernel))),
        (
            "perf events",
            availability(failure(
                kernel.perf_events,
                "opening a cpu-clock perf event",
            )),
        ),
        (
            "ring buffer",
            availability(failure(
                kernel.ringbuf,
                "creating a BPF_MAP_TYPE_RINGBUF map",
            )),
        ),
        (
            "task btf",
            availability(failure(
                kernel.current_task_btf,
                "loading a program calling bpf_get_current_task_btf",
            )),
        ),
        (
            "may_goto",
            availability(missing(
                facts.may_goto,
                "loading a program with may_goto is refused (Linux 6.9 has it)",
            )),
        ),
        (
            "lockdown",
            facts
                .lockdown
                .map_or("unknown", super::Lockdown::name)
                .to_string(),
        ),
        ("privileges", privileges),
    ]
}

/// One line a decision taken from the facts and the modes.
fn decisions(facts: &FbtFacts, modes: Modes) -> Vec<(&'static str, String)> {
    let forced = match modes.fbt {
        FbtMode::Auto => "chosen",
        FbtMode::Fentry => "forced by -x fbtmode=fentry",
        FbtMode::Kprobe => "forced by -x fbtmode=kprobe",
        FbtMode::KprobeMulti => "forced by -x fbtmode=kprobe-multi",
    };
    let fbt = match (
        choose_with(facts, modes.fbt),
        choose_for(facts, modes.fbt, 2),
    ) {
        (Ok(one), Ok(several)) if one == several => format!("{} ({forced})", one.describe()),
        (Ok(one), Ok(several)) => format!(
            "{} for one function, {} for several ({forced})",
            one.describe(),
            several.describe()
        ),
        (Err(reason), _) | (_, Err(reason)) => format!("unavailable: {reason}"),
    };
    let loops_forced = match modes.loops {
        LoopMode::Auto => "chosen",
        LoopMode::MayGoto => "forced by -x loopmode=may_goto",
        LoopMode::Bounded => "forced by -x loopmode=bounded",
    };
    let loops = if bounded_loops(facts, modes.loops) {
        format!("bounded by the string size ({loops_forced})")
    } else {
        format!("may_goto ({loops_forced})")
    };
    let records_why = match modes.buf {
        BufMode::Auto => "chosen",
        BufMode::Ring => "forced by -x bufmode=ring",
        BufMode::Perf => "forced by -x bufmode=perf",
    };
    let records = if perf_buffer(facts, modes.buf) {
        format!("perf buffers, one per CPU, through bpf_perf_event_output ({records_why})")
    } else {
        format!("BPF ring buffer ({records_why})")
    };
    let memory = match (facts.kernel.btf, task_btf(facts)) {
        (true, true) => {
            "bpf_probe_read_kernel for D pointers, laid out by kernel BTF (a bad address is a runtime error); BTF-typed direct loads of the current task's members"
        }
        (true, false) => {
            "bpf_probe_read_kernel for D pointers and the current task's members, laid out by kernel BTF"
        }
        (false, _) => {
            "bpf_probe_read_kernel, without kernel BTF: kernel types and fbt are unavailable"
        }
    };
    let task = if task_btf(facts) {
        "bpf_get_current_task for its value; bpf_get_current_task_btf and direct loads for ppid and vtimestamp"
    } else if facts.kernel.current_task_btf.works() {
        "bpf_get_current_task and probe reads (bpf_get_current_task_btf needs kernel BTF)"
    } else {
        "bpf_get_current_task and probe reads (bpf_get_current_task_btf is unavailable)"
    };
    let pid = match uprobe::choose(&facts.kernel, modes.uprobe) {
        Ok(mechanism) => format!("{} ({})", mechanism.describe(), modes.uprobe.origin()),
        Err(reason) => format!("unavailable: {reason}"),
    };
    vec![
        ("fbt", fbt),
        ("pid, usdt", pid),
        ("loops", loops),
        ("records", records),
        ("kernel memory", memory.to_string()),
        ("curthread", task.to_string()),
        (
            "syscall",
            "raw tracepoints sys_enter and sys_exit".to_string(),
        ),
        ("tracepoint", "tracefs tracepoints".to_string()),
        ("proc, sched", "raw tracepoints".to_string()),
        ("profile, tick", "cpu-clock perf events".to_string()),
        ("BEGIN, END", "BPF_PROG_TEST_RUN".to_string()),
    ]
}

/// The report for `facts` (read from the cache when `cached`) on kernel `release`, for a process
/// with `privileges`, with the choices `modes` forces.
pub fn self_test(
    release: &str,
    facts: &FbtFacts,
    cached: bool,
    privileges: Privileges,
    modes: Modes,
) -> String {
    let origin = if cached {
        format!("cached for this boot in {}", cache::CACHE_FILE)
    } else {
        "probed now".to_string()
    };
    let mut out = String::new();
    let header = [("kernel", release.to_string()), ("capabilities", origin)];
    for (what, how) in header
        .into_iter()
        .chain(capabilities(facts, privileges))
        .chain(decisions(facts, modes))
    {
        let _ = writeln!(out, "{what:>14}: {how}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::kernel::tests::STOCK;
    use crate::capability::{FentryProbe, Lockdown};

    const ROOT: Privileges = Privileges {
        euid: 0,
        effective: u64::MAX,
    };

    fn stock() -> FbtFacts {
        FbtFacts {
            fentry: FentryProbe::Loads,
            lockdown: Some(Lockdown::None),
            kprobes: true,
            kprobe_multi: false,
            may_goto: false,
            kernel: STOCK,
        }
    }

    fn modes(fbt: FbtMode, loops: LoopMode, buf: BufMode) -> Modes {
        Modes {
            fbt,
            uprobe: UprobeMode::Auto,
            loops,
            buf,
        }
    }

    fn line<'a>(report: &'a str, what: &str) -> &'a str {
        report
            .lines()
            .find_map(|line| line.trim_start().strip_prefix(&format!("{what}: ")))
            .unwrap_or_else(|| panic!("no {what} line in {report}"))
    }

    #[test]
    fn the_fbt_line_names_the_method_and_why() {
        let report = self_test("6.1.0", &stock(), false, ROOT, Modes::default());
        assert_eq!(
            line(&report, "loops"),
            "bounded by the string size (chosen)"
        );
        assert_eq!(line(&report, "kernel"), "6.1.0");
        assert_eq!(line(&report, "capabilities"), "probed now");
        assert_eq!(line(&report, "fbt"), "fentry/fexit programs (chosen)");
        assert_eq!(line(&report, "records"), "BPF ring buffer (chosen)");
        let forced = self_test(
            "6.1.0",
            &stock(),
            true,
            ROOT,
            modes(FbtMode::Kprobe, LoopMode::MayGoto, BufMode::Perf),
        );
        assert_eq!(
            line(&forced, "loops"),
            "may_goto (forced by -x loopmode=may_goto)"
        );
        assert_eq!(
            line(&forced, "fbt"),
            "kprobe/kretprobe programs (forced by -x fbtmode=kprobe)"
        );
        assert_eq!(
            line(&forced, "records"),
            "perf buffers, one per CPU, through bpf_perf_event_output (forced by -x bufmode=perf)"
        );
        assert_eq!(
            line(&forced, "capabilities"),
            "cached for this boot in /run/tracer/capabilities"
        );
    }

    #[test]
    fn with_fprobe_the_fbt_line_names_kprobe_multi_for_several_functions() {
        let fprobe = FbtFacts {
            kprobe_multi: true,
            ..stock()
        };
        let report = self_test("6.12.0", &fprobe, false, ROOT, Modes::default());
        assert_eq!(line(&report, "kprobe-multi"), "available");
        assert_eq!(
            line(&report, "fbt"),
            "fentry/fexit programs for one function, kprobe-multi links for several (chosen)"
        );
        let forced = |fbt| {
            self_test(
                "6.12.0",
                &fprobe,
                false,
                ROOT,
                modes(fbt, LoopMode::Auto, BufMode::Auto),
            )
        };
        assert_eq!(
            line(&forced(FbtMode::KprobeMulti), "fbt"),
            "kprobe-multi links (forced by -x fbtmode=kprobe-multi)"
        );
        assert_eq!(
            line(&forced(FbtMode::Kprobe), "fbt"),
            "kprobe/kretprobe programs (forced by -x fbtmode=kprobe)"
        );
        let locked = FbtFacts {
            fentry: FentryProbe::Refused(libc::EPERM),
            ..fprobe
        };
        let report = self_test("6.12.0", &locked, false, ROOT, Modes::default());
        assert_eq!(line(&report, "fbt"), "kprobe-multi links (chosen)");
        let report = self_test(
            "6.1.0",
            &stock(),
            false,
            ROOT,
            modes(FbtMode::KprobeMulti, LoopMode::Auto, BufMode::Auto),
        );
        assert_eq!(
            line(&report, "fbt"),
            "unavailable: kprobe-multi links do not attach (Linux 5.18 with fprobe has them)"
        );
    }

    #[test]
    fn the_pid_line_names_uprobe_multi_links_or_why_not() {
        let report = self_test("6.18.0", &stock(), false, ROOT, Modes::default());
        assert_eq!(line(&report, "uprobe-multi"), "available");
        assert_eq!(
            line(&report, "pid, usdt"),
            "uprobe-multi links, one per binary and process (chosen)"
        );
        let single = Modes {
            uprobe: UprobeMode::Single,
            ..Modes::default()
        };
        let report = self_test("6.18.0", &stock(), false, ROOT, single);
        assert_eq!(
            line(&report, "pid, usdt"),
            "a uprobe perf event per site (forced by -x uprobemode=single)"
        );
        let old = FbtFacts {
            kernel: KernelFacts {
                uprobe_multi: false,
                ..STOCK
            },
            ..stock()
        };
        let report = self_test("6.1.0", &old, false, ROOT, Modes::default());
        assert_eq!(
            line(&report, "uprobe-multi"),
            "unavailable: uprobe-multi links do not attach or do not filter by process (Linux 6.6 has them)"
        );
        assert_eq!(
            line(&report, "pid, usdt"),
            "a uprobe perf event per site (chosen)"
        );
        let multi = Modes {
            uprobe: UprobeMode::Multi,
            ..Modes::default()
        };
        let report = self_test("6.1.0", &old, false, ROOT, multi);
        assert_eq!(
            line(&report, "pid, usdt"),
            "unavailable: uprobe-multi links do not attach or do not filter by process (Linux 6.6 has them)"
        );
    }

    #[test]
    fn every_capability_says_available_or_why_not() {
        let report = self_test("6.1.0", &stock(), false, ROOT, Modes::default());
        for what in [
            "bpf syscall",
            "btf",
            "tracefs",
            "tracepoints",
            "kprobes",
            "kprobe-multi",
            "fentry",
            "uprobes",
            "uprobe-multi",
            "perf events",
            "ring buffer",
            "task btf",
        ] {
            let expected = if what == "kprobe-multi" {
                "unavailable: kprobe-multi links do not attach (Linux 5.18 with fprobe has them)"
            } else {
                "available"
            };
            assert_eq!(line(&report, what), expected, "{what}");
        }
        assert_eq!(
            line(&report, "privileges"),
            "uid 0 with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN"
        );
        assert_eq!(
            line(&report, "curthread"),
            "bpf_get_current_task for its value; bpf_get_current_task_btf and direct loads for ppid and vtimestamp"
        );
        assert!(
            line(&report, "kernel memory")
                .ends_with("BTF-typed direct loads of the current task's members")
        );
        let old = FbtFacts {
            kernel: KernelFacts {
                ringbuf: Outcome::Fails(libc::EINVAL),
                current_task_btf: Outcome::Fails(libc::EINVAL),
                btf: false,
                ..STOCK
            },
            ..stock()
        };
        let user = Privileges {
            euid: 1000,
            effective: 0,
        };
        let report = self_test("5.4.0", &old, false, user, Modes::default());
        assert!(
            line(&report, "ring buffer").starts_with(
                "unavailable: creating a BPF_MAP_TYPE_RINGBUF map fails (Invalid argument"
            ),
            "{report}"
        );
        assert_eq!(
            line(&report, "records"),
            "perf buffers, one per CPU, through bpf_perf_event_output (chosen)"
        );
        assert_eq!(
            line(&report, "curthread"),
            "bpf_get_current_task and probe reads (bpf_get_current_task_btf is unavailable)"
        );
        assert!(line(&report, "kernel memory").contains("without kernel BTF"));
        assert_eq!(
            line(&report, "privileges"),
            "uid 1000 without CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF"
        );
        let ring = self_test(
            "5.4.0",
            &old,
            false,
            user,
            modes(FbtMode::Auto, LoopMode::Auto, BufMode::Ring),
        );
        assert_eq!(
            line(&ring, "records"),
            "BPF ring buffer (forced by -x bufmode=ring)"
        );
    }

    #[test]
    fn a_locked_down_kernel_without_kprobes_says_why() {
        let locked = FbtFacts {
            fentry: FentryProbe::Refused(libc::EPERM),
            lockdown: Some(Lockdown::Integrity),
            kprobes: false,
            kprobe_multi: false,
            may_goto: true,
            kernel: STOCK,
        };
        let report = self_test("6.18.0", &locked, false, ROOT, Modes::default());
        assert_eq!(line(&report, "loops"), "may_goto (chosen)");
        assert_eq!(
            line(&report, "fentry"),
            "unavailable: fentry is refused under kernel lockdown (integrity)"
        );
        assert_eq!(
            line(&report, "kprobes"),
            "unavailable: this kernel has no kprobes"
        );
        assert_eq!(line(&report, "lockdown"), "integrity");
        assert_eq!(
            line(&report, "fbt"),
            "unavailable: fentry is refused under kernel lockdown (integrity) and this kernel has no kprobes"
        );
        assert_eq!(
            line(&report, "syscall"),
            "raw tracepoints sys_enter and sys_exit"
        );
    }
}
