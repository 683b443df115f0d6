//! What `tracer --self-test` prints: the kernel's facts, where they came from, and the way each
//! provider attaches on this kernel.

use std::fmt::Write as _;

use super::{
    FbtFacts, FbtMechanism, FbtMode, FentryProbe, LoopMode, bounded_loops, cache, choose_with,
    why_not_fentry,
};

/// The report for `facts` (read from the cache when `cached`) on kernel `release`, with `fbt`
/// attaching as `mode` asks.
pub fn self_test(
    release: &str,
    facts: &FbtFacts,
    cached: bool,
    mode: FbtMode,
    loops: LoopMode,
) -> String {
    let mut out = String::new();
    let origin = if cached {
        format!("cached for this boot in {}", cache::CACHE_FILE)
    } else {
        "probed now".to_string()
    };
    let yes_no = |fact: bool| if fact { "yes" } else { "no" };
    let fentry = match facts.fentry {
        FentryProbe::Loads => "loads".to_string(),
        _ => why_not_fentry(facts).unwrap_or_default(),
    };
    let lockdown = facts.lockdown.map_or("unknown", super::Lockdown::name);
    let forced = match mode {
        FbtMode::Auto => "chosen",
        FbtMode::Fentry => "forced by -x fbtmode=fentry",
        FbtMode::Kprobe => "forced by -x fbtmode=kprobe",
    };
    let fbt = match choose_with(facts, mode) {
        Ok(FbtMechanism::Fentry) => format!("fentry/fexit programs ({forced})"),
        Ok(FbtMechanism::Kprobes) => format!("kprobe/kretprobe programs ({forced})"),
        Ok(FbtMechanism::KprobeMulti) => format!(
            "kprobe/kretprobe programs ({forced}; kprobe-multi links are available but not used)"
        ),
        Err(reason) => format!("unavailable: {reason}"),
    };
    let loops_forced = match loops {
        LoopMode::Auto => "chosen",
        LoopMode::MayGoto => "forced by -x loopmode=may_goto",
        LoopMode::Bounded => "forced by -x loopmode=bounded",
    };
    let loops = if bounded_loops(facts, loops) {
        format!("bounded by the string size ({loops_forced})")
    } else {
        format!("may_goto ({loops_forced})")
    };
    let lines = [
        ("kernel", release.to_string()),
        ("capabilities", origin),
        ("fentry", fentry),
        ("lockdown", lockdown.to_string()),
        ("kprobes", yes_no(facts.kprobes).to_string()),
        ("kprobe-multi", yes_no(facts.kprobe_multi).to_string()),
        ("may_goto", yes_no(facts.may_goto).to_string()),
        ("fbt", fbt),
        ("loops", loops),
        (
            "syscall",
            "raw tracepoints sys_enter and sys_exit".to_string(),
        ),
        ("tracepoint", "tracefs tracepoints".to_string()),
        ("proc, sched", "raw tracepoints".to_string()),
        ("profile, tick", "cpu-clock perf events".to_string()),
        ("BEGIN, END", "BPF_PROG_TEST_RUN".to_string()),
        ("records", "BPF ring buffer".to_string()),
    ];
    for (what, how) in lines {
        let _ = writeln!(out, "{what:>14}: {how}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::Lockdown;

    fn stock() -> FbtFacts {
        FbtFacts {
            fentry: FentryProbe::Loads,
            lockdown: Some(Lockdown::None),
            kprobes: true,
            kprobe_multi: false,
            may_goto: false,
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
        let report = self_test("6.1.0", &stock(), false, FbtMode::Auto, LoopMode::Auto);
        assert_eq!(
            line(&report, "loops"),
            "bounded by the string size (chosen)"
        );
        assert_eq!(line(&report, "kernel"), "6.1.0");
        assert_eq!(line(&report, "capabilities"), "probed now");
        assert_eq!(line(&report, "fbt"), "fentry/fexit programs (chosen)");
        let forced = self_test("6.1.0", &stock(), true, FbtMode::Kprobe, LoopMode::MayGoto);
        assert_eq!(
            line(&forced, "loops"),
            "may_goto (forced by -x loopmode=may_goto)"
        );
        assert_eq!(
            line(&forced, "fbt"),
            "kprobe/kretprobe programs (forced by -x fbtmode=kprobe)"
        );
        assert_eq!(
            line(&forced, "capabilities"),
            "cached for this boot in /run/tracer/capabilities"
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
        };
        let report = self_test("6.18.0", &locked, false, FbtMode::Auto, LoopMode::Auto);
        assert_eq!(line(&report, "loops"), "may_goto (chosen)");
        assert_eq!(
            line(&report, "fentry"),
            "fentry is refused under kernel lockdown (integrity)"
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
