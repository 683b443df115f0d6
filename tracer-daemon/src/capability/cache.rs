//! The probed facts, kept for the rest of the boot in `/run/tracer/capabilities` so that only
//! the first `tracer` after a boot pays for probing (a BTF parse and a program load).
//!
//! The file names the boot it was written in (`/proc/sys/kernel/random/boot_id`) and one fact a
//! line; a file from another boot, or one that does not parse, is ignored and rewritten.
//!
//! ```text
//! boot 5f3c...
//! fentry refused 1
//! lockdown integrity
//! kprobes no
//! kprobe-multi no
//! may-goto yes
//! bpf works
//! btf yes
//! tracefs yes
//! tracepoints works
//! uprobes yes
//! perf-events works
//! ringbuf works
//! current-task-btf fails 22
//! uprobe-multi yes
//! ```

use std::path::Path;

use super::kernel::{KernelFacts, Outcome};
use super::{FbtFacts, FentryProbe, Lockdown};

/// Where the facts are kept; `/run` is a tmpfs emptied at each boot.
pub const CACHE_FILE: &str = "/run/tracer/capabilities";

/// This boot's ID, or an empty string where the kernel does not give one.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default()
}

/// The cached facts, when the file was written in boot `boot`.
pub fn load(boot: &str) -> Option<FbtFacts> {
    decode(&std::fs::read_to_string(CACHE_FILE).ok()?, boot)
}

/// Keeps `facts` for the rest of boot `boot`; failing to (a read-only `/run`) only costs the
/// next run a probe.
pub fn store(facts: &FbtFacts, boot: &str) {
    let path = Path::new(CACHE_FILE);
    let Some(dir) = path.parent() else { return };
    let partial = dir.join(format!("capabilities.{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&partial, encode(facts, boot)))
        .and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        std::fs::remove_file(&partial).ok();
    }
}

/// The file's text for `facts` found in boot `boot`.
pub fn encode(facts: &FbtFacts, boot: &str) -> String {
    let fentry = match facts.fentry {
        FentryProbe::Loads => "loads".to_string(),
        FentryProbe::Refused(errno) => format!("refused {errno}"),
        FentryProbe::NoBtf => "no-btf".to_string(),
    };
    let lockdown = facts.lockdown.map_or("unknown", Lockdown::name);
    let yes_no = |fact: bool| if fact { "yes" } else { "no" };
    let outcome = |outcome: Outcome| match outcome {
        Outcome::Works => "works".to_string(),
        Outcome::Fails(errno) => format!("fails {errno}"),
    };
    let kernel = &facts.kernel;
    format!(
        "boot {boot}\nfentry {fentry}\nlockdown {lockdown}\nkprobes {}\nkprobe-multi {}\nmay-goto {}\n\
         bpf {}\nbtf {}\ntracefs {}\ntracepoints {}\nuprobes {}\nperf-events {}\nringbuf {}\n\
         current-task-btf {}\nuprobe-multi {}\n",
        yes_no(facts.kprobes),
        yes_no(facts.kprobe_multi),
        yes_no(facts.may_goto),
        outcome(kernel.bpf_syscall),
        yes_no(kernel.btf),
        yes_no(kernel.tracefs),
        outcome(kernel.tracepoints),
        yes_no(kernel.uprobes),
        outcome(kernel.perf_events),
        outcome(kernel.ringbuf),
        outcome(kernel.current_task_btf),
        yes_no(kernel.uprobe_multi),
    )
}

/// The facts in `text`, if it was written in boot `boot` and names every fact.
pub fn decode(text: &str, boot: &str) -> Option<FbtFacts> {
    let mut lines = text.lines();
    let mut value = |key: &str| lines.next()?.strip_prefix(key)?.strip_prefix(' ');
    if boot.is_empty() || value("boot")? != boot {
        return None;
    }
    let fentry = match value("fentry")? {
        "loads" => FentryProbe::Loads,
        "no-btf" => FentryProbe::NoBtf,
        refused => FentryProbe::Refused(refused.strip_prefix("refused ")?.parse().ok()?),
    };
    let lockdown = match value("lockdown")? {
        "unknown" => None,
        level => Some(Lockdown::from_securityfs(&format!("[{level}]"))?),
    };
    let yes_no = |value: Option<&str>| match value? {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let outcome = |value: Option<&str>| match value? {
        "works" => Some(Outcome::Works),
        failed => Some(Outcome::Fails(failed.strip_prefix("fails ")?.parse().ok()?)),
    };
    let kprobes = yes_no(value("kprobes"))?;
    let kprobe_multi = yes_no(value("kprobe-multi"))?;
    let may_goto = yes_no(value("may-goto"))?;
    let kernel = KernelFacts {
        bpf_syscall: outcome(value("bpf"))?,
        btf: yes_no(value("btf"))?,
        tracefs: yes_no(value("tracefs"))?,
        tracepoints: outcome(value("tracepoints"))?,
        uprobes: yes_no(value("uprobes"))?,
        perf_events: outcome(value("perf-events"))?,
        ringbuf: outcome(value("ringbuf"))?,
        current_task_btf: outcome(value("current-task-btf"))?,
        uprobe_multi: yes_no(value("uprobe-multi"))?,
    };
    Some(FbtFacts {
        fentry,
        lockdown,
        kprobes,
        kprobe_multi,
        may_goto,
        kernel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_survive_the_file_in_the_same_boot_only() {
        let facts = FbtFacts {
            fentry: FentryProbe::Refused(libc::EPERM),
            lockdown: Some(Lockdown::Integrity),
            kprobes: false,
            kprobe_multi: true,
            may_goto: true,
            kernel: KernelFacts {
                ringbuf: Outcome::Fails(libc::EINVAL),
                uprobes: false,
                uprobe_multi: false,
                ..crate::capability::kernel::tests::STOCK
            },
        };
        let text = encode(&facts, "b1");
        assert_eq!(
            text,
            "boot b1\nfentry refused 1\nlockdown integrity\nkprobes no\nkprobe-multi yes\nmay-goto yes\n\
             bpf works\nbtf yes\ntracefs yes\ntracepoints works\nuprobes no\nperf-events works\n\
             ringbuf fails 22\ncurrent-task-btf works\nuprobe-multi no\n"
        );
        assert_eq!(decode(&text, "b1"), Some(facts));
        assert_eq!(decode(&text, "b2"), None, "another boot");
        assert_eq!(decode(&text, ""), None, "no boot ID");
        let loads = FbtFacts {
            fentry: FentryProbe::Loads,
            lockdown: None,
            ..facts
        };
        assert_eq!(decode(&encode(&loads, "b1"), "b1"), Some(loads));
    }

    #[test]
    fn a_damaged_file_is_ignored() {
        assert_eq!(decode("boot b1\nfentry maybe\n", "b1"), None);
        assert_eq!(decode("boot b1\nfentry loads\n", "b1"), None);
        assert_eq!(
            decode(
                "boot b1\nfentry loads\nlockdown none\nkprobes no\nkprobe-multi no\nmay-goto no\n",
                "b1"
            ),
            None,
            "a file from before the kernel facts"
        );
        assert_eq!(
            decode(
                "boot b1\nfentry loads\nlockdown none\nkprobes perhaps\nkprobe-multi no\nmay-goto no\n",
                "b1"
            ),
            None
        );
    }
}
