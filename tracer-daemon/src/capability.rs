//! Which way of attaching to kernel functions (`fbt`) this kernel allows, found by probing it.
//!
//! fentry/fexit programs are the cheapest for one function and give BTF-typed arguments, but
//! each function needs a program of its own, checked by the verifier; kprobe-multi links attach
//! one program to many functions in one system call, so a wildcard (`fbt::vfs_*:entry`) takes
//! them where the kernel has them ([`choose_for`]); single kprobes work on older kernels. A kernel may refuse any
//! of them: lockdown makes it refuse fentry with `EPERM` (as on Linux 6.18 locked down to
//! `integrity`), and kprobes may not be compiled in. [`FbtFacts::probe`] finds out once per
//! process (the facts cannot change before the next boot), and [`choose`] decides from the facts
//! alone, so the decision is tested without a kernel.
//!
//! The facts come from:
//!
//! - fentry: loading a two-instruction fentry program on a common kernel function, which the
//!   kernel checks as it would any fentry program, then closing it;
//! - lockdown: `/sys/kernel/security/lockdown`, reading securityfs from a private mount namespace
//!   on a thread of its own when it is not mounted, so nothing is left mounted;
//! - kprobes: the `kprobe` perf event source, which exists when kprobes are compiled in;
//! - kprobe-multi: linking a two-instruction kprobe-multi program to a common kernel function,
//!   then closing the link.
//!
//! The facts are kept for the rest of the boot ([`cache`]); `-x fbtmode` may force one way
//! ([`choose_with`]), and `tracer --self-test` prints the facts and decisions ([`report`]).

pub mod cache;
pub mod kernel;
pub mod report;
pub mod uprobe;

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use aya_obj::generated::{bpf_attach_type, bpf_attr, bpf_cmd, bpf_prog_type};

use self::kernel::KernelFacts;
use crate::btf::{Btf, VMLINUX_BTF};

/// Functions to load the fentry probe on, the first one BTF has being used.
const PROBE_FUNCTIONS: [&str; 3] = ["vfs_read", "ksys_read", "do_sys_openat2"];

/// The kernel's lockdown level (`man 7 kernel_lockdown`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lockdown {
    /// Not locked down.
    None,
    /// `integrity`: the running kernel may not be modified.
    Integrity,
    /// `confidentiality`: nor may kernel memory be read.
    Confidentiality,
}

impl Lockdown {
    /// Reads the level from the text of `/sys/kernel/security/lockdown`, where the current one
    /// is in brackets: `none [integrity] confidentiality`.
    pub fn from_securityfs(text: &str) -> Option<Lockdown> {
        let start = text.find('[')?;
        let end = start + text[start..].find(']')?;
        match &text[start + 1..end] {
            "none" => Some(Lockdown::None),
            "integrity" => Some(Lockdown::Integrity),
            "confidentiality" => Some(Lockdown::Confidentiality),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Lockdown::None => "none",
            Lockdown::Integrity => "integrity",
            Lockdown::Confidentiality => "confidentiality",
        }
    }
}

/// What loading an fentry program gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FentryProbe {
    /// It loaded.
    Loads,
    /// The kernel refused it with this errno.
    Refused(i32),
    /// BTF does not describe any function to try it on.
    NoBtf,
}

/// What was found out about the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FbtFacts {
    /// Loading an fentry program.
    pub fentry: FentryProbe,
    /// The lockdown level, when it could be read.
    pub lockdown: Option<Lockdown>,
    /// Whether kprobes are compiled in.
    pub kprobes: bool,
    /// Whether kprobe-multi links are (fprobe).
    pub kprobe_multi: bool,
    /// Whether programs may use `may_goto` (Linux 6.9), which loops start with; without it they
    /// count their iterations ([`LoopMode::Bounded`]).
    pub may_goto: bool,
    /// The facilities besides `fbt`'s.
    pub kernel: KernelFacts,
}

/// How generated loops are kept finite (`-x loopmode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoopMode {
    /// `may_goto` where the kernel has it, else bounded.
    #[default]
    Auto,
    /// Each loop starts with `may_goto`.
    MayGoto,
    /// Each loop counts its iterations up to the string size.
    Bounded,
}

/// Whether loops are to be bounded by a counter rather than start with `may_goto`.
pub fn bounded_loops(facts: &FbtFacts, mode: LoopMode) -> bool {
    match mode {
        LoopMode::Auto => !facts.may_goto,
        LoopMode::MayGoto => false,
        LoopMode::Bounded => true,
    }
}

/// How records reach the consumer (`-x bufmode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BufMode {
    /// The ring buffer where the kernel has it (Linux 5.8), else the perf buffer.
    #[default]
    Auto,
    /// One `BPF_MAP_TYPE_RINGBUF` shared by every CPU.
    Ring,
    /// A `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one perf buffer per CPU.
    Perf,
}

/// Whether records go through per-CPU perf buffers rather than the ring buffer.
pub fn perf_buffer(facts: &FbtFacts, mode: BufMode) -> bool {
    match mode {
        BufMode::Auto => !facts.kernel.ringbuf.works(),
        BufMode::Ring => false,
        BufMode::Perf => true,
    }
}

/// Whether built-in variables that read the current task's members (`ppid`, `vtimestamp`) load
/// them directly through `bpf_get_current_task_btf`'s BTF-typed pointer, which needs the helper
/// (Linux 5.11) and kernel BTF, rather than with `bpf_probe_read_kernel`. The current task is
/// never NULL and its `real_parent` always valid, so these loads cannot fault; pointers that D
/// code dereferences may be anything, and stay probe reads so a bad one is DTrace's runtime
/// error rather than a silent 0.
pub fn task_btf(facts: &FbtFacts) -> bool {
    facts.kernel.btf && facts.kernel.current_task_btf.works()
}

/// How `fbt` probes attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FbtMechanism {
    /// fentry and fexit programs.
    Fentry,
    /// One kprobe-multi link for every function.
    KprobeMulti,
    /// A kprobe or kretprobe per function.
    Kprobes,
}

impl FbtMechanism {
    /// What `--self-test` calls it.
    pub fn describe(self) -> &'static str {
        match self {
            FbtMechanism::Fentry => "fentry/fexit programs",
            FbtMechanism::KprobeMulti => "kprobe-multi links",
            FbtMechanism::Kprobes => "kprobe/kretprobe programs",
        }
    }
}

/// How `-x fbtmode` asks `fbt` probes to attach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FbtMode {
    /// The best way the kernel allows.
    #[default]
    Auto,
    /// fentry and fexit programs only.
    Fentry,
    /// A kprobe or kretprobe per function only.
    Kprobe,
    /// kprobe-multi links only, even for one function.
    KprobeMulti,
}

/// The way to attach `fbt` probes the facts allow, or why there is none, as a phrase
/// (`fentry is refused under kernel lockdown (integrity) and this kernel has no kprobes`).
pub fn choose(facts: &FbtFacts) -> Result<FbtMechanism, String> {
    choose_with(facts, FbtMode::Auto)
}

/// The way `mode` asks for to attach one function, when the facts allow it, or why not: for
/// `auto`, fentry, else a kprobe-multi link, else a kprobe.
pub fn choose_with(facts: &FbtFacts, mode: FbtMode) -> Result<FbtMechanism, String> {
    match mode {
        FbtMode::Fentry => why_not_fentry(facts).map_or(Ok(FbtMechanism::Fentry), Err),
        FbtMode::Kprobe => why_not_kprobes(facts).map_or(Ok(FbtMechanism::Kprobes), Err),
        FbtMode::KprobeMulti => {
            why_not_kprobe_multi(facts).map_or(Ok(FbtMechanism::KprobeMulti), Err)
        }
        FbtMode::Auto => match (why_not_fentry(facts), why_not_kprobes(facts)) {
            (None, _) => Ok(FbtMechanism::Fentry),
            (Some(_), _) if why_not_kprobe_multi(facts).is_none() => Ok(FbtMechanism::KprobeMulti),
            (Some(_), None) => Ok(FbtMechanism::Kprobes),
            (Some(fentry), Some(kprobes)) => Err(format!("{fentry} and {kprobes}")),
        },
    }
}

/// The way `mode` asks for to attach the `fbt` probes of `functions` kernel functions: for
/// `auto`, one kprobe-multi link for several functions where the kernel has them (one program
/// load and one system call, where fentry loads and verifies a program per function), else as
/// for one function ([`choose_with`]).
pub fn choose_for(
    facts: &FbtFacts,
    mode: FbtMode,
    functions: usize,
) -> Result<FbtMechanism, String> {
    match mode {
        FbtMode::Auto if functions > 1 && why_not_kprobe_multi(facts).is_none() => {
            Ok(FbtMechanism::KprobeMulti)
        }
        _ => choose_with(facts, mode),
    }
}

/// Why fentry programs cannot attach, if they cannot.
pub fn why_not_fentry(facts: &FbtFacts) -> Option<String> {
    Some(match facts.fentry {
        FentryProbe::Loads => return None,
        FentryProbe::Refused(libc::EPERM) => match facts.lockdown {
            Some(level @ (Lockdown::Integrity | Lockdown::Confidentiality)) => {
                format!("fentry is refused under kernel lockdown ({})", level.name())
            }
            _ => "fentry is refused (EPERM)".to_string(),
        },
        FentryProbe::Refused(errno) => format!(
            "fentry is not supported by this kernel ({})",
            io::Error::from_raw_os_error(errno)
        ),
        FentryProbe::NoBtf => "there is no kernel BTF for fentry".to_string(),
    })
}

/// Why kprobe programs cannot attach, if they cannot.
fn why_not_kprobes(facts: &FbtFacts) -> Option<String> {
    if !facts.kprobes {
        return Some("this kernel has no kprobes".to_string());
    }
    why_not_read_memory(facts)
}

/// Why kprobe-multi links cannot attach, if they cannot.
pub fn why_not_kprobe_multi(facts: &FbtFacts) -> Option<String> {
    if !facts.kprobe_multi {
        return Some(
            "kprobe-multi links do not attach (Linux 5.18 with fprobe has them)".to_string(),
        );
    }
    why_not_read_memory(facts)
}

/// Why kprobe programs, single or multi, may not read kernel memory, if they may not.
fn why_not_read_memory(facts: &FbtFacts) -> Option<String> {
    (facts.lockdown == Some(Lockdown::Confidentiality)).then(|| {
        "kprobe programs may not read kernel memory under kernel lockdown (confidentiality)"
            .to_string()
    })
}

impl FbtFacts {
    /// The running kernel's facts: probed once per boot, then read from [`cache::CACHE_FILE`].
    pub fn probe() -> FbtFacts {
        FbtFacts::probe_with_origin().0
    }

    /// The facts, and whether they came from [`cache::CACHE_FILE`] rather than a probe now.
    pub fn probe_with_origin() -> (FbtFacts, bool) {
        static FACTS: OnceLock<(FbtFacts, bool)> = OnceLock::new();
        *FACTS.get_or_init(|| {
            let boot = cache::boot_id();
            if let Some(facts) = cache::load(&boot) {
                return (facts, true);
            }
            let btf = Btf::from_file(Path::new(VMLINUX_BTF)).ok();
            let facts = FbtFacts {
                fentry: probe_fentry(btf.as_ref()),
                lockdown: read_lockdown(),
                kprobes: Path::new("/sys/bus/event_source/devices/kprobe/type").exists(),
                kprobe_multi: PROBE_FUNCTIONS
                    .iter()
                    .any(|function| kernel::probe_kprobe_multi(function)),
                may_goto: probe_may_goto(),
                kernel: KernelFacts::probe(btf.is_some()),
            };
            if !boot.is_empty() {
                cache::store(&facts, &boot);
            }
            (facts, false)
        })
    }
}

/// Loads a program that returns 0 as an fentry program on a common function.
fn probe_fentry(btf: Option<&Btf>) -> FentryProbe {
    let Some(btf) = btf else {
        return FentryProbe::NoBtf;
    };
    let Some(btf_id) = PROBE_FUNCTIONS
        .iter()
        .find_map(|function| btf.function_id(function))
    else {
        return FentryProbe::NoBtf;
    };
    // r0 = 0; exit
    let insns: [u64; 2] = [0x0000_0000_0000_00b7, 0x0000_0000_0000_0095];
    let license = c"GPL";
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_PROG_LOAD` member of a zeroed union.
    let load = unsafe { &mut attr.__bindgen_anon_3 };
    load.prog_type = bpf_prog_type::BPF_PROG_TYPE_TRACING as u32;
    load.expected_attach_type = bpf_attach_type::BPF_TRACE_FENTRY as u32;
    load.insns = insns.as_ptr() as u64;
    load.insn_cnt = insns.len() as u32;
    load.license = license.as_ptr() as u64;
    load.attach_btf_id = btf_id;
    // SAFETY: `insns` and `license` outlive the call, and the kernel reads `insn_cnt`
    // instructions and a NUL-terminated string from them.
    match unsafe { crate::sys::bpf("bpf_prog_load", bpf_cmd::BPF_PROG_LOAD, &mut attr) } {
        Ok(fd) => {
            // SAFETY: `fd` is the program's descriptor, which nothing else owns.
            unsafe { libc::close(fd as i32) };
            FentryProbe::Loads
        }
        Err(error) => FentryProbe::Refused(error.io_error.raw_os_error().unwrap_or(libc::EINVAL)),
    }
}

/// Loads a socket filter that starts with `may_goto`, which kernels before 6.9 reject as an
/// unknown instruction.
fn probe_may_goto() -> bool {
    // may_goto +0; r0 = 0; exit
    let insns: [u64; 3] = [
        0x0000_0000_0000_00e5,
        0x0000_0000_0000_00b7,
        0x0000_0000_0000_0095,
    ];
    let license = c"GPL";
    // SAFETY: `bpf_attr` is plain data, for which all zeros is a valid value.
    let mut attr: bpf_attr = unsafe { std::mem::zeroed() };
    // SAFETY: writing the `BPF_PROG_LOAD` member of a zeroed union.
    let load = unsafe { &mut attr.__bindgen_anon_3 };
    load.prog_type = bpf_prog_type::BPF_PROG_TYPE_SOCKET_FILTER as u32;
    load.insns = insns.as_ptr() as u64;
    load.insn_cnt = insns.len() as u32;
    load.license = license.as_ptr() as u64;
    // SAFETY: `insns` and `license` outlive the call, and the kernel reads `insn_cnt`
    // instructions and a NUL-terminated string from them.
    match unsafe { crate::sys::bpf("bpf_prog_load", bpf_cmd::BPF_PROG_LOAD, &mut attr) } {
        Ok(fd) => {
            // SAFETY: `fd` is the program's descriptor, which nothing else owns.
            unsafe { libc::close(fd as i32) };
            true
        }
        Err(_) => false,
    }
}

/// The lockdown level from securityfs, mounted or not.
fn read_lockdown() -> Option<Lockdown> {
    let path = "/sys/kernel/security/lockdown";
    if let Ok(text) = std::fs::read_to_string(path) {
        return Lockdown::from_securityfs(&text);
    }
    // A thread may have a mount namespace of its own; securityfs mounted there vanishes with it.
    std::thread::spawn(move || {
        // SAFETY: these calls take constant NUL-terminated strings and change only this
        // thread's mount namespace, made private first so nothing propagates back.
        let mounted = unsafe {
            libc::unshare(libc::CLONE_NEWNS) == 0
                && libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0
                && libc::mount(
                    c"securityfs".as_ptr(),
                    c"/sys/kernel/security".as_ptr(),
                    c"securityfs".as_ptr(),
                    0,
                    std::ptr::null(),
                ) == 0
        };
        mounted
            .then(|| std::fs::read_to_string(path).ok())
            .flatten()
            .and_then(|text| Lockdown::from_securityfs(&text))
    })
    .join()
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(fentry: FentryProbe, lockdown: Option<Lockdown>, kprobes: bool) -> FbtFacts {
        FbtFacts {
            fentry,
            lockdown,
            kprobes,
            kprobe_multi: false,
            may_goto: true,
            kernel: kernel::tests::STOCK,
        }
    }

    #[test]
    fn fentry_wins_when_it_loads() {
        let all = FbtFacts {
            kprobe_multi: true,
            ..facts(FentryProbe::Loads, Some(Lockdown::None), true)
        };
        assert_eq!(choose(&all), Ok(FbtMechanism::Fentry));
    }

    #[test]
    fn kprobes_are_the_fallback_multi_first() {
        let refused = facts(FentryProbe::Refused(libc::EPERM), None, true);
        assert_eq!(choose(&refused), Ok(FbtMechanism::Kprobes));
        let multi = FbtFacts {
            kprobe_multi: true,
            ..refused
        };
        assert_eq!(choose(&multi), Ok(FbtMechanism::KprobeMulti));
        let integrity = FbtFacts {
            lockdown: Some(Lockdown::Integrity),
            ..multi
        };
        assert_eq!(choose(&integrity), Ok(FbtMechanism::KprobeMulti));
    }

    #[test]
    fn the_reason_names_lockdown_and_the_missing_kprobes() {
        assert_eq!(
            choose(&facts(
                FentryProbe::Refused(libc::EPERM),
                Some(Lockdown::Integrity),
                false
            )),
            Err(
                "fentry is refused under kernel lockdown (integrity) and this kernel has no kprobes"
                    .to_string()
            )
        );
        assert_eq!(
            choose(&facts(FentryProbe::Refused(libc::EPERM), None, false)),
            Err("fentry is refused (EPERM) and this kernel has no kprobes".to_string())
        );
        assert_eq!(
            choose(&facts(
                FentryProbe::Refused(libc::EPERM),
                Some(Lockdown::Confidentiality),
                true
            )),
            Err("fentry is refused under kernel lockdown (confidentiality) and kprobe programs may not read kernel memory under kernel lockdown (confidentiality)".to_string())
        );
        let reason = choose(&facts(FentryProbe::Refused(libc::EINVAL), None, false))
            .expect_err("nothing works");
        assert!(
            reason.starts_with("fentry is not supported by this kernel (Invalid argument"),
            "{reason}"
        );
        assert_eq!(
            choose(&facts(FentryProbe::NoBtf, None, false)),
            Err("there is no kernel BTF for fentry and this kernel has no kprobes".to_string())
        );
    }

    #[test]
    fn a_forced_mode_gets_its_way_or_its_reason() {
        let stock = FbtFacts {
            kprobe_multi: false,
            ..facts(FentryProbe::Loads, Some(Lockdown::None), true)
        };
        assert_eq!(
            choose_with(&stock, FbtMode::Kprobe),
            Ok(FbtMechanism::Kprobes)
        );
        assert_eq!(
            choose_with(&stock, FbtMode::Fentry),
            Ok(FbtMechanism::Fentry)
        );
        let locked = facts(
            FentryProbe::Refused(libc::EPERM),
            Some(Lockdown::Integrity),
            false,
        );
        assert_eq!(
            choose_with(&locked, FbtMode::Kprobe),
            Err("this kernel has no kprobes".to_string())
        );
        assert_eq!(
            choose_with(&locked, FbtMode::Fentry),
            Err("fentry is refused under kernel lockdown (integrity)".to_string())
        );
    }

    #[test]
    fn several_functions_take_a_kprobe_multi_link_where_it_attaches() {
        let stock = facts(FentryProbe::Loads, Some(Lockdown::None), true);
        let fprobe = FbtFacts {
            kprobe_multi: true,
            ..stock
        };
        assert_eq!(
            choose_for(&fprobe, FbtMode::Auto, 1),
            Ok(FbtMechanism::Fentry)
        );
        assert_eq!(
            choose_for(&fprobe, FbtMode::Auto, 300),
            Ok(FbtMechanism::KprobeMulti)
        );
        assert_eq!(
            choose_for(&stock, FbtMode::Auto, 300),
            Ok(FbtMechanism::Fentry)
        );
        for (mode, mechanism) in [
            (FbtMode::Fentry, FbtMechanism::Fentry),
            (FbtMode::Kprobe, FbtMechanism::Kprobes),
            (FbtMode::KprobeMulti, FbtMechanism::KprobeMulti),
        ] {
            assert_eq!(choose_for(&fprobe, mode, 300), Ok(mechanism), "{mode:?}");
            assert_eq!(choose_for(&fprobe, mode, 1), Ok(mechanism), "{mode:?}");
        }
        let confidential = FbtFacts {
            fentry: FentryProbe::Refused(libc::EPERM),
            lockdown: Some(Lockdown::Confidentiality),
            ..fprobe
        };
        assert!(choose_for(&confidential, FbtMode::Auto, 300).is_err());
    }

    #[test]
    fn forcing_kprobe_multi_without_fprobe_says_why() {
        let stock = facts(FentryProbe::Loads, Some(Lockdown::None), true);
        assert_eq!(
            choose_for(&stock, FbtMode::KprobeMulti, 300),
            Err("kprobe-multi links do not attach (Linux 5.18 with fprobe has them)".to_string())
        );
        let no_kprobes = FbtFacts {
            kprobe_multi: true,
            ..facts(FentryProbe::Refused(libc::EPERM), None, false)
        };
        assert_eq!(
            choose_with(&no_kprobes, FbtMode::Auto),
            Ok(FbtMechanism::KprobeMulti)
        );
        assert_eq!(
            choose_with(&no_kprobes, FbtMode::Kprobe),
            Err("this kernel has no kprobes".to_string())
        );
    }

    #[test]
    fn loops_are_bounded_without_may_goto_or_when_asked() {
        let old = FbtFacts {
            may_goto: false,
            ..facts(FentryProbe::Loads, None, true)
        };
        let new = facts(FentryProbe::Loads, None, true);
        assert!(bounded_loops(&old, LoopMode::Auto));
        assert!(!bounded_loops(&new, LoopMode::Auto));
        assert!(bounded_loops(&new, LoopMode::Bounded));
        assert!(!bounded_loops(&old, LoopMode::MayGoto));
    }

    #[test]
    fn records_use_perf_buffers_without_a_ring_buffer_or_when_asked() {
        let new = facts(FentryProbe::Loads, None, true);
        let old = FbtFacts {
            kernel: kernel::KernelFacts {
                ringbuf: kernel::Outcome::Fails(libc::EINVAL),
                ..new.kernel
            },
            ..new
        };
        assert!(!perf_buffer(&new, BufMode::Auto));
        assert!(perf_buffer(&old, BufMode::Auto));
        assert!(perf_buffer(&new, BufMode::Perf));
        assert!(!perf_buffer(&old, BufMode::Ring));
    }

    #[test]
    fn the_lockdown_level_is_the_bracketed_one() {
        assert_eq!(
            Lockdown::from_securityfs("none [integrity] confidentiality\n"),
            Some(Lockdown::Integrity)
        );
        assert_eq!(
            Lockdown::from_securityfs("[none] integrity confidentiality\n"),
            Some(Lockdown::None)
        );
        assert_eq!(Lockdown::from_securityfs("none integrity"), None);
    }
}
