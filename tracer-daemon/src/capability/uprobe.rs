//! How `pid` and USDT probes attach: a uprobe perf event per site, or one uprobe-multi link
//! (`BPF_TRACE_UPROBE_MULTI`, Linux 6.6) per program, binary and process carrying every site of
//! the program in that binary. A perf event per site costs a `perf_event_open`, a uprobe
//! registration and a `BPF_LINK_CREATE` each, and as much again to close: globbing all of libc
//! (about 2,500 functions) takes minutes to attach. A uprobe-multi link registers all its sites
//! in one system call and unregisters them in one `close`.
//!
//! [`choose`] decides from the kernel's facts ([`KernelFacts::uprobe_multi`]) and `-x
//! uprobemode`, so the decision is tested without a kernel.

use super::kernel::KernelFacts;

/// How `-x uprobemode` asks `pid` and USDT probes to attach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UprobeMode {
    /// Uprobe-multi links where the kernel has them, else a perf event per site.
    #[default]
    Auto,
    /// A uprobe perf event per site.
    Single,
    /// Uprobe-multi links only.
    Multi,
}

impl UprobeMode {
    /// What `--self-test` says about the choice.
    pub fn origin(self) -> &'static str {
        match self {
            UprobeMode::Auto => "chosen",
            UprobeMode::Single => "forced by -x uprobemode=single",
            UprobeMode::Multi => "forced by -x uprobemode=multi",
        }
    }
}

/// How `pid` and USDT probes attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UprobeMechanism {
    /// A `uprobe` PMU perf event per site, each with a BPF link.
    PerfEvents,
    /// One uprobe-multi link per program, binary and process.
    Multi,
}

impl UprobeMechanism {
    /// What `--self-test` calls it.
    pub fn describe(self) -> &'static str {
        match self {
            UprobeMechanism::PerfEvents => "a uprobe perf event per site",
            UprobeMechanism::Multi => "uprobe-multi links, one per binary and process",
        }
    }
}

/// Why uprobe-multi links cannot attach, if they cannot.
pub fn why_not_multi(kernel: &KernelFacts) -> Option<String> {
    (!kernel.uprobe_multi).then(|| {
        "uprobe-multi links do not attach or do not filter by process (Linux 6.6 has them)"
            .to_string()
    })
}

/// The way `mode` asks for to attach `pid` and USDT probes, when the kernel allows it, or why
/// not: for `auto`, uprobe-multi links where the kernel has them, else a perf event per site.
pub fn choose(kernel: &KernelFacts, mode: UprobeMode) -> Result<UprobeMechanism, String> {
    let why_not_perf = || (!kernel.uprobes).then(|| "this kernel has no uprobes".to_string());
    match mode {
        UprobeMode::Auto | UprobeMode::Multi if why_not_multi(kernel).is_none() => {
            Ok(UprobeMechanism::Multi)
        }
        UprobeMode::Multi => Err(why_not_multi(kernel).unwrap_or_default()),
        UprobeMode::Auto | UprobeMode::Single => {
            why_not_perf().map_or(Ok(UprobeMechanism::PerfEvents), Err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::kernel::tests::STOCK;

    #[test]
    fn multi_links_where_the_kernel_has_them() {
        assert_eq!(choose(&STOCK, UprobeMode::Auto), Ok(UprobeMechanism::Multi));
        let old = KernelFacts {
            uprobe_multi: false,
            ..STOCK
        };
        assert_eq!(
            choose(&old, UprobeMode::Auto),
            Ok(UprobeMechanism::PerfEvents)
        );
    }

    #[test]
    fn a_forced_mode_gets_its_way_or_its_reason() {
        assert_eq!(
            choose(&STOCK, UprobeMode::Single),
            Ok(UprobeMechanism::PerfEvents)
        );
        assert_eq!(
            choose(&STOCK, UprobeMode::Multi),
            Ok(UprobeMechanism::Multi)
        );
        let old = KernelFacts {
            uprobe_multi: false,
            ..STOCK
        };
        assert_eq!(
            choose(&old, UprobeMode::Multi),
            Err(
                "uprobe-multi links do not attach or do not filter by process (Linux 6.6 has them)"
                    .to_string()
            )
        );
        let none = KernelFacts {
            uprobes: false,
            ..old
        };
        assert_eq!(
            choose(&none, UprobeMode::Auto),
            Err("this kernel has no uprobes".to_string())
        );
        assert_eq!(
            UprobeMode::Single.origin(),
            "forced by -x uprobemode=single"
        );
    }
}
